#!/usr/bin/env bash
# CSV splitting benchmark (release build): the in-tree splitter against simd-csv, one thread
# each, over the same bytes in memory (issue 20, Deliver 5).
# Usage: bench/csv_split.sh [FILE] [MB]   (default: the 10M benchmark file, all of it)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pumphound-target}"
cargo run --release --quiet --example bench_csv_split -- "${1:-bench/out/perf-10000000.csv}" ${2:+"$2"}
