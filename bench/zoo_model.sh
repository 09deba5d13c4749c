# Sourced by the bench scripts that study zoo models (run_zoo_study.sh,
# run_bias_correction.sh, run_weight_reduction.sh), after they set build,
# work and jobs.
#
# zoo_data ENTRY: ENTRY is a zoo folder name (its model.onnx) or name:file
# for another float model in that folder. Sets model, tag (name, or
# name_file), onnx and data (its Fashion-MNIST splits under
# $work/data/<name>, made once).
# zoo_model ENTRY: zoo_data, and profile ($work/<tag>.profile.onnx,
# calibrated once on the calibration_corrupted split, its log in
# $work/<tag>.calibration.txt). WEIGHT_REDUCTION=midpoint calibrates with
# midpoint weights (golden/numerics/weight_reduction.hpp) and appends
# _midpoint to the tag, so its profile and outputs stand beside the
# rounding ones.
# Stops unless the profile is of the format its rule is written in (6, or 7
# for midpoint weights): one of format 5 predates bias correction and would
# load uncorrected, so a study would silently measure the old design.
zoo_data() {
  model=${1%%:*}
  file=model
  tag=$model
  if [ "$1" != "$model" ]; then
    file=${1#*:}
    tag=${model}_$file
  fi
  onnx=models/$model/$file.onnx
  data=$work/data/$model
  if [ ! -f "$data/calibration_corrupted/labels.pb" ] || [ ! -f "$data/test_data_set_0/labels.pb" ] ||
     [ ! -f "$data/corrupted/labels.pb" ]; then
    /usr/bin/python3 tools/make_fashion_data.py --model "$onnx" --out "$data" \
      --splits calibration_corrupted,test_data_set_0,corrupted
  fi
}

zoo_model() {
  zoo_data "$1"
  rule=${WEIGHT_REDUCTION:-round}
  want=6
  if [ "$rule" = midpoint ]; then
    tag=${tag}_midpoint
    want=7
  fi
  profile=$work/$tag.profile.onnx
  [ -f "$profile" ] || "$build/golden/cli/aps-calibrate" --model "$onnx" --data "$data/calibration_corrupted" \
    --output "$profile" --jobs "$jobs" --weight-reduction "$rule" > "$work/$tag.calibration.txt"
  format=$(/usr/bin/python3 -c 'import onnx, sys
print(dict((p.key, p.value) for p in onnx.load(sys.argv[1]).metadata_props).get("aps.profile_format", "?"))' "$profile")
  if [ "$format" != "$want" ]; then
    echo "$profile: profile format $format, not the $want of $rule weights (5: made before bias correction); delete it to calibrate again" >&2
    exit 1
  fi
}
