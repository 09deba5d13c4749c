#!/usr/bin/python3
"""aps-report: one self-contained HTML page of a run, for people.

    aps-report -o REPORT.html RUN [RUN ...]

RUN is an aps-sim --report JSON file, or an aps-farm run folder (its
merged.json). The page has the summary, the failures with their reproduce
lines and links to their traces and GTKWave views, per-layer cycles and PE
utilization, the width histogram and precision maps of adaptive runs,
accuracy against bits and cycles over the runs given, and the coverage
summary when a run has one (--coverage FILE.json). Data and charts are
inlined: the page loads nothing from anywhere.
"""

import argparse
import datetime
import json
import os
import sys
from html import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "farm"))

from run_folder import COVERAGE_SUMMARY, MERGED_REPORT  # noqa: E402
from output_paths import OutputPathError, check_outputs_apart, write_whole  # noqa: E402
from python_tool import ArgumentParser, run_tool  # noqa: E402
from svg_charts import bar_chart, scatter  # noqa: E402

STYLE = """body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px;overflow-wrap:anywhere}
th{background:#eef2f7;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:#b00020;font-weight:bold}.pass{color:#1b7f2a;font-weight:bold}code{background:#f4f4f4;padding:1px 4px}
h2{border-bottom:1px solid #ccc;padding-bottom:2px;margin-top:28px}"""


def load_run(path):
    if os.path.isdir(path):
        merged = os.path.join(path, MERGED_REPORT)
        if not os.path.exists(merged):
            raise SystemExit(f"aps-report: {path}: an aps-farm folder without {MERGED_REPORT} (run aps-farm merge)")
        path = merged
    try:
        with open(path) as f:
            run = json.load(f)
    except (OSError, ValueError) as e:  # ValueError: not JSON, or not text
        raise SystemExit(f"aps-report: {path}: cannot read the run report: {e}")
    # A regression's report, or a data set's (a run stopped early has its
    # error and the input it stopped at instead of the figures; aps-bench's
    # figures name a model and data too, but compare nothing).
    if not isinstance(run, dict) or not ({"networks", "cases"} <= run.keys() or
                                         {"model", "data", "inputs", "mismatches"} <= run.keys()):
        raise SystemExit(f"aps-report: {path}: not a report of aps-sim or aps-farm")
    run["_source"] = path
    run.setdefault("kind", "regression" if "networks" in run else "data_set")
    return run


class Cell(str):
    """A table cell the page built itself (markup, not text from a report)."""


def cell(v, numeric=False):
    if isinstance(v, float):
        # Four significant digits below 1000; whole numbers from there (9999.5 read "1e+04").
        text = f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    elif isinstance(v, int):
        text = f"{v:,}"
    else:
        text = escape(str(v))
    return f'<td class="n">{text}</td>' if numeric or isinstance(v, (int, float)) else f"<td>{text}</td>"


def table(headers, rows, table_id=None):
    idattr = f' id="{table_id}"' if table_id else ""
    out = [f"<table{idattr}><tr>" + "".join(f"<th>{escape(h)}</th>" for h in headers) + "</tr>"]
    for r in rows:
        out.append("<tr>" + "".join(c if isinstance(c, Cell) else cell(c) for c in r) + "</tr>")
    out.append("</table>")
    return "".join(out)


def figure_of(run):
    if run.get("task") == "anomaly_detection":
        return "ROC AUC", run.get("auc"), run.get("golden_auc")
    return "accuracy", run.get("accuracy"), run.get("golden_accuracy")


def passed(run):
    """aps-sim's and aps-farm's rule: nothing failed, and something was compared."""
    compared = run.get("elements_compared", 0) > 0
    if run["kind"] == "regression":
        return run.get("failed", 1) == 0 and compared and not run.get("problems") and not run.get("error")
    return run.get("mismatches", 1) == 0 and run.get("failed_inputs", 1) == 0 and compared \
        and not run.get("problems") and not run.get("error")


