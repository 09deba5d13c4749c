# Sourced by the bench scripts that reuse calibration profiles.
#
# require_current_profile PROFILE: stop unless PROFILE is of the current
# profile format (6). A profile of format 5 predates bias correction and
# would load uncorrected, so a study would silently measure the old design.
require_current_profile() {
  format=$(/usr/bin/python3 -c 'import onnx, sys
print(dict((p.key, p.value) for p in onnx.load(sys.argv[1]).metadata_props).get("aps.profile_format", "?"))' "$1")
  if [ "$format" != 6 ]; then
    echo "$1: profile format $format, made before bias correction; delete it to calibrate again" >&2
    exit 1
  fi
}
