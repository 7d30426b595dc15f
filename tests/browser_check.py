#!/usr/bin/env python3
"""Open a pumphound HTML report in headless Chromium and report what a browser saw, as JSON.

Usage: browser_check.py CHROMIUM REPORT.html OUTDIR

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: fd 3 in, fd 4
out, NUL-separated JSON), standard library only. Prints one JSON object:

- console: console messages and log entries at warning or error level; exceptions: uncaught
  exceptions; requests: every URL the page asked for other than the report itself; dialogs:
  alert/confirm/prompt that opened (an injected script would open one);
- dom: facts read from the rendered page (tiles, chart marks, table rows, scripts present);
- screenshot: a PNG at 1280 px wide and the number of distinct colours in it;
- print: for A4 and Letter, the tables wider than the printable width in print media, and the
  PDF written (OUTDIR/report-a4.pdf, report-letter.pdf).
"""

import base64
import json
import os
import select
import struct
import subprocess
import sys
import tempfile
import time
import zlib

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
    "--remote-debugging-pipe",
]

DOM = r"""
(() => {
  const num = (x) => (x === null || x === undefined || x === "" ? null : Number(x));
  const charts = [...document.querySelectorAll("figure.chart")].map((f) => {
    const svg = f.querySelector("svg");
    return {
      kind: f.dataset.chart,
      title: svg && svg.querySelector("title") ? svg.querySelector("title").textContent : "",
      labelled: !!(svg && svg.getAttribute("role") === "img" && svg.getAttribute("aria-labelledby")),
      marks: f.querySelectorAll("[data-mark], path.area, path.line, path.rate").length,
      bad: /NaN|Infinity|undefined/.test(svg ? svg.outerHTML : ""),
      width: svg ? svg.getBoundingClientRect().width : 0,
    };
  });
  const sum = (sel) => [...document.querySelectorAll(sel)].reduce((a, c) => a + Number(c.dataset.v), 0);
  return {
    ready: document.documentElement.dataset.ready || null,
    js_errors: document.getElementById("js-errors") ? document.getElementById("js-errors").textContent : null,
    title: document.title,
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    scripts: document.scripts.length,
    tiles: Object.fromEntries([...document.querySelectorAll("[data-tile]")].map((t) => [t.dataset.tile, num(t.dataset.v)])),
    timeline: [...document.querySelectorAll("figure[data-chart=timeline] [data-mark=incident]")].map((x) => x.dataset.id),
    incidents: [...document.querySelectorAll("article.incident")].map((a) => a.id),
    grids: [...document.querySelectorAll("figure[data-chart=grid]")].map((f) => ({
      finding: f.dataset.finding,
      cells: f.querySelectorAll("[data-mark=ending]").length,
      numbers: [...f.querySelectorAll("[data-mark=ending]")].reduce((a, c) => a + Number(c.dataset.v), 0),
    })),
    spend_total: sum("table[data-table=spend] tbody td[data-v]"),
    spend_rows: document.querySelectorAll("table[data-table=spend] tbody tr").length,
    conversion_points: document.querySelectorAll("figure[data-chart=conversion] [data-mark=day]").length,
    conversion_rows: document.querySelectorAll("table[data-table=conversion] tbody tr").length,
    findings: [...document.querySelectorAll("table[data-table=findings] tbody tr")].map((r) => r.id),
    countries: [...document.querySelectorAll("table[data-table=countries] tbody tr")].map((r) => r.cells[0].textContent),
    rules: document.querySelectorAll("table[data-table=rules] tbody tr").length,
    filters: document.querySelectorAll("input.filter").length,
    senders: [...document.querySelectorAll("article.incident dd code")].map((c) => c.textContent),
    charts,
  };
})()
"""

# Tables (and the page) wider than the printable width, in print media.
OVERFLOW = r"""
(() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("table")].filter((t) => t.getBoundingClientRect().right > w + 1 || t.scrollWidth > t.clientWidth + 1)
    .map((t) => (t.dataset.table || "?") + ":" + Math.round(t.getBoundingClientRect().right) + ">" + w);
  if (document.documentElement.scrollWidth > w + 1) wide.push("page:" + document.documentElement.scrollWidth + ">" + w);
  return wide;
})()
"""


