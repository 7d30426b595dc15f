#!/usr/bin/env python3
"""Accuracy benchmark: every simulator scenario, several seeds.

For each (scenario, seed) it simulates a Twilio Console CSV export with its truth file and the
app's verifications, then
  1. validates the data: `pumphound inspect` must load every message the truth file lists,
     skip nothing, and agree on the total cost;
  2. once `pumphound scan` exists: runs `scan --format json --evidence FILE --conversions ...`
     and prints message-level precision and recall and fraud-cost recall against the truth
     (attacks), or the findings at medium and above (legit controls: there should be none).

Usage: python3 bench/accuracy.py [--seeds 1,2,3] [--days 14] [--daily 2000]
Not a CI test: it takes minutes and its numbers go into the README and the session notes.
"""
import argparse, csv, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/pumphound-target"))
BIN = os.path.join(TARGET, "release", "pumphound")
SEVERITIES = ["info", "low", "medium", "high", "critical"]


def run(args, **kw):
    return subprocess.run([BIN] + args, capture_output=True, text=True, **kw)


def scenarios():
    out = run(["simulate", "--list-scenarios"]).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1] in ("attack", "control"):
            rows.append((parts[0], parts[1]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--days", default="14")
    ap.add_argument("--daily", default="2000")
    a = ap.parse_args()
    env = dict(os.environ, CARGO_TARGET_DIR=TARGET)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True, env=env)
    has_scan = run(["scan", "--help"]).returncode == 0
    print(f"pumphound: {BIN}; scan {'available' if has_scan else 'not built yet: validating data only'}")
    header = f"{'scenario':<18}{'kind':<9}{'seed':>5}{'messages':>10}{'labelled':>10}{'cost ok':>9}"
    if has_scan:
        header += f"{'precision':>11}{'recall':>9}{'cost recall':>13}{'legit flagged':>15}{'findings>=medium':>18}"
    print(header)
    failures = 0
    for name, kind in scenarios():
        for seed in a.seeds.split(","):
            with tempfile.TemporaryDirectory() as d:
                p = lambda n: os.path.join(d, n)
                r = run(["simulate", "--seed", seed, "--days", a.days, "--daily", a.daily, "--scenario", name,
                         "-o", p("export.csv"), "--truth", p("truth.csv"), "--verifications", p("verified.csv")])
                if r.returncode != 0:
                    print(f"{name}: simulate failed: {r.stderr.strip()}")
                    failures += 1
                    continue
                truth = {}
                with open(p("truth.csv")) as f:
                    for row in csv.DictReader(f):
                        truth[row["message_id"]] = row["label"]
                cost = {}
                with open(p("export.csv")) as f:
                    for row in csv.DictReader(f):
                        cost[row["Sid"]] = abs(float(row["Price"] or 0))
                ins = json.loads(run(["inspect", "-q", "-f", "json", p("export.csv")]).stdout)
                t = ins["total"]
                spend = sum(s["cost"] for s in t["spend"])
                ok = t["messages"] == len(truth) and t["rows_skipped"] == 0 and abs(spend - sum(cost.values())) < 1e-6 * len(cost)
                failures += 0 if ok else 1
                labelled = sum(1 for v in truth.values() if v != "legit")
                line = f"{name:<18}{kind:<9}{seed:>5}{len(truth):>10}{labelled:>10}{'yes' if ok else 'NO':>9}"
                if has_scan:
                    r = run(["scan", "-q", "--format", "json", "--fail-on", "never", "--evidence", p("evidence.csv"),
                             "--conversions", p("verified.csv"), p("export.csv")])
                    if r.returncode != 0:
                        print(f"{name}: scan failed: {r.stderr.strip()}")
                        failures += 1
                        continue
                    report = json.loads(r.stdout)
                    flagged = set()
                    with open(p("evidence.csv")) as f:
                        for row in csv.DictReader(f):
                            flagged.add(row["message_id"])
                    attack = {k for k, v in truth.items() if v.startswith("attack:")}
                    tp = len(flagged & attack)
                    precision = tp / len(flagged) if flagged else float("nan")
                    recall = tp / len(attack) if attack else float("nan")
                    legit_flagged = len(flagged - attack)
                    attack_cost = sum(cost.get(k, 0) for k in attack)
                    cost_recall = sum(cost.get(k, 0) for k in flagged & attack) / attack_cost if attack_cost else float("nan")
                    medium = sum(1 for fi in report.get("findings", []) if SEVERITIES.index(fi.get("severity", "info")) >= 2)
                    line += f"{precision:>11.3f}{recall:>9.3f}{cost_recall:>13.3f}{legit_flagged:>15}{medium:>18}"
                print(line, flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
