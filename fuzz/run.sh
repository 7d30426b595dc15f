#!/usr/bin/env bash
# Fuzz every parser target with libFuzzer (cargo fuzz), each for SECONDS (default 600).
#
#   fuzz/run.sh                 # all targets, 10 minutes each, two at a time
#   fuzz/run.sh 60 detect csv   # 1 minute, only targets whose name contains detect or csv
#
# Seeds: every file in testdata (samples included) (gzip files also decompressed), copied
# into fuzz/corpus/<target>. Crashes land in fuzz/artifacts/<target>; copy one into
# tests/fuzz_regressions/ and it is replayed by `cargo test` (tests/cli/fuzz_regressions.rs).
# Needs cargo-fuzz (`cargo install cargo-fuzz`); RUSTC_BOOTSTRAP lets the stable toolchain
# build the sanitizer-coverage flags. Logs: fuzz/logs/<target>.log (last line: runs and speed).
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH="${1:-600}"
shift || true
FILTERS=("$@")
PARALLEL="${PARALLEL:-2}"
TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/pumphound-fuzz-target}"
RUSTC_BOOTSTRAP=1 cargo fuzz build -s none -O --target-dir "$TARGET_DIR"
BIN_DIR="$TARGET_DIR/x86_64-unknown-linux-gnu/release"

targets=()
for t in $(cargo fuzz list); do
  if [ ${#FILTERS[@]} -eq 0 ]; then targets+=("$t"); continue; fi
  for f in "${FILTERS[@]}"; do [[ "$t" == *"$f"* ]] && targets+=("$t") && break; done
done

seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  cp "$f" "$seeds/$n"
  case "$f" in *.gz) gzip -dc "$f" 2>/dev/null | head -c 1000000 > "$seeds/$n.plain" || true ;; esac
done < <(find ../testdata -type f -size -2M -print0)

mkdir -p logs artifacts
run_one() {
  local t="$1"
  mkdir -p "corpus/$t" "artifacts/$t"
  cp -n "$seeds"/* "corpus/$t/" 2>/dev/null || true
  "$BIN_DIR/$t" "corpus/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 -timeout=60 -rss_limit_mb=2048 \
    -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "logs/$t.log" 2>&1
  echo "$t: exit $? $(grep -E '^stat::number_of_executed_units' "logs/$t.log" | tail -1)"
}
export -f run_one
export BIN_DIR SECONDS_EACH seeds
printf '%s\n' "${targets[@]}" | xargs -P "$PARALLEL" -I{} bash -c 'run_one {}'
