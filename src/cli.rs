//! The command line, as clap derive structs. They only parse: `app` resolves them once.

use crate::ingest::InputFormat;
use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_STATUS: &str = "\
Exit status:
  0  the run completed (and, for scan, no finding or incident at or above --fail-on)
  1  scan: at least one finding or incident at or above --fail-on, whatever is displayed
  2  error: usage, unreadable or unrecognised input, no message to scan (see --allow-empty),
     --strict and a skipped row, an output file that exists without --force
A closed output pipe (`| head`) ends the run quietly with the status its findings decide.";

#[derive(Debug, Parser)]
#[command(
    name = "pumphound",
    version,
    about = "Forensic analyzer for SMS pumping fraud in Twilio and AWS message exports",
    long_about = "pumphound reads the message logs a victim of SMS pumping (MITRE ATT&CK T1496.003) can \
export from Twilio and AWS, normalises them into one canonical schema and reports what they hold.",
    after_long_help = EXIT_STATUS,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The display options of the command that has them (commands that load inputs).
    pub fn display(&self) -> Option<&DisplayArgs> {
        match &self.command {
            Command::Scan(a) => Some(&a.display),
            Command::Block(a) => Some(&a.display),
            Command::Inspect(a) => Some(&a.display),
            Command::Baseline(BaselineCommand::Build(a)) => Some(&a.display),
            Command::Export(a) => Some(&a.display),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Detect SMS pumping: pumped number ranges, spend anomalies, low conversion, risky number
    /// classes and provider blocks, grouped into incidents with the evidence behind them
    #[command(after_long_help = SCAN_EXAMPLES)]
    Scan(Box<ScanArgs>),
    /// Write rule files that block what `scan` finds (AWS protect configurations, Twilio geo
    /// permissions and safe list, Firebase SMS regions, Vonage Fraud Defender), each rule with
    /// the attack it would have stopped and the legit users it would also have blocked
    #[command(after_long_help = BLOCK_EXAMPLES)]
    Block(Box<BlockArgs>),
    /// Compare two scan reports (-f json): incidents and findings new, escalated, ongoing,
    /// resolved or gone; exit 1 when something new or escalated is at or above --fail-on
    #[command(after_long_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
    /// Save what the detectors learn from a known-clean period (block occupancy, spend,
    /// conversion, known numbers as hashes) for `scan --baseline FILE`
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Write the canonical message table (every column of `pumphound formats`) as Parquet or
    /// CSV: one file per input or a directory per day, for Spark, Athena, Trino or DuckDB
    #[command(after_long_help = EXPORT_EXAMPLES)]
    Export(ExportArgs),
    /// List the detectors, what each flags, and its parameters with their defaults
    Detectors(DetectorsArgs),
    /// Load exports and report what they hold: formats, rows read / used / skipped, time span,
    /// destinations, countries, spend
    #[command(after_long_help = INSPECT_EXAMPLES)]
    Inspect(InspectArgs),
    /// List the input formats pumphound reads and the canonical message schema
    Formats(FormatsArgs),
    /// Generate deterministic, labelled SMS traffic (legit, look-alikes, pumping attacks) as any
    /// supported export, with a ground-truth file
    #[command(after_long_help = SIMULATE_EXAMPLES)]
    Simulate(SimulateArgs),
    /// Generate the man page or shell completions (for packagers)
    Generate(GenerateArgs),
}

const EXPORT_EXAMPLES: &str = "\
Examples:
  pumphound export -o table/ exports/                    # one Parquet file per input
  pumphound export -o table/ --partition day exports/    # table/day=2024-03-01/part-0.parquet ...
  pumphound export -o table/ -f csv messages.csv.gz sns.json

Columns, in this order: those of `pumphound formats`. ts is UTC milliseconds (int64), cost a
double, calling_code and segments uint32, converted a boolean, enums their names; nulls where a
value is unknown. A message seen in several inputs is written once, in the file of the first.
stdout lists the files written and their rows (tab-separated); stderr what each input held.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Apache Parquet (zstd unless --compression says otherwise)
    Parquet,
    /// CSV with a header row
    Csv,
}

