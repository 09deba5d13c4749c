#!/bin/sh
# The model zoo (models/ZOO.md) on Fashion-MNIST: every model and form on the
# 10,000 test images in the golden model (ONNX semantics, and the
# accelerator's integer arithmetic at 8 and 4 bits), and the first
# RTL_INPUTS test images co-simulated through the RTL at 8 bits. Written to
# docs/results/zoo.md. The float forms are quantized by aps on the
# 2000-image calibration split (training images only).
#
#   bench/run_zoo.sh [BUILD_DIR] [OUT_FILE] [RTL_INPUTS] [MODELS]
#
# JOBS (default 2) RTL instances run side by side. With the default 1000 RTL
# inputs this takes hours on 2 cores; RTL_INPUTS=0 runs the golden part only.
# REUSE=1 keeps the reports an earlier, interrupted run already wrote.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-docs/results/zoo.md}
rtl_inputs=${3:-1000}
models=${4:-resnet8 ds_cnn mobilenet_v1_025 autoencoder}
jobs=${JOBS:-2}
work=$build/zoo_bench
golden=$build/golden/cli/aps-golden
mkdir -p "$work" "$(dirname "$out")"
for model in $models; do
  for form in model model_tf_int8; do
    onnx=models/$model/$form.onnx
    data=$work/data/$model/$form
    if [ ! -f "$data/test_data_set_0/labels.pb" ] || [ ! -f "$data/calibration/labels.pb" ]; then
      /usr/bin/python3 tools/make_fashion_data.py --model "$onnx" --out "$data" --splits calibration,test_data_set_0
    fi
    tag=$work/$model.$form
    have() { [ "${REUSE:-0}" = 1 ] && [ -f "$1" ]; }
    have "$tag.onnx.json" || "$golden" eval --model "$onnx" --data "$data/test_data_set_0" --report "$tag.onnx.json" >/dev/null
    for bits in 8 4; do
      have "$tag.b$bits.json" || "$golden" eval --model "$onnx" --data "$data/test_data_set_0" \
        --calibration "$data/calibration" --engine program --precision "$bits" --report "$tag.b$bits.json" >/dev/null
    done
    if [ "$rtl_inputs" -gt 0 ] && ! have "$tag.rtl.json"; then
      "$build/sim/aps-sim" --model "$onnx" --data "$data/test_data_set_0" --calibration "$data/calibration" \
        --count "$rtl_inputs" --jobs "$jobs" --report "$tag.rtl.json" >/dev/null
    fi
  done
done
/usr/bin/python3 tools/results_tables.py zoo "$work" > "$out"