def link(path, base):
    rel = os.path.relpath(path, base) if os.path.isabs(path) else path
    return f'<a href="{escape(rel)}">{escape(os.path.basename(path))}</a>'


def shards_text(run):
    """A farm run's shards as "merged of submitted" when some are missing."""
    shards, merged = run.get("shards", 1), run.get("shards_merged", run.get("shards", 1))
    return shards if merged == shards else f"{merged} of {shards}"


def summary_section(runs):
    rows = []
    for i, r in enumerate(runs):
        status = Cell('<td class="pass">passed</td>' if passed(r) else '<td class="fail">FAILED</td>')
        if r["kind"] == "regression":
            rows.append([f"run {i + 1}", status, "regression", "–" if r.get("seed") is None else f"seed {r['seed']}",
                         r["networks"],
                         r.get("failed", "–"), r.get("elements_compared", 0), "–", "–", "–", shards_text(r)])
        else:
            name, rtl, golden = figure_of(r)
            fig = "–" if rtl is None else f"{rtl:.4f} RTL / {golden:.4f} golden ({name})"
            setting = " ".join(part for part in (r.get("precision", ""), r.get("policy_options", "")) if part)
            rows.append([f"run {i + 1}", status, os.path.basename(r.get("model", "")), setting,
                         r["inputs"], r.get("failed_inputs", 0), r.get("elements_compared", 0), fig,
                         r.get("avg_bits", 0.0), r.get("cycles_per_inference", 0.0), shards_text(r)])
    return "<h2>Summary</h2>" + table(
        ["run", "result", "model", "precision", "inputs / networks", "failed", "elements compared", "figure",
         "avg bits", "cycles / inference", "shards"], rows, "summary")


def failures_section(runs, base):
    items = []
    for i, r in enumerate(runs):
        before = len(items)
        for p in r.get("problems", []):
            items.append(f"<li>run {i + 1}: {escape(p)}</li>")
        if r.get("error"):
            items.append(f"<li>run {i + 1}: stopped: {escape(str(r['error']))}"
                         + (f"<br><code>{escape(r['reproduce'])}</code>" if r.get("reproduce") else "") + "</li>")
        if r["kind"] == "regression":
            for c in r.get("cases", []):
                if not c.get("passed", True):
                    items.append(f"<li>run {i + 1}: <b>{escape(c['name'])}</b>: {escape(c.get('failure', ''))}<br>"
                                 f"<code>{escape(c.get('reproduce', ''))}</code></li>")
        elif r.get("first_mismatch"):
            m = r["first_mismatch"]
            links = [link(r[k], base) for k in ("trace_on_fail", "trace_on_fail_view") if r.get(k)]
            items.append(f"<li>run {i + 1}: {escape(m.get('message', ''))}<br><code>{escape(r.get('reproduce') or m.get('reproduce') or '')}"
                         f"</code>{'<br>traces: ' + ', '.join(links) if links else ''}</li>")
        if not passed(r) and len(items) == before and r.get("elements_compared", 0) == 0:
            items.append(f"<li>run {i + 1}: nothing was compared (no input or case ran)</li>")
    body = "<ul id=\"failures\">" + "".join(items) + "</ul>" if items else '<p id="failures">No failures.</p>'
    return "<h2>Failures</h2>" + body


