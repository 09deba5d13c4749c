#!/bin/sh
# --trace-on-fail names its trace after the failure (aps-fail-input0-layer0.vcd
# and .gtkw in the working folder). A model or a report that already has one
# of those names keeps it: the trace takes the next free name instead.
#   check_trace_name_apart.sh FAULTY_APS_SIM MODEL DATA WORKDIR
set -u
sim=$1 model=$2 data=$3 work=$4
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
cp "$model" aps-fail-input0-layer0.gtkw
"$sim" --model aps-fail-input0-layer0.gtkw --data "$data" --count 2 --trace-on-fail \
    --report aps-fail-input0-layer0-2.vcd > out.txt 2>&1
rc=$?
[ $rc -eq 1 ] || { cat out.txt; echo "FAILED: exit $rc, expected 1 (the planted mismatch)"; exit 1; }
cmp -s "$model" aps-fail-input0-layer0.gtkw || { echo "FAILED: the trace's view was written over the model"; exit 1; }
grep -q '"mismatches"' aps-fail-input0-layer0-2.vcd || { echo "FAILED: the trace was written over the report"; exit 1; }
grep -q "trace of layer 0 .*: aps-fail-input0-layer0-3.vcd" out.txt ||
    { cat out.txt; echo "FAILED: the trace does not take the next free name"; exit 1; }
[ -s aps-fail-input0-layer0-3.vcd ] && [ -s aps-fail-input0-layer0-3.gtkw ] ||
    { echo "FAILED: the trace and its view were not written"; exit 1; }
echo "ok: the model and the report kept their names, the trace took aps-fail-input0-layer0-3.vcd"
