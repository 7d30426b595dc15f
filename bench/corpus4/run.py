#!/usr/bin/env python3
"""Run pumphound over the independent corpus and score it against the truth labels.

run.py --bin PATH --out DIR --seeds 1-10 [--cases a,b] [--situations alone,conv,sns,sns-conv]
       --results R.jsonl --summary S.md [--jobs N]

For every case and seed the account is generated once into DIR/case/seed/ (cached;
regenerated when gen.py or plans.py change), then scanned:

  alone     PATH scan -f json --fail-on never --min-severity medium --evidence EV console.csv
  conv      the same with --conversions verifications.csv
  sns       alone, on sns.ndjson (the same messages as SNS delivery-status logs)
  sns-conv  conv, on sns.ndjson

Message-level precision / recall of the evidence CSV against truth.csv (attack =
positive), fraud-cost recall, and for legit-only cases the incidents at medium+ and
the legit messages they hold. One JSON line per run in R.jsonl, a Markdown table in S.md.
"""
import argparse
import concurrent.futures as cf
import csv
import hashlib
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

SEV = ["info", "low", "medium", "high", "critical"]
SITUATIONS = ["alone", "conv", "sns", "sns-conv"]


def gen_version():
    h = hashlib.sha256()
    for f in ("gen.py", "plans.py"):
        h.update(open(os.path.join(HERE, f), "rb").read())
    return h.hexdigest()[:16]


def ensure_generated(out, case, seed, ver):
    d = os.path.join(out, case, str(seed))
    stamp = os.path.join(d, ".genversion")
    if os.path.exists(stamp) and open(stamp).read().strip() == ver:
        return d
    gen.generate(case, seed, d)
    for f in os.listdir(d):  # old scan outputs are stale now
        if f.startswith(("scan-", "ev-")):
            os.remove(os.path.join(d, f))
    with open(stamp, "w") as f:
        f.write(ver + "\n")
    return d


def sns_to_sid(mid):
    h = mid.replace("-", "").lower()
    return "SM" + h if len(h) == 32 else mid


def scan(binary, d, situation, timeout=900):
    src = "sns.ndjson" if situation.startswith("sns") else "console.csv"
    ev = os.path.join(d, "ev-%s.csv" % situation)
    js = os.path.join(d, "scan-%s.json" % situation)
    cmd = [binary, "scan", "-q", "-f", "json", "--fail-on", "never", "--min-severity", "medium",
           "--force", "-o", js, "--evidence", ev]
    if situation.endswith("conv"):
        cmd += ["--conversions", os.path.join(d, "verifications.csv")]
    cmd.append(os.path.join(d, src))
    for f in (ev, js):
        if os.path.exists(f):
            os.remove(f)
    t = time.time()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return {"cmd": " ".join(cmd), "rc": p.returncode, "stderr": p.stderr[-2000:],
            "seconds": round(time.time() - t, 2), "json": js, "evidence": ev}


def load_truth(d):
    truth = {}
    with open(os.path.join(d, "truth.csv")) as f:
        for r in csv.DictReader(f):
            truth[r["sid"]] = (r["label"], float(r["cost"]))
    return truth


def sev_ge(s, floor="medium"):
    return s in SEV and SEV.index(s) >= SEV.index(floor)