def layers_section(run, index):
    layers = run.get("layers") or []
    if not layers:
        return ""
    array = run.get("array") or {}
    pes = array.get("rows", 0) * array.get("cols", 0)
    hist = run.get("width_histogram", {})
    reruns = any(l.get("rerun_cycles_per_inference", 0) for l in layers)
    rows, names, cycles = [], [], []
    for l in layers:
        widths = hist.get(l["name"])
        bits = (sum(int(w) * n for w, n in widths.items()) / sum(widths.values())) if widths else None
        ideal = l["macs"] * bits / pes if bits and pes and l.get("macs") else None
        util = f"{100 * ideal / l['cycles_per_inference']:.0f} %" if ideal and l["cycles_per_inference"] else "–"
        rows.append([l["name"], l["kind"], l.get("macs", 0), "–" if bits is None else bits, l["cycles_per_inference"],
                     "–" if ideal is None else ideal, util, l.get("bytes_moved_per_inference", 0.0),
                     l.get("memory_stall_cycles_per_inference", 0.0)]
                    + ([l.get("rerun_cycles_per_inference", 0.0)] if reruns else []))
        names.append(l["name"])
        cycles.append(l["cycles_per_inference"])
    shape = f"{array.get('rows')}x{array.get('cols')} array" if pes else "array size not in the report"
    return (f"<h2>Per-layer cycles and utilization (run {index + 1}, {shape})</h2>"
            + table(["layer", "kind", "MACs", "bits", ("first-pass " if reruns else "") + "cycles / inference", "ideal",
                     "utilization", "bytes moved",
                     "memory stall cycles"] + (["re-run cycles / inference"] if reruns else []), rows, f"layers-{index + 1}")
            + bar_chart(names, cycles, unit=" cycles"))


def widths_section(run, index):
    hist = run.get("width_histogram") or {}
    maps = run.get("precision_maps") or []
    if not hist:
        return ""
    widths = sorted({int(w) for h in hist.values() for w in h}, reverse=True)
    rows = [[layer] + [h.get(str(w), 0) for w in widths] for layer, h in hist.items()]
    counts = {}
    for m in maps:
        counts[m] = counts.get(m, 0) + 1
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:20]
    return (f"<h2>Widths (run {index + 1})</h2>" + table(["layer"] + [f"{w} bits" for w in widths], rows,
                                                         f"widths-{index + 1}")
            + (table(["precision map", "inputs"], [[m, n] for m, n in top], f"maps-{index + 1}") if top else ""))


def tradeoff_section(runs):
    pts_bits, pts_cycles = [], []
    for i, r in enumerate(runs):
        if r["kind"] != "data_set":
            continue
        _, rtl, _ = figure_of(r)
        if rtl is None:
            continue
        label = f"run {i + 1} {r.get('precision', '')}"[:28]
        pts_bits.append((r.get("avg_bits", 0.0), rtl, label))
        pts_cycles.append((r.get("cycles_per_inference", 0.0), rtl, label))
    if not pts_bits:
        return ""
    return ("<h2>Accuracy against bits and cycles</h2>" + scatter(pts_bits, "MAC-weighted bits", "figure")
            + scatter(pts_cycles, "cycles per inference", "figure"))


def coverage_section(coverage, of=None, index=0):
    """One coverage summary; `of` names whose (a farm folder) when the page has
    several, and `index` numbers the ids of the second and later ones."""
    if not coverage:
        return '<h2>Coverage</h2><p id="coverage">No coverage was collected for these runs.</p>'
    suffix = f"-{index + 1}" if index else ""
    def row(name, g):
        return [name, g["hit"], g["total"], f"{100 * g['hit'] / g['total']:.1f} %" if g["total"] else "–"]
    rows = [row(g["group"], g) for g in coverage.get("groups", [])]
    rows += [row(f"{k['kind']} (structural)", k) for k in coverage.get("structural", [])]
    f = coverage.get("functional")
    head = (f"<p>Functional points hit: {f['hit']} of {f['total']} ({f['percent']:.1f} %).</p>" if f else "")
    holes = "".join(f"<li><code>{escape(h['point'])}</code>: {escape(h.get('reason') or 'not explained')}</li>"
                    for h in coverage.get("holes", []))
    title = "Coverage" + (f" of <code>{escape(of)}</code>" if of else "")
    return (f"<h2>{title}</h2>" + head + table(["group", "points hit", "points", "hit"], rows, f"coverage{suffix}")
            + (f"<p>Functional points not hit:</p><ul id=\"holes{suffix}\">{holes}</ul>" if holes else "<p>No holes.</p>"))


