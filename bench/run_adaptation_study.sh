#!/bin/sh
# The adaptation study, from scratch: calibrate each bundled model on its
# calibration_noisy split (1000+ samples, never the test split), run every
# policy on the test and noisy splits (--rtl: every hardware policy also
# through the RTL, 0 mismatches required), then draw the Pareto plots and
# check the targets. Writes docs/results/adaptation_study_<model>.md, the
# plots and docs/results/adaptation_targets.md.
#
#   bench/run_adaptation_study.sh [BUILD_DIR] [OUT_DIR]
#
# Defaults: build, docs/results (the profiles and JSON go to BUILD_DIR/study).
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results}
work=$build/study
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$out" "$work"
for model in digits_mlp digits_cnn; do
  dir=models/$model
  "$build/golden/cli/aps-calibrate" --model "$dir/model_int8.onnx" --data "$dir/calibration_noisy" \
    --output "$work/$model.profile.onnx"
  "$build/bench/aps-study" --model-dir "$dir" --profile "$work/$model.profile.onnx" --rtl --jobs "$jobs" \
    --json "$work/$model.json" > "$out/adaptation_study_$model.md"
done
/usr/bin/python3 tools/plot_adaptation.py "$work/digits_mlp.json" "$work/digits_cnn.json" --out "$out" \
  > "$out/adaptation_targets.md"
