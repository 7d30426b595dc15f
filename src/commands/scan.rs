//! `pumphound scan`: load, detect, settle findings, build incidents, decide the exit status on
//! all of them, then show what the display options ask for.

use crate::cli::{ScanArgs, ScanFormat};
use crate::detect::allow::AllowList;
use crate::detect::incidents::{self, Incident, Messages};
use crate::detect::{self, Finding, Params, REGISTRY, fingerprint};
use crate::error::{Error, Outcome};
use crate::hash::Map;
use crate::ingest::InputStats;
use crate::output::{Sink, written};
use crate::report::scan::{self, Amount, BySeverity, Coverage, InputOut, Num, Parameters, ScanReport, Summary, finding_out, incident_out};
use crate::report::{evidence, html, scan_csv, scan_markdown, scan_table, scan_wide};
use crate::rules;
use crate::store::{Store, Sym};
use crate::timings::{self, Stage};
use crate::units::Zone;

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

pub fn time_opt(flag: &str, v: &Option<String>) -> Result<Option<i64>, Error> {
    v.as_deref().map(|s| crate::timeparse::parse_text(s).map_err(|e| Error::Usage(format!("{flag} `{s}` {e}")))).transpose()
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

/// What incidents read of the store's messages.
struct StoreMessages<'a>(&'a Store);

impl Messages for StoreMessages<'_> {
    fn ts(&self, r: u32) -> i64 {
        self.0.rows[r as usize].ts_opt().unwrap_or(0)
    }
    fn cost(&self, r: u32) -> f64 {
        // Costs in other currencies were set aside (0 here).
        self.0.rows[r as usize].cost
    }
    fn destination(&self, r: u32) -> (u16, u64) {
        let m = &self.0.rows[r as usize];
        (m.calling_code, m.national)
    }
}

pub fn input_out(s: &InputStats, role: &'static str) -> InputOut {
    InputOut {
        path: s.path.clone(),
        role,
        format: s.format.map(|f| f.name().to_string()),
        rows_read: s.rows_read,
        rows_used: s.rows_used,
        rows_skipped: s.rows_skipped(),
        skipped: s.skipped.iter().map(|(k, v)| (k.clone(), v.count)).collect(),
        sha256: s.sha256.clone(),
    }
}

/// Why nothing is left to scan, for the error (or the `--allow-empty` warning).
fn empty_reason(a: &ScanArgs, store: &Store) -> String {
    let inputs = a.input.inputs.join(" ");
    if store.rows.is_empty() {
        return format!("{inputs}: no message read");
    }
    let mut filters = Vec::new();
    if let Some(s) = &a.detect.since {
        filters.push(format!("--since {s}"));
    }
    if let Some(u) = &a.detect.until {
        filters.push(format!("--until {u}"));
    }
    for c in &a.detect.country {
        filters.push(format!("--country {c}"));
    }
    if filters.is_empty() {
        format!("{inputs}: none of the {} messages has a send time", store.rows.len())
    } else {
        format!("{inputs}: {} leave(s) none of the {} messages loaded", filters.join(" "), store.rows.len())
    }
}

pub fn run(a: &ScanArgs) -> Result<Outcome, Error> {
    run_with(a, None)
}

