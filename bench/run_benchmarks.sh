#!/bin/sh
# Co-simulation speed, cycles and PE utilization of the bundled models
# (aps-bench, fastest of 3 runs over each test split), written to
# docs/results/benchmarks.md with the machine it ran on.
#
#   bench/run_benchmarks.sh [BUILD_DIR] [OUT_FILE]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results/benchmarks.md}
work=$build/benchmarks
mkdir -p "$work" "$(dirname "$out")"
for model in digits_mlp digits_cnn; do
  "$build/bench/aps-bench" --model "models/$model/model_int8.onnx" --data "models/$model/test_data_set_0" \
    --json "$work/$model.json" >/dev/null
done
/usr/bin/python3 tools/results_tables.py benchmarks "$work/digits_mlp.json" "$work/digits_cnn.json" > "$out"