/// Parquet page compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Compression {
    /// Zstandard: the smallest files (the default)
    Zstd,
    /// Snappy: what Spark and Athena write by default
    Snappy,
    /// LZ4 (LZ4_RAW)
    Lz4,
    /// None
    None,
}

impl From<Compression> for crate::frame::Compression {
    fn from(c: Compression) -> Self {
        match c {
            Compression::Zstd => crate::frame::Compression::Zstd,
            Compression::Snappy => crate::frame::Compression::Snappy,
            Compression::Lz4 => crate::frame::Compression::Lz4,
            Compression::None => crate::frame::Compression::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Partition {
    /// One file per input
    Input,
    /// One directory per UTC day of the send time (day=YYYY-MM-DD, Hive style)
    Day,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Directory the files go into (made when missing)
    #[arg(short, long, value_name = "DIR", help_heading = "Output")]
    pub out: String,
    /// File format
    #[arg(short, long, value_enum, default_value_t = ExportFormat::Parquet, help_heading = "Output")]
    pub format: ExportFormat,
    /// How the rows are split into files
    #[arg(long, value_enum, default_value_t = Partition::Input, help_heading = "Output")]
    pub partition: Partition,
    /// Parquet page compression [default: zstd]
    #[arg(long, value_enum, help_heading = "Output")]
    pub compression: Option<Compression>,
    /// Overwrite files that exist
    #[arg(long, help_heading = "Output")]
    pub force: bool,
    #[command(flatten)]
    pub display: DisplayArgs,
}

const BASELINE_EXAMPLES: &str = "\
Examples:
  pumphound baseline build -o baseline.json exports/2024-02-*/
  pumphound scan --baseline baseline.json --previous last-night.json -f json -o tonight.json tonight/

What is saved, for each detector: per numbering plan and block size, the occupied blocks and their
usual occupancy (pumped-range); per country, the median and spread of spend per hour and per day
(spend-anomaly); the account's, each country's and each operator prefix's usual conversion
(low-conversion, excess-unverified); the countries and the numbers seen (new-numbers, and the
novelty of a range), as 64-bit XXH3 hashes. A saved baseline gives the findings its exports give
as --baseline. The hashes hide no number from someone who enumerates a numbering plan: keep the
file as you keep the exports.";

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Learn baselines from exports of a known-clean period and write them to one JSON file
    #[command(after_long_help = BASELINE_EXAMPLES)]
    Build(BaselineBuildArgs),
}

#[derive(Debug, Args)]
pub struct BaselineBuildArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Only messages to this country (ISO alpha-2; repeatable); scan with the same --country
    #[arg(long, value_name = "CC", help_heading = "Detection")]
    pub country: Vec<String>,
    /// Only messages sent at or after this time (ISO 8601 or RFC 2822, UTC)
    #[arg(long, value_name = "TIME", help_heading = "Detection")]
    pub since: Option<String>,
    /// Only messages sent before this time (a clean period that ends where the scan starts)
    #[arg(long, value_name = "TIME", help_heading = "Detection")]
    pub until: Option<String>,
    /// The baseline file to write (`-`: stdout), whole or not at all
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    pub output: String,
    /// Overwrite FILE if it exists
    #[arg(long, action = clap::ArgAction::Count, help_heading = "Output")]
    pub force: u8,
    #[command(flatten)]
    pub display: DisplayArgs,
}

const DIFF_EXAMPLES: &str = "\
Examples:
  pumphound diff last-night.json tonight.json
  pumphound diff -f markdown --fail-on high monday.json tuesday.json > changes.md

Status: new (only in NEW), escalated (severity rose), ongoing (more messages or a later last
message), resolved (no activity since, or nothing like it in NEW's period), gone (over before
NEW's period starts). Only what both reports list is compared (at or above the higher of their
--min-severity).

Fingerprints: a finding's is a hash of its detector, subject (range, country, operator prefix...)
and the UTC day of its first message; an incident's is its earliest finding's, prefixed i-. They
do not depend on the run's numbering, the order of the inputs or how they are split. They change
when the first day leaves the data (a newer period that starts later: such an event is then
matched by subject), when a detector reports a different subject (a narrower range), or when an
earlier finding joins an incident (then matched by a finding it shares).

Exit status: 0 nothing new or escalated at or above --fail-on, 1 something is, 2 error (including
a report of another schema_version).";

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DiffFormat {
    #[default]
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older report (`scan -f json`)
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The newer report
    #[arg(value_name = "NEW")]
    pub new: String,
    /// Exit 1 when a new or escalated incident or finding is at or above this severity
    #[arg(long, value_enum, default_value_t = FailOn::Medium, help_heading = "Output")]
    pub fail_on: FailOn,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = DiffFormat::Table, help_heading = "Output")]
    pub format: DiffFormat,
    #[command(flatten)]
    pub output: OutputArgs,
}