/// A scan, or with `block` the scan `pumphound block` runs: instead of a report, rule files.
pub fn run_with(a: &ScanArgs, block: Option<&super::block::Plan>) -> Result<Outcome, Error> {
    let g = &a.display;
    let params = params(a.detect.config.as_deref(), &a.detect.set)?;
    let allow = match a.detect.allow.as_deref() {
        None => AllowList::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::io(std::path::Path::new(path), e))?;
            AllowList::parse(&text).map_err(|e| Error::Usage(format!("--allow {path}: {e}")))?
        }
    };
    let zone = Zone::parse(&a.tz).map_err(|e| Error::Usage(format!("--tz: {e}")))?;
    let (since, until) = (time_opt("--since", &a.detect.since)?, time_opt("--until", &a.detect.until)?);
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(Error::Usage(format!(
            "--since {} is not before --until {}: no message can be in that window",
            crate::units::time(s),
            crate::units::time(u)
        )));
    }
    let countries = super::baseline::countries(&a.detect.country)?;
    let selected: Vec<&'static str> = REGISTRY
        .iter()
        .map(|d| d.id)
        .filter(|id| {
            (a.detect.detector.is_empty() || a.detect.detector.iter().any(|x| x == id)) && !a.detect.skip_detector.iter().any(|x| x == id)
        })
        .collect();
    if selected.is_empty() {
        return Err(Error::Usage("no detector left to run".into()));
    }
    // The earlier report first: a wrong file fails before the scan, not after.
    let previous = match a.previous.as_deref() {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("--previous {path}: {e}")))?;
            Some((path, crate::changes::parse(&text, &format!("--previous {path}"))?))
        }
    };
    let mut sink = Sink::open(a.output.output.as_deref(), a.output.force)?;
    let mut evidence_sink = a.evidence.as_deref().map(|p| Sink::open(Some(p), a.output.force)).transpose()?;
    if let Some(h) = a.html.as_deref() {
        let same = |o: Option<&str>| o.is_some_and(|o| std::path::Path::new(o) == std::path::Path::new(h));
        if h == "-" || same(a.output.output.as_deref()) || same(a.evidence.as_deref()) {
            return Err(Error::Usage(format!("--html {h}: give it a file of its own (use -f html for stdout)")));
        }
    }
    let mut html_sink = a.html.as_deref().map(|p| Sink::open(Some(p), a.output.force)).transpose()?;
    let wants_html = a.format == ScanFormat::Html || a.html.is_some();
    // The formats that show proposed rules.
    let wants_rules = wants_html || matches!(a.format, ScanFormat::Json | ScanFormat::Ndjson);
    // No scan output shows body templates.
    let mut loaded = super::load_with(&a.input, g, |o| o.ingest.skip_templates = true)?;
    timings::mark_memory("after load");
    let spinner = crate::progress::stage("detecting", !(g.quiet || g.no_progress));
    let t_detect = std::time::Instant::now();
    let in_countries = |m: &crate::store::Message| super::baseline::in_countries(&countries, m);
    let keep = |m: &crate::store::Message| {
        m.ts_opt().is_none_or(|t| since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u)) && in_countries(m)
    };
    // Priced rows per attrs (currencies are a property of the attrs, so array increments tell
    // everything the currency checks need), and whether the filters keep every row, with the
    // rows' facts: one pass over the table on every core.
    let mut survey =
        timings::part("survey (prices, filters, order)", || detect::survey::Survey::of(&loaded.store.rows, loaded.store.attrs_len(), keep));
    let priced = &survey.priced;
    let currency = dominant_currency(&loaded.store, priced);
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
    let currency_text = currency.and_then(|c| store.str(c)).unwrap_or("").to_string();
    let (rows, no_ts) = if survey.left_out == 0 {
        (std::borrow::Cow::Borrowed(&store.rows[..]), 0)
    } else {
        timings::part("detector rows", || detect::rows(store, keep))
    };
    timings::mark_memory("after detector rows");
    if rows.is_empty() {
        spinner.finish_and_clear();
        let why = empty_reason(a, store);
        if !a.detect.allow_empty {
            return Err(Error::Empty(format!("{why} (--allow-empty accepts this)")));
        }
        if !g.quiet {
            eprintln!("pumphound: warning: no message to scan: {why}");
        }
    }
    let other_currency = if foreign.is_empty() { 0 } else { rows.iter().filter(|r| store.is_set_aside(r.idx)).count() as u64 };
    let mut base = super::baseline::for_scan(&a.detect.baseline, &a.input, g, &countries)?;
    let mut no_base = detect::baseline::Baseline::default();
    let learned = base.as_mut().map_or(&mut no_base, |b| &mut b.0);
    // A number the app verified before the scanned period is a known user in it, as the
    // baseline's numbers are (a one-day export beside a month of verifications).
    if let Some(c) = &loaded.conversions {
        learned.numbers.extend(detect::baseline::verified_before(&rows, &c.verified).into_iter());
    }
    let learned = &*learned;
    let facts = timings::part("facts", || survey.facts(&rows).unwrap_or_else(|| detect::facts::Facts::of(&rows)));
    if !detect::span_fits(facts.start, facts.end) {
        return Err(Error::Usage(format!(
            "the messages span {} to {}, over the {} days one scan looks at (a send dated far away is a corrupt row); narrow it with --since and --until",
            crate::units::time(facts.start),
            crate::units::time(facts.end),
            detect::MAX_SPAN_DAYS
        )));
    }
    // The rows' countries: the survey's table, unless prices were set aside since (its spend
    // has them) or rows were left out; else a pass of its own.
    let table = timings::part("countries", || {
        let surveyed = if foreign.is_empty() { survey.country_table(&facts) } else { None };
        surveyed.unwrap_or_else(|| detect::country_table::CountryTable::of(&rows, &facts))
    });
    let all = detect::run(&rows, &facts, survey.marked(), &table, learned, &params, &selected, &store.error_codes(), &currency_text);
    let (mut all, suppressed) = allow.apply(all, store);
    for f in &mut all {
        detect::settle(f, &store.rows, |r| store.rows[r as usize].cost);
    }
    all.sort_by(Finding::order);
    for (i, f) in all.iter_mut().enumerate() {
        f.id = format!("F{}", i + 1);
    }
    let fingerprints = fingerprint::findings(&all);
    for (f, fp) in all.iter_mut().zip(fingerprints) {
        f.fingerprint = fp;
    }
    let coverage = facts.period(&rows);
    let mut incidents: Vec<Incident> = timings::part("incidents", || incidents::build(&all, &StoreMessages(store), coverage));
    let fingerprint_of: Map<&str, &str> = all.iter().map(|f| (f.id.as_str(), f.fingerprint.as_str())).collect();
    for i in &mut incidents {
        i.fingerprint = fingerprint::incident(i, &all, &fingerprint_of);
    }
    // Rules for the incidents: what `block` writes, and what JSON shows.
    let proposal = timings::part("proposed rules", || match block {
        Some(b) => rules::propose(store, &rows, &table, &facts, &all, &incidents, &b.settings),
        None if wants_rules => rules::propose(store, &rows, &table, &facts, &all, &incidents, &rules::Settings::default()),
        None => rules::Proposal::default(),
    });
    if let Some(b) = block {
        spinner.finish_and_clear();
        timings::add(Stage::Detect, t_detect.elapsed());
        return super::block::write(b, &proposal, &incidents, g);
    }
    // The exit status: every finding and incident, before any display filter.
    let max_severity = all.iter().map(|f| f.severity).chain(incidents.iter().map(|i| i.severity)).max();
    let fails = a.fail_on.severity().is_some_and(|limit| max_severity.is_some_and(|m| m >= limit));
    let mut outcome = if fails { Outcome::Findings } else { Outcome::Clean };
    // What is shown.
    let shown_incidents: Vec<&Incident> =
        incidents.iter().filter(|i| i.severity >= a.min_severity).take(a.top.unwrap_or(usize::MAX)).collect();
    let incident_of: Map<&str, &str> = incidents.iter().flat_map(|i| i.findings.iter().map(move |f| (f.as_str(), i.id.as_str()))).collect();
    let shown_findings: Vec<&Finding> = all
        .iter()
        .filter(|f| f.severity >= a.min_severity)
        .filter(|f| a.top.is_none() || incident_of.get(f.id.as_str()).is_some_and(|i| shown_incidents.iter().any(|x| x.id == *i)))
        .collect();
    let sample = |f: &Finding| {
        let m = |r: u32| &store.rows[r as usize];
        let mut ids: Vec<(i64, String)> =
            f.rows.iter().filter_map(|&r| store.message_id(m(r)).map(|id| (m(r).ts_opt().unwrap_or(0), id))).collect();
        ids.sort_unstable();
        ids.into_iter().take(10).map(|(_, id)| id).collect()
    };
    spinner.finish_and_clear();
    timings::add(Stage::Detect, t_detect.elapsed());
    timings::mark_memory("after detect");
    let t_report = std::time::Instant::now();
    let mut report = ScanReport {
        schema_version: scan::SCHEMA_VERSION,
        tool: scan::tool(),
        inputs: loaded
            .inputs
            .iter()
            .map(|s| input_out(s, "scan"))
            .chain(base.iter().flat_map(|b| b.1.iter().cloned()))
            .chain(
                loaded.conversions.iter().map(|c| InputOut { format: Some("verifications".into()), ..input_out(&c.file, "conversions") }),
            )
            .collect(),
        parameters: Parameters {
            detectors: selected.clone(),
            params: params.0.iter().map(|(k, v)| (k.clone(), Num(*v))).collect(),
            since: since.map(crate::units::time),
            until: until.map(crate::units::time),
            countries: countries.clone(),
            baseline: a.detect.baseline.clone(),
            min_severity: a.min_severity,
            top: a.top,
            fail_on: a.fail_on.severity(),
            previous: a.previous.clone(),
            fail_on_new: a.fail_on_new,
            conversion_window_seconds: loaded.conversions.as_ref().map(|c| c.window_seconds).unwrap_or(0),
        },
        summary: Summary {
            coverage: coverage.map(|(f, l)| Coverage::new(f, l)),
            messages_loaded: store.rows.len() as u64,
            messages_scanned: rows.len() as u64,
            messages_without_timestamp: no_ts,
            currency: (!currency_text.is_empty()).then(|| currency_text.clone()),
            messages_other_currency: other_currency,
            spend: Amount(rows.iter().map(|r| r.cost).sum()),
            incidents: incidents.len(),
            incidents_by_severity: BySeverity::count(incidents.iter().map(|i| i.severity)),
            findings: all.len(),
            findings_by_severity: BySeverity::count(all.iter().map(|f| f.severity)),
            incidents_shown: shown_incidents.len(),
            findings_shown: shown_findings.len(),
            suppressed: suppressed.len(),
            max_severity,
            fails,
            fraud_cost_confirmed: Amount(incidents.iter().map(|i| i.confirmed_cost).sum()),
            fraud_cost_probable: Amount(incidents.iter().filter_map(|i| i.probable_cost).sum()),
            messages_in_incidents: incidents.iter().map(|i| i.messages).sum(),
        },
        incidents: shown_incidents.iter().map(|i| incident_out(i)).collect(),
        suppressed,
        findings: shown_findings
            .iter()
            .map(|f| {
                let incident = incident_of.get(f.id.as_str()).and_then(|i| incidents.iter().find(|x| x.id == *i));
                finding_out(f, incident, sample(f))
            })
            .collect(),
        proposed_rules: wants_rules.then(|| rules::listing::out(&proposal, a.redact)),
        changes: None,
    };
    if let Some((path, old)) = &previous {
        if let Some(n) = old.shown.top.filter(|_| !g.quiet) {
            eprintln!("pumphound: warning: --previous {path} lists only its {n} most severe incidents (--top): the others look new here");
        }
        // Every incident and finding of this scan, whatever the display filters show.
        let now = crate::changes::of_scan(&all, &incidents, coverage, (!currency_text.is_empty()).then(|| currency_text.clone()));
        if let Some(before) =
            old.summary.currency.as_deref().filter(|c| !c.is_empty() && *c != currency_text && !currency_text.is_empty() && !g.quiet)
        {
            eprintln!("pumphound: warning: --previous {path} is in {before} and this scan in {currency_text}: cost growth is left out");
        }
        let c = crate::changes::compare(old, &now, (path, "this scan"), a.fail_on.severity());
        if a.fail_on_new {
            report.summary.fails = c.fails_new_incident;
            outcome = if c.fails_new_incident { Outcome::Findings } else { Outcome::Clean };
        }
        report.changes = Some(c);
    }
    let html_data = wants_html.then(|| html::data::build(store, &rows, coverage, &incidents, &shown_incidents, &shown_findings, a.redact));
    let to_file = a.output.output.as_deref().is_some_and(|o| o != "-");
    let tty = super::stdout_is_tty(to_file);
    let color = super::use_color(g.color, tty);
    let w = sink.writer();
    let res = match a.format {
        ScanFormat::Table if a.wide => scan_wide::write(&report, w, zone, color).and_then(|_| changes_after(&report, w, false)),
        ScanFormat::Table => scan_table::write(&report, w, super::width(tty), zone, color).and_then(|_| changes_after(&report, w, false)),
        ScanFormat::Json => scan::write_json(&report, w),
        ScanFormat::Ndjson => scan::write_ndjson(&report, w),
        ScanFormat::Csv => scan_csv::write(&report, w),
        ScanFormat::Markdown => scan_markdown::write(&report, w).and_then(|_| changes_after(&report, w, true)),
        ScanFormat::Html => html_data.as_ref().map_or(Ok(()), |d| html::write(&report, d, w)),
    };
    // A closed pipe ends the report, not the run: the evidence file and the exit status stand.
    written(res.and_then(|_| sink.finish()))?;
    if let (Some(mut h), Some(d)) = (html_sink.take(), html_data.as_ref()) {
        written(html::write(&report, d, h.writer()).and_then(|_| h.finish()))?;
    }
    if let Some(mut ev) = evidence_sink.take() {
        written(evidence::write(store, &shown_findings, &incidents, a.redact, ev.writer()).and_then(|_| ev.finish()))?;
    }
    timings::add(Stage::Report, t_report.elapsed());
    if !g.quiet {
        let s = &report.summary;
        eprintln!(
            "pumphound: {} incident(s){}, {} finding(s); highest severity {}{}",
            s.incidents,
            if s.incidents > 0 { format!(" ({})", s.incidents_by_severity.text()) } else { String::new() },
            s.findings,
            max_severity.map(|s| s.as_str()).unwrap_or("none"),
            match (a.fail_on.severity(), &report.changes) {
                (Some(limit), Some(c)) if a.fail_on_new && c.fails_new_incident => {
                    format!("; exit 1 (a new or escalated incident, --fail-on {})", limit.as_str())
                }
                (Some(limit), Some(_)) if a.fail_on_new =>
                    format!("; no new or escalated incident at or above {} (--fail-on-new)", limit.as_str()),
                (Some(limit), _) if fails => format!("; exit 1 (--fail-on {})", limit.as_str()),
                _ => String::new(),
            }
        );
    }
    Ok(outcome)
}

/// The comparison with `--previous`, after a table or Markdown report.
fn changes_after(r: &ScanReport, w: &mut dyn std::io::Write, markdown: bool) -> std::io::Result<()> {
    let Some(c) = &r.changes else { return Ok(()) };
    let currency = r.summary.currency.as_deref().unwrap_or("");
    writeln!(w)?;
    if markdown { crate::changes::markdown::write(c, currency, w) } else { crate::changes::table::write(c, currency, w) }
}
