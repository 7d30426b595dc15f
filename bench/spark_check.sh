#!/usr/bin/env bash
# The Spark SQL in a real local Spark: exports a Console CSV (default: the 10M-message benchmark
# file that bench/perf makes) to Parquet, scans it with pumphound, runs sql/pumphound.spark.sql
# in pyspark over the export, and reports Spark's time and whether it flags what scan flags
# (bench/out/spark.json). Needs a JDK (17: apt-get install openjdk-17-jre-headless); pyspark is
# installed into bench/out/spark-venv from PyPI on first use.
# Usage: bench/spark_check.sh [INPUT]
set -euo pipefail
cd "$(dirname "$0")/.."
INPUT="${1:-bench/out/perf-10000000.csv}"
OUT=bench/out
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pumphound-target}"
command -v java >/dev/null || { echo "spark_check: no java (apt-get install openjdk-17-jre-headless)" >&2; exit 2; }
VENV="$OUT/spark-venv"
if ! "$VENV/bin/python" -c "import pyspark" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "pyspark==3.5.3"
fi
cargo build --release --quiet
BIN="$CARGO_TARGET_DIR/release/pumphound"
name="$(basename "$INPUT")"
EXPORT="$OUT/export-${name%%.*}"
t0=$(date +%s.%N)
"$BIN" export -q --force "$INPUT" -o "$EXPORT"
t1=$(date +%s.%N)
"$BIN" scan -q -f json --fail-on never --min-severity info --force -o "$OUT/spark-scan.json" "$INPUT"
t2=$(date +%s.%N)
"$VENV/bin/python" bench/spark_check.py "$EXPORT" "$OUT/spark-scan.json" > "$OUT/spark.json" || status=$?
python3 - "$OUT/spark.json" "$t0" "$t1" "$t2" <<'PY'
import json, sys
p, t0, t1, t2 = sys.argv[1], *map(float, sys.argv[2:])
d = json.load(open(p))
d["pumphound_export_s"], d["pumphound_scan_s"] = round(t1 - t0, 1), round(t2 - t1, 1)
json.dump(d, open(p, "w"), indent=1)
print(json.dumps(d, indent=1))
PY
exit "${status:-0}"
