#!/usr/bin/env python3
"""The ad hoc DuckDB script a responder would write over a Twilio Console CSV export (or, with
--format, an SNS delivery-log, EUM events or BulkExport JSON-lines export).

It is the yardstick for bench/perf: the same file, the work a person would do by hand.
  * country by calling-code prefix (longest of 1-3 digits, from an ITU table),
  * per range (the number minus its last 4 digits): distinct destinations, messages, spend,
  * hourly spend per country against that country's median hour.
It prints a small JSON summary on stdout (the top ranges and the anomalous hours).

Usage: bench/duckdb_adhoc.py FILE [--format console|sns|eum|bulkexport] [--threads N]
"""
import argparse
import json
import sys

import duckdb

# ITU-T E.164 assigned country calling codes (1 to 3 digits).
CALLING_CODES = """
1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64
65 66 81 82 84 86 90 91 92 93 94 95 98 211 212 213 216 218 220 221 222 223 224 225 226 227 228
229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 250 251 252
253 254 255 256 257 258 260 261 262 263 264 265 266 267 268 269 290 291 297 298 299 350 351 352
353 354 355 356 357 358 359 370 371 372 373 374 375 376 377 378 379 380 381 382 383 385 386 387
389 420 421 423 500 501 502 503 504 505 506 507 508 509 590 591 592 593 594 595 596 597 598 599
670 672 673 674 675 676 677 678 679 680 681 682 683 685 686 687 688 689 690 691 692 800 808 850
852 853 855 856 870 878 880 881 882 883 886 888 960 961 962 963 964 965 966 967 968 970 971 972
973 974 975 976 977 979 992 993 994 995 996 998
""".split()


# The messages table from each export: explicit columns, outbound sends only, spend positive.
SOURCES = {
    "console": """
        CREATE TABLE m AS
        SELECT "To" AS dest,
               Status AS status,
               strptime(SentDate, '%a, %d %b %Y %H:%M:%S %z') AS ts,
               -TRY_CAST(Price AS DOUBLE) AS spend
        FROM read_csv(?, header = true, all_varchar = true)
        WHERE Direction LIKE 'outbound%'
    """,
    "sns": """
        CREATE TABLE m AS
        SELECT delivery.destination AS dest,
               status,
               CAST(notification.timestamp AS TIMESTAMP) AS ts,
               TRY_CAST(delivery.priceInUSD AS DOUBLE) AS spend
        FROM read_ndjson(?, columns = {
            notification: 'STRUCT(messageId VARCHAR, timestamp VARCHAR)',
            delivery: 'STRUCT(destination VARCHAR, priceInUSD VARCHAR)',
            status: 'VARCHAR'})
    """,
    # One row a message: its final event (EUM writes several events per message).
    "eum": """
        CREATE TABLE m AS
        SELECT arg_max(destinationPhoneNumber, eventTimestamp) AS dest,
               arg_max(messageStatus, eventTimestamp) AS status,
               to_timestamp(min(messageRequestTimestamp) / 1000) AS ts,
               max(TRY_CAST(totalMessagePrice AS DOUBLE)) AS spend
        FROM read_ndjson(?, columns = {
            messageId: 'VARCHAR', destinationPhoneNumber: 'VARCHAR', messageStatus: 'VARCHAR',
            eventTimestamp: 'BIGINT', messageRequestTimestamp: 'BIGINT', totalMessagePrice: 'VARCHAR'})
        GROUP BY messageId
    """,
    "bulkexport": """
        CREATE TABLE m AS
        SELECT "to" AS dest,
               status,
               CAST(date_sent AS TIMESTAMP) AS ts,
               -TRY_CAST(price AS DOUBLE) AS spend
        FROM read_ndjson(?, columns = {
            "to": 'VARCHAR', status: 'VARCHAR', date_sent: 'VARCHAR', price: 'VARCHAR', direction: 'VARCHAR'})
        WHERE direction LIKE 'outbound%'
    """,
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--threads", type=int, default=0, help="0 = DuckDB's default (all cores)")
    ap.add_argument("--spike-factor", type=float, default=10.0)
    ap.add_argument("--format", default="console", choices=sorted(SOURCES))
    args = ap.parse_args()

    con = duckdb.connect()
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    con.execute("CREATE TABLE cc(code VARCHAR PRIMARY KEY)")
    con.executemany("INSERT INTO cc VALUES (?)", [[c] for c in CALLING_CODES])

    con.execute(SOURCES[args.format], [args.file])
    con.execute(
        """
        CREATE TABLE mc AS
        SELECT m.*,
               COALESCE(c3.code, c2.code, c1.code, '?') AS cc,
               substr(dest, 1, length(dest) - 4) AS range
        FROM m
        LEFT JOIN cc c3 ON c3.code = substr(m.dest, 2, 3)
        LEFT JOIN cc c2 ON c2.code = substr(m.dest, 2, 2)
        LEFT JOIN cc c1 ON c1.code = substr(m.dest, 2, 1)
        """
    )
    ranges = con.execute(
        """
        SELECT cc, range, count(DISTINCT dest) AS destinations, count(*) AS messages,
               round(sum(COALESCE(spend, 0)), 4) AS spend
        FROM mc GROUP BY cc, range
        ORDER BY destinations DESC, messages DESC
        LIMIT 50
        """
    ).fetchall()
    spikes = con.execute(
        """
        WITH hourly AS (
            SELECT cc, date_trunc('hour', ts) AS hour, sum(COALESCE(spend, 0)) AS spend, count(*) AS messages
            FROM mc GROUP BY cc, hour
        ), med AS (
            SELECT cc, median(spend) AS median_spend FROM hourly GROUP BY cc
        )
        SELECT h.cc, h.hour, round(h.spend, 4), h.messages, round(m.median_spend, 4)
        FROM hourly h JOIN med m USING (cc)
        WHERE h.spend > ? * GREATEST(m.median_spend, 0.01)
        ORDER BY h.spend DESC
        """,
        [args.spike_factor],
    ).fetchall()
    total = con.execute("SELECT count(*), count(DISTINCT dest) FROM mc").fetchone()
    json.dump(
        {
            "messages": total[0],
            "destinations": total[1],
            "top_ranges": [
                {"cc": r[0], "range": r[1], "destinations": r[2], "messages": r[3], "spend": r[4]} for r in ranges
            ],
            "hourly_spikes": [
                {"cc": s[0], "hour": str(s[1]), "spend": s[2], "messages": s[3], "median_hour_spend": s[4]}
                for s in spikes
            ],
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
