#!/bin/sh
# SIGINT, SIGTERM and SIGHUP during a traced run: aps-sim must stop with exit 130,
# close the trace so that it is readable, and write its report and JUnit
# file (an earlier run's must not stand), which keeps what the inputs that
# finished before the signal found: their count, checks and accuracy, the
# golden model's over the same inputs.
#   check_signal.sh APS_SIM MODEL DATA WORKDIR INT|TERM [JOBS]
set -u
sim=$1 model=$2 data=$3 work=$4 sig=$5 jobs=${6:-1}
mkdir -p "$work" && rm -f "$work/sig.vcd" "$work/sig.json"
echo "an earlier run's file" > "$work/sig.xml"
"$sim" --model "$model" --data "$data" --count 100000 --jobs "$jobs" --trace "$work/sig.vcd" --report "$work/sig.json" \
    --junit "$work/sig.xml" >/dev/null 2>"$work/sig.err" &
pid=$!
# Wait until the trace has started, then interrupt.
for _ in $(seq 1 100); do [ -s "$work/sig.vcd" ] && break; sleep 0.1; done
sleep 0.5
kill -"$sig" $pid
wait $pid
rc=$?
cat "$work/sig.err"
[ "$rc" -eq 130 ] || { echo "expected exit 130, got $rc"; exit 1; }
vcd2fst -v "$work/sig.vcd" -f "$work/sig.fst" >/dev/null || { echo "trace unreadable after the signal"; exit 1; }
grep -q '"error": "interrupted"' "$work/sig.json" || { echo "report not written"; exit 1; }
grep -q '<failure message="interrupted"' "$work/sig.xml" || { echo "JUnit file not written"; exit 1; }
/usr/bin/python3 - "$work/sig.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
n = r.get("inputs", 0)
ev = r.get("evaluation", {})
finished = r.get("inputs_finished", [])
if not (n >= 1 and r["layers_compared"] % n == 0 and r["elements_compared"] % n == 0
        and ev["rtl"]["samples"] == n and ev["golden"]["samples"] == n and r.get("accuracy") is not None
        and len(finished) == n == len(r.get("precision_maps", [])) and finished == sorted(set(finished))):
    sys.exit(f"the report does not keep the finished inputs' results: inputs {n}, layers {r.get('layers_compared')}, "
             f"evaluation {ev}, finished {len(finished)}, maps {len(r.get('precision_maps', []))}")
print(f"ok: the report keeps the {n} inputs that finished")
PY
echo "ok: exit $rc, trace and report closed"
