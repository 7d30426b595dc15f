#!/usr/bin/env python3
"""Run one of pumphound's SQL files in Spark over exported Parquet and print its result views as
JSON, as sql/run_duckdb.py does: {"pumped_ranges": [{...}, ...], ..., "params": {...}}.

    spark-submit sql/run_spark.py s3://bucket/pumphound/           # EMR, Dataproc, a cluster
    python3 sql/run_spark.py --sql sql/pumphound.spark.sql DIR...   # a local Spark (pip install pyspark)

Each view is made once and kept as a table of its own (a local checkpoint, which cuts its
lineage) before the next statement. Left as views (`spark-sql -f`), Spark analyses the whole
chain of views again in every view that names one: on a 13,765-message export the plain file
had not returned its first result view in 5 minutes, and with each view cached (which keeps the
lineage) an 8,708-message fixture ran out of a 6 GB heap. Constraint propagation is turned off
(over checkpointed views it failed with "key not found"). Run without spark-submit, the Spark
is local on every core with few shuffle partitions (SPARK_SHUFFLE_PARTITIONS, 8) and a driver
of SPARK_DRIVER_MEMORY (6g).
"""
import argparse, decimal, json, os, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run_duckdb import RESULTS, statements  # noqa: E402  (one splitter, one list of result views)


def session():
    """A Spark session: the one spark-submit configured, else a local one."""
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError:
        sys.exit("run_spark.py: the pyspark package is missing (pip install pyspark), or run it with spark-submit")

    b = SparkSession.builder.appName("pumphound-sql").config("spark.sql.session.timeZone", "UTC")
    b = b.config("spark.sql.constraintPropagation.enabled", "false")
    if not SparkConf().contains("spark.master"):
        b = (b.master("local[*]").config("spark.ui.enabled", "false")
             .config("spark.driver.memory", os.environ.get("SPARK_DRIVER_MEMORY", "6g"))
             .config("spark.sql.shuffle.partitions", os.environ.get("SPARK_SHUFFLE_PARTITIONS", "8")))
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run(spark, sql_path, inputs):
    """The SQL over `inputs` (Parquet files or directories): each result view's rows, the params."""
    spark.read.parquet(*inputs).createOrReplaceTempView("messages")
    with open(sql_path) as f:
        for s in statements(f.read()):
            spark.sql(s)
            head = s.split()
            if head[:5] == ["CREATE", "OR", "REPLACE", "TEMPORARY", "VIEW"]:
                spark.table(head[5]).localCheckpoint(eager=True).createOrReplaceTempView(head[5])
    out = {view: [r.asDict() for r in spark.sql(f"SELECT * FROM {view} ORDER BY {order}").collect()] for view, order in RESULTS.items()}
    out["params"] = spark.sql("SELECT * FROM params").collect()[0].asDict()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sql", default=os.path.join(HERE, "pumphound.spark.sql"))
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    spark = session()
    t = time.time()
    out = run(spark, a.sql, a.inputs)
    spark.stop()
    print(f"run_spark.py: {round(time.time() - t, 1)} s", file=sys.stderr)
    json.dump(out, sys.stdout, indent=1, default=lambda v: float(v) if isinstance(v, decimal.Decimal) else str(v))
    print()


if __name__ == "__main__":
    main()
