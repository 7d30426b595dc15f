//! A fresh clone needs nothing beside it: no file reads the project's shared folder, the README's quick start
//! prints what the README shows, and every fixture the tests name is in the repository.

use crate::util::*;
use std::path::{Path, PathBuf};

/// The files a clone holds: tracked ones, and new ones not ignored (what the next commit adds).
fn repository_files() -> Option<Vec<PathBuf>> {
    let out = std::process::Command::new("git")
        .args(["ls-files", "-z", "--cached", "--others", "--exclude-standard"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(out) = out else {
        assert!(std::env::var_os("CI").is_none(), "git is needed for the fresh-clone test under CI");
        eprintln!("skipped: not a git checkout, or no git");
        return None;
    };
    Some(out.stdout.split(|b| *b == 0).filter(|p| !p.is_empty()).map(|p| PathBuf::from(String::from_utf8_lossy(p).into_owned())).collect())
}

/// The quick start's scan command (its arguments after `--`) and the output block below it.
fn quick_start() -> (Vec<String>, String) {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let line = readme.lines().find(|l| l.starts_with("cargo run --release -- scan ")).expect("the quick start's scan command");
    let args = line.trim_start_matches("cargo run --release -- ").split_whitespace().map(str::to_string).collect();
    let after = &readme[readme.find(line).expect("line") + line.len()..];
    let block = after.split("```text\n").nth(1).and_then(|b| b.split("\n```").next()).expect("the output block after it");
    (args, format!("{block}\n"))
}

#[test]
fn a_fresh_clone_needs_nothing_beside_it() {
    let Some(files) = repository_files() else { return };
    let clone_parent = tempfile::tempdir().expect("tempdir");
    let clone = clone_parent.path().join("pumphound");
    let (up, samples) = (["..", "shared"].join("/"), ["shared", "samples"].join("/"));
    for f in &files {
        let (from, to) = (root().join(f), clone.join(f));
        let Ok(bytes) = std::fs::read(&from) else { continue };
        let is_doc = f.extension().is_some_and(|e| e == "md");
        let text = String::from_utf8_lossy(&bytes);
        assert!(is_doc || !(text.contains(&up) || text.contains(&samples)), "{} reads {up}", f.display());
        std::fs::create_dir_all(to.parent().unwrap_or(Path::new("."))).expect("mkdir");
        std::fs::write(&to, &bytes).expect("copy");
    }
    assert!(!clone_parent.path().join("shared").exists());
    // The README's first command, run in the clone, prints what the README shows.
    let (args, shown) = quick_start();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("pumphound"))
        .args(&args)
        .current_dir(&clone)
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .env_remove("TERM")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(printed == shown, "README's quick-start output is stale; it prints:\n{printed}");
    // Every fixture the tests name is in the clone.
    let mut named = 0;
    for test in files.iter().filter(|f| f.starts_with("tests") && f.extension().is_some_and(|e| e == "rs")) {
        let src = std::fs::read_to_string(root().join(test)).expect("test source");
        for piece in src
            .split('"')
            .skip(1)
            .step_by(2)
            .filter(|p| p.starts_with("testdata/") && !p.contains(['{', ' ', '*']) && !p.contains("does-not-exist"))
        {
            named += 1;
            assert!(clone.join(piece).exists(), "{} names {piece}, which a clone lacks", test.display());
        }
    }
    assert!(named > 20, "the fixture names were found ({named})");
    let vendored = std::fs::read_dir(clone.join("testdata/samples")).expect("vendored samples").count();
    assert!(vendored >= 10, "testdata/samples holds the public samples");
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("pumphound"))
        .args(["inspect", "-q", "-f", "json", "testdata/samples"])
        .current_dir(&clone)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
