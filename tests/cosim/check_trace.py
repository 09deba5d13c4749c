#!/usr/bin/python3
"""Checks a waveform written by aps-sim: it opens in GTKWave's converters
(vcd2fst for .vcd, fst2vcd for .fst), holds the named signals, and its time
stamps stay inside the requested window of cycles (2 time units per cycle).

Usage: check_trace.py FILE START_CYCLE END_CYCLE SIGNAL...
  (SIGNAL: the tail of a hierarchical name, e.g. u_sequencer.state)
"""

import os
import re
import subprocess
import sys
import tempfile


def vcd_names_and_times(path, ranges=False):
    """Every signal a VCD declares (hierarchical names; with ranges=True the
    bit range appended as GTKWave writes it) and every time stamp."""
    names, times, scope = set(), [], []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            if words[0] == "$scope":
                scope.append(words[2])
            elif words[0] == "$upscope":
                scope.pop()
            elif words[0] == "$var":
                names.add(".".join(scope + [words[4]]) + (words[5] if ranges and words[5] != "$end" else ""))
            elif words[0].startswith("#"):
                times.append(int(words[0][1:]))
    return names, times


def main():
    path, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    signals = sys.argv[4:]
    with tempfile.TemporaryDirectory() as tmp:
        if path.endswith(".fst"):
            vcd = os.path.join(tmp, "from_fst.vcd")
            subprocess.run(["fst2vcd", "-f", path, "-o", vcd], check=True, stdout=subprocess.DEVNULL)
        else:
            vcd = path
            subprocess.run(["vcd2fst", "-v", path, "-f", os.path.join(tmp, "to.fst")], check=True,
                           stdout=subprocess.DEVNULL)
        names, times = vcd_names_and_times(vcd)
    # A signal is given as the tail of its hierarchical name, e.g. u_sequencer.state.
    missing = [s for s in signals if not any(n == s or n.endswith("." + s) for n in names)]
    if missing:
        sys.exit(f"{path}: signals missing: {missing}")
    if not times:
        sys.exit(f"{path}: no time stamps")
    if min(times) < 2 * start or max(times) >= 2 * end + 2:
        sys.exit(f"{path}: time stamps {min(times)}..{max(times)} leave the window of cycles [{start}, {end})")
    print(f"{path}: ok, {len(names)} signals, times {min(times)}..{max(times)}")


if __name__ == "__main__":
    main()