const INSPECT_EXAMPLES: &str = "\
Examples:
  pumphound inspect exports/
  pumphound inspect --format json messages.csv.gz sns-logs.json | jq .total
  pumphound inspect --input-format generic-csv --map destination=phone,ts=sent_at app.csv
  pumphound inspect --conversions verified.csv attempts.json";

const SCAN_EXAMPLES: &str = "\
Examples:
  pumphound scan exports/
  pumphound scan --conversions verified.csv --evidence evidence.csv -f json -o report.json messages.csv
  pumphound scan -f html -o report.html --conversions verified.csv exports/   # charts, one offline file
  pumphound scan --fail-on high --since 2024-03-01 --until 2024-03-08 nightly/
  pumphound scan --detector pumped-range --set pumped-range.min_distinct=20 export.csv.gz
  pumphound scan --min-severity high --top 3 --tz local exports/     # quieter display, same exit status

Exit status: 0 no finding or incident at or above --fail-on, 1 at least one (decided on every
finding, whatever --min-severity, --top or a closed pipe show), 2 error (including a scan with no
message to look at, unless --allow-empty).";

const BLOCK_EXAMPLES: &str = "\
Examples:
  pumphound block --out rules/ exports/
  pumphound block --out rules/ --target aws-protect --protect-configuration-id protect-0123 --expire 14d exports/
  pumphound block --out rules/ --target firebase --current firebase-config.json export.csv.gz
  pumphound block --out rules/ --force --max-legit-share 0.05 --conversions verified.csv export.csv

Rules are proposed for incidents at or above --min-severity (default medium). Exit status: 0 the
files were written (or nothing needed blocking), 2 error.";

/// What `block` writes rules for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum Target {
    /// AWS End User Messaging protect configuration: country rule sets and number overrides
    AwsProtect,
    /// Twilio Messaging geo permissions (PATCH form body and curl script)
    TwilioGeo,
    /// Twilio Global Safe List: legit numbers that verified inside what is blocked
    TwilioSafelist,
    /// Firebase / Identity Platform smsRegionConfig disallowed regions
    Firebase,
    /// Vonage Fraud Defender traffic rules (one JSON a rule)
    Vonage,
    /// Every proposed rule with its evidence, as CSV
    Csv,
    /// Every proposed rule with its evidence, as JSON
    Json,
}

