//! `pumphound block`: the scan `scan` runs, then rule files for the systems that enforce them,
//! each rule with what it would have stopped and whom it would also have blocked. Every target
//! is written into a directory beside its final place and renamed over it, so a reader never
//! sees half a rule set, and `--force` never leaves an old run's files among the new.

use crate::cli::{BlockArgs, DisplayArgs, FailOn, OutputArgs, ScanArgs, ScanFormat, Target};
use crate::detect::incidents::Incident;
use crate::error::{Error, Outcome};
use crate::rules::{self, Options, OutFile, Proposal, Settings};
use clap::ValueEnum;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `block` asked for, resolved before the scan.
pub struct Plan {
    pub settings: Settings,
    pub targets: Vec<Target>,
    pub options: Options,
    pub out: PathBuf,
    pub force: bool,
}

/// Seconds since the epoch: `SOURCE_DATE_EPOCH` when set (reproducible files), else the clock.
fn now_seconds() -> Result<i64, Error> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse().map_err(|_| Error::Usage(format!("SOURCE_DATE_EPOCH `{v}` is not a number of seconds"))),
        Err(_) => Ok(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)),
    }
}

pub fn run(b: &BlockArgs) -> Result<Outcome, Error> {
    if !(0.0..=1.0).contains(&b.max_legit_share) {
        return Err(Error::Usage(format!("--max-legit-share {}: expected a share from 0 to 1 (0.01 is 1 %)", b.max_legit_share)));
    }
    let expire = crate::timeparse::parse_duration(&b.expire).map_err(|e| Error::Usage(format!("--expire: {e}")))?;
    if expire <= 0 {
        return Err(Error::Usage(format!("--expire {}: must be longer than zero", b.expire)));
    }
    if let Some(id) = &b.protect_configuration_id
        && (id.is_empty() || id.len() > 256 || !id.bytes().all(|c| c.is_ascii_alphanumeric() || b"_:/-".contains(&c)))
    {
        return Err(Error::Usage(format!("--protect-configuration-id `{id}`: expected an id or ARN ([A-Za-z0-9_:/-], at most 256)")));
    }
    let firebase_current = match &b.current {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(Path::new(path), e))?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::Usage(format!("--current {path}: not JSON: {e}")))?;
            rules::firebase::check_current(&v).map_err(|e| Error::Usage(format!("--current {path}: {e}")))?;
            Some(v)
        }
    };
    let mut targets = if b.target.is_empty() { Target::value_variants().to_vec() } else { b.target.clone() };
    targets.sort();
    targets.dedup();
    let out = PathBuf::from(&b.out);
    if out.exists() && !out.is_dir() {
        return Err(Error::Usage(format!("--out {}: exists and is not a directory", b.out)));
    }
    // Refuse before the scan, not after it.
    if !b.force
        && let Some(t) = targets.iter().find(|t| out.join(rules::place(**t)).exists())
    {
        return Err(Error::OutputExists(out.join(rules::place(*t)).display().to_string()));
    }
    let plan = Plan {
        settings: Settings { min_severity: b.min_severity, max_legit_share: b.max_legit_share },
        targets,
        options: Options {
            protect_configuration_id: b.protect_configuration_id.clone(),
            expires: now_seconds()? + expire / 1000,
            firebase_current,
        },
        out,
        force: b.force,
    };
    let scan = ScanArgs {
        input: b.input.clone(),
        detect: b.detect.clone(),
        min_severity: crate::detect::Severity::Info,
        top: None,
        fail_on: FailOn::Never,
        format: ScanFormat::Json,
        evidence: None,
        html: None,
        previous: None,
        fail_on_new: false,
        redact: false,
        wide: false,
        tz: "UTC".into(),
        output: OutputArgs { output: None, force: 0 },
        display: b.display.clone(),
    };
    super::scan::run_with(&scan, Some(&plan))
}

/// Write every target's files, then the summary on stdout.
pub fn write(plan: &Plan, p: &Proposal, incidents: &[Incident], g: &DisplayArgs) -> Result<Outcome, Error> {
    std::fs::create_dir_all(&plan.out).map_err(|e| Error::io(&plan.out, e))?;
    let mut written: Vec<(Target, Vec<OutFile>)> = Vec::new();
    for &t in &plan.targets {
        let files = rules::files(p, t, &plan.options);
        place(&plan.out, rules::place(t), &files, plan.force)?;
        written.push((t, files));
    }
    let mut w = std::io::stdout().lock();
    crate::output::written(summary(&mut w, plan, p, incidents, &written))?;
    if !g.quiet {
        let n: usize = written.iter().map(|(_, f)| f.len()).sum();
        eprintln!("pumphound: {} rule(s), {} file(s) in {}", p.rules.len(), n, plan.out.display());
    }
    Ok(Outcome::Clean)
}

