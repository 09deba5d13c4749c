#!/usr/bin/python3
"""aps-farm: a regression or a data-set co-simulation as shards on a farm.

  aps-farm submit --run-dir DIR --shards N [--launcher local|slurm] [--wait]
                  [--coverage] -- ARGS...
      runs `aps-sim ARGS --shard K/N` for K = 1..N: as local processes, or as a
      Slurm job array (sbatch --array) and a merge job depending on it; with
      --coverage each shard also writes the RTL's coverage
  aps-farm merge DIR          merges the shards' reports, JUnit and coverage
                              files, and writes DIR/report.html (aps-report)
  aps-farm resubmit DIR       runs again only the shards that are missing or died
  aps-farm status DIR         each shard's state
  aps-farm run-shard DIR K    one shard (what each array task runs)

The merged result (DIR/merged.json, DIR/merged.xml, DIR/coverage.dat) equals
a single-process run of the same cases: counts, first failure, accuracy,
coverage counts. Exit codes: 0 all
passed, 1 a mismatch, a failed check or a shard without a result, 2 bad usage
(of aps-farm, or arguments or input aps-sim refused in a shard), 3 --wait
--timeout ran out (the jobs go on; merge later), 130 interrupted.
"""

import argparse
import json
import math
import os
import shutil
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "coverage"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "report"))

import aps_coverage  # noqa: E402
import aps_report  # noqa: E402
from launchers import WaitTimeout, live_jobs, run_local, submit_slurm, wait_slurm  # noqa: E402
from merge import merge_folder  # noqa: E402
from output_paths import OutputPathError, write_whole  # noqa: E402
from python_tool import ArgumentParser, run_tool  # noqa: E402
from run_folder import CANNOT_START, COVERAGE_SUMMARY, MERGED_REPORT, RunFolder, died  # noqa: E402
from shard_runner import run_shard  # noqa: E402

DEFAULT_SIM = os.environ.get("APS_SIM", "aps-sim")
# Each shard is a process or an array task with four files: beyond this a run
# is a mistake (a count of inputs given as shards), not a plan.
MAX_SHARDS = 100000
# Why each functional point the harness cannot reach is not reached.
COVERAGE_HOLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rtl", "coverage_holes.json")


def summary(merged):
    if merged.get("error"):
        return f"{merged['error']} ({merged['shards_merged']} of {merged['shards']} shards)"
    if merged["kind"] == "regression":
        return (f"regression seed {merged['seed']}: {merged['networks']} networks, "
                f"{merged['networks'] - merged['failed']} passed, {merged['failed']} failed; "
                f"{merged['layers_compared']} layers and {merged['elements_compared']} elements compared "
                f"({merged['shards_merged']} of {merged['shards']} shards)")
    figure = "auc" if merged["task"] == "anomaly_detection" else "accuracy"
    value = merged.get(figure)
    golden = merged.get(f"golden_{figure}")
    shown = "" if value is None else (f", {figure} {value:.4f} RTL, {golden:.4f} golden")
    return (f"{merged['model']} on {merged['data']}: {merged['inputs']} inputs ({merged['failed_inputs']} failed), "
            f"{merged['elements_compared']} elements compared, {merged['mismatches']} mismatches{shown} "
            f"({merged['shards_merged']} of {merged['shards']} shards)")


def failed(merged):
    if merged.get("error"):
        return True
    if merged["kind"] == "regression":
        return merged["failed"] > 0 or merged["elements_compared"] == 0
    return merged["mismatches"] > 0 or merged["failed_inputs"] > 0 or merged["elements_compared"] == 0


def merge_coverage(folder, spec, problems, no_coverage):
    """Sums the shards' coverage (but no_coverage's) into DIR/coverage.dat and
    summarizes it; the summary, or None."""
    dats, points = [], {}
    for k in range(1, spec["shards"] + 1):
        if k in no_coverage:
            continue
        if not os.path.exists(folder.shard_file(k, "dat")):
            problems.append(f"shard {k}/{spec['shards']}: no coverage file")
            continue
        # One unreadable file is that shard's problem, not the end of the others' coverage.
        try:
            points[folder.shard_file(k, "dat")] = aps_coverage.read_points(folder.shard_file(k, "dat"))
            dats.append(folder.shard_file(k, "dat"))
        except aps_coverage.CoverageError as e:
            problems.append(f"shard {k}/{spec['shards']}: coverage: {e}")
    if not dats:
        return None
    try:
        aps_coverage.merge(dats, folder.file("coverage.dat"), points)
        summary = aps_coverage.summarize(aps_coverage.read_points(folder.file("coverage.dat")),
                                         aps_coverage.load_reasons(COVERAGE_HOLES))
    except (aps_coverage.CoverageError, aps_coverage.OutputPathError) as e:
        problems.append(f"coverage: {e}")
        return None
    write_whole(folder.file(COVERAGE_SUMMARY), json.dumps(summary, indent=2))
    return summary


