#!/usr/bin/python3
"""Checks that the line aps-sim prints to re-run a failing input alone
reproduces the failure: runs the failing command, takes the report's
"reproduce" command, checks its seed is the one the input's accelerator
instance ran with, runs it with the same binary (in a scratch folder, for its
trace), and requires the same exit code and the same failure: the first
mismatch, or, for an input that stopped the run (the watchdog's exit 3, an RTL
assertion), the same error, a line printed on stderr that names that input and
its trace, and the trace written.
A reproduce line that drops an option the run used (the profile, a policy
setting) or adds one the policy refuses fails here.

Usage: check_reproduce.py BINARY REPORT.json ARG...   (ARG: the failing run's options)
"""

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile


def first_mismatch(output):
    """(the failing input's index in the data set, the 'first mismatch' text)."""
    m = re.search(r"first mismatch\s+input (\d+): (.*)", output)
    return (int(m.group(1)), m.group(2).strip()) if m else (None, None)


def comparable(text, first_in_run):
    """The mismatch as both runs must report it. The re-run's input runs
    first; where the original's did not, its cycles also counted the inputs
    before it (and the stalls they drew), so only what failed is compared."""
    return text if first_in_run else re.sub(r" at cycle \d+.*", "", text)


def value_of(words, option):
    """The word after `option` in a command line, or None without it."""
    return words[words.index(option) + 1] if option in words else None


def stop_error(doc):
    """A stopped run's error without the cycle it was seen at (an RTL
    assertion's, a memory port's), which differs between the run and the
    re-run on a fresh instance. Both name the input by its index in the data
    set."""
    return re.sub(r"\bcycle \d+", "cycle N", doc.get("error") or "")


def main():
    binary, report, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    run = subprocess.run([binary, *args, "--report", report], capture_output=True, text=True)
    if run.returncode not in (1, 3):
        sys.exit(f"the failing run exited {run.returncode}, not 1 or 3:\n{run.stdout}{run.stderr}")
    with open(report) as f:
        doc = json.load(f)
    stopped = "stopped_instance" in doc
    if run.returncode == 3 and not stopped:
        sys.exit(f"{report}: the watchdog stopped the run but the report names no stopped input")
    line = doc.get("reproduce")
    if not line:
        sys.exit(f"{report}: no reproduce line")
    words = shlex.split(line)
    # It names the build that failed (a planted fault's own command), so it
    # re-runs the failure, not the healthy RTL.
    if words[0] != os.path.basename(binary):
        sys.exit(f"the reproduce line does not start with {os.path.basename(binary)}: {line}")
    # The instance that ran the input drew its random state from seed + instance.
    seed = int(value_of(args, "--seed") or 1)
    want_seed = str(seed + doc.get("stopped_instance" if stopped else "first_mismatch_instance", -1))
    if value_of(words, "--seed") != want_seed:
        sys.exit(f"the reproduce line's seed is not {want_seed} (seed + the instance that ran the input): {line}")
    if stopped:
        # The report, the error and the line name the input by its index in the data set.
        index = doc["stopped_input"]
        first = int(value_of(args, "--first") or 0)
        count = int(value_of(args, "--count") or 1 << 62)
        if not first <= index < first + count:
            sys.exit(f"the stopped input {index} is not one the run ran (--first {first} --count {count})")
        if not (doc.get("error") or "").startswith(f"input {index}: "):
            sys.exit(f"the stopped run's error does not name input {index}: {doc.get('error')}")
        if value_of(words, "--first") != str(index) or value_of(words, "--trace") != f"aps-stopped-input{index}.vcd":
            sys.exit(f"the reproduce line does not re-run input {index} with its trace: {line}")
        if f"aps-sim: reproduce: {line}" not in run.stderr:
            sys.exit(f"the stopped run did not print its reproduce line:\n{run.stderr}")
    with tempfile.TemporaryDirectory() as scratch:
        again_report = os.path.join(scratch, "again.json")
        again = subprocess.run([binary, *words[1:], "--report", again_report], capture_output=True, text=True,
                               cwd=scratch)
        if again.returncode != run.returncode:
            sys.exit(f"the reproduce line exited {again.returncode}, not {run.returncode}: {line}\n"
                     f"{again.stdout}{again.stderr}")
        if stopped:
            trace = os.path.join(scratch, value_of(words, "--trace"))
            if not os.path.isfile(trace) or os.path.getsize(trace) == 0:
                sys.exit(f"the reproduce line of a stopped input wrote no trace: {line}")
            with open(again_report) as f:
                want, got = stop_error(doc), stop_error(json.load(f))
            if not want or want != got:
                sys.exit(f"the reproduce line stops differently:\n  run:        {want}\n  reproduced: {got}\n  line: {line}")
            print(f"reproduced: {got}")
            return
    index, want = first_mismatch(run.stdout)
    again_index, got = first_mismatch(again.stdout)
    first_in_run = index == int(value_of(args, "--first") or 0)
    if want is None or got is None or index != again_index or comparable(want, first_in_run) != comparable(got, first_in_run):
        sys.exit(f"the reproduce line fails differently:\n  run:        input {index}: {want}\n"
                 f"  reproduced: input {again_index}: {got}\n  line: {line}")
    if index != int(value_of(words, "--first")):
        sys.exit(f"the reproduce line does not re-run input {index}: {line}")
    print(f"reproduced: {got}")


if __name__ == "__main__":
    main()
