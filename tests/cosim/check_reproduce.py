#!/usr/bin/python3
"""Checks that the line aps-sim prints to re-run a failing input alone
reproduces the failure: runs the failing command, takes the report's
"reproduce" command, runs it with the same binary (in a scratch folder, for
its trace), and requires the same exit code 1 and the same first mismatch.
A reproduce line that drops an option the run used (the profile, a policy
setting) or adds one the policy refuses fails here.

Usage: check_reproduce.py BINARY REPORT.json ARG...   (ARG: the failing run's options)
"""

import json
import re
import shlex
import subprocess
import sys
import tempfile


def first_mismatch(output):
    """The 'first mismatch' line's text, without the input's position in its
    run; the absolute cycle is kept only when the input ran first (it counts
    the cycles of the inputs before it, and the host's stalls)."""
    m = re.search(r"first mismatch\s+input (\d+): (.*)", output)
    if not m:
        return None
    text = m.group(2).strip()
    return text if m.group(1) == "0" else re.sub(r" at cycle \d+", "", text)


def main():
    binary, report, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    run = subprocess.run([binary, *args, "--report", report], capture_output=True, text=True)
    if run.returncode != 1:
        sys.exit(f"the failing run exited {run.returncode}, not 1:\n{run.stdout}{run.stderr}")
    with open(report) as f:
        line = json.load(f).get("reproduce")
    if not line:
        sys.exit(f"{report}: no reproduce line")
    words = shlex.split(line)
    if words[0] != "aps-sim":
        sys.exit(f"the reproduce line does not start with aps-sim: {line}")
    with tempfile.TemporaryDirectory() as scratch:
        again = subprocess.run([binary, *words[1:]], capture_output=True, text=True, cwd=scratch)
    if again.returncode != 1:
        sys.exit(f"the reproduce line exited {again.returncode}, not 1: {line}\n{again.stdout}{again.stderr}")
    want, got = first_mismatch(run.stdout), first_mismatch(again.stdout)
    if want is None or want != got:
        sys.exit(f"the reproduce line fails differently:\n  run:        {want}\n  reproduced: {got}\n  line: {line}")
    print(f"reproduced: {got}")


if __name__ == "__main__":
    main()