def do_merge(folder, quiet=False):
    folder.load()  # a folder that holds no run is refused, not made
    folder.lock("merge", wait=True)
    spec = folder.load()  # as it stands once this merge holds the folder
    folder.clear_merge()
    merged, junit, problems, refused, no_coverage = merge_folder(folder, spec)
    coverage = merge_coverage(folder, spec, problems, no_coverage) if spec.get("coverage") else None
    if failed(merged) and not problems and not merged.get("error") and merged["elements_compared"] == 0:
        problems.append("nothing was compared: no input or case fell in any shard")
    # Each file whole or not at all (a merge stopped half way leaves no half
    # a report for status or aps-report to read); merge.exit, last, says the
    # merge finished.
    write_whole(folder.file(MERGED_REPORT), json.dumps({**merged, "problems": problems}, indent=2))
    if junit is not None:
        write_whole(folder.file("merged.xml"), junit)
    page = folder.file("report.html")
    coverages = [(None, coverage)] if coverage else []
    write_whole(page, aps_report.render([aps_report.load_run(folder.path)], page, coverages))
    code = 2 if refused else 1 if problems or failed(merged) else 0
    write_whole(folder.file("merge.exit"), f"{code}\n")
    if not quiet:
        for p in problems:
            print(f"aps-farm: {p}")
        print(summary(merged))
        if coverage:
            c = coverage["functional"]
            print(f"functional coverage: {c['hit']} of {c['total']} points ({c['percent']:.1f} %), "
                  f"{len(coverage['holes'])} holes; {folder.file(COVERAGE_SUMMARY)}")
        first = merged and (merged.get("first_failure") or merged.get("first_mismatch"))
        if first:
            print(f"first failure: {first.get('name', '')} {first.get('failure') or first.get('message', '')}".strip())
            if first.get("reproduce"):
                print(f"  reproduce: {first['reproduce']}")
    return code


def launch(folder, spec, shards, wait, timeout):
    if spec["launcher"] == "local":
        run_local(folder, shards, spec["parallel"])
        return do_merge(folder)
    array_id, merge_id = submit_slurm(folder, spec, shards)
    spec.setdefault("slurm_jobs", []).append({"array": array_id, "merge": merge_id, "shards": shards})
    folder.save(spec)
    print(f"aps-farm: Slurm job array {array_id} ({len(shards)} shards), merge job {merge_id}; results in {folder.path}")
    folder.unlock()  # Slurm's merge job takes it
    if not wait:
        return 0
    wait_slurm(merge_id, timeout)
    return do_merge(folder)


def run_jobs_live(spec):
    """The run's Slurm jobs (arrays and merge jobs) Slurm still lists."""
    jobs = [str(j[key]) for j in spec.get("slurm_jobs", []) for key in ("array", "merge")]
    return live_jobs(jobs) if jobs else []


def refuse_if_jobs_live(spec, folder, command):
    """A run's Slurm jobs still queued or running would write over the shards
    run again (and a merge job would merge half of them)."""
    live = run_jobs_live(spec)
    if live:
        raise SystemExit(f"aps-farm {command}: {folder.path}: Slurm jobs {', '.join(live)} of this run are still "
                         "queued or running: wait for them (aps-farm status), or scancel them first")


def check_launcher_options(a, launcher, command):
    """Options of one launcher given to the other are refused, not ignored."""
    if launcher == "local":
        given = [o for o, v in (("--wait", a.wait), ("--timeout", a.timeout is not None),
                                ("--sbatch-arg", getattr(a, "sbatch_arg", None))) if v]
        if given:
            verb = "apply" if len(given) > 1 else "applies"
            raise SystemExit(f"aps-farm {command}: {', '.join(given)} {verb} to Slurm runs only")
        if getattr(a, "parallel", None) is not None and a.parallel < 1:
            raise SystemExit(f"aps-farm {command}: --parallel must be at least 1, not {a.parallel}")
        return
    if getattr(a, "parallel", None) is not None:
        raise SystemExit(f"aps-farm {command}: --parallel applies to local runs (Slurm decides how many shards run "
                         "at once)")
    if a.timeout is not None:
        if not a.wait:
            raise SystemExit(f"aps-farm {command}: --timeout applies to --wait")
        if not math.isfinite(a.timeout) or a.timeout < 0:
            raise SystemExit(f"aps-farm {command}: --timeout must be 0 (no limit) or more seconds, not {a.timeout:g}")


