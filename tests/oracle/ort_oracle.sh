#!/bin/sh
# ONNX Runtime as an independent oracle for aps-golden.
#
#   ort_oracle.sh APS_GOLDEN MODELS_DIR WORK_DIR [ZOO_DATA_DIR]
#
# For each bundled model (float and int8) and data split, ONNX Runtime's
# outputs become the expected outputs of an ONNX backend-test folder, which
# `aps-golden onnx-test` then checks: int8 models (whose outputs are
# dequantized codes) bit for bit, float models within 1e-5. With
# ZOO_DATA_DIR, the zoo models on their 20-image slices too: float forms
# within 1e-5; the TensorFlow-layout int8 forms within 0.02 of their softmax
# probabilities, because their float Conv/Gemm between DQ and Q sum in
# another order in ONNX Runtime and a sum at a rounding tie can move one
# int8 logit code. Then two models of ONNX Runtime's own layouts, bit for bit.
#
# Exit 77 (ctest: skipped) when node or onnxruntime-node is not installed:
# the oracle must never pass without having run.
set -eu
golden=$1 models=$2 work=$3 zoo=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ort_available.sh"

rm -rf "$work" && mkdir -p "$work"
status=0
for model in digits_mlp digits_cnn; do
  for variant in model model_int8; do
    if [ "$variant" = model ]; then tol="--rtol 0 --atol 1e-5"; else tol="--rtol 0 --atol 0"; fi
    for split in test_data_set_0 noisy; do
      case_dir=$work/${model}_${variant}_${split}
      mkdir -p "$case_dir/test_data_set_0"
      cp "$models/$model/$variant.onnx" "$case_dir/model.onnx"
      cp "$models/$model/$split/input_0.pb" "$case_dir/test_data_set_0/input_0.pb"
      NODE_PATH=$modules node "$here/ort_run.js" "$case_dir/model.onnx" "$case_dir/test_data_set_0/input_0.pb" \
        "$case_dir/test_data_set_0" disabled
      # shellcheck disable=SC2086
      "$golden" onnx-test $tol "$case_dir" || status=1
    done
  done
done
if [ -n "$zoo" ]; then
  for model in resnet8 ds_cnn mobilenet_v1_025 autoencoder; do
    for variant in model model_tf_int8; do
      if [ "$variant" = model ]; then tol="--rtol 0 --atol 1e-5"; else tol="--rtol 0 --atol 0.02"; fi
      case_dir=$work/zoo_${model}_${variant}
      mkdir -p "$case_dir/test_data_set_0"
      cp "$models/$model/$variant.onnx" "$case_dir/model.onnx"
      cp "$zoo/$model/$variant/slice_20/input_0.pb" "$case_dir/test_data_set_0/input_0.pb"
      NODE_PATH=$modules node "$here/ort_run.js" "$case_dir/model.onnx" "$case_dir/test_data_set_0/input_0.pb" \
        "$case_dir/test_data_set_0" disabled
      # shellcheck disable=SC2086
      "$golden" onnx-test $tol "$case_dir" || status=1
    done
  done
fi
# ONNX Runtime's own layouts beyond the bundled models (tests/cosim makes
# them): its com.microsoft QOperator ops (QLinearAdd, QLinearAveragePool,
# QLinearGlobalAveragePool, QGemm), symmetric int8 activations, and LeakyRelu / PRelu
# and the table activations (Sigmoid, Tanh, ...) between their quantizers, bit for bit.
"${APS_ORACLE_PYTHON:-/usr/bin/python3}" "$here/../cosim/make_cosim_models.py" "$models" "$work/cosim"
for model in qoperator_contrib symmetric_qdq_cnn leaky_qdq_cnn table_qdq_cnn; do
  case_dir=$work/cosim/$model
  NODE_PATH=$modules node "$here/ort_run.js" "$case_dir/model.onnx" "$case_dir/test_data_set_0/input_0.pb" \
    "$case_dir/test_data_set_0" disabled
  "$golden" onnx-test --rtol 0 --atol 0 "$case_dir" || status=1
done
exit $status
