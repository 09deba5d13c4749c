#!/bin/sh
# What bias correction buys (golden/adaptation/bias_correction.hpp): the
# accelerator's integer arithmetic at uniform widths on the zoo's
# Fashion-MNIST test images and their corrupted copies, with the per-width
# bias corrections aps-calibrate measured on the calibration_corrupted split
# (--profile) and without them (the same profile, --no-bias-correction: the
# same quantization, its activation ranges read from the profile). 8 bits is
# never corrected, so its output codes must be the same both ways: the script
# stops if they are not (a correction applied at 8 bits).
#
#   bench/run_bias_correction.sh [BUILD_DIR] [OUT_DIR] [MODELS] [WIDTHS]
#
# MODELS: zoo folder names or name:file, as bench/run_zoo_study.sh takes
# them (default "ds_cnn"); WIDTHS (default "4 5 6"). It shares that
# script's data and profiles (BUILD_DIR/zoo_study), and stops on a profile
# of format 5, made before bias correction, which would load uncorrected.
# JOBS (default: the cores) threads per run. Writes OUT_DIR/bias_correction.md.
set -eu
cd "$(dirname "$0")/.."
. bench/zoo_model.sh
build=${1:-build}
out=${2:-docs/results}
models=${3:-ds_cnn}
widths=${4:-4 5 6}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
work=$build/zoo_study
golden=$build/golden/cli/aps-golden
mkdir -p "$out" "$work"

accuracy() {  # a report's accuracy in percent, two decimals
  /usr/bin/python3 -c 'import json, sys; print("%.2f" % (100 * json.load(open(sys.argv[1]))["accuracy"]))' "$1"
}

table=$work/bias_correction.rows
: > "$table"
: > "$work/bias_correction.kept"
for entry in $models; do
  zoo_model "$entry"
  kept=$(grep '^bias correction' "$work/$tag.calibration.txt" 2>/dev/null | tail -n 1)
  [ -n "$kept" ] || kept="its calibration log says nothing of bias correction"
  for split in test_data_set_0 corrupted; do
    "$golden" eval --model "$onnx" --data "$data/$split" --report "$work/$tag.bc.fp32.json" > /dev/null
    fp32=$(accuracy "$work/$tag.bc.fp32.json")
    for b in 8 $widths; do
      # At 8 bits every output code must be the same with and without the corrections.
      outputs=
      [ "$b" = 8 ] && outputs=--outputs
      "$golden" eval --engine program --model "$onnx" --data "$data/$split" --precision "$b" --jobs "$jobs" \
        --profile "$profile" --no-bias-correction --report "$work/$tag.bc.plain.json" \
        ${outputs:+$outputs "$work/$tag.bc.plain.outputs.json"} > /dev/null
      "$golden" eval --engine program --model "$onnx" --data "$data/$split" --precision "$b" --jobs "$jobs" \
        --profile "$profile" --report "$work/$tag.bc.corrected.json" \
        ${outputs:+$outputs "$work/$tag.bc.corrected.outputs.json"} > /dev/null
      plain=$(accuracy "$work/$tag.bc.plain.json")
      corrected=$(accuracy "$work/$tag.bc.corrected.json")
      if [ "$b" = 8 ] && ! cmp -s "$work/$tag.bc.plain.outputs.json" "$work/$tag.bc.corrected.outputs.json"; then
        echo "$tag $split: at 8 bits the output codes differ with and without --no-bias-correction: a correction was applied at 8 bits" >&2
        exit 1
      fi
      echo "| $tag | $split | $fp32 % | $b | $plain % | $corrected % |" >> "$table"
    done
  done
  echo "$tag: $kept (calibration log $work/$tag.calibration.txt)" >> "$work/bias_correction.kept"
done

{
  echo "# Bias correction, measured"
  echo
  echo "Written by \`bench/run_bias_correction.sh $build $out \"$models\" \"$widths\"\`. Uniform widths in the"
  echo "accelerator's arithmetic, without and with the per-width bias corrections of the model's"
  echo "profile (measured and kept or dropped per width on the calibration_corrupted split only);"
  echo "all images of each split."
  echo
  echo "| model | split | fp32 | bits | uncorrected | corrected |"
  echo "|---|---|---:|---:|---:|---:|"
  cat "$table"
  echo
  echo "Widths whose corrections calibration kept:"
  echo
  sed 's/^/* /' "$work/bias_correction.kept"
} > "$out/bias_correction.md"
rm -f "$work/bias_correction.kept"
