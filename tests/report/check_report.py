#!/usr/bin/python3
"""aps-report's page in a real browser: headless Chromium (Debian's
chromium) loads it with no console errors, its tables hold the runs'
numbers, it references nothing outside itself, and a screenshot is written.
The console check is shown to catch a page that throws.

    check_report.py APS_REPORT APS_SIM APS_SIM_FAULT MODELS WORK
"""

import html.parser
import json
import os
import re
import subprocess
import sys

problems = []


def run(cmd, expect=None):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    if expect is not None and r.returncode != expect:
        problems.append(f"{' '.join(cmd[:3])}...: exit {r.returncode}, expected {expect}:\n{r.stdout[-800:]}")
    return r


def chromium(*args):
    for exe in ("chromium", "chromium-browser"):
        try:
            return subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
                                   "--v=0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  timeout=120)
        except FileNotFoundError:
            continue
    sys.exit("FAILED: chromium not found (Debian package chromium; ./quickstart installs it)")


def console_errors(stderr):
    return [l for l in stderr.splitlines() if ":CONSOLE" in l]


class Cells(html.parser.HTMLParser):
    """The text of every <td> of the table with the given id."""

    def __init__(self, table_id):
        super().__init__()
        self.table_id, self.inside, self.depth, self.cells, self.cur = table_id, False, 0, [], None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        if self.inside and tag == "td":
            self.cur = ""

    def handle_endtag(self, tag):
        if self.inside and tag == "td" and self.cur is not None:
            self.cells.append(self.cur.strip())
            self.cur = None
        if tag == "table":
            self.inside = False

    def handle_data(self, data):
        if self.cur is not None:
            self.cur += data


def cells(dom, table_id):
    p = Cells(table_id)
    p.feed(dom)
    return p.cells


def main():
    report_cmd, sim, fault_sim, models, work = sys.argv[1:6]
    os.makedirs(work, exist_ok=True)
    data = ["--data", f"{models}/digits_cnn/test_data_set_0", "--count", "40"]
    runs = []
    for precision in ("8", "map:8,4,4"):
        path = f"{work}/run_{precision.replace(':', '_').replace(',', '')}.json"
        run([sim, "--model", f"{models}/digits_cnn/model_int8.onnx", *data, "--precision", precision, "--report", path], 0)
        runs.append(path)
    fail = f"{work}/fail.json"
    run([fault_sim, "--model", f"{models}/digits_mlp/model_int8.onnx", "--data", f"{models}/digits_mlp/test_data_set_0",
         "--count", "2", "--trace-on-fail", "--trace", f"{work}/fail.vcd", "--report", fail], 1)
    runs.append(fail)
    page = f"{work}/report.html"
    run([report_cmd, "-o", page, *runs], 0)
    with open(page) as f:
        text = f.read()

    # Self-contained: no script, stylesheet, image or link fetched from elsewhere.
    external = re.findall(r'(?:src|href)="(?:https?:)?//[^"]*"', text) + re.findall(r"@import|url\(", text)
    if external:
        problems.append(f"the page references outside resources: {external[:3]}")

    loaded = chromium("--dump-dom", "file://" + os.path.abspath(page))
    errors = console_errors(loaded.stderr)
    if loaded.returncode != 0 or errors:
        problems.append(f"chromium: exit {loaded.returncode}, console: {errors[:3]}")
    dom = loaded.stdout
    summary = cells(dom, "summary")
    for i, path in enumerate(runs):
        with open(path) as f:
            r = json.load(f)
        row = summary[i * 11:(i + 1) * 11]
        want = {"inputs": f"{r['inputs']:,}", "elements": f"{r['elements_compared']:,}",
                "figure": f"{r['accuracy']:.4f} RTL / {r['golden_accuracy']:.4f} golden",
                "result": "passed" if r["mismatches"] == 0 else "FAILED"}
        for what, value in want.items():
            if not any(value in c for c in row):
                problems.append(f"summary row {i + 1} lacks {what} {value!r}: {row}")
        layer_cells = cells(dom, f"layers-{i + 1}")
        for layer in r["layers"]:
            if layer["name"] not in layer_cells or f"{layer['cycles_per_inference']:,.0f}" not in layer_cells:
                problems.append(f"layer table {i + 1} lacks {layer['name']} at {layer['cycles_per_inference']} cycles")
    if "fail.gtkw" not in dom or f"{os.path.basename(fault_sim)} --model" not in dom:
        problems.append("the failure lacks its reproduce line or its GTKWave view link")

    # Names from a model are text: markup in a layer or model name is shown as
    # written, never run or parsed (it once passed through as a table cell).
    with open(runs[0]) as f:
        hostile = json.load(f)
    planted = '<td><script>document.title="PWNED"</script><b id="planted">x</b>'
    hostile["model"] = 'models/m <&">.onnx'
    for layer in hostile["layers"]:
        layer["name"] = planted + layer["name"]
    hostile_json, hostile_page = f"{work}/hostile.json", f"{work}/hostile.html"
    with open(hostile_json, "w") as f:
        json.dump(hostile, f)
    run([report_cmd, "-o", hostile_page, hostile_json], 0)
    shown = chromium("--dump-dom", "file://" + os.path.abspath(hostile_page)).stdout
    if "PWNED" in re.findall(r"<title>(.*?)</title>", shown, re.S)[0] or '<b id="planted">' in shown:
        problems.append("markup in a layer name ran or was parsed as part of the page")
    if planted + hostile["layers"][0]["name"][len(planted):] not in cells(shown, "layers-1"):
        problems.append(f"a layer name with markup is not shown as written: {cells(shown, 'layers-1')[:2]}")
    if 'm <&">.onnx' not in cells(shown, "summary"):
        problems.append(f"the model name is not shown as written: {cells(shown, 'summary')[:4]}")

    shot = f"{work}/report.png"
    if os.path.exists(shot):
        os.remove(shot)
    taken = chromium("--window-size=1300,2000", f"--screenshot={shot}", "file://" + os.path.abspath(page))
    if taken.returncode != 0 or not os.path.exists(shot) or os.path.getsize(shot) < 10000:
        problems.append(f"no screenshot at {shot}")

    # A file that is not a run report: one line naming it, exit 2, no page.
    junk = f"{work}/not_a_report.json"
    with open(junk, "w") as f:
        f.write("{ not json")
    r = run([report_cmd, "-o", f"{work}/junk.html", junk], 2)
    if "not_a_report.json: cannot read the run report" not in r.stdout or os.path.exists(f"{work}/junk.html"):
        problems.append(f"a broken run report was not refused by name: {r.stdout!r}")

    # The console check can fail: a page that throws is caught.
    bad = f"{work}/throws.html"
    with open(bad, "w") as f:
        f.write('<!DOCTYPE html><html><body><script>throw new Error("planted");</script></body></html>')
    if not console_errors(chromium("--dump-dom", "file://" + os.path.abspath(bad)).stderr):
        problems.append("the console check missed a page that throws")

    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: {page} loads in chromium without console errors; screenshot {shot}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
