#!/usr/bin/env bash
# gzip inflate speed of flate2's backends, zlib-rs (pumphound's) against miniz_oxide (flate2's
# default), one thread each, over the same files (issue 20, Deliver 3). A crate of its own in a
# temporary directory, so that the two backends are built apart (in pumphound's build, polars'
# features would turn zlib-rs on for both). Offline: the crates must be in cargo's cache.
# Usage: bench/gunzip_backends.sh FILE.gz... [RUNS=3 in the environment]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench/gunzip_backends.sh FILE.gz..." >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/src"
cat > "$dir/Cargo.toml" <<'TOML'
[package]
name = "gunzip-backends"
version = "0.1.0"
edition = "2021"

[dependencies]
flate2 = { version = "=1.1.11", default-features = false }

[features]
miniz = ["flate2/rust_backend"]
zlibrs = ["flate2/zlib-rs"]

[profile.release]
lto = "thin"
TOML
cat > "$dir/src/main.rs" <<'RS'
use std::io::Read;
fn main() -> std::io::Result<()> {
    let (mut total, t) = (0u64, std::time::Instant::now());
    let mut buf = vec![0u8; 1 << 20];
    for path in std::env::args().skip(1) {
        let file = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(&path)?);
        let mut d = flate2::read::MultiGzDecoder::new(file);
        loop {
            match d.read(&mut buf)? {
                0 => break,
                n => total += n as u64,
            }
        }
    }
    let s = t.elapsed().as_secs_f64();
    println!("{total} bytes in {s:.2} s: {:.0} MiB/s", total as f64 / s / 1_048_576.0);
    Ok(())
}
RS
for b in miniz zlibrs; do
    CARGO_TARGET_DIR="$dir/t-$b" cargo build --release --offline --quiet --features "$b" --manifest-path "$dir/Cargo.toml"
done
for _ in $(seq "${RUNS:-3}"); do
    for b in miniz zlibrs; do
        printf '%-7s ' "$b"
        "$dir/t-$b/release/gunzip-backends" "$@"
    done
done
