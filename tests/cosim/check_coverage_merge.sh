#!/bin/sh
# aps-coverage merge refuses what it cannot sum: a file cut short at a line
# boundary and another build's file (its points under another top module's
# name); summary refuses a --json path it cannot write before it
# prints. Each: one line naming the file, exit 2.
#   check_coverage_merge.sh APS_COVERAGE REGRESS.dat WORKDIR
set -u
tool=$1 dat=$2 work=$3
mkdir -p "$work"
head -n -10 "$dat" > "$work/cut.dat"
sed 's/aps\.aps_top\./aps.other_top./g' "$dat" > "$work/other_build.dat"
fail=0
for f in cut other_build; do
  out=$("$tool" merge -o "$work/merged_$f.dat" "$dat" "$work/$f.dat" 2>&1); rc=$?
  echo "$out"
  [ "$rc" -eq 2 ] && echo "$out" | grep -q "regress.dat and .*/$f.dat hold different points (.*): one is another build's coverage, or cut short" &&
    [ ! -e "$work/merged_$f.dat" ] || { echo "FAILED: $f.dat was merged (exit $rc)"; fail=1; }
done
out=$("$tool" summary "$dat" --json "$work/no_such_folder/s.json" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q "no_such_folder" ||
  { echo "FAILED: summary --json into a missing folder (exit $rc)"; fail=1; }
exit $fail
