#!/bin/sh
# The adaptation study behind the README's tables and plots, from scratch:
# calibrate each bundled model on its calibration_noisy split (1000+ samples,
# never the test split), run every policy on the test and noisy splits
# (--rtl: every hardware policy also through the RTL, 0 mismatches required),
# then draw the Pareto plots and check the issue's targets.
#
#   bench/run_adaptation_study.sh [BUILD_DIR] [OUT_DIR]
#
# Defaults: build, build/study. Plots go to OUT_DIR; copy them to docs/ to
# update the README.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-$build/study}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$out"
for model in digits_mlp digits_cnn; do
  dir=models/$model
  "$build/golden/cli/aps-calibrate" --model "$dir/model_int8.onnx" --data "$dir/calibration_noisy" \
    --output "$out/$model.profile.onnx"
  "$build/bench/aps-study" --model-dir "$dir" --profile "$out/$model.profile.onnx" --rtl --jobs "$jobs" \
    --json "$out/$model.json" | tee "$out/$model.txt"
done
/usr/bin/python3 tools/plot_adaptation.py "$out/digits_mlp.json" "$out/digits_cnn.json" --out "$out" | tee "$out/targets.md"
