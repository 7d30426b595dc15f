use crate::cli::{GlobalArgs, ScanArgs, ScanFormat};
use crate::detect::allow::AllowList;
use crate::detect::incidents::{self, Incident};
use crate::detect::{self, Finding, Params, REGISTRY, Severity};
use crate::error::{Error, Outcome};
use crate::hash::Map;
use crate::output::Sink;
use crate::report::scan::{self, InputOut, Parameters, ScanReport, Summary, finding_out, incident_out, round6};
use crate::report::{evidence, scan_csv, scan_markdown, scan_table};
use crate::store::{Store, Sym};
use crate::timings::{self, Stage};
use std::collections::BTreeMap;

/// Detector parameters: registry defaults, then the `--config` file, then `--set`.
pub fn params(config: Option<&str>, sets: &[String]) -> Result<Params, Error> {
    let mut p = Params::default();
    if let Some(path) = config {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(std::path::Path::new(path), e))?;
        apply_config(&mut p, &text).map_err(|e| Error::Usage(format!("--config {path}: {e}")))?;
    }
    for s in sets {
        let (k, v) = s.split_once('=').ok_or_else(|| Error::Usage(format!("--set `{s}`: expected DETECTOR.PARAM=VALUE")))?;
        let v: f64 = v.trim().parse().map_err(|_| Error::Usage(format!("--set `{s}`: `{v}` is not a number")))?;
        p.set(k.trim(), v).map_err(Error::Usage)?;
    }
    Ok(p)
}

/// `[detector]` tables of `param = number` (booleans count as 1 and 0).
pub fn apply_config(p: &mut Params, text: &str) -> Result<(), String> {
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string().trim().to_string())?;
    for (detector, params) in &table {
        let params = params.as_table().ok_or_else(|| format!("`{detector}` must be a table: [{detector}]"))?;
        for (name, value) in params {
            let v = match value {
                toml::Value::Integer(i) => *i as f64,
                toml::Value::Float(f) => *f,
                toml::Value::Boolean(b) => f64::from(u8::from(*b)),
                other => return Err(format!("{detector}.{name}: `{other}` is not a number")),
            };
            p.set(&format!("{detector}.{name}"), v)?;
        }
    }
    Ok(())
}

fn time_opt(flag: &str, v: &Option<String>) -> Result<Option<i64>, Error> {
    v.as_deref().map(|s| crate::timeparse::parse_text(s).map_err(|e| Error::Usage(format!("{flag} `{s}` {e}")))).transpose()
}

/// Priced rows per [`Attrs`](crate::store::Attrs) index: currencies are a property of the
/// attrs, so one pass of array increments tells everything the currency checks need (a hash
/// lookup a row had been a tenth of a second on one core at ten million rows).
fn priced_by_attrs(store: &Store) -> Vec<u64> {
    let mut n = vec![0u64; store.attrs_len()];
    for m in store.rows.iter().filter(|m| m.bits & crate::store::bits::HAS_COST != 0) {
        n[m.attrs as usize] += 1;
    }
    n
}

/// The currency most messages are priced in; costs in other currencies are left out of sums.
fn dominant_currency(store: &Store, priced: &[u64]) -> Option<Sym> {
    let mut counts: Map<Sym, u64> = Map::default();
    for (i, &n) in priced.iter().enumerate().filter(|(_, n)| **n > 0) {
        let c = store.attrs_at(i as u32).currency;
        if c != 0 {
            *counts.entry(c).or_default() += n;
        }
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(store.str(b.0).cmp(&store.str(a.0)))).map(|(s, _)| s)
}

