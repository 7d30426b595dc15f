//! `pumphound generate man | completions SHELL`: the man page is clap's definition plus the
//! hand-written sections below; `man/pumphound.1` is this output, checked by a test.

use crate::cli::{Cli, GenerateArgs, GenerateWhat};
use crate::error::{Error, Outcome};
use crate::ingest::InputFormat;
use clap::CommandFactory;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};
use std::io::Write;

/// `.TP` items: a bold term and its text.
fn items(roff: &mut Roff, items: &[(&str, &str)]) {
    for (term, text) in items {
        roff.control("TP", []);
        roff.text([bold(*term)]);
        roff.text([roman(*text)]);
    }
}

/// Example command lines, each with what it does.
const EXAMPLES: &[(&str, &str)] = &[
    ("pumphound scan exports/", "Scan every export under exports/ and print the summary, incidents and findings for a terminal."),
    (
        "pumphound scan --conversions verified.csv --evidence evidence.csv -f json -o report.json messages.csv",
        "Join the app's verified OTPs, write the JSON report and the message ids behind every finding (for a dispute).",
    ),
    (
        "pumphound scan --fail-on high --since 2024-03-01 --until 2024-03-08 nightly/",
        "A nightly CI check: exit 1 when anything at high or above is found in that week, 2 when there is nothing to scan.",
    ),
    (
        "pumphound scan --min-severity high --top 3 --tz local exports/",
        "Show only the three most severe incidents, times in local time; the exit status still weighs every finding.",
    ),
    (
        "pumphound scan -f markdown --redact exports/ > ticket.md",
        "A report for a ticket, with the last four digits of every number masked.",
    ),
    (
        "pumphound scan --previous last.json --fail-on-new -f json -o tonight.json nightly/",
        "A nightly job: compare with last night's report and exit 1 only for an incident that is new or escalated.",
    ),
    (
        "pumphound diff last.json tonight.json",
        "What is new, escalated, ongoing, resolved or gone between two saved reports, matched by fingerprint.",
    ),
    (
        "pumphound scan --conversions verified.csv --html report.html exports/",
        "The terminal report, and beside it one self-contained HTML file with charts for the people who will not read it.",
    ),
    (
        "pumphound inspect -f json messages.csv.gz | jq .total",
        "What the exports hold: formats, rows read, used and skipped, time span, spend.",
    ),
    (
        "pumphound simulate --scenario burst -o burst.csv --truth burst.truth.csv",
        "Labelled synthetic traffic with a pumping burst, for a rehearsal.",
    ),
];

