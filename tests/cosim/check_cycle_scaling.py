#!/usr/bin/python3
"""The precision-scalable datapath must make narrow layers faster: on a
compute-bound layer, 4 bits take at most 0.55x and 2 bits at most 0.3x the
cycles of 8 bits (cycles measured by the RTL's counters, which the
scoreboard also checked against the golden cycle model).

Usage: check_cycle_scaling.py REPORT8.json REPORT4.json REPORT2.json
"""

import json
import sys

c8, c4, c2 = (json.load(open(p))["cycles_per_inference"] for p in sys.argv[1:4])
r4, r2 = c4 / c8, c2 / c8
print(f"cycles: 8-bit {c8:.0f}, 4-bit {c4:.0f} ({r4:.3f}x), 2-bit {c2:.0f} ({r2:.3f}x)")
if r4 > 0.55 or r2 > 0.3:
    sys.exit("narrow precisions are not fast enough")
