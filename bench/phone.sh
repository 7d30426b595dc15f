#!/usr/bin/env bash
# Phone-intelligence benchmark (release build): classify 5 million distinct numbers.
# Usage: bench/phone.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pumphound-target}"
cargo run --release --quiet --example bench_phone -- "${1:-5000000}"
