#!/bin/sh
# Runs one libFuzzer target on a seed corpus and reports executions and
# findings; exits non-zero if the target found anything.
#
# usage: fuzz/run_fuzzer.sh [--fresh] FUZZER SEED_DIR WORK_DIR [libFuzzer options...]
#   WORK_DIR/corpus     inputs the run adds (kept between runs unless --fresh)
#   WORK_DIR/artifacts  crash-*, leak-*, timeout-*, oom-* inputs of findings
#   WORK_DIR/log        libFuzzer's output
# Defaults added before the given options: -rss_limit_mb=2048 -timeout=10
# -print_final_stats=1 (a later option of the same name wins).
set -u

fresh=0
if [ "${1:-}" = "--fresh" ]; then
  fresh=1
  shift
fi
if [ $# -lt 3 ]; then
  echo "usage: $0 [--fresh] FUZZER SEED_DIR WORK_DIR [libFuzzer options...]" >&2
  exit 2
fi
fuzzer=$1 seeds=$2 work=$3
shift 3
[ -x "$fuzzer" ] || { echo "$fuzzer: not an executable" >&2; exit 2; }
[ -d "$seeds" ] || { echo "$seeds: no such seed directory (fuzz/make_seed_corpus.sh makes it)" >&2; exit 2; }

[ "$fresh" = 1 ] && rm -rf "$work/corpus"
rm -rf "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts"

# halt_on_error / abort_on_error: every sanitizer report ends the run as a finding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}"

"$fuzzer" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 "$@" \
  -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" >"$work/log" 2>&1
rc=$?

name=$(basename "$fuzzer")
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
# -fork=N prints no final stats; its progress lines start with #<executions>:
[ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\): .*/\1/p' "$work/log" | tail -n 1)
cov=$(grep -o 'cov: [0-9]*' "$work/log" | tail -n 1)
findings=$(find "$work/artifacts" -type f ! -name 'slow-unit-*' | wc -l)
echo "$name: ${runs:-?} executions, ${cov:-cov: ?}, $(find "$work/corpus" -type f | wc -l) inputs in $work/corpus, exit $rc, $findings finding(s)"
if [ "$rc" -ne 0 ] || [ "$findings" -ne 0 ]; then
  echo "---- $name: finding (log: $work/log) ----"
  # The first report: its error line and the top of its stack.
  awk '/FUZZ FINDING|runtime error|ERROR: (Address|Leak|libFuzzer|UndefinedBehavior)|ALARM: working on the last Unit/ {on = 1}
       on && n++ < 16' "$work/log"
  for a in "$work/artifacts"/*; do
    [ -f "$a" ] && echo "artifact: $a ($(wc -c <"$a") bytes); reproduce: $fuzzer $a"
  done
  exit 1
fi
exit 0
