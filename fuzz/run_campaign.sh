#!/bin/sh
# A fuzzing campaign: configures a clang build directory with APS_FUZZ=ON,
# builds the two fuzz targets, makes the seed corpus, and runs each target for
# SECONDS, printing executions and findings. The corpus each run grows is
# kept in BUILD_DIR/fuzz-campaign/<target>/corpus and reused next time.
#
# usage: fuzz/run_campaign.sh SECONDS [BUILD_DIR]
#   BUILD_DIR   default: build-fuzz next to this repository's CMakeLists.txt
# environment:
#   JOBS=1               build parallelism (JOBS=2 on two cores)
#   CXX=clang++ CC=clang compilers (clang is required)
#   ONNX_MAX_LEN=65536   -max_len of fuzz_onnx_model
#   TENSOR_MAX_LEN=8192  -max_len of fuzz_tensor_proto
#   TARGETS="fuzz_onnx_model fuzz_tensor_proto"
#   FUZZ_ARGS            extra libFuzzer options, e.g. "-fork=1 -ignore_crashes=1"
#                        to keep going after a finding (fork mode)
# Exit status: 0 if no target found anything, 1 otherwise, 2 on usage/build errors.
set -u

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 SECONDS [BUILD_DIR]" >&2
  exit 2
fi
seconds=$1
src=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$src/build-fuzz}
jobs=${JOBS:-1}
targets=${TARGETS:-fuzz_onnx_model fuzz_tensor_proto}

# The fuzz preset (CMakePresets.json), in BUILD_DIR.
(cd "$src" && cmake --preset fuzz -B "$build" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" \
  -DCMAKE_C_COMPILER="${CC:-clang}") >"$build.configure.log" 2>&1 ||
  { cat "$build.configure.log" >&2; exit 2; }
rm -f "$build.configure.log"
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" --target $targets || exit 2
for t in $targets; do
  [ -x "$build/fuzz/$t" ] || { echo "$build/fuzz/$t was not built (see the APS_FUZZ warning of cmake)" >&2; exit 2; }
done

seeds=$build/fuzz-campaign/seeds
rm -rf "$seeds"
"$src/fuzz/make_seed_corpus.sh" "$seeds" || exit 2

status=0
for t in $targets; do
  case $t in
    fuzz_onnx_model) corpus=onnx max_len=${ONNX_MAX_LEN:-65536} dict=-dict=$src/fuzz/onnx.dict ;;
    fuzz_tensor_proto) corpus=tensor max_len=${TENSOR_MAX_LEN:-8192} dict= ;;
    *) echo "unknown target $t" >&2; exit 2 ;;
  esac
  echo "== $t: $seconds s"
  # shellcheck disable=SC2086
  "$src/fuzz/run_fuzzer.sh" "$build/fuzz/$t" "$seeds/$corpus" "$build/fuzz-campaign/$t" \
    -max_total_time="$seconds" -max_len="$max_len" $dict ${FUZZ_ARGS:-} || status=1
done
exit $status
