"""Runs one shard of a farm run: aps-sim with --shard K/N and the shard's
report, JUnit and (if asked) coverage files, in the folder the run was
submitted from (the command's relative paths are the user's); the report is
stamped with the run's id and the shard's slot; the exit code goes to
shard-K.exit last, so a shard with an exit file has finished writing
everything else."""

import json
import os
import subprocess
import sys

from run_folder import CANNOT_START


def shard_command(spec, folder, k):
    cmd = [spec["sim"], *spec["command"], "--shard", f"{k}/{spec['shards']}",
           "--report", folder.shard_file(k, "json"), "--junit", folder.shard_file(k, "xml")]
    if spec.get("coverage"):
        cmd += ["--coverage", folder.shard_file(k, "dat")]
    return cmd


def run_shard(folder, k):
    spec = folder.load()
    if not 1 <= k <= spec["shards"]:
        raise SystemExit(f"aps-farm: shard {k} is outside 1..{spec['shards']}")
    folder.clear_shard(k)
    cmd = shard_command(spec, folder, k)
    # A path may hold bytes that are not UTF-8: written back as they came.
    with open(folder.shard_file(k, "log"), "w", errors="surrogateescape") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        try:
            code = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=spec.get("cwd")).returncode
        except OSError as e:
            where = f" in {spec['cwd']}" if spec.get("cwd") and not os.path.isdir(spec["cwd"]) else ""
            out.write(f"aps-farm: cannot run {cmd[0]}{where}: {e.strerror}\n")
            code = CANNOT_START
    stamp_report(folder, spec, k)
    tmp = folder.shard_file(k, "exit.tmp")
    with open(tmp, "w") as f:
        f.write(f"{code}\n")
    os.replace(tmp, folder.shard_file(k, "exit"))
    return code


def stamp_report(folder, spec, k):
    """Adds the run's id and the shard's slot to the shard's report (one the
    merge could not read anyway is left as it is, for the merge to name)."""
    path = folder.shard_file(k, "json")
    try:
        with open(path) as f:
            report = json.load(f)
    except (OSError, ValueError):
        return
    if not isinstance(report, dict) or not spec.get("run_id"):
        return
    report["farm_run"] = spec["run_id"]
    report["farm_shard"] = f"{k}/{spec['shards']}"
    with open(path + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    sys.exit("run through aps-farm run-shard")
