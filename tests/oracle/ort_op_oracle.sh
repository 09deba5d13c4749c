#!/bin/sh
# ONNX Runtime as the oracle for the ops exporters write around the
# accelerator's layers (Resize, ConvTranspose, the index and scan ops, ...):
#
#   ort_op_oracle.sh APS_GOLDEN WORK_DIR [SEED] [COUNT_PER_FAMILY]
#
# make_op_cases.py draws single-op models over each op's attributes, ONNX
# Runtime writes their expected outputs, and `aps-golden onnx-test` must
# match every one (rtol 1e-4: the float reference sums in double, ONNX
# Runtime in float32). A case ONNX Runtime cannot run fails the test: the
# cases must stay inside what both implement.
#
# Exit 77 (ctest: skipped) when node or onnxruntime-node is not installed.
set -eu
golden=$1 work=$2 seed=${3:-2026} count=${4:-30}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/ort_available.sh"

rm -rf "$work" && mkdir -p "$work"
"${APS_ORACLE_PYTHON:-/usr/bin/python3}" "$here/make_op_cases.py" "$work" --seed "$seed" --count-per-family "$count"
status=0
NODE_PATH=$modules node "$here/ort_run.js" --cases "$work"/*/ || status=1
"$golden" onnx-test --rtol 1e-4 --atol 1e-5 "$work"/*/ || status=1
exit $status
