#!/usr/bin/env python3
"""Independent labelled SMS-pumping corpus generator (Python 3.11 stdlib only).

gen.py --case NAME --seed N --out DIR

Writes DIR/console.csv (Twilio Console message-log export), DIR/verifications.csv
(the app's verified OTPs), DIR/truth.csv (sid,label,cost), DIR/meta.csv (per-message
country / operator / prefix / traffic kind, for diagnosis), DIR/sns.ndjson (the same
messages as AWS SNS DirectPublishToPhoneNumber delivery-status log records; messageId
is the SID's 32 hex digits as a UUID) and DIR/params.json (every drawn parameter).

Built from public descriptions of SMS pumping and of the export formats only.
"""
import argparse
import csv
import datetime as dt
import hashlib
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from plans import COUNTRIES, SERVED_POOL, HOME_POOL, TARGET_POOL, prefix_specs, valid_extra  # noqa: E402

START = int(dt.datetime(2025, 5, 5, tzinfo=dt.timezone.utc).timestamp())  # a Monday
DAYS = 14
END = START + DAYS * 86400

LEGIT_CASES = ["clean", "uni-term-start", "ride-drivers", "qa-sim-farm", "holiday-spike",
               "expansion", "delivery-outage"]
ATTACK_CASES = ["irsf-premium", "wide-spread", "multi-country-drip", "faked-conversion",
                "weekend-night", "resend-mimic"]
CASES = LEGIT_CASES + ATTACK_CASES

# people's OTP requests by local hour (a consumer app; evening peak)
DIURNAL = [0.8, 0.45, 0.28, 0.2, 0.2, 0.35, 0.9, 1.8, 2.8, 3.4, 3.7, 3.8, 3.9, 3.8, 3.6, 3.6,
           3.7, 3.8, 4.0, 4.1, 3.9, 3.3, 2.4, 1.5]

BODY = {
    "en": "Your {b} verification code is {c}. Don't share it with anyone.",
    "de": "Dein {b} Code lautet {c}. Teile ihn mit niemandem.",
    "fr": "Votre code {b} est {c}. Ne le partagez pas.",
    "es": "Tu código de {b} es {c}. No lo compartas.",
    "it": "Il tuo codice {b} è {c}. Non condividerlo.",
    "pt": "Seu código {b} é {c}. Não compartilhe.",
    "id": "Kode verifikasi {b} Anda {c}. Jangan berikan kepada siapa pun.",
    "nl": "Je {b} code is {c}. Deel deze niet.",
    "tr": "{b} doğrulama kodunuz {c}. Kimseyle paylaşmayın.",
    "vi": "Ma xac thuc {b} cua ban la {c}.",
    "pl": "Twój kod {b} to {c}. Nie udostępniaj go.",
}
LANG = {"DE": "de", "FR": "fr", "ES": "es", "MX": "es", "CO": "es", "IT": "it", "BR": "pt",
        "ID": "id", "NL": "nl", "TR": "tr", "VN": "vi", "PL": "pl"}
BRANDS = ["Kiwora", "Trellis", "Pocketly", "Zumba Pay", "Ordino", "Ridewell", "Mintleaf", "Quorra",
          "Fennic", "Lumio", "Savvo", "Brisk", "Orbita", "Nomi", "Tandem"]


def stable_int(*parts):
    h = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big")


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam < 40:
        L, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= L:
                return k
            k += 1
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


def dirichlet(rng, n, alpha):
    g = [rng.gammavariate(alpha, 1.0) for _ in range(n)]
    s = sum(g)
    return [x / s for x in g]


def loguniform(rng, a, b):
    return math.exp(rng.uniform(math.log(a), math.log(b)))


