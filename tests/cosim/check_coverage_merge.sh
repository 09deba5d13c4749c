#!/bin/sh
# aps-coverage merge refuses what it cannot sum: a file cut short at a line
# boundary and another build's file (its points under another top module's
# name); summary refuses a --json path it cannot write, and both refuse an
# output that names an input, before they print; neither lets a file that
# verilator_coverage cut short without a word (a full disk) replace a good
# merge or pass as annotated sources. Each: one line naming the file, exit 2,
# and every input and earlier output as it was.
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
cp "$dat" "$work/input.dat"
sum=$(cksum < "$work/input.dat")
mkdir -p "$work/a_folder"
refused() {  # WORDS COMMAND...: one line holding WORDS, exit 2, input.dat unchanged
  words=$1; shift
  out=$("$@" 2>&1); rc=$?
  echo "$out"
  [ "$rc" -eq 2 ] && [ "$(echo "$out" | wc -l)" -eq 1 ] && echo "$out" | grep -q -- "$words" &&
    [ "$(cksum < "$work/input.dat")" = "$sum" ] || { echo "FAILED: $* (exit $rc)"; fail=1; }
}
refused "--json .*input.dat is the IN.dat input" "$tool" summary "$work/input.dat" --json "$work/input.dat"
refused "-o .*input.dat is the IN.dat input" "$tool" merge -o "$work/input.dat" "$work/input.dat" "$dat"
refused "a_folder: cannot write, it is a folder" "$tool" summary "$work/input.dat" --json "$work/a_folder"
refused "--annotate .*input.dat: cannot write into it" "$tool" summary "$work/input.dat" --annotate "$work/input.dat"
# verilator_coverage exits 0 when its write fails on a full disk, leaving its
# file cut short; that file replaced the good one, and --annotate's cut
# files were left with exit 0. A stand-in on PATH does the same:
# the real tool's files, cut in half, and exit 0.
cp "$dat" "$work/copy.dat"
"$tool" merge -o "$work/good.dat" "$dat" "$work/copy.dat" > /dev/null || { echo "FAILED: merging two files"; fail=1; }
good=$(cksum < "$work/good.dat")
mkdir -p "$work/full_disk"
cat > "$work/full_disk/verilator_coverage" <<STANDIN
#!/bin/sh
# --write OUT IN... | --annotate DIR --annotate-min N IN
"$(command -v verilator_coverage)" "\$@" || exit 1
for f in "\$2" "\$2"/*; do
  [ -f "\$f" ] && head -c \$((\$(wc -c < "\$f") / 2)) "\$f" > "\$f.half" && mv "\$f.half" "\$f"
done
exit 0
STANDIN
chmod +x "$work/full_disk/verilator_coverage"
out=$(PATH="$work/full_disk:$PATH" "$tool" merge -o "$work/good.dat" "$dat" "$work/copy.dat" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q "good.dat is left as it was" && [ "$(cksum < "$work/good.dat")" = "$good" ] ||
  { echo "FAILED: a merge verilator_coverage cut short (exit $rc)"; fail=1; }
out=$(PATH="$work/full_disk:$PATH" "$tool" summary "$dat" --annotate "$work/annotated" 2>&1); rc=$?
echo "$out" | tail -1
[ "$rc" -eq 2 ] && echo "$out" | grep -q "of its source's .* lines (a full disk?); nothing was written" &&
  [ ! -e "$work/annotated" ] || { echo "FAILED: annotated sources verilator_coverage cut short (exit $rc)"; fail=1; }
# A device is written, never read back (reading /dev/full back never ended).
out=$("$tool" merge -o /dev/full "$dat" "$work/copy.dat" 2>&1); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q "/dev/full: cannot write: No space left on device" ||
  { echo "FAILED: a merge onto /dev/full (exit $rc)"; fail=1; }
# --annotate into the folder that holds the sources would replace them with
# their annotated copies (a copy of the sources stands in for rtl/).
mkdir -p "$work/sources"
src_dir=$(sed -n "s/.*\x01f\x02\([^\x01]*\)\/[^/\x01]*\.sv\x01.*/\1/p" "$dat" | head -1)
cp "$src_dir"/*.sv "$work/sources/"
sed "s|$src_dir/|$work/sources/|g" "$dat" > "$work/sources.dat"
before=$(cat "$work"/sources/*.sv | cksum)
out=$("$tool" summary "$work/sources.dat" --annotate "$work/sources" 2>&1 >/dev/null); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q -- "--annotate .*sources: it holds .*\.sv, a source the coverage file names" &&
  [ "$(cat "$work"/sources/*.sv | cksum)" = "$before" ] ||
  { echo "FAILED: --annotate into the sources' folder (exit $rc)"; fail=1; }
# stdout that cannot be written: the --json file is written, then the
# failure is named, exit 2 (as the C++ tools do).
rm -f "$work/full_stdout.json"
out=$("$tool" summary "$dat" --json "$work/full_stdout.json" 2>&1 >/dev/full); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q "aps-coverage: error: stdout: cannot write (No space left on device)" &&
  [ -s "$work/full_stdout.json" ] && ! echo "$out" | grep -q Traceback ||
  { echo "FAILED: summary onto a full stdout (exit $rc)"; fail=1; }
# A closed stdout is no stdout at all to Python: the same, not a traceback.
rm -f "$work/closed_stdout.json"
out=$("$tool" summary "$dat" --json "$work/closed_stdout.json" 2>&1 >&-); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q "stdout: cannot write (Bad file descriptor)" &&
  [ -s "$work/closed_stdout.json" ] && ! echo "$out" | grep -q Traceback ||
  { echo "FAILED: summary onto a closed stdout (exit $rc)"; fail=1; }
# Help that cannot be written is lost help, not exit 0.
out=$("$tool" --help 2>&1 >/dev/full); rc=$?
echo "$out"
[ "$rc" -eq 2 ] && echo "$out" | grep -q "stdout: cannot write (No space left on device)" ||
  { echo "FAILED: --help onto a full stdout (exit $rc)"; fail=1; }
# An option given twice is bad usage, not the last one winning.
out=$("$tool" merge -o "$work/once.dat" -o "$work/twice.dat" "$dat" "$work/copy.dat" 2>&1); rc=$?
echo "$out" | tail -1
[ "$rc" -eq 2 ] && echo "$out" | grep -q -- "-o is given twice" && [ ! -e "$work/twice.dat" ] ||
  { echo "FAILED: merge with -o twice (exit $rc)"; fail=1; }
exit $fail