#[derive(Debug, Args)]
pub struct BlockArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Directory the rule files go into (made when missing)
    #[arg(long, value_name = "DIR", help_heading = "Rules")]
    pub out: String,
    /// Write rules for this system (repeatable; default all)
    #[arg(long, value_enum, value_name = "TARGET", help_heading = "Rules")]
    pub target: Vec<Target>,
    /// Propose rules for incidents at or above this severity
    #[arg(long, value_enum, default_value_t = crate::detect::Severity::Medium, help_heading = "Rules")]
    pub min_severity: crate::detect::Severity,
    /// Block a whole country only when its legit sends (those outside every incident; only
    /// verified ones when conversion is known) are at most this share of the account's
    #[arg(long, value_name = "SHARE", default_value_t = 0.01, help_heading = "Rules")]
    pub max_legit_share: f64,
    /// AWS protect configuration id (or ARN) written into the files (else a placeholder)
    #[arg(long, value_name = "ID", help_heading = "Rules")]
    pub protect_configuration_id: Option<String>,
    /// How long AWS number overrides last (a number and a unit: 12h, 30d)
    #[arg(long, value_name = "DURATION", default_value = "30d", help_heading = "Rules")]
    pub expire: String,
    /// Firebase: the project's current config (GET .../admin/v2/projects/P/config) to merge
    /// with; the API replaces the whole list
    #[arg(long, value_name = "FILE", help_heading = "Rules")]
    pub current: Option<String>,
    /// Overwrite rule files that exist
    #[arg(long, help_heading = "Rules")]
    pub force: bool,
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// Output formats of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ScanFormat {
    #[default]
    Table,
    Json,
    Ndjson,
    Csv,
    Markdown,
    /// One self-contained HTML file with charts (no network access; open it offline)
    Html,
}

/// `--fail-on`: a severity, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    Never,
}

impl FailOn {
    pub fn severity(self) -> Option<crate::detect::Severity> {
        use crate::detect::Severity as S;
        match self {
            FailOn::Info => Some(S::Info),
            FailOn::Low => Some(S::Low),
            FailOn::Medium => Some(S::Medium),
            FailOn::High => Some(S::High),
            FailOn::Critical => Some(S::Critical),
            FailOn::Never => None,
        }
    }
}

fn detector_id(s: &str) -> Result<String, String> {
    if crate::detect::REGISTRY.iter().any(|d| d.id == s) {
        Ok(s.to_string())
    } else {
        Err(format!("unknown detector (detectors: {})", crate::detect::REGISTRY.iter().map(|d| d.id).collect::<Vec<_>>().join(", ")))
    }
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub detect: DetectArgs,
    /// Show incidents and findings at or above this severity (evidence too); display only: the
    /// summary still counts every one, and --fail-on still sees every one
    #[arg(long, value_enum, default_value_t = crate::detect::Severity::Low, help_heading = "Output")]
    pub min_severity: crate::detect::Severity,
    /// Show only the N most severe incidents and their findings (display only, like
    /// --min-severity)
    #[arg(long, value_name = "N", help_heading = "Output")]
    pub top: Option<usize>,
    /// Exit 1 when any finding or incident is at or above this severity, shown or not
    #[arg(long, value_enum, default_value_t = FailOn::Medium, help_heading = "Output")]
    pub fail_on: FailOn,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table, help_heading = "Output")]
    pub format: ScanFormat,
    /// Write the messages behind findings (provider message ids) as CSV to FILE
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub evidence: Option<String>,
    /// Compare with an earlier report (`scan -f json` of last night): each incident and finding
    /// new, escalated, ongoing, resolved or gone (as `pumphound diff` does), in JSON, NDJSON,
    /// table, Markdown and HTML
    #[arg(long, value_name = "OLD.json", help_heading = "Output")]
    pub previous: Option<String>,
    /// With --previous: exit 1 only for a new or escalated incident at or above --fail-on (an
    /// incident already reported does not fail the run again)
    #[arg(long, requires = "previous", help_heading = "Output")]
    pub fail_on_new: bool,
    /// Also write the HTML report to FILE, beside the format -f asks for, from the same scan
    #[arg(long, value_name = "FILE", help_heading = "Output")]
    pub html: Option<String>,
    /// Mask the last four digits of every destination in every output (ranges stay visible),
    /// for reports that leave the incident team
    #[arg(long, help_heading = "Output")]
    pub redact: bool,
    /// Table format: one wide table of findings with every column (as wide as it needs),
    /// instead of a layout that fits the terminal
    #[arg(long, help_heading = "Output")]
    pub wide: bool,
    /// Zone of the times in table output: UTC (default), local, or an offset such as +02:00
    /// (JSON, NDJSON, CSV, Markdown and evidence are always UTC)
    #[arg(long, value_name = "ZONE", default_value = "UTC", help_heading = "Output")]
    pub tz: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub display: DisplayArgs,
}

