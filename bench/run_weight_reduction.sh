#!/bin/sh
# What the midpoint weight rule (golden/numerics/weight_reduction.hpp) buys
# and costs against rounding half up, at uniform widths on the zoo's
# Fashion-MNIST test images: accuracy in the accelerator's arithmetic (all
# images of the split, quantized with min-max ranges of the
# calibration_corrupted split, no profile, so neither rule has bias
# corrections), and one inference's cycles, energy and weight-plane bytes
# from aps-bench (its co-simulation must agree with the golden model and the
# cycle model, or the script stops).
#
#   bench/run_weight_reduction.sh [BUILD_DIR] [OUT_DIR] [MODELS] [WIDTHS]
#
# MODELS: zoo folder names (default "resnet8 ds_cnn"); WIDTHS (default
# "6 5 4 3"), 8 is always measured. SPLIT (default test_data_set_0). JOBS
# (default: the cores) threads per accuracy run. Writes
# OUT_DIR/weight_reduction.md.
set -eu
cd "$(dirname "$0")/.."
. bench/zoo_model.sh
build=${1:-build}
out=${2:-docs/results}
models=${3:-resnet8 ds_cnn}
widths=${4:-6 5 4 3}
split=${SPLIT:-test_data_set_0}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
work=$build/zoo_study
golden=$build/golden/cli/aps-golden
bench=$build/bench/aps-bench
mkdir -p "$out" "$work"

table=$work/weight_reduction.rows
: > "$table"
for entry in $models; do
  zoo_data "$entry"
  calibration=$data/calibration_corrupted
  for rule in round midpoint; do
    "$bench" --model "$onnx" --data "$data/$split" --calibration "$calibration" --count 1 --repeats 1 \
      --precisions "8,$(echo $widths | tr ' ' ',')" --weight-reduction "$rule" --json "$work/$tag.wr.$rule.bench.json" \
      > /dev/null
    for b in 8 $widths; do
      "$golden" eval --engine program --model "$onnx" --data "$data/$split" --calibration "$calibration" \
        --precision "$b" --weight-reduction "$rule" --jobs "$jobs" --report "$work/$tag.wr.$rule.$b.json" > /dev/null
    done
  done
  /usr/bin/python3 - "$work" "$tag" "$widths" >> "$table" <<'PY'
import json, sys
work, tag, widths = sys.argv[1], sys.argv[2], [8] + [int(w) for w in sys.argv[3].split()]
bench = {r: {row["bits"]: row for row in json.load(open(f"{work}/{tag}.wr.{r}.bench.json"))["rows"]}
         for r in ("round", "midpoint")}
base = bench["round"][8]["energy_pj"]["total"]
for b in widths:
    acc = {r: 100 * json.load(open(f"{work}/{tag}.wr.{r}.{b}.json"))["accuracy"] for r in ("round", "midpoint")}
    row = [bench[r][b] for r in ("round", "midpoint")]
    energy = [x["energy_pj"]["total"] / 1000 for x in row]
    planes = [x["ext_bytes"]["weight_planes"] for x in row]
    cycles = [x["cycles_per_inference"] for x in row]
    print(f"| {tag} | {b} | {acc['round']:.2f} % | {acc['midpoint']:.2f} % | {cycles[0]:.0f} | {cycles[1]:.0f} | "
          f"{energy[0]:.1f} nJ ({base / 1000 / energy[0]:.2f}x) | {energy[1]:.1f} nJ ({base / 1000 / energy[1]:.2f}x) | "
          f"{planes[0]} | {planes[1]} |")
PY
done

{
  echo "# Midpoint weights against rounding half up, measured"
  echo
  echo "Written by \`bench/run_weight_reduction.sh $build $out \"$models\" \"$widths\"\` (split $split)."
  echo "Uniform widths in the accelerator's arithmetic, every image of the split, min-max ranges"
  echo "of the calibration_corrupted split and no bias corrections under either rule; cycles,"
  echo "energy (against rounding's 8 bits) and weight-plane bytes per inference from aps-bench,"
  echo "whose co-simulation agreed with the golden model and the cycle model."
  echo
  echo "| model | bits | round: accuracy | midpoint: accuracy | round: cycles | midpoint: cycles | round: energy | midpoint: energy | round: weight-plane bytes | midpoint: weight-plane bytes |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  cat "$table"
} > "$out/weight_reduction.md"
echo "wrote $out/weight_reduction.md"