def score(d, case, seed, situation, res, truth):
    rec = {"case": case, "seed": seed, "situation": situation,
           "legit_only": case in gen.LEGIT_CASES, "rc": res["rc"], "seconds": res["seconds"]}
    attack = {s for s, (l, c) in truth.items() if l == "attack"}
    attack_cost = sum(truth[s][1] for s in attack)
    rec.update(messages=len(truth), attack=len(attack), attack_cost=round(attack_cost, 2))
    if res["rc"] != 0 or not os.path.exists(res["json"]):
        rec["error"] = res["stderr"].strip()[-500:]
        return rec
    ev_rows = []
    if os.path.exists(res["evidence"]):
        with open(res["evidence"], newline="") as f:
            ev_rows = list(csv.DictReader(f))
    conv = sns_to_sid if situation.startswith("sns") else (lambda x: x)
    ev = {}
    unknown = 0
    for r in ev_rows:
        sid = conv(r["message_id"])
        if sid not in truth:
            unknown += 1
            continue
        ev.setdefault(sid, r)
    tp = [s for s in ev if s in attack]
    fp = [s for s in ev if s not in attack]
    rec.update(evidence=len(ev), evidence_unknown_ids=unknown, tp=len(tp), fp=len(fp),
               fn=len(attack) - len(tp))
    rec["precision"] = round(len(tp) / len(ev), 4) if ev else None
    rec["recall"] = round(len(tp) / len(attack), 4) if attack else None
    rec["cost_recall"] = round(sum(truth[s][1] for s in tp) / attack_cost, 4) if attack_cost else None
    rec["legit_in_evidence"] = len(fp)
    rec["legit_cost_in_evidence"] = round(sum(truth[s][1] for s in fp), 2)

    with open(res["json"]) as f:
        rep = json.load(f)
    rec["schema_version"] = rep.get("schema_version")
    summ = rep.get("summary", {})
    rec["summary_incidents_by_severity"] = summ.get("incidents_by_severity")
    # evidence rows per incident: how many attack / legit messages each holds
    per_inc = {}
    for sid, r in ev.items():
        x = per_inc.setdefault(r.get("incident_id") or "-", [0, 0])
        x[0 if sid in attack else 1] += 1
    incs = []
    for inc in rep.get("incidents", []):
        sev = inc.get("severity")
        iid = inc.get("id")
        a, l = per_inc.get(iid, [0, 0])
        incs.append({"id": iid, "severity": sev, "messages": inc.get("messages"),
                     "countries": inc.get("countries"), "cost": inc.get("cost"),
                     "basis": inc.get("basis"), "ev_attack": a, "ev_legit": l})
    med = [i for i in incs if sev_ge(i["severity"])]
    rec["incidents"] = incs
    rec["incidents_medium_plus"] = len(med)
    rec["false_incidents_medium_plus"] = sum(1 for i in med if i["ev_attack"] == 0)
    rec["legit_msgs_in_medium_incidents"] = sum(i["ev_legit"] for i in med)
    if rec["legit_only"]:
        rec["legit_incident_messages"] = sum((i["messages"] or 0) for i in med)
    rec["flagged_nothing"] = len(ev) == 0 and not med
    rec["findings"] = [{"id": f.get("id"), "detector": f.get("detector"), "severity": f.get("severity"),
                        "subject": f.get("subject"), "messages": f.get("messages")}
                       for f in rep.get("findings", []) if sev_ge(f.get("severity"))]
    return rec