/// The detection options `scan` and `block` share.
#[derive(Debug, Args, Clone, Default)]
pub struct DetectArgs {
    /// Run only this detector (repeatable)
    #[arg(long, value_name = "ID", value_parser = detector_id, help_heading = "Detection")]
    pub detector: Vec<String>,
    /// Do not run this detector (repeatable)
    #[arg(long, value_name = "ID", value_parser = detector_id, help_heading = "Detection")]
    pub skip_detector: Vec<String>,
    /// A known-clean period (file or directory; repeatable) to learn baselines from, or one
    /// baseline file saved by `pumphound baseline build`; without it they are learned from the
    /// scanned data itself, robustly
    #[arg(long, value_name = "INPUT", help_heading = "Detection")]
    pub baseline: Vec<String>,
    /// Detector parameters from a TOML file: one [detector] table each, `param = value`
    #[arg(long, value_name = "FILE", help_heading = "Detection")]
    pub config: Option<String>,
    /// Countries, E.164 prefixes and numbers known to be legit, one a line: findings about them
    /// are suppressed (and listed as suppressed)
    #[arg(long, value_name = "FILE", help_heading = "Detection")]
    pub allow: Option<String>,
    /// Set a detector parameter: DETECTOR.PARAM=VALUE (repeatable; see `pumphound detectors`)
    #[arg(long = "set", value_name = "KEY=VALUE", help_heading = "Detection")]
    pub set: Vec<String>,
    /// Only messages sent at or after this time (ISO 8601 or RFC 2822, UTC)
    #[arg(long, value_name = "TIME", help_heading = "Detection")]
    pub since: Option<String>,
    /// Only messages sent before this time
    #[arg(long, value_name = "TIME", help_heading = "Detection")]
    pub until: Option<String>,
    /// Only messages to this country (ISO alpha-2; repeatable)
    #[arg(long, value_name = "CC", help_heading = "Detection")]
    pub country: Vec<String>,
    /// A scan with no message to look at (empty inputs, or filters that leave none) is a
    /// warning and exits 0 instead of an error (exit 2)
    #[arg(long, help_heading = "Detection")]
    pub allow_empty: bool,
}

#[derive(Debug, Args)]
pub struct DetectorsArgs {
    /// Output format
    #[arg(short, long, value_enum, default_value_t = InspectFormat::Table)]
    pub format: InspectFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, NO_COLOR is unset and TERM is not dumb
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args, Default, Clone)]
pub struct DisplayArgs {
    /// When to colour table output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, help_heading = "Display")]
    pub color: ColorChoice,
    /// No progress bar and no warnings on stderr (errors are still printed)
    #[arg(short, long, help_heading = "Display")]
    pub quiet: bool,
    /// No progress bar
    #[arg(long, help_heading = "Display")]
    pub no_progress: bool,
    /// Print where the time went, by stage (read, parse, timestamps, normalise, phone, detect,
    /// report), on stderr at the end
    #[arg(long, help_heading = "Display")]
    pub timings: bool,
}