def cmd_submit(a):
    command = a.command[1:] if a.command and a.command[0] == "--" else a.command
    if not command:
        raise SystemExit("aps-farm submit: give the aps-sim arguments after --")
    if not 1 <= a.shards <= MAX_SHARDS:
        raise SystemExit(f"aps-farm submit: --shards must be 1..{MAX_SHARDS}")
    check_launcher_options(a, a.launcher, "submit")
    # aps-sim takes an unambiguous prefix of an option for the option (--rep is --report).
    names = [x.split("=")[0] for x in command if x.startswith("--") and len(x.split("=")[0]) > 3]
    if any(opt.startswith(n) for n in names for opt in ("--shard", "--report", "--junit", "--coverage")):
        raise SystemExit("aps-farm submit: --shard, --report, --junit and --coverage are the farm's to set")
    if command[0] == "regress" and any("--only".startswith(n) for n in names):
        raise SystemExit("aps-farm submit: --only runs one case: run it with aps-sim alone")
    if any(x.split("=")[0] == "--trace" for x in command):
        raise SystemExit("aps-farm submit: --trace would have every shard write the same file; "
                         "trace an input with aps-sim alone (or use --trace-on-fail)")
    # Local shards run here; Slurm's may find aps-sim on their nodes only.
    if a.launcher == "local" and not shutil.which(a.sim):
        raise SystemExit(f"aps-farm submit: --sim {a.sim}: no such executable")
    folder = RunFolder(a.run_dir)
    folder.lock("submit")  # before looking: two submits into one folder must not both find it free
    if os.path.exists(folder.spec_path) and not a.force:
        raise SystemExit(f"aps-farm submit: {folder.path} already holds a run (resubmit it, or --force)")
    # A run clears its folder's shard and merge files: a folder of other files
    # is not taken for a run folder.
    if not os.path.exists(folder.spec_path) and not a.force and os.path.isdir(folder.path) and \
            set(os.listdir(folder.path)) - {"farm.lock"}:
        raise SystemExit(f"aps-farm submit: {folder.path} holds files and no run: give a new or empty folder "
                         "(or --force to run there, replacing files a run writes)")
    if os.path.exists(folder.spec_path):
        refuse_if_jobs_live(folder.load(), folder, "submit --force")
    kind = "regression" if command[0] == "regress" else "data_set"
    # The command's relative paths are the user's, from here: each shard runs here too.
    spec = {"name": a.name or os.path.basename(folder.path.rstrip("/")), "kind": kind, "sim": os.path.abspath(a.sim)
            if os.path.sep in a.sim else a.sim, "command": command, "shards": a.shards, "launcher": a.launcher,
            "parallel": a.parallel or os.cpu_count() or 1, "sbatch_args": a.sbatch_arg or [], "coverage": a.coverage,
            "cwd": os.getcwd(), "run_id": uuid.uuid4().hex}
    folder.save(spec)  # first: a run folder that cannot be one is refused before anything is removed
    folder.clear_merge()
    folder.clear_shards()  # every shard's files, those of an earlier run with more shards too
    try:
        return launch(folder, spec, list(range(1, a.shards + 1)), a.wait, a.timeout or 0)
    except SystemExit:
        # Slurm took nothing: the folder holds no run, so it is not one to
        # resubmit or to need --force for.
        if spec["launcher"] == "slurm" and not spec.get("slurm_jobs"):
            os.remove(folder.spec_path)
        raise


def cmd_resubmit(a):
    folder = RunFolder(a.run_dir)
    folder.load()
    folder.lock("resubmit")
    spec = folder.load()
    check_launcher_options(a, spec["launcher"], "resubmit")
    refuse_if_jobs_live(spec, folder, "resubmit")
    shards = folder.unfinished(spec, a.include_failed)
    if not shards:
        print("aps-farm: every shard has a result; nothing to resubmit")
        return do_merge(folder)
    print(f"aps-farm: resubmitting shards {', '.join(map(str, shards))} of {spec['shards']}")
    return launch(folder, spec, shards, a.wait, a.timeout or 0)


