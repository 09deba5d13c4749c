#!/bin/sh
# aps-farm through a real Slurm: a private single-node cluster
# (slurm_cluster.sh) runs the sharded regression and data-set checks of
# check_farm.py as job arrays with merge jobs, then the daemons it started
# are stopped. Exit 77 (reported skipped by ctest) when not root or when
# Slurm or munge is not installed.
#
#   check_farm_slurm.sh DIR CHECK_FARM_ARGS...
set -eu
dir=$1
shift
here=$(dirname "$(realpath "$0")")
[ "$(id -u)" -eq 0 ] || { echo "SKIP: a private Slurm cluster needs root (slurmd runs jobs as their users)"; exit 77; }
for t in slurmctld slurmd munged sbatch squeue sinfo; do
  command -v "$t" >/dev/null 2>&1 || { echo "SKIP: $t not found (Debian packages slurm-wlm and munge)"; exit 77; }
done
trap '"$here/slurm_cluster.sh" stop "$dir/cluster"' EXIT INT TERM
"$here/slurm_cluster.sh" start "$dir/cluster"
export SLURM_CONF="$dir/cluster/slurm.conf"
/usr/bin/python3 "$here/check_farm.py" --launcher slurm "$@"