#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Files or directories (walked recursively, sorted); `-` reads stdin. gzip is detected
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Read every input as this format instead of detecting it per file
    #[arg(long, value_enum, value_name = "NAME", help_heading = "Input")]
    pub input_format: Option<InputFormat>,
    /// generic-csv columns: field=column,... (fields: message_id, ts, destination, sender,
    /// account, status, error_code, segments, cost, currency, body, country, mcc, mnc, carrier,
    /// converted, sms_type)
    #[arg(long, value_name = "SPEC", help_heading = "Input")]
    pub map: Option<String>,
    /// App-side verifications (CSV or JSON: phone number and verified-at time) joined to sends
    #[arg(long, value_name = "FILE", help_heading = "Input")]
    pub conversions: Option<String>,
    /// A send counts as converted when its destination verified within this time after it
    /// (a number and a unit: 900s, 15m, 1h, 1d)
    #[arg(long, value_name = "DURATION", default_value = "15m", help_heading = "Input")]
    pub conversion_window: String,
    /// Currency for prices exported without one (Twilio BulkExport writes no price_unit)
    #[arg(long, value_name = "CODE", default_value = "USD", help_heading = "Input")]
    pub default_currency: String,
    /// Any skipped row is an error (exit 2) instead of a counted skip
    #[arg(long, help_heading = "Input")]
    pub strict: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum InspectFormat {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write to FILE instead of stdout (`-` is stdout). A regular file is written whole or not
    /// at all; a FIFO, device or /dev/stdout is written in place; a symlink's target is written
    #[arg(short, long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<String>,
    /// Overwrite existing regular files named by this command's output options (-o, and
    /// --evidence, --truth or --verifications where the command has them); may be repeated
    #[arg(long, action = clap::ArgAction::Count, help_heading = "Output")]
    pub force: u8,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = InspectFormat::Table, help_heading = "Output")]
    pub format: InspectFormat,
    /// Countries listed per input and in total
    #[arg(long, value_name = "N", default_value_t = 5, help_heading = "Output")]
    pub top: usize,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub display: DisplayArgs,
}

const SIMULATE_EXAMPLES: &str = "\
Examples:
  pumphound simulate --scenario burst -o burst.csv --truth burst.truth.csv
  pumphound simulate --seed 7 --days 28 --daily 5000 --format eum-events \\
      --scenario low-and-slow --scenario marketing-blast -o events.ndjson --truth truth.csv
  pumphound simulate --scenario burst:countries=LV+LT,messages=4000,start=2024-03-10T02:00:00Z,hours=3
  pumphound simulate --list-scenarios";

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// Random seed: the same seed and options give the same bytes
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// First day (UTC) of the simulated period
    #[arg(long, value_name = "DATE", default_value = "2024-03-01")]
    pub start: String,
    /// Length of the period in days
    #[arg(long, default_value_t = 14)]
    pub days: u32,
    /// Legit OTP sends a day over the whole customer base
    #[arg(long, value_name = "N", default_value_t = 2000.0)]
    pub daily: f64,
    /// Customer base: CC:share,... (ISO countries)
    #[arg(long, value_name = "MIX", default_value = crate::simulate::DEFAULT_COUNTRIES)]
    pub countries: String,
    /// Add a scenario: NAME[:key=value,...] (repeatable; see --list-scenarios)
    #[arg(long, value_name = "SCENARIO")]
    pub scenario: Vec<String>,
    /// Export format to write
    #[arg(short, long, value_enum, default_value_t = crate::simulate::writers::SimFormat::TwilioConsoleCsv)]
    pub format: crate::simulate::writers::SimFormat,
    /// Ground truth: message_id,label,scenario for every message written
    #[arg(long, value_name = "FILE")]
    pub truth: Option<String>,
    /// The app's verified OTPs (phone,verified_at) for `--conversions`
    #[arg(long, value_name = "FILE")]
    pub verifications: Option<String>,
    /// List the scenarios and their parameters, then exit
    #[arg(long)]
    pub list_scenarios: bool,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct FormatsArgs {
    /// Output format
    #[arg(short, long, value_enum, default_value_t = InspectFormat::Table)]
    pub format: InspectFormat,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(subcommand)]
    pub what: GenerateWhat,
}

#[derive(Debug, Subcommand)]
pub enum GenerateWhat {
    /// The roff man page (man/pumphound.1)
    Man,
    /// Shell completions
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
