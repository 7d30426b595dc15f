#!/usr/bin/env python3
"""stats.py DIR: sanity summary of a generated account (per label/kind/country)."""
import csv, sys, os, collections, datetime as dt
d = sys.argv[1]
truth = {r["sid"]: r for r in csv.DictReader(open(os.path.join(d, "truth.csv")))}
meta = {r["sid"]: r for r in csv.DictReader(open(os.path.join(d, "meta.csv")))}
ver = collections.defaultdict(list)
for r in csv.DictReader(open(os.path.join(d, "verifications.csv"))):
    ver[r["phone"]].append(dt.datetime.strptime(r["verified_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc).timestamp())
rows = list(csv.DictReader(open(os.path.join(d, "console.csv"), encoding="utf-8")))
g = collections.defaultdict(lambda: [0, 0, set(), 0.0, collections.Counter(), set()])
days = collections.Counter()
for r in rows:
    ts = dt.datetime.strptime(r["SentDate"], "%a, %d %b %Y %H:%M:%S +0000").replace(tzinfo=dt.timezone.utc).timestamp()
    m = meta[r["Sid"]]; t = truth[r["Sid"]]
    k = (t["label"], m["kind"], m["country"])
    x = g[k]
    x[0] += 1
    if any(0 <= v - ts <= 900 for v in ver.get(r["To"], ())): x[1] += 1
    x[2].add(r["To"]); x[3] += float(t["cost"]); x[4][r["Status"]] += 1
    x[5].add(int((ts - 1746403200) // 86400))
    days[int((ts - 1746403200) // 86400)] += 1
print("label kind country msgs conv% numbers msgs/num cost days statuses")
for k in sorted(g, key=lambda k: -g[k][0]):
    x = g[k]
    print(*k, x[0], "%.1f" % (100 * x[1] / x[0]), len(x[2]), "%.2f" % (x[0] / len(x[2])), "%.2f" % x[3], len(x[5]), dict(x[4]))
print("per day", [days[i] for i in range(14)])
