#!/usr/bin/python3
"""The GTKWave save file aps-sim --trace-on-fail writes: it names the trace,
every signal it lists is in the trace, the groups a failing layer is read
with are there, and the marker sits at the replay's failing cycle (from the
JSON report), inside the trace's time stamps. Then GTKWave itself loads it
(under xvfb-run, a Tcl probe): every listed signal and group is on screen and
the marker is where the file put it.

    check_gtkw.py REPORT.json
"""

import json
import os
import re
import subprocess
import sys
import tempfile

from check_trace import vcd_names_and_times


def main():
    with open(sys.argv[1]) as f:
        report = json.load(f)
    trace, view, marker = report["trace_on_fail"], report["trace_on_fail_view"], report["trace_on_fail_marker_cycle"]
    with open(view) as f:
        text = f.read()
    problems = []
    dump = re.search(r'^\[dumpfile\] "(.*)"$', text, re.M)
    if not dump or not dump.group(1).endswith(trace.split("/")[-1]):
        problems.append(f"[dumpfile] does not name {trace}")
    names, times = vcd_names_and_times(trace, ranges=True)
    listed = [l for l in text.splitlines() if l.startswith("aps.")]
    missing = [l for l in listed if l not in names]
    if missing:
        problems.append(f"signals not in the trace: {missing[:5]}")
    for group in ("Host port", "Memory port", "Sequencer", "PE array", "Writeback and requantization", "Monitor"):
        if f"-{group}\n" not in text:
            problems.append(f"group '{group}' missing")
    star = re.search(r"^\*-?[0-9.]+ (-?\d+) ", text, re.M)
    if not star or int(star.group(1)) != 2 * marker:
        problems.append(f"marker {star and star.group(1)} is not at 2 x cycle {marker}")
    elif not (min(times) <= 2 * marker <= max(times)):
        problems.append(f"marker {2 * marker} outside the trace's times {min(times)}..{max(times)}")
    groups = text.count("@800200\n")
    with tempfile.TemporaryDirectory() as scratch:
        probe = os.path.join(scratch, "probe.tcl")
        with open(probe, "w") as f:
            f.write('puts "APS_VIEW [gtkwave::getTotalNumTraces] [gtkwave::getMarker]"\ngtkwave::/File/Quit\n')
        try:
            out = subprocess.run(["xvfb-run", "-a", "gtkwave", "-S", probe, view], stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=120).stdout
        except (OSError, subprocess.TimeoutExpired) as e:
            out = ""
            problems.append(f"gtkwave under xvfb-run did not run: {e}")
    seen = re.search(r"APS_VIEW (\d+) (-?\d+)", out)
    if not seen:
        problems.append(f"gtkwave did not load the view: {out[-300:]}")
    elif (int(seen.group(1)), int(seen.group(2))) != (len(listed) + 2 * groups, 2 * marker):
        problems.append(f"gtkwave shows {seen.group(1)} traces and marker {seen.group(2)}, "
                        f"expected {len(listed) + 2 * groups} and {2 * marker}")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"{view}: ok, {len(listed)} signals, marker at {2 * marker}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
