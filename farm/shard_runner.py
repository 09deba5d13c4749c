"""Runs one shard of a farm run: aps-sim with --shard K/N and the shard's
report, JUnit and (if asked) coverage files; the exit code goes to shard-K.exit last, so a shard
with an exit file has finished writing everything else."""

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
            code = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode
        except OSError as e:
            out.write(f"aps-farm: cannot run {cmd[0]}: {e.strerror}\n")
            code = CANNOT_START
    tmp = folder.shard_file(k, "exit.tmp")
    with open(tmp, "w") as f:
        f.write(f"{code}\n")
    os.replace(tmp, folder.shard_file(k, "exit"))
    return code


if __name__ == "__main__":
    sys.exit("run through aps-farm run-shard")
