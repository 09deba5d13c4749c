#!/bin/sh
# SIGINT during a regression: aps-sim regress must stop with exit 130 and
# write its report (marked interrupted, with the networks that finished) and
# JUnit file (with a failing "interrupted" case) in place of an earlier run's.
#   check_regress_signal.sh APS_SIM WORKDIR
set -u
sim=$1 work=$2
mkdir -p "$work"
echo "an earlier run's file" > "$work/regress.json"
echo "an earlier run's file" > "$work/regress.xml"
"$sim" regress --seed 3 --count 100000 --report "$work/regress.json" --junit "$work/regress.xml" \
    >/dev/null 2>"$work/regress.err" &
pid=$!
sleep 3
kill -INT $pid
wait $pid
rc=$?
cat "$work/regress.err"
[ "$rc" -eq 130 ] || { echo "expected exit 130, got $rc"; exit 1; }
grep -q '"error": "interrupted"' "$work/regress.json" || { echo "report not written"; exit 1; }
grep -q '<failure message="interrupted by signal 2"' "$work/regress.xml" || { echo "JUnit file not written"; exit 1; }
echo "ok: exit $rc, report and JUnit written"
