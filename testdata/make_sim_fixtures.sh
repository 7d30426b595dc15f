#!/usr/bin/env bash
# Detection fixtures, one per attack shape and per legit control, made by `pumphound simulate`.
# Deterministic: the same binary version writes the same bytes. Run from the repository root:
#   bash testdata/make_sim_fixtures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/pumphound-target}"
cargo build --release --quiet
PH="$CARGO_TARGET_DIR/release/pumphound"
OUT=testdata/sim
mkdir -p "$OUT"
COMMON=(--days 10 --daily 400 --start 2024-03-01 --force)

# name  seed  format  scenario  (extension)
while read -r name seed format scenario ext; do
  args=("${COMMON[@]}" --seed "$seed" --format "$format")
  [ "$scenario" != "-" ] && args+=(--scenario "$scenario")
  tmp=$(mktemp -d)
  "$PH" simulate "${args[@]}" -o "$tmp/out" --truth "$tmp/truth.csv" --verifications "$tmp/verifications.csv"
  if [ "$ext" = "json.gz" ]; then cp "$tmp/out" "$OUT/$name.$ext"; else gzip -n -9 -c "$tmp/out" > "$OUT/$name.$ext.gz"; fi
  gzip -n -9 -c "$tmp/truth.csv" > "$OUT/$name.truth.csv.gz"
  gzip -n -9 -c "$tmp/verifications.csv" > "$OUT/$name.verifications.csv.gz"
  rm -rf "$tmp"
done <<'LIST'
clean               1  twilio-console-csv      -                          csv
burst               2  twilio-console-csv      burst                      csv
low-and-slow        3  sns-delivery-logs       low-and-slow               ndjson
rotation            4  eum-events              rotation                   ndjson
hidden              5  twilio-messages-json    hidden                     ndjson
faked-conversion    6  twilio-verify-attempts  faked-conversion           ndjson
marketing-blast     7  twilio-console-csv      marketing-blast            csv
launch-spike        8  twilio-verify-attempts  launch-spike               ndjson
new-market          9  twilio-verify-attempts  new-market                 ndjson
carrier-outage     10  sns-usage-report        carrier-outage             csv
small-country      11  twilio-bulkexport       small-country              json.gz
business-block     12  twilio-verify-attempts  business-block:block=1000,staff=200  ndjson
tv-surge           13  twilio-console-csv      tv-surge                   csv
operator-spread    14  twilio-console-csv      operator-spread:country=GB,messages=3000,hours=10  csv
unverified-spread  15  twilio-verify-attempts  unverified-spread:unverified=300,legit=0.5  ndjson
LIST

# The blocklist fixture (tests/cli/block.rs): a pumped country with a few legit users of its own
# (UZ: a country block, and a safe list for them), a pumped range in a served country (GB:
# narrower rules), and clean countries (US, DE).
tmp=$(mktemp -d)
"$PH" simulate --days 10 --daily 300 --start 2024-03-01 --force --seed 16 --countries GB:45,US:30,DE:24.5,UZ:0.5 \
  --scenario burst:countries=UZ,messages=400,hours=2,ranges=1 --scenario hidden:country=GB,messages=150,hours=6 \
  -o "$tmp/out" --truth "$tmp/truth.csv" --verifications "$tmp/verifications.csv"
gzip -n -9 -c "$tmp/out" > "$OUT/block.csv.gz"
gzip -n -9 -c "$tmp/truth.csv" > "$OUT/block.truth.csv.gz"
gzip -n -9 -c "$tmp/verifications.csv" > "$OUT/block.verifications.csv.gz"
rm -rf "$tmp"
ls -la "$OUT"