class Plan:
    """A country's numbering plan with this account's operator popularity and prices."""

    def __init__(self, iso, rng):
        cc, tz, nsn, price, plan = COUNTRIES[iso]
        self.iso, self.cc, self.tz = iso, cc, tz
        self.ops = list(plan)
        share = dirichlet(rng, len(self.ops), rng.uniform(0.8, 3.0))
        self.op_share = dict(zip(self.ops, share))
        self.price = round(price * rng.uniform(0.93, 1.07), 5)
        self.op_price = {op: round(self.price * rng.uniform(0.92, 1.08), 5) for op in self.ops}
        self.op_specs = {op: [] for op in self.ops}
        for op, p, n, w in prefix_specs(iso):
            space = 10 ** (n - len(p))
            self.op_specs[op].append((p, n, space * w * math.exp(rng.gauss(0, 0.6)), space))
        self.op_cum = {}
        self.op_cum_space = {}
        for op, l in self.op_specs.items():
            c, s, cs, ss = [], 0.0, [], 0.0
            for p, n, w, space in l:
                s += w
                c.append(s)
                ss += space
                cs.append(ss)
            self.op_cum[op] = c
            self.op_cum_space[op] = cs
        # operator share of the numbering space (what a uniform attacker hits)
        tot = {op: self.op_cum_space[op][-1] for op in self.ops}
        t = sum(tot.values())
        self.op_space_share = {op: tot[op] / t for op in self.ops}
        self.diurnal = None

    def pick_op(self, rng, by_space=False):
        w = self.op_space_share if by_space else self.op_share
        return rng.choices(self.ops, weights=[w[o] for o in self.ops])[0]

    def rand_nsn(self, rng, op=None, by_space=False, prefixes=None):
        if op is None:
            op = self.pick_op(rng, by_space)
        specs = self.op_specs[op]
        for _ in range(100):
            if prefixes:
                p, n = rng.choice(prefixes)
            else:
                cum = self.op_cum_space[op] if by_space else self.op_cum[op]
                p, n, _, _ = rng.choices(specs, cum_weights=cum)[0]
            nsn = p + "".join(rng.choice("0123456789") for _ in range(n - len(p)))
            if valid_extra(self.iso, nsn):
                return op, nsn
        raise RuntimeError("no valid number")

    def spec_of(self, nsn):
        """(operator, prefix) owning an NSN (longest matching prefix)."""
        if not hasattr(self, "_pfx"):
            self._pfx = {}
            for op, l in self.op_specs.items():
                for p, n, _, _ in l:
                    self._pfx[(p, n)] = op
            self._lens = sorted({len(p) for p, n in self._pfx}, reverse=True)
        for L in self._lens:
            op = self._pfx.get((nsn[:L], len(nsn)))
            if op:
                return (op, nsn[:L])
        return None

    def e164(self, nsn):
        return "+" + self.cc + nsn

    def local_ts(self, rng, day, hours_w=None, hour=None):
        if hour is None:
            hour = rng.choices(range(24), weights=hours_w or self.diurnal)[0]
        return START + day * 86400 + (hour + rng.random()) * 3600 - self.tz * 3600

    def weekday(self, ts):
        """0 = Monday, local clock."""
        return int(((ts + self.tz * 3600 - START) // 86400) % 7)


class Account:
    def __init__(self, case, seed):
        self.case, self.seed = case, seed
        self.rcfg = random.Random(stable_int("config", seed))       # account shape: seed only
        self.rt = random.Random(stable_int("traffic", case, seed))  # legit traffic
        self.ra = random.Random(stable_int("case", case, seed))     # the case's own draws
        self.rsid = random.Random(stable_int("sid", case, seed))
        self.msgs = []    # [ts, iso, op, prefix, nsn, status, err, segs, label, kind]
        self.verifs = []  # (e164, ts, label)
        self.params = {"case": case, "seed": seed}
        self.plans = {}
        self.outage = None  # (iso, op, t0, t1, p_fail)

    # ------------------------------------------------------------------ plumbing
    def plan(self, iso):
        if iso not in self.plans:
            r = random.Random(stable_int("plan", self.seed, iso))
            p = Plan(iso, r)
            shift = r.choice([-1, 0, 0, 1])
            p.diurnal = [DIURNAL[(h - shift) % 24] * math.exp(r.gauss(0, 0.08)) for h in range(24)]
            p.fail = r.uniform(0.004, 0.03)
            p.nodlr = r.choice([0.0, 0.0, r.uniform(0.005, 0.05)])
            self.plans[iso] = p
        return self.plans[iso]

    def emit(self, ts, plan, op, nsn, status, err, label, kind, segs=1):
        if START <= ts < END:
            self.msgs.append([ts, plan.iso, op, nsn, status, err, segs, label, kind])
            return True
        return False

    def verify(self, plan, nsn, ts, label):
        if START <= ts < END:
            self.verifs.append((plan.e164(nsn), ts, label))

    def legit_status(self, rng, plan, op, t):
        pf = plan.fail
        if self.outage and self.outage[0] == plan.iso and self.outage[1] == op \
                and self.outage[2] <= t < self.outage[3]:
            pf = self.outage[4]
            if rng.random() < pf:
                return ("undelivered", 30008) if rng.random() < 0.6 else ("undelivered", 30003)
            return ("delivered", None)
        if rng.random() < pf:
            x = rng.random()
            if x < 0.5:
                return ("undelivered", 30003)
            if x < 0.72:
                return ("undelivered", 30008)
            if x < 0.9:
                return ("undelivered", 30005)
            return ("failed", 30006)
        if rng.random() < plan.nodlr:
            return ("sent", None)
        return ("delivered", None)

    def session(self, rng, plan, op, nsn, t0, will_verify, kind, resend_p=0.08,
                retry_on_fail=0.75, max_sends=5, vdelay=(3.6, 0.6), label="legit"):
        """One OTP flow: a send, maybe resends, maybe a verification. Returns verified?"""
        t, n = t0, 0
        p_again = None
        while True:
            status, err = self.legit_status(rng, plan, op, t)
            self.emit(t, plan, op, nsn, status, err, label, kind)
            n += 1
            ok = status in ("delivered", "sent")
            if ok and will_verify:
                if n < max_sends and rng.random() < resend_p * 0.4:  # impatient: resends first
                    t += rng.uniform(20, 120)
                    continue
                vt = t + min(880.0, math.exp(rng.gauss(*vdelay)))
                self.verify(plan, nsn, vt, label)
                return True
            p = retry_on_fail if not ok else resend_p * 2.5
            if p_again is not None:
                p = min(p, p_again * 0.8)
            p_again = p
            if n >= max_sends or rng.random() >= p:
                return False
            t += rng.uniform(25, 240)

    # ------------------------------------------------------------------ legit base
    def configure(self):
        r = self.rcfg
        n_c = r.randint(10, 14)
        home = r.choice(HOME_POOL)
        others = r.sample([c for c in SERVED_POOL if c != home], n_c - 1)
        served = [home] + others
        daily_sends = loguniform(r, 300, 5000)
        home_share = r.uniform(0.25, 0.55)
        s = r.uniform(0.6, 1.4)
        ranks = list(range(1, n_c))
        r.shuffle(ranks)
        w = [1 / k ** s for k in ranks]
        tw = sum(w)
        shares = {home: home_share}
        for c, x in zip(others, w):
            shares[c] = (1 - home_share) * x / tw
        cfg = {"served": served, "home": home, "daily_sends": round(daily_sends),
               "weekend_factor": round(r.uniform(0.65, 1.25), 3),
               "trend_per_day": round(r.uniform(-0.015, 0.02), 4),
               "brand": r.choice(BRANDS), "countries": {}}
        for c in served:
            cfg["countries"][c] = {
                "share": round(shares[c], 4),
                "conv": round(r.uniform(0.78, 0.97), 3),
                "resend": round(r.uniform(0.04, 0.14), 3),
                "returning": round(r.uniform(0.35, 0.75), 3),
                "pool_mult": round(r.uniform(3, 15), 2),
            }
        self.cfg = cfg
        self.params["account"] = cfg
        for c in served:
            self.plan(c)
        self.pools = {}

    def pool(self, iso):
        """Existing users of a country: [nsn, op, weight, first_day]."""
        return self.pools.setdefault(iso, [])

    def add_user(self, rng, iso, op, nsn, day):
        self.pool(iso).append([nsn, op, math.exp(rng.gauss(0, 1.0)), day])

    def country_day(self, rng, iso, day, n_sessions, cc, kind="base", new_share=None,
                    hours_w=None, conv_shift=0.0):
        p = self.plan(iso)
        pool = self.pool(iso)
        ret_share = cc["returning"] if new_share is None else 1 - new_share
        n_ret = sum(1 for _ in range(n_sessions) if rng.random() < ret_share) if pool else 0
        joined = []
        if n_ret:
            cum, s = [], 0.0
            for u in pool:
                s += u[2]
                cum.append(s)
            for u in rng.choices(pool, cum_weights=cum, k=n_ret):
                t = p.local_ts(rng, day, hours_w)
                wv = rng.random() < min(0.995, cc["conv"] + 0.04 + conv_shift)
                self.session(rng, p, u[1], u[0], t, wv, kind, cc["resend"])
        for _ in range(n_sessions - n_ret):
            op, nsn = p.rand_nsn(rng)
            t = p.local_ts(rng, day, hours_w)
            wv = rng.random() < max(0.3, cc["conv"] - 0.06 + conv_shift)
            if self.session(rng, p, op, nsn, t, wv, kind, cc["resend"]):
                joined.append((op, nsn))
        for op, nsn in joined:
            self.add_user(rng, iso, op, nsn, day)

    def base(self, extra_day_hook=None):
        rng = self.rt
        cfg = self.cfg
        avg_sends = 1.12
        for iso in cfg["served"]:
            cc = cfg["countries"][iso]
            per_day = cfg["daily_sends"] * cc["share"] / avg_sends
            for _ in range(max(20, int(per_day * cc["pool_mult"]))):
                op, nsn = self.plan(iso).rand_nsn(rng)
                self.add_user(rng, iso, op, nsn, -99)
        for day in range(-1, DAYS + 1):
            for iso in cfg["served"]:
                cc = cfg["countries"][iso]
                wd = day % 7
                lam = cfg["daily_sends"] * cc["share"] / avg_sends
                lam *= (cfg["weekend_factor"] if wd >= 5 else 1.0)
                lam *= (1 + cfg["trend_per_day"]) ** day
                lam *= math.exp(rng.gauss(0, 0.08))
                self.country_day(rng, iso, day, poisson(rng, lam), cc)
            if extra_day_hook:
                extra_day_hook(day)

    # ------------------------------------------------------------------ attack helpers
    def attack_times(self, rng, n, t0, dur, shape=None):
        shape = shape or rng.choice(["flat", "ramp", "waves"])
        out = []
        if shape == "flat":
            out = [t0 + rng.random() * dur for _ in range(n)]
        elif shape == "ramp":
            peak = rng.uniform(0.2, 0.8)
            out = [t0 + rng.triangular(0, 1, peak) * dur for _ in range(n)]
        else:
            k = rng.randint(2, 5)
            centers = [rng.random() for _ in range(k)]
            width = rng.uniform(0.03, 0.12)
            for _ in range(n):
                c = rng.choice(centers)
                x = min(1.0, max(0.0, rng.gauss(c, width)))
                out.append(t0 + x * dur)
        out.sort()
        return out, shape

    def block_numbers(self, rng, plan, k, count, mode, op=None):
        """count numbers in one 10^k block: sequential or dense random."""
        cands = []
        ops = [op] if op else plan.ops
        for o in ops:
            for p, n, _, _ in plan.op_specs[o]:
                if n - len(p) >= k:
                    cands.append((o, p, n))
        o, p, n = rng.choice(cands)
        for _ in range(100):
            bp = p + "".join(rng.choice("0123456789") for _ in range(n - k - len(p)))
            if valid_extra(plan.iso, bp + "5" * k):
                break
        size = 10 ** k
        count = min(count, int(size * 0.95))
        if mode == "sequential":
            nums, x = [], rng.randrange(0, size)
            skip = rng.uniform(0.0, 0.15)
            while len(nums) < count:
                nums.append(x % size)
                x += 1 + (rng.randint(1, 3) if rng.random() < skip else 0)
            nums = list(dict.fromkeys(nums))
        else:
            nums = rng.sample(range(size), count)
        return o, bp, [bp + str(v).zfill(k) for v in nums if valid_extra(plan.iso, bp + str(v).zfill(k))]

    def attack_send(self, rng, plan, op, nsn, t, kind, deliv, protect=None):
        if protect and t >= protect[0] and rng.random() < protect[1]:
            return self.emit(t, plan, op, nsn, "failed", 30450, "attack", kind)
        if rng.random() < deliv:
            st, err = ("delivered", None) if rng.random() > 0.03 else ("sent", None)
        else:
            st, err = ("undelivered", rng.choice([30003, 30003, 30005, 30008]))
        return self.emit(t, plan, op, nsn, st, err, "attack", kind)

    def choose_target(self, rng, barely_p=0.3):
        served = self.cfg["served"]
        small = [c for c in served if c in TARGET_POOL and self.cfg["countries"][c]["share"] < 0.06]
        if small and rng.random() < barely_p:
            return small[0], "barely-served"
        return rng.choice([c for c in TARGET_POOL if c not in served]), "unserved"

    # ------------------------------------------------------------------ cases
    def run(self):
        self.configure()
        getattr(self, "case_" + self.case.replace("-", "_"))()

    def case_clean(self):
        self.base()

    def case_uni_term_start(self):
        r = self.ra
        served = self.cfg["served"]
        iso = r.choices(served, weights=[self.cfg["countries"][c]["share"] ** 0.5 for c in served])[0]
        n_students = r.randint(1500, 8000)
        n_days = r.randint(2, 3)
        d0 = r.randint(1, DAYS - 4)
        day_split = dirichlet(r, n_days, 4.0)
        login_rate = r.uniform(0.05, 0.2)
        self.params["event"] = {"country": iso, "students": n_students, "days": n_days,
                                "first_day": d0, "login_rate_after": round(login_rate, 3)}
        p = self.plan(iso)
        hours = [0.2] * 7 + [1.5, 3, 4, 4, 3.5, 3.5, 3.5, 3, 2.5, 2, 1.8, 1.5, 1.3, 1, 0.7, 0.5, 0.3]
        conv = self.cfg["countries"][iso]["conv"]
        students = []

        def hook(day):
            if d0 <= day < d0 + n_days:
                n = int(n_students * day_split[day - d0])
                for _ in range(n):
                    op, nsn = p.rand_nsn(r)
                    t = p.local_ts(r, day, hours)
                    if self.session(r, p, op, nsn, t, r.random() < conv, "students", 0.08):
                        students.append((op, nsn))
            elif day >= d0 + n_days:
                for op, nsn in students:
                    if r.random() < login_rate:
                        t = p.local_ts(r, day, hours)
                        self.session(r, p, op, nsn, t, r.random() < min(0.99, conv + 0.04), "students", 0.06)
        self.base(hook)

    def case_ride_drivers(self):
        r = self.ra
        served = self.cfg["served"]
        iso = r.choice(served[:6])
        p = self.plan(iso)
        n_drv = r.randint(100, 600)
        n_ops = r.randint(1, min(2, len(p.ops)))
        ops = r.sample(p.ops, n_ops)
        f_block = r.uniform(0.3, 1.0)
        n_blocks = r.randint(1, 3)
        blocks = []
        for _ in range(n_blocks):
            o, bp, nums = self.block_numbers(r, p, 4, 2000, "dense", op=r.choice(ops))
            blocks.append((o, bp, nums))
        drivers = []
        for i in range(n_drv):
            if r.random() < f_block:
                o, bp, nums = r.choice(blocks)
                nsn = r.choice(nums)
            else:
                o, nsn = p.rand_nsn(r, op=r.choice(ops))
            shift = r.choice([(5, 8), (6, 9), (13, 16), (14, 17), (21, 23), (22, 24)])
            days_per_week = r.randint(5, 7)
            off = r.sample(range(7), 7 - days_per_week)
            drivers.append((o, nsn, shift, off, r.uniform(0.2, 1.0)))
        conv = r.uniform(0.92, 0.99)
        self.params["event"] = {"country": iso, "drivers": n_drv, "operators": ops,
                                "share_in_blocks": round(f_block, 3),
                                "blocks": [b[1] + "x" * 4 for b in blocks], "conv": round(conv, 3)}

        def hook(day):
            for o, nsn, (h0, h1), off, relog in drivers:
                if day % 7 in off:
                    continue
                t = START + day * 86400 + r.uniform(h0, h1) * 3600 - p.tz * 3600
                self.session(r, p, o, nsn, t, r.random() < conv, "drivers", 0.05)
                if r.random() < relog:  # session expiry mid-shift
                    self.session(r, p, o, nsn, t + r.uniform(3, 7) * 3600, r.random() < conv, "drivers", 0.05)
                if r.random() < 0.15:   # phone swap / reinstall
                    self.session(r, p, o, nsn, t + r.uniform(0.2, 2) * 3600, r.random() < conv, "drivers", 0.05)
        self.base(hook)

    def case_qa_sim_farm(self):
        r = self.ra
        served = self.cfg["served"]
        iso = served[0] if r.random() < 0.6 else r.choice(served[1:5])
        p = self.plan(iso)
        n_sims = r.randint(20, 80)
        mode = r.choice(["consecutive", "near-consecutive"])
        o, bp, _ = self.block_numbers(r, p, 3, 1, "dense")
        start = r.randrange(0, 1000 - 3 * n_sims)
        sims, x = [], start
        for _ in range(n_sims):
            sims.append(bp + str(x).zfill(3))
            x += 1 if mode == "consecutive" else r.choice([1, 1, 1, 2, 2, 3])
        per_sim = r.randint(20, 60)
        runs_per_day = r.randint(6, 16)
        h0, h1 = r.choice([(8, 17), (9, 18), (10, 19)])
        conv = r.uniform(0.95, 1.0)
        self.params["event"] = {"country": iso, "sims": n_sims, "mode": mode, "block": bp + "xxx",
                                "first": sims[0], "last": sims[-1], "sends_per_sim_day": per_sim,
                                "runs_per_day": runs_per_day, "hours": [h0, h1], "conv": round(conv, 3)}

        def hook(day):
            if day < 0 or day % 7 >= 5 or day >= DAYS:
                return
            for _ in range(runs_per_day):
                t = START + day * 86400 + r.uniform(h0, h1 - 0.5) * 3600 - p.tz * 3600
                for nsn in sims:
                    k = poisson(r, per_sim / runs_per_day)
                    tt = t
                    for _ in range(k):
                        tt += r.uniform(5, 90)
                        self.session(r, p, o, nsn, tt, r.random() < conv, "qa-sims", 0.02,
                                     vdelay=(2.5, 0.5))
        self.base(hook)

    def case_holiday_spike(self):
        r = self.ra
        served = self.cfg["served"]
        cands = [c for c in served if self.cfg["countries"][c]["share"] >= 0.05] or served[:1]
        iso = r.choice(cands)
        day = r.randint(2, DAYS - 2)
        mult = r.uniform(3, 5)
        new_share = r.uniform(0.45, 0.8)
        cc = dict(self.cfg["countries"][iso])
        hours = [0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.8, 1.5, 2.5, 3.2, 3.6, 3.9, 4.1, 4.0, 3.9, 3.9, 4.0,
                 4.2, 4.6, 5.0, 5.0, 4.4, 3.2, 1.8]
        self.params["event"] = {"country": iso, "day": day, "multiplier": round(mult, 2),
                                "new_share": round(new_share, 3)}

        def hook(d):
            if d == day:
                lam = self.cfg["daily_sends"] * cc["share"] / 1.12 * (mult - 1)
                self.country_day(r, iso, d, poisson(r, lam), cc, kind="holiday",
                                 new_share=new_share, hours_w=hours)
        self.base(hook)

    def case_expansion(self):
        r = self.ra
        served = self.cfg["served"]
        iso = r.choice([c for c in SERVED_POOL if c not in served])
        d0 = r.randint(3, 8)
        first = r.randint(10, 60)
        growth = r.uniform(1.15, 1.6)
        cap = self.cfg["daily_sends"] * r.uniform(0.1, 0.35)
        cc = {"conv": r.uniform(0.72, 0.92), "resend": r.uniform(0.05, 0.14),
              "returning": r.uniform(0.2, 0.5)}
        self.params["event"] = {"country": iso, "launch_day": d0, "first_day_sessions": first,
                                "growth": round(growth, 3), "cap": round(cap),
                                "conv": round(cc["conv"], 3)}
        self.plan(iso)

        def hook(d):
            if d >= d0:
                lam = min(cap, first * growth ** (d - d0))
                # the launch day starts at a local hour (a press release at 09:00)
                self.country_day(r, iso, d, poisson(r, lam), cc, kind="expansion")
        self.base(hook)

    def case_delivery_outage(self):
        r = self.ra
        served = self.cfg["served"]
        cands = [c for c in served if self.cfg["countries"][c]["share"] >= 0.05] or served[:1]
        iso = r.choice(cands)
        p = self.plan(iso)
        op = max(p.ops, key=lambda o: p.op_share[o] * r.uniform(0.5, 1.0))
        day = r.randint(2, DAYS - 2)
        h0 = r.uniform(7, 17)
        dur = r.uniform(2, 10)
        t0 = START + day * 86400 + h0 * 3600 - p.tz * 3600
        pf = r.uniform(0.85, 1.0)
        self.outage = (iso, op, t0, t0 + dur * 3600, pf)
        self.params["event"] = {"country": iso, "operator": op, "day": day,
                                "start_local_hour": round(h0, 2), "hours": round(dur, 2),
                                "fail_prob": round(pf, 3)}
        self.base()
        for m in self.msgs:
            if m[1] == iso and m[2] == op and t0 <= m[0] < t0 + dur * 3600:
                m[8] = "outage"

    # ---- attacks
    def protection(self, r, t0, dur):
        if r.random() < 0.3:
            return (t0 + dur * r.uniform(0.2, 0.5), r.uniform(0.02, 0.15))
        return None

    def fake_verify(self, r, p, nsn, t):
        self.verify(p, nsn, t + r.uniform(8, 240), "attack")

    def case_irsf_premium(self):
        self.base()
        r = self.ra
        iso, how = self.choose_target(r)
        p = self.plan(iso)
        n = r.randint(500, 8000)
        nb = r.randint(1, 2)
        ks = [k for k in (3, 4, 5) if 10 ** k * nb * 0.8 >= n] or [5]
        k = r.choice(ks)
        dur = r.uniform(1, 12) * 3600
        t0 = START + r.uniform(1, DAYS - 1) * 86400
        t0 = min(t0, END - dur - 600)
        mode = r.choice(["sequential", "dense"])
        repeat = r.uniform(0, 0.08)
        vr = r.uniform(0, 0.03)
        deliv = r.uniform(0.7, 0.97)
        prot = self.protection(r, t0, dur)
        per_block = [n // nb + (1 if i < n % nb else 0) for i in range(nb)]
        nums, blocks = [], []
        for c in per_block:
            o, bp, l = self.block_numbers(r, p, k, int(c * (1 - repeat)) + 1, mode)
            blocks.append(bp + "x" * k)
            nums += [(o, x) for x in l]
        if mode == "sequential":
            nums.sort(key=lambda x: x[1])
        else:
            r.shuffle(nums)
        times, shape = self.attack_times(r, n, t0, dur)
        seq = list(nums)
        while len(seq) < n:
            seq.append(r.choice(nums))
        if mode != "sequential":
            r.shuffle(seq)
        done = set()
        for t, (o, nsn) in zip(times, seq):
            self.attack_send(r, p, o, nsn, t, "irsf", deliv, prot)
            if nsn not in done and r.random() < vr:
                self.fake_verify(r, p, nsn, t)
            done.add(nsn)
        self.params["attack"] = {"country": iso, "target": how, "sends": n, "blocks": blocks,
                                 "block_digits": k, "mode": mode, "hours": round(dur / 3600, 2),
                                 "start": iso_ts(t0), "shape": shape, "repeat": round(repeat, 3),
                                 "verified": round(vr, 4), "delivered": round(deliv, 3),
                                 "protection": prot and [iso_ts(prot[0]), round(prot[1], 3)]}

    def case_wide_spread(self):
        self.base()
        r = self.ra
        served = self.cfg["served"]
        iso = r.choice(served[1:] if r.random() < 0.7 else served[:1])
        p = self.plan(iso)
        n = r.randint(1000, 6000)
        days = r.randint(1, 5)
        d0 = r.randint(1, DAYS - days)
        clock = r.choice(["round-the-clock", "local-diurnal"])
        vr = r.uniform(0, 0.05)
        deliv = r.uniform(0.6, 0.95)
        repeat = r.uniform(0, 0.05)
        nums = []
        for i in range(n):
            if nums and r.random() < repeat:
                nums.append(r.choice(nums))
            else:
                nums.append(p.rand_nsn(r, by_space=True))
        if clock == "round-the-clock":
            times = sorted(START + (d0 + r.random() * days) * 86400 for _ in range(n))
        else:
            times = sorted(p.local_ts(r, d0 + r.randrange(days)) for _ in range(n))
        for t, (o, nsn) in zip(times, nums):
            self.attack_send(r, p, o, nsn, t, "wide", deliv)
            if r.random() < vr:
                self.fake_verify(r, p, nsn, t)
        self.params["attack"] = {"country": iso, "sends": n, "days": days, "first_day": d0,
                                 "clock": clock, "verified": round(vr, 4), "repeat": round(repeat, 3),
                                 "delivered": round(deliv, 3)}

    def case_multi_country_drip(self):
        self.base()
        r = self.ra
        served = self.cfg["served"]
        k = r.randint(5, 15)
        uns = [c for c in TARGET_POOL if c not in served]
        n_served = min(r.randint(0, 3), k - 1)
        countries = r.sample(uns, min(len(uns), k - n_served)) + r.sample(served[1:], n_served)
        days = r.randint(7, 14)
        d0 = r.randint(0, DAYS - days)
        clock = r.choice(["round-the-clock", "attacker-hours"])
        atz = r.choice([-5, 0, 1, 3, 5.5, 7, 8])
        ah0 = r.uniform(6, 12)
        alen = r.uniform(8, 14)
        vr = r.uniform(0, 0.01)
        detail = {}
        for iso in countries:
            p = self.plan(iso)
            rate = r.uniform(20, 150)
            ops = r.sample(p.ops, r.randint(1, len(p.ops)))
            deliv = r.uniform(0.6, 0.95)
            total = 0
            for d in range(d0, d0 + days):
                n = poisson(r, rate * math.exp(r.gauss(0, 0.25)))
                total += n
                for _ in range(n):
                    if clock == "round-the-clock":
                        t = START + (d + r.random()) * 86400
                    else:
                        t = START + d * 86400 + (ah0 + r.random() * alen - atz) * 3600
                    o, nsn = p.rand_nsn(r, op=r.choice(ops), by_space=True)
                    self.attack_send(r, p, o, nsn, t, "drip", deliv)
                    if r.random() < vr:
                        self.fake_verify(r, p, nsn, t)
            detail[iso] = {"per_day": round(rate, 1), "operators": ops, "sends": total,
                           "served": iso in served}
        self.params["attack"] = {"countries": detail, "days": days, "first_day": d0, "clock": clock,
                                 "attacker_tz": atz, "verified": round(vr, 4)}

    def case_faked_conversion(self):
        self.base()
        r = self.ra
        if r.random() < 0.6:
            iso, how = self.choose_target(r)
        else:
            iso, how = r.choice(self.cfg["served"][1:]), "served"
        p = self.plan(iso)
        n = r.randint(800, 5000)
        nb = r.randint(1, 2)
        ks = [k for k in (3, 4) if 10 ** k * nb * 0.8 >= n] or [4]
        k = r.choice(ks)
        mode = r.choice(["sequential", "dense"])
        dur = r.uniform(2, 24) * 3600
        t0 = min(START + r.uniform(1, DAYS - 1) * 86400, END - dur - 600)
        vr = r.uniform(0.4, 0.8)
        deliv = r.uniform(0.75, 0.98)
        prot = self.protection(r, t0, dur)
        nums, blocks = [], []
        for i in range(nb):
            o, bp, l = self.block_numbers(r, p, k, n // nb + 1, mode)
            blocks.append(bp + "x" * k)
            nums += [(o, x) for x in l]
        if mode == "sequential":
            nums.sort(key=lambda x: x[1])
        else:
            r.shuffle(nums)
        times, shape = self.attack_times(r, n, t0, dur)
        seq = [nums[i % len(nums)] for i in range(n)]
        verified = set()
        for t, (o, nsn) in zip(times, seq):
            self.attack_send(r, p, o, nsn, t, "faked", deliv, prot)
            if nsn not in verified and r.random() < vr:
                verified.add(nsn)
                self.fake_verify(r, p, nsn, t)
        self.params["attack"] = {"country": iso, "target": how, "sends": n, "blocks": blocks,
                                 "block_digits": k, "mode": mode, "hours": round(dur / 3600, 2),
                                 "start": iso_ts(t0), "shape": shape, "verified": round(vr, 3),
                                 "protection": prot and [iso_ts(prot[0]), round(prot[1], 3)]}

    def case_weekend_night(self):
        self.base()
        r = self.ra
        if r.random() < 0.6:
            iso, how = self.choose_target(r, barely_p=0.4)
        else:
            iso, how = r.choice(self.cfg["served"]), "served"
        p = self.plan(iso)
        op = r.choice(p.ops)
        p_spec = r.choice(p.op_specs[op])
        prefixes = [(p_spec[0], p_spec[1])]
        deliv = r.uniform(0.7, 0.97)
        vr = r.uniform(0, 0.02)
        nights = []
        for day in (4, 5, 11, 12):  # Friday and Saturday evenings
            n = r.randint(200, 1500)
            h0 = r.uniform(22, 24.5)
            h1 = r.uniform(28, 30)  # 04:00-06:00 next day
            t0 = START + day * 86400 + h0 * 3600 - p.tz * 3600
            t1 = START + day * 86400 + h1 * 3600 - p.tz * 3600
            for _ in range(n):
                t = r.uniform(t0, t1)
                o, nsn = p.rand_nsn(r, op=op, prefixes=prefixes)
                self.attack_send(r, p, o, nsn, t, "night", deliv)
                if r.random() < vr:
                    self.fake_verify(r, p, nsn, t)
            nights.append({"sends": n, "from": iso_ts(t0), "to": iso_ts(t1)})
        self.params["attack"] = {"country": iso, "target": how, "operator": op,
                                 "prefix": p_spec[0], "nights": nights, "verified": round(vr, 4)}

    def case_resend_mimic(self):
        self.base()
        r = self.ra
        served = self.cfg["served"]
        iso = r.choice(served[1:] if r.random() < 0.75 else served[:1])
        p = self.plan(iso)
        n = r.randint(2000, 5000)
        days = r.randint(3, 7)
        d0 = r.randint(1, DAYS - days)
        n_ops = r.randint(1, min(2, len(p.ops)))
        ops = r.sample(p.ops, n_ops)
        vr = r.uniform(0.05, 0.15)
        deliv = r.uniform(0.8, 0.97)
        sent = 0
        while sent < n:
            o, nsn = p.rand_nsn(r, op=r.choice(ops), by_space=True)
            t = p.local_ts(r, d0 + r.randrange(days))
            k = r.choices([1, 2, 3], weights=[0.5, 0.35, 0.15])[0]
            for i in range(k):
                self.attack_send(r, p, o, nsn, t, "mimic", deliv)
                sent += 1
                t += r.uniform(40, 300)
            if r.random() < vr:
                self.fake_verify(r, p, nsn, t - r.uniform(20, 40))
        self.params["attack"] = {"country": iso, "sends": sent, "days": days, "first_day": d0,
                                 "operators": ops, "verified": round(vr, 3), "delivered": round(deliv, 3)}

    # ------------------------------------------------------------------ output
    def write(self, out):
        os.makedirs(out, exist_ok=True)
        self.msgs.sort(key=lambda m: m[0])
        acct = "AC" + "%032x" % random.Random(stable_int("acct", self.seed)).getrandbits(128)
        brand = self.cfg["brand"]
        alpha = brand.replace(" ", "")[:11]
        tollfree = "+1833" + "%07d" % random.Random(stable_int("tf", self.seed)).randrange(2000000, 9999999)
        rows, truth, meta, sns = [], [], [], []
        cost_by_label = {"legit": 0.0, "attack": 0.0}
        n_by_label = {"legit": 0, "attack": 0}
        for ts, iso, op, nsn, st, err, segs, label, kind in self.msgs:
            p = self.plans[iso]
            sid_hex = "%032x" % self.rsid.getrandbits(128)
            sid = "SM" + sid_hex
            price = 0.0 if st == "failed" else round(p.op_price[op] * segs, 5)
            code = "%06d" % self.rsid.randrange(1000000)
            body = BODY[LANG.get(iso, "en")].format(b=brand, c=code)
            frm = tollfree if iso in ("US", "CA") else alpha
            when = dt.datetime.fromtimestamp(int(ts), dt.timezone.utc)
            rows.append([frm, p.e164(nsn), body, st, when.strftime("%a, %d %b %Y %H:%M:%S +0000"),
                         "2010-04-01", segs, "" if err is None else err, acct, sid, "outbound-api",
                         "" if st == "failed" else "-%.5f" % price, "USD"])
            truth.append((sid, label, "%.5f" % price))
            spec = p.spec_of(nsn)
            meta.append((sid, iso, op, spec[1] if spec else "", nsn[:len(spec[1]) + 3] if spec else "", kind))
            cost_by_label[label] += price
            n_by_label[label] += 1
            sns.append(sns_record(sid_hex, ts, p.e164(nsn), price, segs, st, err, self.rsid))
        rows.reverse()  # the Console lists newest first
        with open(os.path.join(out, "console.csv"), "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["From", "To", "Body", "Status", "SentDate", "ApiVersion", "NumSegments",
                        "ErrorCode", "AccountSid", "Sid", "Direction", "Price", "PriceUnit"])
            w.writerows(rows)
        with open(os.path.join(out, "truth.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["sid", "label", "cost"])
            w.writerows(truth)
        with open(os.path.join(out, "meta.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["sid", "country", "operator", "prefix", "prefix_plus3", "kind"])
            w.writerows(meta)
        self.verifs.sort(key=lambda v: v[1])
        with open(os.path.join(out, "verifications.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["phone", "verified_at"])
            for e, ts, _ in self.verifs:
                w.writerow([e, dt.datetime.fromtimestamp(int(ts), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")])
        with open(os.path.join(out, "sns.ndjson"), "w") as f:
            for s in sns:
                f.write(s + "\n")
        self.params["totals"] = {
            "messages": len(self.msgs), "legit": n_by_label["legit"], "attack": n_by_label["attack"],
            "legit_cost": round(cost_by_label["legit"], 2), "attack_cost": round(cost_by_label["attack"], 2),
            "verifications": len(self.verifs),
            "attack_verifications": sum(1 for v in self.verifs if v[2] == "attack"),
            "countries": sorted(self.plans),
        }
        with open(os.path.join(out, "params.json"), "w") as f:
            json.dump(self.params, f, indent=1, sort_keys=True)


SNS_FAIL = {30003: "Phone is currently unreachable/unavailable",
            30005: "Phone is currently unreachable/unavailable",
            30006: "Phone carrier is currently unreachable/unavailable",
            30008: "Unknown error attempting to reach phone",
            30450: "Destination is on a blocked list"}


def sns_record(h, ts, dest, price, segs, st, err, rng):
    mid = "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
    stamp = dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    ok = st in ("delivered", "sent")
    d = {"numberOfMessageParts": segs, "destination": dest,
         "priceInUSD": price if err != 30450 else 0.0, "smsType": "Transactional",
         "providerResponse": ("Message has been accepted by phone" if st == "delivered" else
                              "Message has been accepted by phone carrier") if ok else SNS_FAIL.get(err, "Unknown error attempting to reach phone"),
         "dwellTimeMs": rng.randint(80, 900), "dwellTimeMsUntilDeviceAck": rng.randint(300, 4000)}
    rec = {"notification": {"messageId": mid, "timestamp": stamp}, "delivery": d,
           "status": "SUCCESS" if ok else "FAILURE"}
    return json.dumps(rec, separators=(",", ":"))


def iso_ts(t):
    return dt.datetime.fromtimestamp(int(t), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(case, seed, out):
    a = Account(case, seed)
    a.run()
    a.write(out)
    return a.params


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", required=True, choices=CASES)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    prm = generate(a.case, a.seed, a.out)
    print(json.dumps(prm["totals"]))


if __name__ == "__main__":
    main()