class Browser:
    def __init__(self, chromium):
        self.profile = tempfile.mkdtemp(prefix="pumphound-chromium-")
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        os.set_inheritable(to_r, True)
        os.set_inheritable(from_w, True)

        def fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        self.proc = subprocess.Popen(
            [chromium, *FLAGS, "--user-data-dir=" + self.profile, "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds,
            close_fds=False,
        )
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None

    def send(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        return self.wait(lambda m: m.get("id") == self.next_id, method)

    def read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                raise TimeoutError("no message from Chromium")
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def wait(self, pred, what, timeout=60):
        deadline = time.time() + timeout
        while True:
            m = self.read(deadline)
            if pred(m):
                if "error" in m:
                    raise RuntimeError(f"{what}: {m['error']}")
                return m.get("result", m.get("params"))
            if "method" in m:
                self.events.append(m)

    def evaluate(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError("evaluate: " + json.dumps(r["exceptionDetails"]))
        return r["result"]["value"]

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def png_colours(data):
    """Distinct colours of an 8-bit RGB or RGBA non-interlaced PNG (what Chromium writes)."""
    pos, idat, width, height, ctype = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unexpected PNG layout")
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if y % 4 == 0:
            for x in range(0, stride, bpp * 4):
                colours.add(bytes(line[x : x + 3]))
        prev = line
    return width, height, len(colours)


def main():
    chromium, report, outdir = sys.argv[1:4]
    url = "file://" + os.path.abspath(report)
    b = Browser(chromium)
    out = {}
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        b.session = b.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.send(domain + ".enable")
        b.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        b.send("Page.navigate", {"url": url})
        b.wait(lambda m: m.get("method") == "Page.loadEventFired", "load")
        time.sleep(0.3)
        out["dom"] = b.evaluate(DOM)
        shot = base64.b64decode(b.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"])
        path = os.path.join(outdir, "report.png")
        with open(path, "wb") as f:
            f.write(shot)
        w, h, n = png_colours(shot)
        out["screenshot"] = {"path": path, "width": w, "height": h, "colours": n}
        out["print"] = {}
        b.send("Emulation.setEmulatedMedia", {"media": "print"})
        # Printable width at 96 px an inch with the report's 12 mm margins.
        for paper, (pw, ph) in {"a4": (8.27, 11.69), "letter": (8.5, 11.0)}.items():
            width = int((pw - 2 * 12 / 25.4) * 96)
            b.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
            time.sleep(0.2)
            overflow = b.evaluate(OVERFLOW)
            pdf = b.send("Page.printToPDF", {"paperWidth": pw, "paperHeight": ph, "printBackground": True})["data"]
            path = os.path.join(outdir, f"report-{paper}.pdf")
            with open(path, "wb") as f:
                f.write(base64.b64decode(pdf))
            out["print"][paper] = {"width": width, "overflow": overflow, "pdf": path}
        b.send("Emulation.setEmulatedMedia", {"media": "screen", "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        b.send("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        out["dark_background"] = b.evaluate("getComputedStyle(document.body).backgroundColor")
        time.sleep(0.2)
    finally:
        b.close()
    console, exceptions, requests, dialogs = [], [], [], []
    for e in b.events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
            console.append(p["type"] + ": " + " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", [])))
        elif m == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
            console.append(p["entry"]["level"] + ": " + p["entry"]["text"])
        elif m == "Runtime.exceptionThrown":
            exceptions.append(p["exceptionDetails"].get("text", "") + " " + json.dumps(p["exceptionDetails"].get("exception", {}).get("description", "")))
        elif m == "Network.requestWillBeSent" and p["request"]["url"] != url:
            requests.append(p["request"]["url"])
        elif m == "Page.javascriptDialogOpening":
            dialogs.append(p.get("message", ""))
    out.update(console=console, exceptions=exceptions, requests=requests, dialogs=dialogs)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
