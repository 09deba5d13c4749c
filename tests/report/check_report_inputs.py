#!/usr/bin/python3
"""aps-report on what it may be handed besides a finished run: the report of
a run the watchdog stopped (shown as FAILED, with the error and the line that
re-runs the input; the run's JUnit file, in place of an earlier one, holds
the input's failure), JSON of another kind or with fields of other types, a
path it cannot write and a page that names one of its inputs (one line naming
the file, exit 2, no page written and every input as it was).

    check_report_inputs.py APS_REPORT APS_SIM_HANG MODELS WORK
"""

import json
import os
import subprocess
import sys

problems = []


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    print(f"$ {' '.join(cmd)}  (exit {r.returncode})\n{r.stdout.strip()}")
    return r


def main():
    report, hang_sim, models, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    stopped = os.path.join(work, "stopped.json")
    junit = os.path.join(work, "stopped.xml")
    with open(junit, "w") as f:
        f.write("an earlier run's file\n")
    r = run([hang_sim, "--model", f"{models}/digits_mlp/model_int8.onnx", "--data",
             f"{models}/digits_mlp/test_data_set_0", "--count", "1", "--max-cycles", "30000", "--report", stopped,
             "--junit", junit])
    if r.returncode != 3:
        problems.append(f"the hung run exited {r.returncode}, not 3 (the watchdog)")
    xml = open(junit).read()
    if 'name="input 0"' not in xml or '<failure message="input 0: the accelerator did not finish' not in xml:
        problems.append("the stopped run's JUnit file does not hold input 0's failure")
    page = os.path.join(work, "stopped.html")
    r = run([report, "-o", page, stopped])
    text = open(page).read() if r.returncode == 0 and os.path.exists(page) else ""
    for words in ('<td class="fail">FAILED</td>', "stopped: input 0: the accelerator did not finish",
                  "--first 0 --count 1"):
        if words not in text:
            problems.append(f"the stopped run's page lacks {words!r}")

    samples = {"a list": [1, 2], "a coverage summary": {"functional": {"hit": 1, "total": 2}, "groups": []},
               "an eval --outputs file": {"model": "m.onnx", "engine": "onnx", "samples": []},
               "an aps-bench --json file": {"model": "m.onnx", "data": "d", "inputs": 4, "repeats": 1, "rows": []}}
    for what, content in samples.items():
        path = os.path.join(work, what.replace(" ", "_") + ".json")
        with open(path, "w") as f:
            json.dump(content, f)
        out = os.path.join(work, "never.html")
        r = run([report, "-o", out, path])
        if r.returncode != 2 or r.stdout.strip() != f"aps-report: {path}: not a report of aps-sim or aps-farm" or \
                os.path.exists(out):
            problems.append(f"{what}: expected one line naming the file, exit 2 and no page")
    run_report = json.load(open(stopped))

    def refused(what, cmd, words, untouched):
        before = {f: open(f).read() for f in untouched}
        r = run(cmd)
        lines = r.stdout.strip().splitlines()
        if r.returncode != 2 or len(lines) != 1 or words not in r.stdout:
            problems.append(f"{what}: expected one line with {words!r}, exit 2")
        for f, text in before.items():
            if open(f).read() != text:
                problems.append(f"{what}: {f} was changed")

    refused("a page named as its own run report", [report, "-o", stopped, stopped],
            "is the RUN input: the run would write over it", [stopped])
    summary = os.path.join(work, "summary.json")
    with open(summary, "w") as f:
        json.dump(samples["a coverage summary"], f)
    refused("a page named as its coverage summary", [report, "-o", summary, "--coverage", summary, stopped],
            "is the --coverage input", [summary, stopped])
    refused("a page named as a folder", [report, "-o", work, stopped], "it is a folder", [stopped])
    stale = os.path.join(work, "stale.html")
    with open(stale, "w") as f:
        f.write("an earlier page\n")
    wrong_type = os.path.join(work, "wrong_type.json")
    run_report["layers"] = "not a list"
    with open(wrong_type, "w") as f:
        json.dump(run_report, f)
    refused("a run report with a field of another type", [report, "-o", stale, wrong_type],
            f"{wrong_type}: a field has an unexpected type", [stale, wrong_type])
    for what, content in {"a coverage list": [1, 2], "coverage groups as text": {"groups": "x"},
                          "a run's report as the coverage": json.load(open(stopped))}.items():
        path = os.path.join(work, what.replace(" ", "_") + ".json")
        with open(path, "w") as f:
            json.dump(content, f)
        refused(what, [report, "-o", stale, "--coverage", path, stopped], path, [stale, path])

    missing = os.path.join(work, "no_such_folder", "r.html")
    r = run([report, "-o", missing, stopped])
    if r.returncode != 2 or len(r.stdout.strip().splitlines()) != 1 or "no_such_folder" not in r.stdout:
        problems.append("a page in a missing folder: expected one line naming it, exit 2")

    for p in problems:
        print(f"FAILED: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
