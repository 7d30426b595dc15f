#!/usr/bin/env python3
"""Write sql/pumphound.trino.sql from sql/pumphound.spark.sql: the same statements in the Trino
/ Athena spelling. The differences are few and listed here (one place to keep them):
  CREATE OR REPLACE TEMPORARY VIEW  ->  CREATE OR REPLACE VIEW (in the current catalog/schema)
  CAST(x AS STRING)                 ->  CAST(x AS VARCHAR)
and the header says how to declare the input on Trino / Athena.

Usage: python3 sql/dialects.py [--check]   (--check: exit 1 when the Trino file is stale)
"""
import os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SPARK = os.path.join(HERE, "pumphound.spark.sql")
TRINO = os.path.join(HERE, "pumphound.trino.sql")

HEADER = """-- pumphound's detectors as SQL over the canonical table that `pumphound export` writes, for
-- when one machine is outgrown: Trino and Amazon Athena (engine version 3). MADE from
-- sql/pumphound.spark.sql by sql/dialects.py: edit that file and run the script. CI runs both
-- files in DuckDB on the bundled fixtures and checks that they flag what `pumphound scan` flags
-- (tests/cli/sql.rs).
--
-- Input: a table `messages` over the exported Parquet (every column of `pumphound formats`;
-- ts is UTC milliseconds). Athena:
--   CREATE EXTERNAL TABLE messages (message_id string, ts bigint, provider string,
--     source_format string, source_file string, account string, sender string,
--     destination string, calling_code int, country string, number_type string, status string,
--     status_raw string, error_code string, segments int, cost double, currency string,
--     sms_type string, body_template string, mcc string, mnc string, carrier string,
--     converted boolean)
--   STORED AS PARQUET LOCATION 's3://bucket/pumphound/';
-- Trino (Hive connector): CREATE TABLE hive.sms.messages (...the same columns, varchar for
--   string...) WITH (external_location = 's3://bucket/pumphound/', format = 'PARQUET');
-- Then run this file (trino --file sql/pumphound.trino.sql, or each statement in the Athena
-- console) and read the result views: pumped_ranges, spend_anomalies, new_number_spikes,
-- excess_unverified, low_conversion.
--
-- Thresholds are the defaults of `pumphound detectors`, in the view `params` (excess-unverified's
-- prefixed `unverified_`; the CI check fails when they drift).
"""


def trino(spark: str) -> str:
    # The Spark header is everything before the first blank line.
    body = spark.split("\n\n", 1)[1]
    body = body.replace("CREATE OR REPLACE TEMPORARY VIEW", "CREATE OR REPLACE VIEW")
    body = body.replace(" AS STRING)", " AS VARCHAR)")
    return HEADER + "\n" + body


def main():
    with open(SPARK) as f:
        made = trino(f.read())
    if "--check" in sys.argv[1:]:
        with open(TRINO) as f:
            if f.read() != made:
                print(f"{TRINO} is stale: run python3 sql/dialects.py", file=sys.stderr)
                sys.exit(1)
        return
    with open(TRINO, "w") as f:
        f.write(made)


if __name__ == "__main__":
    main()
