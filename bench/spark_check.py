#!/usr/bin/env python3
"""Run sql/pumphound.spark.sql in a local Spark (pyspark) over a `pumphound export` directory and
compare its pumped ranges, spend anomalies, new-number spikes, excess-unverified windows and
low-conversion cells with a `pumphound scan -f json` report of the same
input. Prints one JSON object: Spark's time, the result counts, and the matches.

Usage: spark_check.py EXPORT_DIR SCAN.json [--sql sql/pumphound.spark.sql]
Run through bench/spark_check.sh, which makes the export, the scan and the venv.
"""
import argparse, json, os, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "sql"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export")
    ap.add_argument("scan")
    ap.add_argument("--sql", default=os.path.join(ROOT, "sql", "pumphound.spark.sql"))
    a = ap.parse_args()
    from run_spark import run, session  # sql/run_spark.py: how a user runs the SQL in Spark

    t0 = time.time()
    spark = session()
    started = time.time() - t0
    t1 = time.time()
    res = run(spark, a.sql, [a.export])
    ranges, spend, fresh = res["pumped_ranges"], res["spend_anomalies"], res["new_number_spikes"]
    unverified, low = res["excess_unverified"], res["low_conversion"]
    queried = time.time() - t1
    rows = spark.sql("SELECT count(*) AS n FROM messages").collect()[0]["n"]
    spark.stop()

    with open(a.scan) as f:
        report = json.load(f)
    kind = lambda s: "hour" if "per hour" in s else "day" if "per day" in s else "new country"
    scan_ranges = sorted(f["subject"]["value"] for f in report["findings"] if f["detector"] == "pumped-range")
    scan_spend = sorted((f["subject"]["value"], kind(f["signal"])) for f in report["findings"] if f["detector"] == "spend-anomaly")
    scan_fresh = sorted(f["subject"]["value"] for f in report["findings"] if f["detector"] == "new-numbers")
    sql_fresh = sorted(r["subject"] for r in fresh)
    scan_unv = sorted(f["subject"]["value"] for f in report["findings"] if f["detector"] == "excess-unverified")
    sql_unv = sorted(r["subject"] for r in unverified)
    scan_low = sorted(f["subject"]["value"] for f in report["findings"] if f["detector"] == "low-conversion")
    sql_low = sorted(r["subject"] for r in low)
    sql_ranges = sorted(r["range"] for r in ranges)
    sql_spend = sorted((r["country"], r["kind"]) for r in spend)
    out = {
        "rows": rows,
        "spark_start_s": round(started, 1),
        "spark_queries_s": round(queried, 1),
        "pumped_ranges": {"scan": len(scan_ranges), "sql": len(sql_ranges), "same": scan_ranges == sql_ranges,
                          "only_scan": sorted(set(scan_ranges) - set(sql_ranges)), "only_sql": sorted(set(sql_ranges) - set(scan_ranges))},
        "spend_anomalies": {"scan": len(scan_spend), "sql": len(sql_spend), "same": scan_spend == sql_spend,
                            "only_scan": sorted(set(map(tuple, scan_spend)) - set(sql_spend)),
                            "only_sql": sorted(set(sql_spend) - set(map(tuple, scan_spend)))},
        "new_number_spikes": {"scan": len(scan_fresh), "sql": len(sql_fresh), "same": scan_fresh == sql_fresh,
                              "only_scan": sorted(set(scan_fresh) - set(sql_fresh)), "only_sql": sorted(set(sql_fresh) - set(scan_fresh))},
        "excess_unverified": {"scan": len(scan_unv), "sql": len(sql_unv), "same": scan_unv == sql_unv,
                              "only_scan": sorted(set(scan_unv) - set(sql_unv)), "only_sql": sorted(set(sql_unv) - set(scan_unv))},
        "low_conversion": {"scan": len(scan_low), "sql": len(sql_low), "same": scan_low == sql_low,
                           "only_scan": sorted(set(scan_low) - set(sql_low)), "only_sql": sorted(set(sql_low) - set(scan_low))},
    }
    json.dump(out, sys.stdout, indent=1, default=str)
    print()
    sys.exit(0 if all(out[k]["same"] for k in ("pumped_ranges", "spend_anomalies", "new_number_spikes", "excess_unverified", "low_conversion")) else 1)


if __name__ == "__main__":
    main()