pub fn man_page() -> std::io::Result<Vec<u8>> {
    let cmd = Cli::command();
    let man = Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    // The commands are described on this page (not in pumphound-scan(1) pages of their own).
    let mut roff = Roff::new();
    roff.control("SH", ["COMMANDS"]);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        roff.control("TP", []);
        roff.text([bold(format!("pumphound {}", sub.get_name()))]);
        roff.text([roman(sub.get_about().map(|a| a.to_string()).unwrap_or_default())]);
    }
    roff.to_writer(&mut buf)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let mut roff = Roff::new();
        roff.control("SH", [format!("PUMPHOUND {}", sub.get_name().to_uppercase()).as_str()]);
        roff.text([roman(sub.get_about().map(|a| a.to_string()).unwrap_or_default())]);
        roff.to_writer(&mut buf)?;
        let name = leak(format!("pumphound {}", sub.get_name()));
        let sub_man = Man::new(sub.clone().name(name).bin_name(name));
        sub_man.render_synopsis_section(&mut buf)?;
        sub_man.render_options_section(&mut buf)?;
    }
    let mut roff = Roff::new();
    roff.control("SH", ["INPUT FORMATS"]);
    for f in InputFormat::ALL {
        roff.control("TP", []);
        roff.text([bold(f.name())]);
        roff.text([roman(format!("{}. Detected by: {}.", f.description(), f.detected_by()))]);
    }
    roff.control("SH", ["DETECTORS"]);
    roff.text([roman("Parameters are set with --set DETECTOR.PARAM=VALUE or a --config TOML file ([detector] tables).")]);
    for d in crate::detect::REGISTRY {
        roff.control("TP", []);
        roff.text([bold(d.id)]);
        roff.text([roman(format!("{}: {}.", d.title, d.flags))]);
        for p in d.params {
            roff.control("br", []);
            roff.text([roman(format!("{} = {}: {}", p.name, p.default, p.about))]);
        }
    }
    roff.control("SH", ["SEVERITY"]);
    roff.text([roman(
        "Findings and incidents are info < low < medium < high < critical, always listed most severe first. \
Findings that share messages, are about one country at overlapping times, or are one campaign (the same minutes, other \
countries or ranges) form one incident; its messages, cost and window are the union of its findings' evidence messages.",
    )]);
    items(
        &mut roff,
        &[
            (
                "strong signal",
                "A pumped range, a risky number class or the provider's own blocks at medium or above let cost decide: medium under 100, \
high from 100, critical from 1,000 in the account's currency.",
            ),
            ("agreement", "Three weaker detectors that agree make an incident medium."),
            ("otherwise", "Spend and conversion signals alone keep an incident at its findings' level, at most low."),
            (
                "fraud cost",
                "Confirmed: what the messages named by message-level detectors cost. Probable: what the incident's other messages cost, \
reported only for incidents at medium or above.",
            ),
            (
                "ongoing",
                "The incident's last message is within the last hour of the data; started before the data: its first is within the first hour.",
            ),
        ],
    );
    roff.control("SH", ["EVIDENCE"]);
    roff.text([roman(format!(
        "--evidence FILE writes CSV, one row per message behind a finding at or above --min-severity (a message behind several \
findings is written once, for its most severe one). Columns: {}.",
        crate::report::evidence::HEADER.join(", ")
    ))]);
    items(
        &mut roff,
        &[
            ("message_id", "The provider's id (Twilio SM.../MM... sid, SNS or EUM message id): what a dispute names."),
            ("incident_id, finding_id", "The incident (I1, ...) and finding (F1, ...) the message is evidence for."),
            ("detector, severity", "The finding's detector and severity."),
            ("ts", "When the message was sent, RFC 3339 UTC with seconds."),
            ("destination", "The number, E.164; with --redact its last four digits are x."),
            ("country", "ISO 3166 alpha-2 of the destination."),
            ("cost, currency", "The price the provider charged, as exported (positive)."),
        ],
    );
    roff.control("SH", ["EXIT STATUS"]);
    items(
        &mut roff,
        &[
            ("0", "The run completed; for scan, no finding or incident at or above --fail-on (default medium)."),
            (
                "1",
                "scan: at least one finding or incident at or above --fail-on. Decided on every finding and incident, whatever \
--min-severity or --top show and whether or not the reader of a pipe closed it early.",
            ),
            (
                "2",
                "Error: usage, unreadable or unrecognised input, no message to scan (empty inputs, or filters that leave none; \
--allow-empty makes that a warning), --strict and a skipped row, an output file that exists without --force.",
            ),
        ],
    );
    roff.control("SH", ["EXAMPLES"]);
    for (cmdline, what) in EXAMPLES {
        roff.control("TP", []);
        roff.text([bold(*cmdline)]);
        roff.text([roman(*what)]);
    }
    roff.control("SH", ["ENVIRONMENT"]);
    items(
        &mut roff,
        &[
            ("NO_COLOR", "When set and not empty, --color auto never colours."),
            ("TERM", "dumb turns colour off under --color auto."),
            ("TZ", "The zone --tz local shows times in."),
            ("COLUMNS", "The width of table output on a terminal that does not report its own."),
        ],
    );
    roff.to_writer(&mut buf)?;
    man.render_version_section(&mut buf)?;
    Ok(buf)
}

pub fn run(a: &GenerateArgs) -> Result<Outcome, Error> {
    let mut out = std::io::stdout().lock();
    match &a.what {
        GenerateWhat::Man => out.write_all(&man_page().map_err(Error::Write)?).map_err(Error::Write)?,
        GenerateWhat::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "pumphound", &mut out);
        }
    }
    out.flush().map_err(Error::Write)?;
    Ok(Outcome::Clean)
}

/// clap names are `&'static str` without its `string` feature; the man page is generated once
/// per process, so the few bytes leaked here are bounded.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
