#!/bin/sh
# Builds the seed corpora of the fuzz targets:
#   OUTDIR/onnx    models: models/*/model*.onnx and the model.onnx of ONNX
#                  backend-test node vectors of the ops APS lowers
#   OUTDIR/tensor  TensorProto files: models/*/*/input_0.pb and those vectors'
#                  test_data_set_0/*.pb
# Files are named <folder>__<file> so that the many model.onnx stay apart.
#
# usage: fuzz/make_seed_corpus.sh OUTDIR [MODELS_DIR] [ONNX_TESTDATA_DIR]
#   MODELS_DIR         default: the repository's models/
#   ONNX_TESTDATA_DIR  default: /usr/share/libonnx-testdata/data (Debian
#                      libonnx-testdata); skipped with a note if missing
set -eu

if [ $# -lt 1 ] || [ $# -gt 3 ]; then
  echo "usage: $0 OUTDIR [MODELS_DIR] [ONNX_TESTDATA_DIR]" >&2
  exit 2
fi
out=$1
here=$(cd "$(dirname "$0")" && pwd)
models=${2:-$here/../models}
testdata=${3:-/usr/share/libonnx-testdata/data}

mkdir -p "$out/onnx" "$out/tensor"

# copy SRC DEST_DIR PREFIX: copies SRC as DEST_DIR/PREFIX__basename
copy() {
  [ -f "$1" ] || return 0
  cp "$1" "$2/$3__$(basename "$1")"
}

for f in "$models"/*/model*.onnx; do
  copy "$f" "$out/onnx" "$(basename "$(dirname "$f")")"
done
for f in "$models"/*/*/input_0.pb; do
  d=$(dirname "$f")
  copy "$f" "$out/tensor" "$(basename "$(dirname "$d")")_$(basename "$d")"
done

node=$testdata/node
if [ -d "$node" ]; then
  for d in "$node"/test_*quantize* "$node"/test_qlinear* "$node"/test_*integer* "$node"/test_gemm_default_* \
           "$node"/test_conv_* "$node"/test_maxpool_2d_*; do
    [ -d "$d" ] || continue
    name=$(basename "$d")
    copy "$d/model.onnx" "$out/onnx" "$name"
    for f in "$d"/test_data_set_0/*.pb; do
      copy "$f" "$out/tensor" "$name"
    done
  done
else
  echo "note: $node not found (Debian package libonnx-testdata); seeding from $models only" >&2
fi

echo "seed corpus: $(find "$out/onnx" -type f | wc -l) models in $out/onnx, $(find "$out/tensor" -type f | wc -l) tensors in $out/tensor"
