#!/usr/bin/env python3
"""missed.py DIR/case/seed alone|conv|sns|sns-conv [--top N]

What pumphound missed (attack messages not in the evidence, by country / operator /
prefix) and which legit messages it put in evidence (by country / traffic kind /
prefix, with the findings that named them). Needs a run.py scan of that situation.
"""
import argparse
import collections
import csv
import json
import os


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("situation", choices=["alone", "conv", "sns", "sns-conv"])
    ap.add_argument("--top", type=int, default=12)
    a = ap.parse_args()
    d = a.dir
    ev_path = os.path.join(d, "ev-%s.csv" % a.situation)
    if not os.path.exists(ev_path):
        raise SystemExit("no %s: run run.py for this case/seed first" % ev_path)
    truth = {r["sid"]: r for r in csv.DictReader(open(os.path.join(d, "truth.csv")))}
    meta = {r["sid"]: r for r in csv.DictReader(open(os.path.join(d, "meta.csv")))}
    ev = {}
    for r in csv.DictReader(open(ev_path, newline="")):
        mid = r["message_id"]
        if a.situation.startswith("sns"):
            mid = "SM" + mid.replace("-", "")
        ev.setdefault(mid, r)
    params = json.load(open(os.path.join(d, "params.json")))
    print("# %s seed %s, %s" % (params["case"], params["seed"], a.situation))
    if "attack" in params:
        print("attack:", json.dumps(params["attack"])[:600])
    if "event" in params:
        print("legit event:", json.dumps(params["event"])[:600])
    attack = [s for s, r in truth.items() if r["label"] == "attack"]
    hit = [s for s in attack if s in ev]
    print("attack messages %d, in evidence %d (%.1f%%), cost recall %.1f%%" % (
        len(attack), len(hit), 100 * len(hit) / max(1, len(attack)),
        100 * sum(float(truth[s]["cost"]) for s in hit) / max(1e-9, sum(float(truth[s]["cost"]) for s in attack))))

    def table(title, sids, key, extra=None):
        if not sids:
            return
        c = collections.Counter(key(s) for s in sids)
        cost = collections.Counter()
        for s in sids:
            cost[key(s)] += float(truth[s]["cost"])
        print("\n## %s: %d messages, %.2f USD" % (title, len(sids), sum(cost.values())))
        for k, n in c.most_common(a.top):
            print("  %-42s %6d  %9.2f USD%s" % (" ".join(k), n, cost[k], extra(k) if extra else ""))
        if len(c) > a.top:
            print("  ... %d more groups" % (len(c) - a.top))

    missed = [s for s in attack if s not in ev]
    table("missed attack messages by country / operator / prefix", missed,
          lambda s: (meta[s]["country"], meta[s]["operator"], meta[s]["prefix"] + "*"))
    table("missed attack messages by country / 3 more digits", missed,
          lambda s: (meta[s]["country"], meta[s]["prefix_plus3"] + "*"))
    caught = collections.Counter((meta[s]["country"], ev[s]["detector"], ev[s]["severity"]) for s in hit)
    if caught:
        print("\n## caught attack messages by country / detector / severity")
        for k, n in caught.most_common(a.top):
            print("  %-42s %6d" % (" ".join(k), n))
    legit = [s for s in ev if s in truth and truth[s]["label"] == "legit"]
    dets = collections.defaultdict(collections.Counter)
    for s in legit:
        k = (meta[s]["country"], meta[s]["kind"], meta[s]["prefix"] + "*")
        dets[k]["%s %s %s/%s" % (ev[s]["incident_id"], ev[s]["finding_id"], ev[s]["detector"], ev[s]["severity"])] += 1
    table("legit messages in evidence by country / kind / prefix", legit,
          lambda s: (meta[s]["country"], meta[s]["kind"], meta[s]["prefix"] + "*"),
          lambda k: "  " + ", ".join("%s x%d" % kv for kv in dets[k].most_common(3)))
    unknown = [m for m in ev if m not in truth]
    if unknown:
        print("\n%d evidence ids not in truth.csv (e.g. %s)" % (len(unknown), unknown[0]))


if __name__ == "__main__":
    main()
