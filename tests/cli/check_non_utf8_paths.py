#!/usr/bin/python3
"""Paths that are not UTF-8 (Linux allows any bytes in a name) reach the
result files: every tool writes its report, its outputs file and its profile
with U+FFFD for the bad bytes, instead of running to the end and then failing
("invalid UTF-8 byte") without writing anything.

    check_non_utf8_paths.py APS_GOLDEN APS_CALIBRATE MODELS WORK [APS_SIM]
"""
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET


def run(args, what):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        sys.exit(f"FAILED: {what}: exit {r.returncode}: {r.stderr.decode(errors='replace').strip()}")


def check_json(path, what, field=None):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"FAILED: {what}: {path} is not a JSON file: {e}")
    if field and "\ufffd" not in json.dumps(doc.get(field), ensure_ascii=False):
        sys.exit(f"FAILED: {what}: '{field}' does not show the bad byte as U+FFFD: {doc.get(field)!r}")


def main():
    golden, calibrate, models, work = (os.fsencode(a) for a in sys.argv[1:5])
    sim = os.fsencode(sys.argv[5]) if len(sys.argv) > 5 else None
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    mlp = os.path.join(models, b"digits_mlp")
    data = os.path.join(work, b"test \xff set")  # a Latin-1 name: not UTF-8
    shutil.copytree(os.path.join(mlp, b"test_data_set_0"), data)
    model = os.path.join(work, b"mod\xe9le.onnx")
    shutil.copy(os.path.join(mlp, b"model_int8.onnx"), model)

    report, outputs = os.path.join(work, b"eval.json"), os.path.join(work, b"outputs.json")
    run([golden, b"eval", b"--model", model, b"--data", data, b"--report", report, b"--outputs", outputs],
        "aps-golden eval")
    check_json(report, "aps-golden eval --report", "data")
    check_json(outputs, "aps-golden eval --outputs")

    profile = os.path.join(work, b"mod\xe9le.profile.onnx")
    run([calibrate, b"--model", model, b"--data", os.path.join(mlp, b"calibration"), b"--output", profile],
        "aps-calibrate")
    run([golden, b"eval", b"--model", model, b"--data", data, b"--profile", profile, b"--engine", b"program",
         b"--policy", b"adaptive"], "aps-golden eval with that profile")

    if sim:
        report, junit = os.path.join(work, b"sim.json"), os.path.join(work, b"sim.xml")
        run([sim, b"--model", model, b"--data", data, b"--count", b"2", b"--report", report, b"--junit", junit],
            "aps-sim")
        check_json(report, "aps-sim --report", "data")
        try:
            suite = ET.parse(junit).getroot()
        except ET.ParseError as e:
            sys.exit(f"FAILED: aps-sim --junit is not well-formed XML: {e}")
        if "\ufffd" not in suite.get("name", ""):
            sys.exit(f"FAILED: aps-sim --junit: the suite name does not show the bad byte as U+FFFD: {suite.get('name')!r}")
    print("ok: every result file written, the bad bytes as U+FFFD")


if __name__ == "__main__":
    main()
