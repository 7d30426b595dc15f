#!/usr/bin/env python3
"""Run sql/pumphound-aggregations.sql on a Twilio Console CSV with DuckDB, to check the SQL that
the README offers for distributed engines (DuckDB stands in for Spark / Trino here).

Usage: bench/out/venv/bin/python bench/sql_check.py FILE.csv   (the venv is made by bench/perf)
`converted` is unknown in a Console export; pass --fake-conversion to set 80 % of sends converted
(by a hash of the id) so the low-conversion query has something to read.
"""
import argparse
import re
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).parent))
from duckdb_adhoc import CALLING_CODES  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("--fake-conversion", action="store_true")
args = ap.parse_args()
con = duckdb.connect()
con.execute("CREATE TABLE calling_codes(code VARCHAR, country VARCHAR)")
con.executemany("INSERT INTO calling_codes VALUES (?, ?)", [[c, "+" + c] for c in CALLING_CODES])
converted = "(hash(Sid) % 10 < 8)" if args.fake_conversion else "CAST(NULL AS BOOLEAN)"
con.execute(
    f"""CREATE TABLE messages AS SELECT Sid AS message_id,
        strptime(SentDate, '%a, %d %b %Y %H:%M:%S %z')::TIMESTAMP AS ts, "To" AS destination,
        -TRY_CAST(Price AS DOUBLE) AS cost, Status AS status, {converted} AS converted
        FROM read_csv(?, all_varchar = true) WHERE Direction LIKE 'outbound%'""",
    [args.file],
)
# DuckDB spells the engines' approximate percentile approx_quantile.
con.execute("CREATE MACRO percentile_approx(x, q) AS approx_quantile(x, q)")
sql = re.sub(r"--[^\n]*", "", (Path(__file__).parent.parent / "sql" / "pumphound-aggregations.sql").read_text())
names = iter(["pumped-range", "spend-anomaly", "low-conversion"])
for stmt in [s.strip() for s in sql.split(";") if s.strip()]:
    if stmt.upper().startswith("CREATE"):
        con.execute(stmt)
        continue
    rows = con.execute(stmt).fetchall()
    print(f"{next(names)}: {len(rows)} rows")
    for r in rows[:5]:
        print("  ", r)
