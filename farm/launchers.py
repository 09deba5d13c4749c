"""Where shards run: as local processes, or as a Slurm job array with a
merge job that depends on it (afterany: it runs even when shards fail, so a
dead shard is reported, not waited for)."""

import concurrent.futures
import os
import shlex
import subprocess
import sys
import time

from shard_runner import run_shard

FARM_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aps_farm.py")


def farm_call(*args):
    """A shell command line that runs this aps-farm with `args`."""
    return " ".join(shlex.quote(a) for a in (sys.executable, FARM_SCRIPT, *args))


def run_local(folder, shards, parallel):
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        list(pool.map(lambda k: run_shard(folder, k), shards))


def sbatch(args):
    cmd = ["sbatch", "--parsable", *args]
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        raise SystemExit("aps-farm: sbatch not found: is Slurm installed (or use --launcher local)?")
    if out.returncode != 0:
        said = " ".join((out.stderr.strip() or out.stdout.strip()).split())  # one line
        raise SystemExit(f"aps-farm: sbatch refused the job: {said}")
    return out.stdout.strip().split(";")[0]  # "jobid[;cluster]"


def array_spec(shards):
    """sbatch --array's list of the shards, runs of consecutive ones as ranges
    (1-2000, not two thousand numbers)."""
    parts, start = [], None
    for i, k in enumerate(shards):
        if start is None:
            start = k
        if i + 1 == len(shards) or shards[i + 1] != k + 1:
            parts.append(str(k) if k == start else f"{start}-{k}")
            start = None
    return ",".join(parts)


def output_pattern(folder, name):
    """An --output path: sbatch reads % in it as a pattern, so the folder's own are doubled."""
    return os.path.join(folder.path.replace("%", "%%"), name)


def submit_slurm(folder, spec, shards):
    """Submits the array (only `shards`) and the merge job; returns their ids."""
    extra = spec.get("sbatch_args", [])
    array_id = sbatch([f"--job-name=aps-farm-{spec['name']}", f"--array={array_spec(shards)}",
                       f"--output={output_pattern(folder, 'slurm-%A_%a.out')}", *extra,
                       "--wrap", farm_call("run-shard", folder.path) + ' "$SLURM_ARRAY_TASK_ID"'])
    try:
        merge_id = sbatch([f"--job-name=aps-farm-{spec['name']}-merge", f"--dependency=afterany:{array_id}",
                           f"--output={output_pattern(folder, 'slurm-merge-%j.out')}", *extra,
                           "--wrap", farm_call("merge", folder.path, "--quiet")])
    except SystemExit as e:
        # Without its merge job the array would run unrecorded: cancel it.
        try:
            cancelled = subprocess.run(["scancel", array_id], stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT).returncode == 0
        except OSError:
            cancelled = False
        raise SystemExit(f"{e.code}; the shards' array job {array_id} "
                         + ("was cancelled" if cancelled else "could not be cancelled: scancel it"))
    return array_id, merge_id


def live_jobs(job_ids):
    """The ones of `job_ids` Slurm still lists (queued or running; an array
    counts while any of its tasks does). Without squeue, none can be."""
    try:
        out = subprocess.run(["squeue", "-h", "-j", ",".join(job_ids), "-o", "%F"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    except FileNotFoundError:
        return []
    listed = set(out.stdout.split()) if out.returncode == 0 else set()
    return [j for j in job_ids if j in listed]


class WaitTimeout(Exception):
    """--wait --timeout ran out; the jobs go on."""


def wait_slurm(job_id, timeout):
    """Waits until Slurm no longer lists the job (finished, failed or cancelled)."""
    deadline = time.monotonic() + timeout if timeout > 0 else None
    while True:
        out = subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%T"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        # squeue exits non-zero for a job id it has forgotten: finished too.
        if out.returncode != 0 or not out.stdout.strip():
            return
        if deadline and time.monotonic() > deadline:
            raise WaitTimeout(f"aps-farm: Slurm job {job_id} still {out.stdout.strip()} after {timeout} s; "
                              "`aps-farm merge` when it has finished")
        time.sleep(2)
