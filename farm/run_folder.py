"""The run folder of a farm run: what was asked (farm.json) and what each
shard left behind. One place names every file, so the launchers, the shard
runner and the merge agree on them.

    DIR/farm.json         the aps-sim command, shard count, launcher, job ids, the run's id
    DIR/farm.lock         held by the aps-farm that is submitting or merging the run
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

import fcntl
import glob
import json
import os
import xml.etree.ElementTree as ET

from report_check import report_problem

# The merge's report and coverage summary, which aps-report also reads in a run folder.
MERGED_REPORT = "merged.json"
COVERAGE_SUMMARY = "coverage.json"
# What a merge writes: removed before each merge, so a merge that produces
# nothing leaves nothing of an earlier one that could pass for its result.
MERGE_OUTPUTS = (MERGED_REPORT, "merged.xml", "merge.exit", "coverage.dat", COVERAGE_SUMMARY, "report.html")
# The keys the merge reads from a finished shard's aps-sim --report, by kind
# (a shard that stopped early reports its error instead).
REPORT_KEYS = {"regression": ("seed", "networks", "failed", "layers_compared", "elements_compared", "cases"),
               "data_set": ("model", "data", "precision", "task", "first", "inputs", "failed_inputs",
                            "layers_compared", "elements_compared", "mismatches", "evaluation", "layers", "seconds",
                            "avg_bits", "cycles_per_inference", "bytes_moved_per_inference",
                            "memory_stall_cycles_per_inference")}
# What aps-farm submit writes into farm.json and the other commands read.
SPEC_KEYS = ("name", "kind", "sim", "command", "shards", "launcher", "parallel")
# shard-K.exit when aps-sim could not be started at all.
CANNOT_START = 127


def died(code):
    """How a shard's aps-sim ended without a result, from its exit code (a
    negative one is the signal that killed it, as Python reports it)."""
    return f"was killed by signal {-code}" if code < 0 else f"died (exit {code})"


class RunFolder:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        self._lock = None

    def lock(self, command, wait=False):
        """Holds DIR/farm.lock until unlock() or this process's exit: one
        aps-farm at a time submits, resubmits or merges a run (two would clear
        and write each other's shard and merge files). A submit or resubmit is
        refused while another holds it; a merge (Slurm's merge job among them)
        waits for it."""
        if self._lock:
            return
        try:
            os.makedirs(self.path, exist_ok=True)
            self._lock = open(self.file("farm.lock"), "a")
        except OSError as e:
            raise SystemExit(f"aps-farm {command}: {self.path}: cannot write the run folder: {e.strerror}")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if not wait:
                self.unlock()
                raise SystemExit(f"aps-farm {command}: {self.path}: another aps-farm is submitting or merging this "
                                 "run (farm.lock): wait for it to finish")
            print(f"aps-farm {command}: waiting for another aps-farm to finish with {self.path} (farm.lock)",
                  flush=True)
            fcntl.flock(self._lock, fcntl.LOCK_EX)

    def unlock(self):
        if self._lock:
            self._lock.close()
            self._lock = None

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
                spec = json.load(f)
        except (FileNotFoundError, NotADirectoryError):
            raise SystemExit(f"aps-farm: {self.path}: not a farm run folder (no farm.json)")
        except OSError as e:
            raise SystemExit(f"aps-farm: {self.spec_path}: cannot read: {e.strerror}")
        except ValueError as e:
            raise SystemExit(f"aps-farm: {self.spec_path}: not valid JSON: {e}")
        if not isinstance(spec, dict) or any(key not in spec for key in SPEC_KEYS) or \
                not isinstance(spec["shards"], int) or spec["kind"] not in REPORT_KEYS or \
                not isinstance(spec["command"], list):
            raise SystemExit(f"aps-farm: {self.spec_path}: not an aps-farm run description")
        return spec

    def save(self, spec):
        tmp = self.spec_path + ".tmp"
        try:
            os.makedirs(self.path, exist_ok=True)
            with open(tmp, "w") as f:
                json.dump(spec, f, indent=2)
            os.replace(tmp, self.spec_path)
        except OSError as e:
            raise SystemExit(f"aps-farm: {self.path}: cannot write the run folder: {e.strerror}")

    def clear_merge(self):
        for name in MERGE_OUTPUTS:
            try:
                os.remove(self.file(name))
            except FileNotFoundError:
                pass
            except OSError as e:
                raise SystemExit(f"aps-farm: {self.file(name)}: cannot remove the earlier merge's file: {e.strerror}")

    def read_report(self, k, spec):
        """Shard k's report, or None and why it is no result."""
        kind = spec["kind"]
        path = self.shard_file(k, "json")
        try:
            with open(path) as f:
                r = json.load(f)
        except FileNotFoundError:
            code = self.exit_code(k)
            if code == 2:
                return None, f"aps-sim refused the shard (exit 2): {self.last_log_line(k)}"
            if code == CANNOT_START:
                return None, self.last_log_line(k)
            if code is not None:  # it ended without a report: killed, or crashed
                return None, f"no result: aps-sim {died(code)} (see {self.shard_file(k, 'log')})"
            return None, "no result " + self.unfinished_job(k)
        except (OSError, ValueError) as e:
            return None, f"{path}: not a readable report ({e})"
        if not isinstance(r, dict):
            return None, f"{path}: not an aps-sim report"
        # A run that stopped early (the watchdog, an interrupt) says why instead.
        missing = [] if r.get("error") else [key for key in REPORT_KEYS[kind] if key not in r]
        if missing:
            return None, f"{path}: not an aps-sim report of a {kind.replace('_', ' ')} (no {', '.join(missing)})"
        why = None if r.get("error") else report_problem(r, kind)
        if why:
            return None, f"{path}: not a report the merge can read: {why}"
        # The shard runner stamps each report with its run and slot: a report
        # copied from another run folder, left by a run this folder held
        # before, or moved to another shard's name is no result of this run.
        # (Runs submitted before the stamp have no run id and are not checked.)
        if spec.get("run_id"):
            slot = f"{k}/{spec['shards']}"
            if r.get("farm_run") != spec["run_id"]:
                return None, f"{path}: a report of another farm run ({r.get('farm_run')!r}, not this folder's " \
                             f"{spec['run_id']!r})"
            if r.get("farm_shard") != slot:
                return None, f"{path}: the report of shard {r.get('farm_shard')!r}, not of {slot}"
        return r, None

    def read_junit(self, k):
        """Shard k's JUnit <testsuite>, or None and why it is no result."""
        path = self.shard_file(k, "xml")
        if not os.path.exists(path):
            return None, f"no JUnit file ({path})"
        try:
            suite = ET.parse(path).getroot()
            if suite.tag != "testsuite":
                return None, f"{path}: root element is <{suite.tag}>, not <testsuite>"
            for key in ("tests", "failures", "errors"):
                int(suite.get(key, 0))
            float(suite.get("time", 0))
        except (ET.ParseError, OSError) as e:
            return None, f"{path}: not readable XML ({e})"
        except ValueError:
            return None, f"{path}: a testsuite count or time that is not a number"
        return suite, None

    def shard_result(self, k, spec):
        """(report, JUnit suite, why): shard k's result as the merge, status and
        resubmit all read it; why is None when both are there."""
        report, why = self.read_report(k, spec)
        if report is None:
            return None, None, why
        # No exit code, no result: the report may be one the job was still
        # writing, and the merge must not count a shard it also lists as missing.
        if self.exit_code(k) is None:
            return None, None, self.no_exit_code(k)
        suite, why = self.read_junit(k)
        return report, suite, why

    def exit_code(self, k):
        """Shard k's exit code, or None if it never finished (or its exit file
        holds no number)."""
        try:
            with open(self.shard_file(k, "exit")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def no_exit_code(self, k):
        """Why shard k has no exit code."""
        path = self.shard_file(k, "exit")
        if not os.path.exists(path):
            return "no exit code " + self.unfinished_job(k)
        try:
            with open(path) as f:
                f.read()
        except OSError as e:
            return f"{path}: cannot read: {e.strerror} {self.unfinished_job(k)}"
        return f"{path}: not an exit code {self.unfinished_job(k)}"

    def unfinished(self, spec, include_failed):
        """Shards to run again: missing (no exit code, no readable report or
        no JUnit file), died (an exit code other than 0 and 1), and with
        include_failed those that found a mismatch (exit 1)."""
        out = []
        for k in range(1, spec["shards"] + 1):
            code = self.exit_code(k)
            if code not in (0, 1) or (include_failed and code == 1) or self.shard_result(k, spec)[2]:
                out.append(k)
        return out

    def unfinished_job(self, k):
        # A Slurm task killed (time limit, node failure) says why in its own output, not in the shard's log.
        slurm = sorted(glob.glob(os.path.join(glob.escape(self.path), f"slurm-*_{k}.out")), key=os.path.getmtime)
        where = f"{self.shard_file(k, 'log')} and {slurm[-1]}" if slurm else self.shard_file(k, "log")
        return f"(the job did not finish; see {where})"

    def last_log_line(self, k):
        try:  # the log's first line is the farm's "$ command"
            with open(self.shard_file(k, "log"), errors="replace") as f:
                lines = [line.strip() for line in f if line.strip() and not line.startswith("$ ")]
        except OSError:
            lines = []
        return lines[-1] if lines else f"no output (see {self.shard_file(k, 'log')})"

    def clear_shards(self):
        """Every shard's files, whatever the shard count that wrote them."""
        try:
            names = os.listdir(self.path)
        except OSError:
            return
        for name in names:
            stem, _, ext = name.partition(".")
            if stem.startswith("shard-") and stem[6:].isdigit() and ext in ("json", "xml", "exit", "dat", "log"):
                try:
                    os.remove(self.file(name))
                except FileNotFoundError:
                    pass

    def clear_shard(self, k):
        for ext in ("json", "xml", "exit", "dat"):
            try:
                os.remove(self.shard_file(k, ext))
            except FileNotFoundError:
                pass
