use assert_cmd::Command;
use pumphound::ingest::source::InputPath;
use pumphound::ingest::{LoadOptions, Loaded, load};
use pumphound::store::{Store, View};
use std::path::PathBuf;

/// A path as a command-line argument.
pub fn p(path: &std::path::Path) -> &str {
    path.to_str().expect("path")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn samples() -> PathBuf {
    root().join("testdata/samples")
}

pub fn fixture(name: &str) -> PathBuf {
    root().join("testdata").join(name)
}

pub fn opts() -> LoadOptions {
    let mut o = LoadOptions { conversion_window_ms: 15 * 60_000, ..LoadOptions::default() };
    o.ingest.default_currency = Some("USD".into());
    o
}

pub fn load_with(paths: &[PathBuf], opts: &LoadOptions) -> Loaded {
    let inputs: Vec<InputPath> = paths.iter().map(|p| InputPath::File(p.clone())).collect();
    let loaded = load(&inputs, opts, &indicatif::ProgressBar::hidden()).unwrap_or_else(|e| panic!("{e}"));
    for s in &loaded.inputs {
        assert_eq!(s.rows_read, s.rows_used + s.rows_skipped(), "rows read = used + skipped for {}", s.path);
    }
    loaded
}

pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    load_with(paths, &opts())
}

pub fn by_id(store: &Store, id: &str) -> View {
    store.view(store.rows.iter().find(|m| store.message_id(m).as_deref() == Some(id)).unwrap_or_else(|| panic!("no message {id}")))
}

pub fn ms(iso: &str) -> i64 {
    pumphound::timeparse::parse_text(iso).expect("test timestamp")
}

pub fn approx(a: Option<f64>, b: f64) {
    let a = a.expect("a cost");
    assert!((a - b).abs() < 1e-9, "{a} != {b}");
}

/// The binary with a hermetic environment: no colour, UTC, no terminal.
pub fn bin() -> Command {
    let mut c = Command::cargo_bin("pumphound").expect("binary");
    c.env("NO_COLOR", "1").env("TZ", "UTC").env_remove("TERM").current_dir(root());
    c
}

pub fn json_out(args: &[&str]) -> serde_json::Value {
    let out = bin().args(args).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// stdout of `pumphound ARGS` as a terminal of `cols` columns shows it (a pseudo-terminal made
/// by script(1)); None, with a printed reason, where script(1) is missing outside CI.
pub fn on_terminal(cols: usize, args: &str) -> Option<String> {
    let script = std::path::Path::new("/usr/bin/script");
    if !script.exists() {
        assert!(std::env::var_os("CI").is_none(), "script(1) (util-linux) is needed for the terminal tests under CI");
        eprintln!("skipped: no script(1) to make a pseudo-terminal");
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("pumphound");
    let cmd = format!("stty cols {cols} rows 60; exec {} {args}", bin.display());
    let out = std::process::Command::new(script)
        .args(["-q", "-e", "-c", &cmd, "/dev/null"])
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .env("TERM", "xterm")
        .current_dir(root())
        .stdin(std::process::Stdio::null())
        .output()
        .expect("script");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{args} on a terminal: {}", String::from_utf8_lossy(&out.stdout));
    Some(String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"))
}

/// A Python that can import `module`: `PUMPHOUND_PYTHON` (set by .ci/run, a venv with botocore
/// and duckdb), else python3. None, with a printed reason, outside CI; under CI its absence fails.
pub fn python_with(module: &str) -> Option<String> {
    let candidates = std::env::var("PUMPHOUND_PYTHON").ok().into_iter().chain(["python3".to_string()]);
    for py in candidates {
        if std::process::Command::new(&py).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success()) {
            return Some(py);
        }
    }
    assert!(std::env::var_os("CI").is_none(), "{module} is needed under CI: .ci/run installs it into a venv and sets PUMPHOUND_PYTHON");
    eprintln!("skipped: no Python with {module} (set PUMPHOUND_PYTHON to one)");
    None
}
