use crate::cli::{DetectorsArgs, InspectFormat};
use crate::detect::REGISTRY;
use crate::error::{Error, Outcome};
use crate::report::text::table;
use std::io::Write;

pub fn run(a: &DetectorsArgs) -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
    let res = match a.format {
        InspectFormat::Json => serde_json::to_writer_pretty(&mut out, REGISTRY).map_err(std::io::Error::from).and_then(|_| writeln!(out)),
        InspectFormat::Table => {
            let mut t =
                table(&["detector", "what it flags", "parameters (defaults; --set DETECTOR.PARAM=VALUE)"], super::stdout_is_tty(false));
            for d in REGISTRY {
                let params = d.params.iter().map(|p| format!("{} = {} ({})", p.name, p.default, p.about)).collect::<Vec<_>>().join("\n");
                t.add_row(vec![format!("{}\n{}", d.id, d.title), d.flags.to_string(), params]);
            }
            writeln!(out, "{t}")
        }
    };
    res.map_err(Error::Write)?;
    Ok(Outcome::Clean)
}
