#!/bin/sh
# Co-simulation speed, cycles and PE utilization (aps-bench), written to
# docs/results/benchmarks.md with the machine it ran on: the bundled digits
# models over their test splits (fastest of 3 runs), and the zoo's
# TensorFlow-exporter int8 forms on the first ZOO_INPUTS Fashion-MNIST test
# images (one run; the images are made here from dataset-fashion-mnist).
#
#   bench/run_benchmarks.sh [BUILD_DIR] [OUT_FILE] [ZOO_INPUTS]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results/benchmarks.md}
zoo_inputs=${3:-4}
work=$build/benchmarks
mkdir -p "$work" "$(dirname "$out")"
reports=""
for model in digits_mlp digits_cnn; do
  "$build/bench/aps-bench" --model "models/$model/model_int8.onnx" --data "models/$model/test_data_set_0" \
    --json "$work/$model.json" >/dev/null
  reports="$reports $work/$model.json"
done
for model in resnet8 ds_cnn mobilenet_v1_025 autoencoder; do
  onnx=models/$model/model_tf_int8.onnx
  data=$work/data/$model
  [ -f "$data/slice_20/labels.pb" ] || /usr/bin/python3 tools/make_fashion_data.py --model "$onnx" --out "$data" \
    --splits slices --slices 20 >/dev/null
  "$build/bench/aps-bench" --model "$onnx" --data "$data/slice_20" --count "$zoo_inputs" --repeats 1 \
    --precisions 8,4 --json "$work/$model.json" >/dev/null
  reports="$reports $work/$model.json"
done
# shellcheck disable=SC2086
/usr/bin/python3 tools/results_tables.py benchmarks $reports > "$out"
