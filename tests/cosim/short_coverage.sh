#!/bin/sh
# A five-network regression with coverage, then its summary against the 95 %
# bar: the summary's exit code is the test's.
#   short_coverage.sh APS_SIM APS_COVERAGE HOLES OUT.dat
set -e
"$1" regress --seed 1 --count 5 --no-bundled --coverage "$4" > /dev/null
exec "$2" summary "$4" --holes "$3" --min 95
