#!/bin/sh
# Accuracy of the bundled models, written to docs/results/accuracy.md: fp32
# and int8 QDQ with ONNX semantics, and the accelerator's integer arithmetic
# at every static width, on the test and noisy splits (aps-golden eval).
#
#   bench/run_accuracy.sh [BUILD_DIR] [OUT_FILE]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results/accuracy.md}
work=$build/accuracy
mkdir -p "$work" "$(dirname "$out")"
golden=$build/golden/cli/aps-golden
for model in digits_mlp digits_cnn; do
  for split in test_data_set_0 noisy; do
    data=models/$model/$split
    "$golden" eval --model "models/$model/model.onnx" --data "$data" --report "$work/$model.$split.fp32.json" >/dev/null
    "$golden" eval --model "models/$model/model_int8.onnx" --data "$data" --report "$work/$model.$split.qdq.json" >/dev/null
    for bits in 8 6 4 3 2; do
      "$golden" eval --model "models/$model/model_int8.onnx" --data "$data" --engine program --precision "$bits" \
        --report "$work/$model.$split.b$bits.json" >/dev/null
    done
  done
done
/usr/bin/python3 tools/results_tables.py accuracy "$work" > "$out"