/// Put a target's files at `out/name` (a directory, or the one file `name`), replacing what was
/// there: written beside it first, then renamed over it.
fn place(out: &Path, name: &str, files: &[OutFile], force: bool) -> Result<(), Error> {
    let dest = out.join(name);
    let tmp = out.join(format!(".{name}.tmp-{}", std::process::id()));
    fn io(p: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
        move |e| Error::io(p, e)
    }
    if dest.exists() && !force {
        return Err(Error::OutputExists(dest.display().to_string()));
    }
    let single = files.len() == 1 && files[0].path == name;
    if single {
        std::fs::write(&tmp, &files[0].text).map_err(io(&tmp))?;
        if dest.is_dir() {
            std::fs::remove_dir_all(&dest).map_err(io(&dest))?;
        }
        return std::fs::rename(&tmp, &dest).map_err(io(&dest));
    }
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
    }
    for f in files {
        let rel = f.path.strip_prefix(&format!("{name}/")).unwrap_or(&f.path);
        let path = tmp.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, &f.text).map_err(io(&path))?;
        #[cfg(unix)]
        if f.executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(io(&path))?;
        }
    }
    // An old run's rules go, whether or not this run has any for the target.
    if dest.is_dir() {
        std::fs::remove_dir_all(&dest).map_err(io(&dest))?;
    } else if dest.exists() {
        std::fs::remove_file(&dest).map_err(io(&dest))?;
    }
    if files.is_empty() {
        return Ok(());
    }
    std::fs::rename(&tmp, &dest).map_err(io(&dest))
}

fn count(n: u64) -> String {
    n.to_string()
}

fn summary(
    w: &mut dyn Write,
    plan: &Plan,
    p: &Proposal,
    incidents: &[Incident],
    written: &[(Target, Vec<OutFile>)],
) -> std::io::Result<()> {
    let wants = |t: Target| plan.targets.contains(&t);
    if wants(Target::Firebase)
        && plan.options.firebase_current.is_none()
        && written.iter().any(|(t, f)| *t == Target::Firebase && !f.is_empty())
    {
        writeln!(w, "{}", rules::firebase::NO_CURRENT)?;
    }
    let for_them: Vec<&str> = incidents.iter().filter(|i| i.severity >= plan.settings.min_severity).map(|i| i.id.as_str()).collect();
    if for_them.is_empty() {
        writeln!(w, "No incident at {} or above: no rule to propose.", plan.settings.min_severity.as_str())?;
        return Ok(());
    }
    writeln!(
        w,
        "Rules for incident(s) {} ({} or above), written to {}",
        for_them.join(", "),
        plan.settings.min_severity.as_str(),
        plan.out.display()
    )?;
    writeln!(w)?;
    let width = super::width(super::stdout_is_tty(false));
    for r in &p.rules {
        let head = format!("{} {} {} {} ({})", r.id, r.action.as_str(), r.subject, r.incidents.join(" "), r.targets.join(", "));
        w.write_all(crate::report::text::wrap("", &head, width).as_bytes())?;
        let side = |i: &rules::Impact| {
            format!("{} messages, {} numbers, cost {:.2}", count(i.messages), count(i.numbers), crate::units::amount(i.cost))
        };
        let span = |i: &rules::Impact| match (i.first, i.last) {
            (Some(a), Some(b)) => format!(", {} to {}", crate::units::time(a), crate::units::time(b)),
            _ => String::new(),
        };
        let (stops, legit) = if r.action == rules::Action::Allow { ("", "keeps") } else { ("stops", "also blocks") };
        if !stops.is_empty() {
            w.write_all(crate::report::text::wrap("    stops: ", &format!("{}{}", side(&r.stops), span(&r.stops)), width).as_bytes())?;
        }
        let legit_text = format!("{}, {} verified sends{}", side(&r.legit), count(r.legit.verified), span(&r.legit));
        w.write_all(crate::report::text::wrap(&format!("    {legit}: "), &legit_text, width).as_bytes())?;
        w.write_all(crate::report::text::wrap("    why: ", &r.note, width).as_bytes())?;
    }
    if !p.declined.is_empty() {
        writeln!(w)?;
        writeln!(w, "Not proposed:")?;
        for d in &p.declined {
            w.write_all(crate::report::text::wrap(&format!("  {} {}: ", d.target, d.country), &d.reason, width).as_bytes())?;
        }
    }
    writeln!(w)?;
    writeln!(w, "Files:")?;
    for (t, files) in written {
        let name = t.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
        let what =
            if files.is_empty() { "nothing to write".to_string() } else { format!("{} file(s) in {}", files.len(), rules::place(*t)) };
        writeln!(w, "  {name:<16} {what}")?;
    }
    if written.iter().any(|(t, f)| *t == Target::AwsProtect && !f.is_empty()) {
        writeln!(w)?;
        let overrides = written
            .iter()
            .filter(|(t, _)| *t == Target::AwsProtect)
            .flat_map(|(_, f)| f)
            .filter(|f| f.path.contains("/overrides/"))
            .count();
        if overrides > 0 {
            let minutes = (overrides as f64 / 60.0).ceil();
            writeln!(w, "AWS: {overrides} number overrides, one request a second: about {minutes:.0} minute(s) for apply.sh.")?;
        }
        w.write_all(
            crate::report::text::wrap(
                "",
                "AWS: set as the account default protect configuration, the rules also cover Amazon SNS and Amazon Cognito sends; apply them in every Region that sends.",
                width,
            )
            .as_bytes(),
        )?;
    }
    Ok(())
}