def render(runs, out_path, coverages=()):
    """coverages: [(whose, summary)], one per farm folder or --coverage file."""
    base = os.path.dirname(os.path.abspath(out_path))
    title = "APS run report"
    body = [f"<h1>{title}</h1>",
            f"<p>Written by aps-report on {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} from "
            + ", ".join(f"<code>{escape(r['_source'])}</code>" for r in runs) + ".</p>",
            summary_section(runs), failures_section(runs, base)]
    for i, r in enumerate(runs):
        body.append(layers_section(r, i))
        body.append(widths_section(r, i))
    body.append(tradeoff_section(runs))
    for i, (of, summary) in enumerate(coverages or [(None, None)]):
        body.append(coverage_section(summary, of if len(coverages) > 1 else None, i))
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{STYLE}</style></head><body>" + "".join(body) + "</body></html>\n")


def run_inputs(path):
    """The files aps-report reads for one RUN argument."""
    if os.path.isdir(path):
        return [os.path.join(path, MERGED_REPORT), os.path.join(path, COVERAGE_SUMMARY)]
    return [path]


# What a field of another type or a missing one raises while the page is rendered.
RENDER_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, ArithmeticError)


def check_renders(what, render_one):
    """A report or summary whose fields have other types than aps-sim and
    aps-coverage write is refused naming its file, not with a traceback."""
    try:
        render_one()
    except RENDER_ERRORS as e:
        raise SystemExit(f"aps-report: {what}: a field has an unexpected type or is missing "
                         f"({type(e).__name__}: {e})")


def read_coverage(source):
    try:
        with open(source) as f:
            coverage = json.load(f)
    except (OSError, ValueError) as e:
        raise SystemExit(f"aps-report: {source}: cannot read the coverage summary: {e}")
    # What aps-coverage summary writes: a run's report (a dict too) is not one.
    if not isinstance(coverage, dict) or not all(isinstance(coverage.get(k), t) for k, t in
                                                 (("groups", list), ("functional", dict), ("holes", list))):
        raise SystemExit(f"aps-report: {source}: not a coverage summary (aps-coverage summary --json)")
    return coverage


def main(argv=None):
    p = ArgumentParser(prog="aps-report", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("-o", "--output", required=True, help="the HTML file to write")
    p.add_argument("--coverage", help="a coverage summary (aps-coverage summary --json, or an aps-farm run's coverage.json)")
    p.add_argument("runs", nargs="+", help="aps-sim --report files or aps-farm run folders")
    a = p.parse_args(argv)
    inputs = [("RUN", f) for r in a.runs for f in run_inputs(r)] + [("--coverage", a.coverage)]
    try:
        check_outputs_apart(inputs, [("-o", a.output)])
    except OutputPathError as e:
        raise SystemExit(f"aps-report: {e}")
    runs = [load_run(r) for r in a.runs]
    # An aps-farm folder run with --coverage brings its own summary.
    farm_coverage = [os.path.join(r, COVERAGE_SUMMARY) for r in a.runs
                     if os.path.isdir(r) and os.path.exists(os.path.join(r, COVERAGE_SUMMARY))]
    # Every farm folder's own summary, each shown under its folder's name (--coverage: that one alone).
    sources = [a.coverage] if a.coverage else farm_coverage
    coverages = [(source, read_coverage(source)) for source in sources]
    try:
        html = render(runs, a.output, coverages)
    except RENDER_ERRORS:
        # Only when the page fails: find the file to name by rendering each alone.
        for source, coverage in coverages:
            check_renders(source, lambda: coverage_section(coverage))
        for r in runs:
            check_renders(r["_source"], lambda: render([r], a.output))
        raise
    try:
        write_whole(a.output, html)
    except OutputPathError as e:
        raise SystemExit(f"aps-report: {e}")
    print(f"aps-report: {a.output} ({len(runs)} runs, {len(html.encode(errors='surrogateescape'))} bytes)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(run_tool("aps-report", main))
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise
