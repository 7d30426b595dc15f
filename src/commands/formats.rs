use crate::cli::{FormatsArgs, InspectFormat};
use crate::error::{Error, Outcome};
use crate::ingest::InputFormat;
use crate::report::text::table;
use crate::schema::COLUMNS;
use std::io::Write;

pub fn run(a: &FormatsArgs) -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
    let tty = super::stdout_is_tty(false);
    let res = match a.format {
        InspectFormat::Json => {
            let formats: Vec<_> = InputFormat::ALL
                .iter()
                .map(|f| serde_json::json!({"name": f.name(), "provider": f.provider().as_str(), "description": f.description(), "detected_by": f.detected_by()}))
                .collect();
            let columns: Vec<_> =
                COLUMNS.iter().map(|c| serde_json::json!({"name": c.name, "type": c.dtype, "description": c.description})).collect();
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({"formats": formats, "schema": columns}))
                .map_err(std::io::Error::from)
                .and_then(|_| writeln!(out))
        }
        InspectFormat::Table => {
            let mut t = table(&["format", "provider", "what", "detected by"], tty);
            for f in InputFormat::ALL {
                t.add_row(vec![f.name().to_string(), f.provider().as_str().to_string(), f.description(), f.detected_by().to_string()]);
            }
            let mut s = table(&["column", "type", "meaning"], tty);
            for c in COLUMNS {
                s.add_row(vec![c.name, c.dtype, c.description]);
            }
            writeln!(out, "Input formats\n{t}\n\nCanonical schema (one row per message)\n{s}")
        }
    };
    res.map_err(Error::Write)?;
    Ok(Outcome::Clean)
}
