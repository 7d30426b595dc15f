#!/usr/bin/env python3
"""Run one of pumphound's SQL files in DuckDB over exported Parquet and print its result views
as JSON: {"pumped_ranges": [{...}, ...], "spend_anomalies": [...], "params": {...}}. What CI checks the SQL with
(tests/cli/sql.rs); also a quick way to try the SQL on one machine before a cluster.

Usage: python3 sql/run_duckdb.py --sql sql/pumphound.spark.sql EXPORT_DIR_OR_FILE...
Needs the duckdb Python package (pip install duckdb).
"""
import argparse, decimal, json, os, sys

RESULTS = {
    "pumped_ranges": "score DESC",
    "spend_anomalies": "country, kind, start_ms",
    "new_number_spikes": "subject, start_ms, width",
    "excess_unverified": "subject, start_ms, width",
    "low_conversion": "kind, subject, start_ms",
    "number_classes": "subject",
    "provider_blocks": "country",
}


def statements(text):
    """The file's statements: split at semicolons that end a line, comments dropped."""
    lines = [l for l in text.splitlines() if not l.lstrip().startswith("--")]
    out, cur = [], []
    for l in lines:
        cur.append(l)
        if l.rstrip().endswith(";"):
            out.append("\n".join(cur).strip().rstrip(";"))
            cur = []
    if "".join(cur).strip():
        out.append("\n".join(cur).strip())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sql", required=True)
    ap.add_argument("inputs", nargs="+")
    a = ap.parse_args()
    try:
        import duckdb
    except ImportError:
        print("run_duckdb.py: the duckdb package is missing (pip install duckdb)", file=sys.stderr)
        sys.exit(3)
    files = []
    for p in a.inputs:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".parquet")]
        else:
            files.append(p)
    con = duckdb.connect()
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con.execute(f"CREATE VIEW messages AS SELECT * FROM read_parquet([{listed}], union_by_name = true)")
    with open(a.sql) as f:
        for s in statements(f.read()):
            # Each view made once, as a table: the same results, without DuckDB working a view
            # out again wherever it is named (seconds a fixture otherwise).
            for view in ("CREATE OR REPLACE TEMPORARY VIEW", "CREATE OR REPLACE VIEW"):
                if s.startswith(view):
                    s = "CREATE OR REPLACE TEMPORARY TABLE" + s[len(view):]
            con.execute(s)
    out = {}
    for view, order in RESULTS.items():
        cur = con.execute(f"SELECT * FROM {view} ORDER BY {order}")
        cols = [d[0] for d in cur.description]
        out[view] = [dict(zip(cols, r)) for r in cur.fetchall()]
    cur = con.execute("SELECT * FROM params")
    out["params"] = dict(zip([d[0] for d in cur.description], cur.fetchone()))
    json.dump(out, sys.stdout, indent=1, default=lambda v: float(v) if isinstance(v, decimal.Decimal) else str(v))
    print()


if __name__ == "__main__":
    main()