def cmd_status(a):
    folder = RunFolder(a.run_dir)
    spec = folder.load()
    live = run_jobs_live(spec)
    if live:
        print(f"Slurm jobs {', '.join(live)} of this run are still queued or running: a shard without an exit code "
              "may not have finished yet")
    for k in range(1, spec["shards"] + 1):
        print(f"shard {k}/{spec['shards']}: {shard_state(folder, spec, k)}")
    return 0


def shard_state(folder, spec, k):
    """What shard k left, read as the merge reads it."""
    code = folder.exit_code(k)
    if code is None:
        return folder.no_exit_code(k)
    r, _, why = folder.shard_result(k, spec)
    if r is not None and r.get("error"):
        return f"stopped: {r['error']} (exit {code})"
    if code not in (0, 1) and not (r is None and code in (2, CANNOT_START)):
        return f"no result: aps-sim {died(code)}" if r is None else f"aps-sim {died(code)}"
    if why:
        return why
    if r["elements_compared"] == 0:
        # More shards than inputs or cases leave some with none.
        return "no inputs fell in this shard" if r.get("inputs", r.get("networks")) == 0 else "compared nothing"
    return "failed checks" if failed({**r, "kind": spec["kind"]}) else "passed"


def main(argv=None):
    p = ArgumentParser(prog="aps-farm", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("submit", help="run aps-sim as N shards")
    s.add_argument("--run-dir", required=True)
    s.add_argument("--shards", type=int, required=True)
    s.add_argument("--launcher", choices=("local", "slurm"), default="local")
    s.add_argument("--parallel", type=int, help="local: shards at once (default: the machine's cores)")
    s.add_argument("--sbatch-arg", action="append",
                   help="slurm: an extra sbatch option, given as --sbatch-arg=--time=10 (repeatable)")
    s.add_argument("--sim", default=DEFAULT_SIM, help="the aps-sim executable")
    s.add_argument("--name", help="job and suite name (default: the run folder's name)")
    s.add_argument("--wait", action="store_true", help="slurm: wait for the merge and print the result")
    s.add_argument("--timeout", type=float, help="slurm --wait: give up after this many seconds (0: no limit)")
    s.add_argument("--force", action="store_true", help="reuse a run folder that holds a run")
    s.add_argument("--coverage", action="store_true", help="collect the RTL's coverage in every shard and merge it")
    s.add_argument("command", nargs=argparse.REMAINDER)
    r = sub.add_parser("resubmit", help="run the missing or dead shards again")
    r.add_argument("run_dir")
    r.add_argument("--include-failed", action="store_true", help="also shards that found a mismatch")
    r.add_argument("--wait", action="store_true", help="slurm: wait for the merge and print the result")
    r.add_argument("--timeout", type=float, help="slurm --wait: give up after this many seconds (0: no limit)")
    m = sub.add_parser("merge", help="merge the shards' results")
    m.add_argument("run_dir")
    m.add_argument("--quiet", action="store_true")
    st = sub.add_parser("status", help="each shard's state")
    st.add_argument("run_dir")
    rs = sub.add_parser("run-shard", help="run one shard (what a Slurm array task runs)")
    rs.add_argument("run_dir")
    rs.add_argument("k", type=int)
    a = p.parse_args(argv)
    if a.cmd == "submit":
        return cmd_submit(a)
    if a.cmd == "resubmit":
        return cmd_resubmit(a)
    if a.cmd == "merge":
        return do_merge(RunFolder(a.run_dir), a.quiet)
    if a.cmd == "status":
        return cmd_status(a)
    code = run_shard(RunFolder(a.run_dir), a.k)
    return 0 if code in (0, 1) else code


if __name__ == "__main__":
    try:
        sys.exit(run_tool("aps-farm", main))
    except OutputPathError as e:
        print(f"aps-farm: {e}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        # Local shards not yet started stay unstarted; `resubmit` runs them.
        print("aps-farm: interrupted; Slurm jobs already queued go on (aps-farm status DIR), and "
              "`aps-farm resubmit DIR` runs the shards left without a result", file=sys.stderr)
        sys.exit(130)
    except WaitTimeout as e:
        print(e, file=sys.stderr)
        sys.exit(3)
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            sys.exit(2)
        raise