def parse_seeds(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        elif part:
            out.append(int(part))
    return out


def fmt(x, pct=True):
    if x is None:
        return "-"
    return "%.1f%%" % (100 * x) if pct else str(x)


def summarize(recs, path):
    groups = {}
    for r in recs:
        groups.setdefault((r["case"], r["situation"]), []).append(r)
    order = {c: i for i, c in enumerate(gen.CASES)}
    lines = ["# pumphound on the independent corpus (indep4)", "",
             "Evidence at --min-severity medium; precision/recall are message-level against truth.csv "
             "(attack = positive); '-' = undefined (no evidence / no attack).", "",
             "## Attack cases", "",
             "| case | situation | runs | min prec | mean prec | min recall | mean recall | min cost recall | flagged nothing | legit msgs in evidence (mean) | false medium+ incidents (runs) | errors |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    leg = ["", "## Legit-only cases (any medium+ incident is a false positive)", "",
           "| case | situation | runs | runs with medium+ incident | medium+ incidents (total) | legit msgs in evidence (mean / max) | legit msgs held by incidents (mean) | errors |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (case, sit) in sorted(groups, key=lambda k: (order.get(k[0], 99), SITUATIONS.index(k[1]))):
        rs = groups[(case, sit)]
        ok = [r for r in rs if "error" not in r]
        errs = len(rs) - len(ok)
        if case in gen.ATTACK_CASES:
            pr = [r["precision"] for r in ok if r.get("precision") is not None]
            rc = [r["recall"] for r in ok if r.get("recall") is not None]
            cr = [r["cost_recall"] for r in ok if r.get("cost_recall") is not None]
            lines.append("| %s | %s | %d | %s | %s | %s | %s | %s | %d | %.0f | %d | %d |" % (
                case, sit, len(rs), fmt(min(pr) if pr else None), fmt(sum(pr) / len(pr) if pr else None),
                fmt(min(rc) if rc else None), fmt(sum(rc) / len(rc) if rc else None),
                fmt(min(cr) if cr else None), sum(1 for r in ok if r.get("flagged_nothing")),
                sum(r.get("legit_in_evidence", 0) for r in ok) / max(1, len(ok)),
                sum(1 for r in ok if r.get("false_incidents_medium_plus")), errs))
        else:
            li = [r.get("legit_in_evidence", 0) for r in ok]
            leg.append("| %s | %s | %d | %d | %d | %.0f / %d | %.0f | %d |" % (
                case, sit, len(rs), sum(1 for r in ok if r.get("incidents_medium_plus")),
                sum(r.get("incidents_medium_plus", 0) for r in ok),
                sum(li) / max(1, len(li)), max(li) if li else 0,
                sum(r.get("legit_incident_messages", 0) for r in ok) / max(1, len(ok)), errs))
    # per-run detail
    det = ["", "## Runs", "",
           "| case | seed | situation | messages | attack | evidence | precision | recall | cost recall | medium+ incidents (severity: attack/legit evidence msgs) |",
           "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in sorted(recs, key=lambda r: (order.get(r["case"], 99), r["seed"], SITUATIONS.index(r["situation"]))):
        if "error" in r:
            det.append("| %s | %d | %s | %d | %d | error | | | | %s |" % (
                r["case"], r["seed"], r["situation"], r["messages"], r["attack"], r["error"][:80].replace("|", "/")))
            continue
        incs = " ".join("%s %s: %d/%d" % (i["id"], i["severity"], i["ev_attack"], i["ev_legit"])
                        for i in r["incidents"] if sev_ge(i["severity"]))
        det.append("| %s | %d | %s | %d | %d | %d | %s | %s | %s | %s |" % (
            r["case"], r["seed"], r["situation"], r["messages"], r["attack"], r["evidence"],
            fmt(r["precision"]), fmt(r["recall"]), fmt(r["cost_recall"]), incs or "none"))
    with open(path, "w") as f:
        f.write("\n".join(lines + leg + det) + "\n")


def main():
    ap = argparse.ArgumentParser(description="score pumphound on the independent corpus")
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seeds", default="1-10")
    ap.add_argument("--cases", default=",".join(gen.CASES))
    ap.add_argument("--situations", default=",".join(SITUATIONS))
    ap.add_argument("--results", required=True)
    ap.add_argument("--summary", required=True)
    ap.add_argument("--jobs", type=int, default=1, help="scans in parallel (at most 2)")
    a = ap.parse_args()
    jobs = max(1, min(2, a.jobs))
    cases = [c for c in a.cases.split(",") if c]
    for c in cases:
        if c not in gen.CASES:
            sys.exit("unknown case %s (known: %s)" % (c, ", ".join(gen.CASES)))
    sits = [s for s in a.situations.split(",") if s]
    for s in sits:
        if s not in SITUATIONS:
            sys.exit("unknown situation %s" % s)
    seeds = parse_seeds(a.seeds)
    binary = os.path.abspath(a.bin)
    ver = gen_version()
    tasks = []
    for case in cases:
        for seed in seeds:
            d = ensure_generated(a.out, case, seed, ver)
            for s in sits:
                tasks.append((case, seed, s, d))
    truths = {}
    recs = []

    def work(t):
        case, seed, s, d = t
        return t, scan(binary, d, s)

    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        for (case, seed, s, d), res in ex.map(work, tasks):
            if d not in truths:
                truths = {d: load_truth(d)}  # keep one account's truth in memory
            rec = score(d, case, seed, s, res, truths[d])
            recs.append(rec)
            print("%-20s seed %-3d %-9s prec %-7s recall %-7s medium+ incidents %s%s" % (
                case, seed, s, fmt(rec.get("precision")), fmt(rec.get("recall")),
                rec.get("incidents_medium_plus", "-"), "  ERROR " + rec["error"][:60] if "error" in rec else ""),
                flush=True)
    recs.sort(key=lambda r: (cases.index(r["case"]), r["seed"], SITUATIONS.index(r["situation"])))
    with open(a.results, "w") as f:
        for r in recs:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    summarize(recs, a.summary)


if __name__ == "__main__":
    main()
