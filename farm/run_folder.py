"""The run folder of a farm run: what was asked (farm.json) and what each
shard left behind. One place names every file, so the launchers, the shard
runner and the merge agree on them.

    DIR/farm.json         the aps-sim command, shard count, launcher, job ids
    DIR/shard-K.json      shard K's aps-sim --report
    DIR/shard-K.xml       shard K's aps-sim --junit
    DIR/shard-K.log       shard K's output
    DIR/shard-K.exit      shard K's exit code, written when aps-sim returns
    DIR/shard-K.dat       shard K's RTL coverage (runs submitted with --coverage)
    DIR/merged.json       the merged report (aps-farm merge)
    DIR/merged.xml        the merged JUnit: one testsuite per shard
    DIR/merge.exit        the merge's exit code (the Slurm merge job's result)
    DIR/coverage.dat      the shards' coverage summed (verilator_coverage --write)
    DIR/coverage.json     its summary: points hit per group, the holes and why
    DIR/report.html       aps-report's page of the merged run
"""

import json
import os


class RunFolder:
    def __init__(self, path):
        self.path = os.path.abspath(path)

    def file(self, name):
        return os.path.join(self.path, name)

    def shard_file(self, k, ext):
        return self.file(f"shard-{k}.{ext}")

    @property
    def spec_path(self):
        return self.file("farm.json")

    def load(self):
        try:
            with open(self.spec_path) as f:
                return json.load(f)
        except FileNotFoundError:
            raise SystemExit(f"aps-farm: {self.path}: not a farm run folder (no farm.json)")
        except json.JSONDecodeError as e:
            raise SystemExit(f"aps-farm: {self.spec_path}: not valid JSON: {e}")

    def save(self, spec):
        os.makedirs(self.path, exist_ok=True)
        tmp = self.spec_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(spec, f, indent=2)
        os.replace(tmp, self.spec_path)

    def exit_code(self, k):
        """Shard k's exit code, or None if it never finished."""
        try:
            with open(self.shard_file(k, "exit")) as f:
                return int(f.read().strip())
        except (FileNotFoundError, ValueError):
            return None

    def unfinished(self, shards, include_failed):
        """Shards to run again: missing (no exit code or no report), died
        (an exit code other than 0 and 1), and with include_failed those that
        found a mismatch (exit 1)."""
        out = []
        for k in range(1, shards + 1):
            code = self.exit_code(k)
            if code is None or not os.path.exists(self.shard_file(k, "json")) or code not in (0, 1) or \
                    (include_failed and code == 1):
                out.append(k)
        return out

    def clear_shard(self, k):
        for ext in ("json", "xml", "exit", "dat"):
            try:
                os.remove(self.shard_file(k, ext))
            except FileNotFoundError:
                pass
