use crate::cli::{DetectorsArgs, InspectFormat};
use crate::detect::{Detector, REGISTRY};
use crate::error::{Error, Outcome};
use crate::report::text::{GLUE, glue, hang, wrap};
use std::io::Write;

/// A detector as a block: its id and title, what it flags, then one line per parameter
/// (`name = default: about`), each laid out for `width` columns.
fn block(d: &Detector, width: usize) -> String {
    let mut s = wrap("", &format!("{}  {}", d.id, d.title), width);
    s += &wrap("    ", d.flags, width);
    for p in d.params {
        // The name and its default stay on one line, and so does a percentage.
        let about = p.about.replace(" %", &format!("{GLUE}%"));
        s += &hang("    ", 6, &format!("{}: {about}", glue(&format!("{} = {}", p.name, p.default))), width);
    }
    s
}

pub fn run(a: &DetectorsArgs) -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
    let res = match a.format {
        InspectFormat::Json => serde_json::to_writer_pretty(&mut out, REGISTRY).map_err(std::io::Error::from).and_then(|_| writeln!(out)),
        InspectFormat::Table => {
            let width = super::width(super::stdout_is_tty(false));
            let mut s = wrap("", "Detectors (parameters at their defaults; --set DETECTOR.PARAM=VALUE)", width);
            for d in REGISTRY {
                s.push('\n');
                s += &block(d, width);
            }
            out.write_all(s.as_bytes())
        }
    };
    res.map_err(Error::Write)?;
    Ok(Outcome::Clean)
}
