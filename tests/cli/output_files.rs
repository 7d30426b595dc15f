//! Output files: a regular file is written whole and never overwritten without --force; stdout,
//! FIFOs and devices are written in place; a symlink's target is written and the link kept.

use crate::scan::export_of;
use crate::util::*;
use std::io::Read;

#[test]
fn dev_stdout_is_written_in_place() {
    let export = export_of("burst");
    for path in ["-", "/dev/stdout"] {
        let out = bin().args(["scan", "-q", "-f", "json", "-o", path, &export]).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{path}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the report on stdout");
        assert_eq!(v["schema_version"], 3);
    }
    let out = bin().args(["scan", "-q", "--evidence", "/dev/stdout", "-o", "/dev/null", &export]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("message_id,incident_id,"));
}

#[test]
fn a_fifo_is_written_in_place_never_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("report.fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            std::fs::File::open(&fifo).expect("open fifo").read_to_string(&mut s).expect("read fifo");
            s
        })
    };
    let out = bin().args(["scan", "-q", "-f", "json", "-o", fifo.to_str().expect("path"), &export_of("burst")]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let got = reader.join().expect("reader");
    assert!(got.contains("\"schema_version\": 3"));
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&fifo).expect("still there").file_type().is_fifo(), "the FIFO is still a FIFO");
}

#[test]
fn a_symlink_keeps_pointing_at_its_target_and_force_may_repeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("target.json");
    let link = dir.path().join("link.json");
    std::fs::write(&target, "old").expect("target");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let export = export_of("burst");
    let link_s = link.to_str().expect("path");
    let out = bin().args(["scan", "-q", "-f", "json", "-o", link_s, &export]).output().expect("run");
    assert_eq!(out.status.code(), Some(2), "an existing regular target needs --force");
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists; use --force"));
    let out = bin().args(["scan", "-q", "-f", "json", "--force", "--force", "-o", link_s, &export]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(&link).expect("link").file_type().is_symlink(), "the link is kept");
    assert!(std::fs::read_to_string(&target).expect("target").contains("\"schema_version\": 3"), "its target is written");
    // A new file through a link to a file that does not exist yet.
    let later = dir.path().join("later.json");
    let link2 = dir.path().join("link2.json");
    std::os::unix::fs::symlink(&later, &link2).expect("symlink");
    let out = bin().args(["scan", "-q", "-f", "json", "-o", link2.to_str().expect("path"), &export]).output().expect("run");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::symlink_metadata(&link2).expect("link").file_type().is_symlink());
    assert!(later.is_file());
    // The help says what --force covers.
    let help = bin().args(["scan", "--help"]).output().expect("help");
    let text: String = String::from_utf8_lossy(&help.stdout).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("(-o, and --evidence, --truth or --verifications where the command has them)"), "--force names what it covers");
}
