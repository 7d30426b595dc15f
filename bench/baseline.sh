#!/usr/bin/env bash
# A saved baseline (`pumphound baseline build`) against the exports it was learned from, at the
# size of bench/perf's largest export (make it first: bench/perf --sizes 10000000 --runs 1):
#   bash bench/baseline.sh [EXPORT] [RUNS]
# Reports the build's wall time and peak RSS, the file's size, and, interleaved RUNS times, a
# scan of a small night (testdata/sim/burst.csv.gz) with --baseline EXPORT and with
# --baseline FILE: wall time and peak RSS of each. Not run in CI (minutes, gigabytes).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pumphound-target}"
cargo build --release --quiet
PH="$CARGO_TARGET_DIR/release/pumphound"
EXPORT="${1:-bench/out/perf-10000000.csv}"
RUNS="${2:-3}"
SAVED=bench/out/baseline.json
NIGHT=testdata/sim/burst.csv.gz
measure() { # prints "wall_s rss_mib" of the command
  /usr/bin/time -f '%e %M' -o /tmp/pumphound-time "$@" > /dev/null
  awk '{ printf "%.2f s %d MiB\n", $1, $2 / 1024 }' /tmp/pumphound-time
}
echo "export: $EXPORT ($(du -h "$EXPORT" | cut -f1))"
echo "build:  $(measure "$PH" baseline build -q --force -o "$SAVED" "$EXPORT")"
python3 - "$SAVED" <<'PY'
import json, sys
path = sys.argv[1]
with open(path) as f:
    text = f.read()
d = json.loads(text)
n = d["numbers"]["count"]
print(f"file:   {len(text):,} bytes; {d['rows']:,} messages, {n:,} numbers ({len(d['numbers']['data']) / max(n, 1):.2f} bytes each), "
      f"{len(d['plans'])} plans, {len(d['spend'])} countries")
PY
for i in $(seq "$RUNS"); do
  echo "run $i: scan --baseline EXPORT: $(measure "$PH" scan -q -f json --fail-on never --baseline "$EXPORT" "$NIGHT")"
  echo "run $i: scan --baseline FILE:   $(measure "$PH" scan -q -f json --fail-on never --baseline "$SAVED" "$NIGHT")"
done
cmp <("$PH" scan -q -f json --fail-on never --baseline "$EXPORT" "$NIGHT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d["findings"]))') \
    <("$PH" scan -q -f json --fail-on never --baseline "$SAVED" "$NIGHT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps(d["findings"]))') \
  && echo "findings: identical"