pub fn run(a: &ScanArgs, g: &GlobalArgs) -> Result<Outcome, Error> {
    let params = params(a.config.as_deref(), &a.set)?;
    let allow = match a.allow.as_deref() {
        None => AllowList::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(std::path::Path::new(path), e))?;
            AllowList::parse(&text).map_err(|e| Error::Usage(format!("--allow {path}: {e}")))?
        }
    };
    let (since, until) = (time_opt("--since", &a.since)?, time_opt("--until", &a.until)?);
    let countries: Vec<String> = a.country.iter().map(|c| c.trim().to_ascii_uppercase()).collect();
    let selected: Vec<&'static str> = REGISTRY
        .iter()
        .map(|d| d.id)
        .filter(|id| (a.detector.is_empty() || a.detector.iter().any(|x| x == id)) && !a.skip_detector.iter().any(|x| x == id))
        .collect();
    if selected.is_empty() {
        return Err(Error::Usage("no detector left to run".into()));
    }
    let mut sink = Sink::open(a.output.output.as_deref(), a.output.force)?;
    let mut evidence_sink = a.evidence.as_deref().map(|p| Sink::open(Some(p), a.output.force)).transpose()?;
    // No scan output shows body templates.
    let mut loaded = super::load_with(&a.input, g, |o| o.ingest.skip_templates = true)?;
    timings::mark_memory("after load");
    let t_detect = std::time::Instant::now();
    let priced = priced_by_attrs(&loaded.store);
    let currency = dominant_currency(&loaded.store, &priced);
    // Prices in other currencies are left out of every sum (and still written as evidence).
    let foreign_attrs: Vec<bool> =
        priced.iter().enumerate().map(|(i, &n)| n > 0 && loaded.store.attrs_at(i as u32).currency != currency.unwrap_or(0)).collect();
    let foreign: Vec<u32> = if foreign_attrs.contains(&true) {
        let s = &loaded.store;
        s.rows.iter().filter(|m| m.bits & crate::store::bits::HAS_COST != 0 && foreign_attrs[m.attrs as usize]).map(|m| m.idx).collect()
    } else {
        Vec::new()
    };
    for &r in &foreign {
        loaded.store.set_aside_cost(r);
    }
    let store = &loaded.store;
    let in_countries =
        |m: &crate::store::Message| countries.is_empty() || m.country_opt().is_some_and(|c| countries.iter().any(|x| x == c));
    let keep = |m: &crate::store::Message| {
        m.ts_opt().is_none_or(|t| since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u)) && in_countries(m)
    };
    let (rows, no_ts) = detect::rows(store, keep);
    timings::mark_memory("after detector rows");
    let other_currency = if foreign.is_empty() { 0 } else { rows.iter().filter(|r| store.is_set_aside(r.idx)).count() as u64 };
    let base = if a.baseline.is_empty() {
        None
    } else {
        let mut base_args = crate::cli::InputArgs { inputs: a.baseline.clone(), ..a.input.clone() };
        base_args.conversions = None;
        Some(super::load(&base_args, g)?)
    };
    let base_rows = match &base {
        None => std::borrow::Cow::Borrowed(&[][..]),
        Some(b) => detect::rows(&b.store, in_countries).0,
    };
    let all = detect::run(&rows, &base_rows, &params, &selected, &store.error_codes());
    let (all, suppressed) = allow.apply(all, store);
    let mut findings: Vec<Finding> = all.into_iter().filter(|f| f.severity >= a.min_severity).collect();
    for (i, f) in findings.iter_mut().enumerate() {
        f.id = format!("F{}", i + 1);
    }
    let cost_of = |r: u32| {
        let m = &store.rows[r as usize];
        if store.is_set_aside(r) { 0.0 } else { m.cost }
    };
    let incidents: Vec<Incident> = incidents::build(&findings, cost_of, |r| store.rows[r as usize].ts_opt().unwrap_or(0));
    let incident_of: Map<&str, &str> = incidents.iter().flat_map(|i| i.findings.iter().map(move |f| (f.as_str(), i.id.as_str()))).collect();
    let sample = |f: &Finding| {
        let m = |r: u32| &store.rows[r as usize];
        let mut ids: Vec<(i64, String)> =
            f.rows.iter().filter_map(|&r| store.message_id(m(r)).map(|id| (m(r).ts_opt().unwrap_or(0), id))).collect();
        ids.sort_unstable();
        ids.into_iter().take(10).map(|(_, id)| id).collect()
    };
    timings::add(Stage::Detect, t_detect.elapsed());
    timings::mark_memory("after detect");
    let t_report = std::time::Instant::now();
    let mut by_severity: BTreeMap<&'static str, usize> =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical].iter().map(|s| (s.as_str(), 0)).collect();
    for f in &findings {
        *by_severity.entry(f.severity.as_str()).or_default() += 1;
    }
    let max_severity = findings.iter().map(|f| f.severity).chain(incidents.iter().map(|i| i.severity)).max();
    let report = ScanReport {
        schema_version: scan::SCHEMA_VERSION,
        tool: scan::tool(),
        inputs: loaded
            .inputs
            .iter()
            .map(|s| InputOut {
                path: s.path.clone(),
                format: s.format.map(|f| f.name().to_string()),
                rows_read: s.rows_read,
                rows_used: s.rows_used,
                rows_skipped: s.rows_skipped(),
                skipped: s.skipped.iter().map(|(k, v)| (k.clone(), v.count)).collect(),
                sha256: s.sha256.clone(),
            })
            .collect(),
        parameters: Parameters {
            detectors: selected.clone(),
            params: params.0.clone(),
            since: since.map(crate::timeparse::format_ms),
            until: until.map(crate::timeparse::format_ms),
            countries: countries.clone(),
            baseline: a.baseline.clone(),
            min_severity: a.min_severity,
            fail_on: a.fail_on.severity(),
            conversion_window_seconds: loaded.conversions.as_ref().map(|c| c.window_seconds).unwrap_or(0),
        },
        summary: Summary {
            messages_loaded: store.rows.len() as u64,
            messages_scanned: rows.len() as u64,
            messages_without_timestamp: no_ts,
            currency: currency.and_then(|c| store.str(c)).map(str::to_string),
            messages_other_currency: other_currency,
            spend: round6(rows.iter().map(|r| r.cost).sum()),
            findings: findings.len(),
            incidents: incidents.len(),
            suppressed: suppressed.len(),
            by_severity,
            max_severity,
            fraud_cost_confirmed: round6(incidents.iter().map(|i| i.confirmed_cost).sum()),
            fraud_cost_probable: round6(incidents.iter().map(|i| i.probable_cost).sum()),
            messages_in_incidents: incidents.iter().map(|i| i.messages).sum(),
        },
        incidents: incidents.iter().map(incident_out).collect(),
        suppressed,
        findings: findings.iter().map(|f| finding_out(f, incident_of.get(f.id.as_str()).map(|s| s.to_string()), sample(f))).collect(),
    };
    let to_file = a.output.output.as_deref().is_some_and(|o| o != "-");
    let tty = super::stdout_is_tty(to_file);
    let color = super::use_color(g.color, tty);
    let w = sink.writer();
    match a.format {
        ScanFormat::Table => scan_table::write(&report, w, tty, color),
        ScanFormat::Json => scan::write_json(&report, w),
        ScanFormat::Ndjson => scan::write_ndjson(&report, w),
        ScanFormat::Csv => scan_csv::write(&report, w),
        ScanFormat::Markdown => scan_markdown::write(&report, w),
    }
    .and_then(|_| sink.finish())
    .map_err(Error::Write)?;
    if let Some(mut ev) = evidence_sink.take() {
        let refs: Vec<&Finding> = findings.iter().collect();
        evidence::write(store, &refs, &incidents, a.redact, ev.writer()).and_then(|_| ev.finish()).map_err(Error::Write)?;
    }
    timings::add(Stage::Report, t_report.elapsed());
    if !g.quiet {
        eprintln!(
            "pumphound: {} finding(s), {} incident(s); highest severity {}",
            report.summary.findings,
            report.summary.incidents,
            max_severity.map(|s| s.as_str()).unwrap_or("none")
        );
    }
    let fail = a.fail_on.severity().is_some_and(|limit| max_severity.is_some_and(|m| m >= limit));
    Ok(if fail { Outcome::Findings } else { Outcome::Clean })
}
