use crate::cli::{FormatsArgs, InspectFormat};
use crate::error::{Error, Outcome};
use crate::ingest::InputFormat;
use crate::report::text::{hang, wrap};
use crate::schema::COLUMNS;
use std::io::Write;

/// The input formats and the canonical schema, each entry a block laid out for `width` columns.
fn listing(width: usize) -> String {
    let mut s = String::from("Input formats\n");
    for f in InputFormat::ALL {
        s.push('\n');
        s += &wrap("", &format!("{}  {}", f.name(), f.provider().as_str()), width);
        s += &wrap("    ", &f.description(), width);
        s += &hang("    ", 6, &format!("detected by: {}", f.detected_by()), width);
    }
    s += "\nCanonical schema (one row per message)\n";
    for c in COLUMNS {
        s.push('\n');
        s += &wrap("", &format!("{}  {}", c.name, c.dtype), width);
        s += &wrap("    ", c.description, width);
    }
    s
}

pub fn run(a: &FormatsArgs) -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
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
        InspectFormat::Table => out.write_all(listing(super::width(super::stdout_is_tty(false))).as_bytes()),
    };
    res.map_err(Error::Write)?;
    Ok(Outcome::Clean)
}
