#!/usr/bin/python3
"""aps-farm against single-process runs of the same cases.

    check_farm.py [--launcher slurm] APS_FARM APS_SIM APS_SIM_FAULT APS_SIM_HANG MODELS WORK [AE_MODEL:AE_DATA]

With --launcher slurm the shards run as a Slurm job array on the cluster
SLURM_CONF names (check_farm_slurm.sh starts a private one); otherwise as
local processes.

A sharded regression and sharded data-set runs (a passing one, a failing one
through a planted RTL fault, and the autoencoder's ROC AUC when its data is
given) merge into the single-process result: the same counts, the same first
failure, the same figure; the regression's merged coverage has the same
count at every point as the single process's, and the merge's HTML report
(with that coverage) loads in headless Chromium without console errors. A
shard whose result is lost, cut short or without its JUnit file is reported
by name, and `resubmit` runs those shards alone and completes the run; a
shard whose arguments aps-sim refuses makes the run exit 2, and a submit
over an earlier run leaves nothing of its merge; shards that hang (the planted `hang`
fault) are each named with the input that hung and the line that re-runs it,
both by its index in the data set. The merged JUnit
validates against junit.xsd, and the schema refuses a broken file.
"""

import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "report"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "coverage"))

import aps_coverage  # noqa: E402
from check_report import cells, chromium, console_errors  # noqa: E402

problems = []
LAUNCHER = ["--launcher", "local", "--parallel", "2"]
WAIT = []


def run(cmd, expect):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    print(f"$ {' '.join(cmd)}  (exit {r.returncode})\n{r.stdout.strip()}")
    if r.returncode != expect:
        problems.append(f"{' '.join(cmd[:4])}...: exit {r.returncode}, expected {expect}")
    return r.stdout


def load(path):
    with open(path) as f:
        return json.load(f)


def same(what, a, b):
    if a != b:
        problems.append(f"{what}: farm {a!r}, single process {b!r}")
    else:
        print(f"ok: {what} = {a!r}")


def farm(farm_cmd, sim, folder, shards, args, expect, extra=()):
    shutil.rmtree(folder, ignore_errors=True)
    run([farm_cmd, "submit", "--run-dir", folder, "--shards", str(shards), *LAUNCHER, *extra, "--sim", sim, "--",
         *args], expect)
    return load(os.path.join(folder, "merged.json"))


def single(sim, args, report, expect):
    run([sim, *args, "--report", report], expect)
    return load(report)


def compare_data_set(name, m, s):
    figure = "auc" if s["task"] == "anomaly_detection" else "accuracy"
    for key in ("inputs", "failed_inputs", "layers_compared", "elements_compared", "mismatches", figure,
                f"golden_{figure}"):
        same(f"{name}: {key}", m[key], s[key])
    fm, fs = m["first_mismatch"], s["first_mismatch"]
    if (fm is None) != (fs is None):
        problems.append(f"{name}: first mismatch {fm!r} vs {fs!r}")
    elif fm:
        for key in ("input", "check", "layer", "element", "expected", "got", "bits"):
            same(f"{name}: first mismatch {key}", fm[key], fs[key])
        same(f"{name}: reproduce line", fm["reproduce"], s["reproduce"])


def validate(xml, expect_valid):
    r = subprocess.run(["xmllint", "--noout", "--schema", os.path.join(HERE, "junit.xsd"), xml],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout.strip())
    if (r.returncode == 0) != expect_valid:
        problems.append(f"{xml}: schema validation {'failed' if expect_valid else 'passed a broken file'}")


def points(path):
    return {tuple(sorted(f.items())): c for f, c in aps_coverage.read_points(path)}


def check_coverage(folder, single_dat):
    """The shards' coverage summed equals one process's, point by point, and
    the merge's report shows its summary in a browser."""
    try:
        merged, one = points(f"{folder}/coverage.dat"), points(single_dat)
    except aps_coverage.CoverageError as e:
        problems.append(f"coverage: {e}")
        return
    differ = [k for k in set(merged) | set(one) if merged.get(k) != one.get(k)]
    if differ or not merged:
        problems.append(f"merged coverage differs from the single process's at {len(differ)} of {len(one)} points")
    else:
        print(f"ok: merged coverage = single-process coverage at all {len(one)} points")
    with open(f"{folder}/coverage.json") as f:
        summary = json.load(f)
    loaded = chromium("--dump-dom", "file://" + os.path.abspath(f"{folder}/report.html"))
    errors = console_errors(loaded.stderr)
    table = cells(loaded.stdout, "coverage")
    if loaded.returncode != 0 or errors:
        problems.append(f"chromium on the farm report: exit {loaded.returncode}, console: {errors[:3]}")
    for g in summary["groups"]:
        if g["group"] not in table or str(g["hit"]) not in table:
            problems.append(f"the farm report's coverage table lacks {g['group']} {g['hit']}/{g['total']}: {table[:12]}")
            break
    else:
        print(f"ok: {folder}/report.html shows the merged coverage ({summary['functional']['hit']} of "
              f"{summary['functional']['total']} functional points)")


def check_slurm_only(farm_cmd, sim, work, args):
    """What only a Slurm run has: sbatch's % patterns in the folder's name, and
    jobs still queued when the user resubmits."""
    compare_data_set("a Slurm run folder with % in its name", farm(farm_cmd, sim, f"{work}/pct%j %a", 2, args, 0),
                     single(sim, args, f"{work}/pct_single.json", 0))
    slow = f"{work}/slow_sim.sh"
    with open(slow, "w") as f:
        f.write(f"#!/bin/sh\nsleep 6\nexec {sim} \"$@\"\n")
    os.chmod(slow, 0o755)
    folder = f"{work}/queued"
    shutil.rmtree(folder, ignore_errors=True)
    run([farm_cmd, "submit", "--launcher", "slurm", "--run-dir", folder, "--shards", "2", "--sim", slow, "--", *args], 0)
    for again in (["resubmit", folder], ["submit", "--launcher", "slurm", "--force", "--run-dir", folder, "--shards",
                                         "2", "--sim", sim, "--", *args]):
        out = run([farm_cmd, *again], 2)
        if "of this run are still queued or running" not in out:
            problems.append(f"aps-farm {again[0]} while the run's Slurm jobs were queued was not refused")
    for _ in range(120):
        if os.path.exists(f"{folder}/merge.exit"):
            break
        time.sleep(1)
    if not os.path.exists(f"{folder}/merge.exit") or \
            load(f"{folder}/merged.json")["inputs"] != load(f"{work}/pct_single.json")["inputs"]:
        problems.append("the queued run did not complete as submitted after the refused resubmit")


def check_sbatch_refusals(farm_cmd, sim, work, args):
    """aps-farm against a stand-in sbatch that takes the shards' array and
    refuses the merge job: the array is given as a range, is cancelled
    (scancel), the error says so on one line, and the folder holds no run."""
    bin_dir = f"{work}/fake_slurm"
    shutil.rmtree(bin_dir, ignore_errors=True)
    os.makedirs(bin_dir)
    with open(f"{bin_dir}/sbatch", "w") as f:
        f.write(f'#!/bin/sh\necho "$@" >> {bin_dir}/sbatch.log\n'
                'case "$*" in *--dependency*) echo "sbatch: error: Batch job submission failed:" >&2; '
                'echo "  dependency refused" >&2; exit 1;; esac\necho 4242\n')
    with open(f"{bin_dir}/scancel", "w") as f:
        f.write(f'#!/bin/sh\necho "$@" >> {bin_dir}/scancel.log\n')
    for tool in ("sbatch", "scancel"):
        os.chmod(f"{bin_dir}/{tool}", 0o755)
    folder = f"{work}/merge_refused"
    shutil.rmtree(folder, ignore_errors=True)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    r = subprocess.run([farm_cmd, "submit", "--launcher", "slurm", "--run-dir", folder, "--shards", "3", "--sim", sim,
                        "--", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    print(r.stdout)
    sbatch_log = open(f"{bin_dir}/sbatch.log").read()
    if r.returncode != 2 or "array job 4242 was cancelled" not in r.stdout or len(r.stdout.strip().splitlines()) != 1:
        problems.append(f"a refused merge job: expected one line saying the array was cancelled, exit 2: {r.stdout!r}")
    if not os.path.exists(f"{bin_dir}/scancel.log") or "4242" not in open(f"{bin_dir}/scancel.log").read():
        problems.append("a refused merge job left the shards' array job running")
    if "--array=1-3 " not in sbatch_log:
        problems.append(f"the shards were not given to sbatch as a range: {sbatch_log!r}")
    if os.path.exists(f"{folder}/farm.json"):
        problems.append("a submit Slurm took nothing from left a run in its folder")


def main():
    global LAUNCHER, WAIT
    sys.stdout.reconfigure(errors="backslashreplace")  # a command may name a path that is not UTF-8
    argv = sys.argv[1:]
    if argv[:2] == ["--launcher", "slurm"]:
        LAUNCHER = ["--launcher", "slurm", "--wait", "--timeout", "600"]
        WAIT = ["--wait", "--timeout", "600"]
        argv = argv[2:]
    farm_cmd, sim, fault_sim, hang_sim, models, work = argv[:6]
    ae = argv[6] if len(argv) > 6 else None
    os.makedirs(work, exist_ok=True)

    # A regression: 4 shards of interleaved cases, with coverage.
    args = ["regress", "--seed", "7", "--count", "60"]
    m = farm(farm_cmd, sim, f"{work}/regress", 4, args, 0, ["--coverage"])
    s = single(sim, [*args, "--coverage", f"{work}/regress_single.dat"], f"{work}/regress_single.json", 0)
    for key in ("networks", "failed", "layers_compared", "elements_compared"):
        same(f"regression: {key}", m[key], s[key])
    validate(f"{work}/regress/merged.xml", True)
    check_coverage(f"{work}/regress", f"{work}/regress_single.dat")
    # One shard's coverage file broken: that shard is named, the others' coverage is still merged.
    shutil.rmtree(f"{work}/regress_broken_dat", ignore_errors=True)
    shutil.copytree(f"{work}/regress", f"{work}/regress_broken_dat")
    with open(f"{work}/regress_broken_dat/shard-2.dat", "w") as f:
        f.write("not coverage\n")
    out = run([farm_cmd, "merge", f"{work}/regress_broken_dat"], 1)
    if "shard 2/4: coverage: " not in out or not os.path.exists(f"{work}/regress_broken_dat/coverage.json"):
        problems.append("a broken shard coverage file threw away every shard's coverage, or was not named")

    # A data set, 4 contiguous slices.
    args = ["--model", f"{models}/digits_cnn/model_int8.onnx", "--data", f"{models}/digits_cnn/test_data_set_0",
            "--precision", "map:8,4,4", "--count", "100"]
    m = farm(farm_cmd, sim, f"{work}/data", 4, args, 0)
    compare_data_set("data set", m, single(sim, args, f"{work}/data_single.json", 0))
    validate(f"{work}/data/merged.xml", True)

    # A run folder whose name is not UTF-8 (Linux allows any bytes): run and
    # merged as any other (a shard's log stopped it with a traceback).
    odd = os.fsdecode(os.fsencode(work) + b"/data \xff")
    odd_model = os.fsdecode(os.fsencode(work) + b"/mod\xe8le.onnx")  # its name in each shard's report and JUnit
    shutil.copy(args[1], odd_model)
    small = [args[0], odd_model, *args[2:-1], "8"]
    compare_data_set("a run folder named in Latin-1", farm(farm_cmd, sim, odd, 2, small, 0),
                     single(sim, small, f"{work}/data_small_single.json", 0))

    if LAUNCHER[1] == "slurm":
        check_slurm_only(farm_cmd, sim, work, small)

    if LAUNCHER[1] == "local":
        check_sbatch_refusals(farm_cmd, sim, work, small)

    # A lost shard is named, and resubmit runs only it.
    for ext in ("json", "exit"):
        os.remove(f"{work}/data/shard-3.{ext}")
    out = run([farm_cmd, "merge", f"{work}/data"], 1)
    if "shard 3/4: no result" not in out:
        problems.append("merge did not name the lost shard 3/4")
    out = run([farm_cmd, "resubmit", f"{work}/data", *WAIT], 0)
    if "resubmitting shards 3 of 4" not in out:
        problems.append("resubmit did not run shard 3 alone")
    compare_data_set("data set after resubmit", load(f"{work}/data/merged.json"), load(f"{work}/data_single.json"))

    # A shard report cut short and a JUnit file lost: each is named (in the
    # merged report of the shards that remain too), status reads the shard as
    # the merge does, and resubmit runs those shards again.
    with open(f"{work}/data/shard-2.json", "r+") as f:
        f.truncate(300)
    os.remove(f"{work}/data/shard-4.xml")
    out = run([farm_cmd, "merge", f"{work}/data"], 1)
    for words in ("shard 2/4: " + f"{work}/data/shard-2.json: not a readable report",
                  "shard 4/4: no JUnit file"):
        if words not in out:
            problems.append(f"merge did not say {words!r}")
    partial = load(f"{work}/data/merged.json")
    if partial["shards_merged"] != 3 or not any("shard-2.json" in p for p in partial["problems"]):
        problems.append("the merged report does not hold 3 of 4 shards and the problem of shard 2")
    out = run([farm_cmd, "status", f"{work}/data"], 0)
    for words in ("shard 2/4: " + f"{work}/data/shard-2.json: not a readable report", "shard 4/4: no JUnit file"):
        if words not in out:
            problems.append(f"status did not say {words!r}, as the merge does")
    out = run([farm_cmd, "resubmit", f"{work}/data", *WAIT], 0)
    if "resubmitting shards 2, 4 of 4" not in out:
        problems.append("resubmit did not run shards 2 and 4 again")
    compare_data_set("data set after the second resubmit", load(f"{work}/data/merged.json"),
                     load(f"{work}/data_single.json"))

    # A shard killed by a signal: the merge and status say so alike (they said "did not
    # finish" and "died (exit -9)").
    os.remove(f"{work}/data/shard-2.json")
    with open(f"{work}/data/shard-2.exit", "w") as f:
        f.write("-9\n")
    merged_out = run([farm_cmd, "merge", f"{work}/data"], 1)
    status_out = run([farm_cmd, "status", f"{work}/data"], 0)
    if "shard 2/4: no result: aps-sim was killed by signal 9" not in merged_out or \
            "shard 2/4: no result: aps-sim was killed by signal 9" not in status_out:
        problems.append("a shard killed by a signal is not named so by the merge and status alike")
    run([farm_cmd, "resubmit", f"{work}/data", *WAIT], 0)

    # An exit file that holds no number: the shard is named and not merged
    # (its report may be one the job was still writing), and resubmit runs it.
    with open(f"{work}/data/shard-1.exit", "w") as f:
        f.write("abc\n")
    out = run([farm_cmd, "merge", f"{work}/data"], 1)
    if f"shard 1/4: {work}/data/shard-1.exit: not an exit code" not in out or "exit None" in out:
        problems.append("merge did not name shard 1's exit file as holding no exit code")
    if load(f"{work}/data/merged.json")["shards_merged"] != 3:
        problems.append("the merged report counts the shard without an exit code")
    out = run([farm_cmd, "resubmit", f"{work}/data", *WAIT], 0)
    if "resubmitting shards 1 of 4" not in out:
        problems.append("resubmit did not run shard 1 again")
    # A folder of other files is not taken for a run folder (a run clears its
    # shard and merge files: it removed coverage.dat and report.html).
    shutil.rmtree(f"{work}/not_a_run", ignore_errors=True)
    os.makedirs(f"{work}/not_a_run")
    with open(f"{work}/not_a_run/coverage.dat", "w") as f:
        f.write("mine\n")
    out = run([farm_cmd, "submit", "--run-dir", f"{work}/not_a_run", "--shards", "1", *LAUNCHER, "--sim", sim, "--",
               *args], 2)
    if "holds files and no run" not in out or not os.path.exists(f"{work}/not_a_run/coverage.dat"):
        problems.append("submit took a folder of other files for a run folder")

    # An aps-sim that is not there is refused before a folder is made (local
    # shards; Slurm's may find it on their nodes only).
    if LAUNCHER[1] == "local":
        shutil.rmtree(f"{work}/no_sim", ignore_errors=True)
        out = run([farm_cmd, "submit", "--run-dir", f"{work}/no_sim", "--shards", "1", *LAUNCHER,
                   "--sim", f"{work}/no_such_aps_sim", "--", *args], 2)
        if "no such executable" not in out or os.path.exists(f"{work}/no_sim"):
            problems.append("submit with an aps-sim that is not there was not refused up front")

    # One launcher's options given to the other and a count given twice are
    # refused before a folder is made: neither may be ignored.
    cases = [(["--shards", "3"], "--shards is given twice")]
    if LAUNCHER[1] == "local":
        cases += [(["--wait"], "--wait applies to Slurm runs"),
                  (["--sbatch-arg=--time=10"], "--sbatch-arg applies to Slurm runs")]
    else:
        cases += [(["--parallel", "3"], "--parallel applies to local runs")]
    for extra, words in cases:
        shutil.rmtree(f"{work}/refused", ignore_errors=True)
        out = run([farm_cmd, "submit", "--run-dir", f"{work}/refused", "--shards", "1", *LAUNCHER, *extra,
                   "--sim", sim, "--", *args], 2)
        if words not in out or os.path.exists(f"{work}/refused"):
            problems.append(f"submit {' '.join(extra)} was not refused with {words!r} before a folder was made")
    if LAUNCHER[1] == "local":  # refused before Slurm is asked anything
        out = run([farm_cmd, "submit", "--run-dir", f"{work}/refused", "--shards", "1", "--launcher", "slurm", "--wait",
                   "--timeout", "-1", "--sim", sim, "--", *args], 2)
        if "--timeout must be 0 (no limit) or more seconds, not -1" not in out or os.path.exists(f"{work}/refused"):
            problems.append("submit --timeout -1 was not refused before a folder was made")
    out = run([farm_cmd, "merge", f"{work}/data", "--quiet", "--quiet"], 2)
    if "--quiet is given twice" not in out:
        problems.append("merge with a flag given twice was not refused")
    out = run([farm_cmd, "submit", "--run-dir", f"{work}/refused", "--shards", "2", *LAUNCHER, "--sim", sim, "--",
               "regress", "--count", "4", "--only", "random:1"], 2)
    if "--only runs one case" not in out or os.path.exists(f"{work}/refused"):
        problems.append("submit of a regression of one case (--only) was not refused before a folder was made")

    # A shard report with a field of the wrong type, or of another run: named
    # and left out of the merge (it stopped with a traceback, or merged).
    # The run is what the command asked and most shards agree on: a stale
    # first shard is the one left out, and a shard left out is not in the
    # JUnit either.
    for k, change, words in (
            (3, lambda r: r.update(inputs="ten"), "'inputs' is 'ten', not a count"),
            (3, lambda r: r.update(evaluation={}), "'evaluation' has no 'rtl' sample count"),
            (3, lambda r: r.update(layers=r["layers"][:1]), "a report of another run (other layers)"),
            (3, lambda r: r.update(model="/another/model.onnx"), "a report of another run (model '/another"),
            (1, lambda r: r.update(model="/another/model.onnx"), "a report of another run (model '/another"),
            (1, lambda r: r.update(precision="map:2,2,2"), "a report of another run (precision 'map:2,2,2'"),
            (2, lambda r: r.update(policy_options="--profile p.onnx --policy budget --budget-bits 3"),
             "a report of another run (policy_options '--profile p.onnx"),
            (3, lambda r: r.update(first=0), "overlap another shard's")):
        shutil.rmtree(f"{work}/data_edited", ignore_errors=True)
        shutil.copytree(f"{work}/data", f"{work}/data_edited")
        report = load(f"{work}/data_edited/shard-{k}.json")
        change(report)
        with open(f"{work}/data_edited/shard-{k}.json", "w") as f:
            json.dump(report, f)
        out = run([farm_cmd, "merge", f"{work}/data_edited"], 1)
        if f"shard {k}/4: " not in out or words not in out or "Traceback" in out:
            problems.append(f"merge did not name shard {k}'s edited report with {words!r}")
            continue
        merged = load(f"{work}/data_edited/merged.json")
        suites = ET.parse(f"{work}/data_edited/merged.xml").getroot().findall("testsuite")
        lost = [s for s in suites if s.get("errors") == "1" and s.get("name", "").endswith(f"shard {k}/4")]
        if merged["shards_merged"] != 3 or merged["model"] != args[1] or len(suites) != 4 or len(lost) != 1:
            problems.append(f"merge kept shard {k}'s edited report ({words}): {merged['shards_merged']} shards "
                            f"of model {merged['model']}, {len(suites)} JUnit suites, {len(lost)} for the lost shard")

    # A report that is another run's or another shard's, whatever its fields
    # say: each shard's report carries its run's id and its slot. (A copy from
    # a run with other --count or --first matched every field the merge
    # compared, and merged into a wrong count.)
    shutil.rmtree(f"{work}/data_other", ignore_errors=True)
    run([farm_cmd, "submit", "--run-dir", f"{work}/data_other", "--shards", "4", *LAUNCHER, "--sim", sim, "--",
         *args[:-1], "8"], 0)
    for what, setup, words in (
            ("a shard copied from another run", lambda d: [shutil.copy(f"{work}/data_other/shard-3.{e}",
                                                                       f"{d}/shard-3.{e}") for e in ("json", "xml", "exit")],
             "shard 3/4: " + f"{work}/data_edited/shard-3.json: a report of another farm run"),
            ("two shards' reports swapped", lambda d: [os.replace(f"{d}/shard-2.json", f"{d}/swap"),
                                                      os.replace(f"{d}/shard-3.json", f"{d}/shard-2.json"),
                                                      os.replace(f"{d}/swap", f"{d}/shard-3.json")],
             "the report of shard '3/4', not of 2/4")):
        shutil.rmtree(f"{work}/data_edited", ignore_errors=True)
        shutil.copytree(f"{work}/data", f"{work}/data_edited")
        setup(f"{work}/data_edited")
        out = run([farm_cmd, "merge", f"{work}/data_edited"], 1)
        if words not in out or load(f"{work}/data_edited/merged.json")["inputs"] > 75:
            problems.append(f"{what}: the merge did not leave it out naming it ({words!r})")
        xml = ET.parse(f"{work}/data_edited/merged.xml").getroot()
        if xml.get("errors") == "0":
            problems.append(f"{what}: the merged JUnit counts no error")
        validate(f"{work}/data_edited/merged.xml", True)
        if "resubmitting shards" not in run([farm_cmd, "resubmit", f"{work}/data_edited", *WAIT], 0):
            problems.append(f"{what}: resubmit did not run the shard again")

    # One aps-farm at a time in a folder: a submit while another holds it is
    # refused (two cleared and wrote each other's shards).
    with open(f"{work}/data_edited/farm.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        out = run([farm_cmd, "submit", "--run-dir", f"{work}/data_edited", "--force", "--shards", "1", *LAUNCHER,
                   "--sim", sim, "--", *args], 2)
        if "another aps-farm is submitting or merging this run" not in out:
            problems.append("a submit into a folder another aps-farm holds was not refused")

    # Relative paths are the submitter's: resubmit from elsewhere runs the
    # shards where the run was submitted.
    shutil.rmtree(f"{work}/rel", ignore_errors=True)
    os.makedirs(f"{work}/rel")
    os.symlink(models, f"{work}/rel/m")
    rel_args = ["--model", "m/digits_mlp/model_int8.onnx", "--data", "m/digits_mlp/test_data_set_0", "--count", "6"]
    subprocess.run([farm_cmd, "submit", "--run-dir", "run", "--shards", "3", *LAUNCHER, "--sim", sim, "--", *rel_args],
                   cwd=f"{work}/rel", stdout=subprocess.DEVNULL)
    os.remove(f"{work}/rel/run/shard-2.json")
    run([farm_cmd, "resubmit", f"{work}/rel/run", *WAIT], 0)
    if load(f"{work}/rel/run/merged.json")["inputs"] != 6:
        problems.append("a run with relative paths, resubmitted from another folder, did not complete")

    # A shard report of the aps-sim before policy_options (resubmit after an
    # upgrade) is of the same run as the others, which have none given.
    shutil.rmtree(f"{work}/data_edited", ignore_errors=True)
    shutil.copytree(f"{work}/data", f"{work}/data_edited")
    report = load(f"{work}/data_edited/shard-2.json")
    del report["policy_options"]
    with open(f"{work}/data_edited/shard-2.json", "w") as f:
        json.dump(report, f)
    run([farm_cmd, "merge", f"{work}/data_edited"], 0)
    if load(f"{work}/data_edited/merged.json")["shards_merged"] != 4:
        problems.append("a shard report without policy_options was left out of the merge")

    # Submitted again over it with arguments aps-sim refuses: exit 2, the
    # refusal quoted, and nothing of the earlier run's merge left.
    out = run([farm_cmd, "submit", "--run-dir", f"{work}/data", "--shards", "2", "--force", *LAUNCHER, "--sim", sim,
               "--", *args, "--no-such-option"], 2)
    if "aps-sim refused the shard (exit 2): aps-sim run: error: unrecognised option '--no-such-option'" not in out:
        problems.append("a refused shard was not reported with aps-sim's own line")
    left = [n for n in os.listdir(f"{work}/data") if n.startswith(("shard-3.", "shard-4."))]
    if left:
        problems.append(f"submit --force with 2 shards left the earlier run's shards 3 and 4: {left}")
    # Its merge says so in every file (a run without any result had no
    # merged.json or page, and aps-report could not show it).
    merged = load(f"{work}/data/merged.json") if os.path.exists(f"{work}/data/merged.json") else {}
    if merged.get("error") != "no shard produced a result" or merged["shards"] != 2 or merged["inputs"] != 0:
        problems.append(f"submit --force: the merged report is not this run's, with no result: {merged}")
    elif ET.parse(f"{work}/data/merged.xml").getroot().get("errors") != "2" or \
            "no shard produced a result" not in open(f"{work}/data/report.html").read():
        problems.append("submit --force: the merged JUnit or page does not show two lost shards")

    # More shards than inputs: the shards no input falls in have nothing to
    # run, and the merge is one process's run of the three.
    args = ["--model", f"{models}/digits_mlp/model_int8.onnx", "--data", f"{models}/digits_mlp/test_data_set_0",
            "--count", "3"]
    m = farm(farm_cmd, sim, f"{work}/few", 5, args, 0)
    compare_data_set("more shards than inputs", m, single(sim, args, f"{work}/few_single.json", 0))
    if run([farm_cmd, "status", f"{work}/few"], 0).count("no inputs fell in this shard") != 2:
        problems.append("status does not say that two of five shards had no inputs")
    # No input at all: exit 1 with the reason, in the output and on the page
    # (the page read "FAILED" beside "No failures.").
    shutil.rmtree(f"{work}/none", ignore_errors=True)
    out = run([farm_cmd, "submit", "--run-dir", f"{work}/none", "--shards", "2", *LAUNCHER, "--sim", sim, "--",
               *args[:4], "--count", "0"], 1)
    if "nothing was compared" not in out or "nothing was compared" not in open(f"{work}/none/report.html").read():
        problems.append("a run of no inputs did not say that nothing was compared")
    # And more shards than a regression's cases (the two bundled models and one
    # random network), with coverage: the empty shard's file adds no points.
    args = ["regress", "--seed", "7", "--count", "1"]
    m = farm(farm_cmd, sim, f"{work}/few_cases", 4, args, 0, ["--coverage"])
    same("more shards than cases: networks", m["networks"], 3)
    single(sim, [*args, "--coverage", f"{work}/few_cases_single.dat"], f"{work}/few_cases_single.json", 0)
    check_coverage(f"{work}/few_cases", f"{work}/few_cases_single.dat")
    # One page of two farm folders shows each folder's coverage under its name (it showed the first's alone).
    report_cmd = os.path.join(os.path.dirname(farm_cmd), "..", "report", "aps-report")
    both = f"{work}/two_folders.html"
    run([report_cmd, "-o", both, f"{work}/regress", f"{work}/few_cases"], 0)
    page = open(both).read()
    if not all(words in page for words in ('id="coverage"', 'id="coverage-2"', f"Coverage of <code>{work}/regress/",
                                           f"Coverage of <code>{work}/few_cases/")):
        problems.append("a page of two farm folders does not show both folders' coverage")
    if run([farm_cmd, "status", f"{work}/few_cases"], 0).count("no inputs fell in this shard") != 1:
        problems.append("status does not say that one of four regression shards had no case")

    # A failing run: the planted fault, first failure and reproduce line as one process reports them.
    args = ["--model", f"{models}/digits_mlp/model_int8.onnx", "--data", f"{models}/digits_mlp/test_data_set_0",
            "--count", "40", "--first", "5"]
    m = farm(farm_cmd, fault_sim, f"{work}/fail", 4, args, 1)
    compare_data_set("failing data set", m, single(fault_sim, args, f"{work}/fail_single.json", 1))
    validate(f"{work}/fail/merged.xml", True)

    # The first failure's trace and GTKWave view, made in the folder the run
    # was submitted from, are kept by the merge and linked from its page
    # (the merge dropped them; a relative link pointed into the run folder).
    traced = f"{work}/traced"
    shutil.rmtree(traced, ignore_errors=True)
    subprocess.run([farm_cmd, "submit", "--run-dir", "traced", "--shards", "2", *LAUNCHER, "--sim", fault_sim, "--",
                    *args[:4], "--count", "4", "--trace-on-fail"], cwd=work, stdout=subprocess.DEVNULL)
    m = load(f"{traced}/merged.json")
    page = open(f"{traced}/report.html").read()
    links = [h for h in re.findall(r'href="([^"]*)"', page) if "aps-fail" in h]
    if not m.get("trace_on_fail") or not os.path.exists(m["trace_on_fail"]) or len(links) != 2 or \
            not all(os.path.exists(os.path.join(traced, h)) for h in links):
        problems.append(f"the merged failing run does not keep and link its trace: {m.get('trace_on_fail')}, {links}")

    # Hung shards: each names the input the watchdog stopped and the line that re-runs it.
    args = ["--model", f"{models}/digits_mlp/model_int8.onnx", "--data", f"{models}/digits_mlp/test_data_set_0",
            "--count", "4", "--first", "2", "--max-cycles", "30000"]
    shutil.rmtree(f"{work}/hang", ignore_errors=True)
    out = run([farm_cmd, "submit", "--run-dir", f"{work}/hang", "--shards", "2", *LAUNCHER, "--sim", hang_sim, "--",
               *args], 1)
    for k, first in ((1, 2), (2, 4)):
        if not any(line.startswith(f"aps-farm: shard {k}/2: input {first}: the accelerator did not finish") and
                   f"reproduce: {os.path.basename(hang_sim)} " in line and f" --first {first} " in line
                   for line in out.splitlines()):
            problems.append(f"hung shard {k}/2: no problem line with the reproduce line of input {first}")

    # The ROC AUC is recomputed from every shard's scores, not averaged.
    if ae:
        model, data = ae.split(":", 1)
        args = ["--model", model, "--data", data]
        m = farm(farm_cmd, sim, f"{work}/auc", 4, args, 0)
        compare_data_set("autoencoder", m, single(sim, args, f"{work}/auc_single.json", 0))

    # Bad usage: one line naming what is wrong, exit 2, nothing run.
    for cmd, words in ((["submit", "--run-dir", f"{work}/bad", "--shards", "2", "--", "regress", "--shard", "1/2"],
                        "are the farm's to set"),
                       (["submit", "--run-dir", f"{work}/bad", "--shards", "2", "--", "regress", "--rep", "r.json"],
                        "are the farm's to set"),
                       (["submit", "--run-dir", f"{work}/bad", "--shards", "2"], "give the aps-sim arguments"),
                       (["merge", f"{work}/no-such-run"], "not a farm run folder"),
                       (["submit", "--run-dir", f"{work}/bad", "--shards", "2", "--", "--trace", "t.vcd"],
                        "every shard write the same file"),
                       (["submit", "--run-dir", f"{work}/data_single.json/run", "--shards", "2", "--", "regress"],
                        "cannot write the run folder")):
        out = run([farm_cmd, *cmd], 2)
        if words not in out or len(out.strip().splitlines()) > 2:
            problems.append(f"aps-farm {cmd[0]}: expected one line with '{words}', got {out!r}")

    # A merge that cannot clear the earlier merge's files: one line naming the
    # file, exit 2 (here a folder stands where merged.json was).
    os.remove(f"{work}/few/merged.json")
    os.mkdir(f"{work}/few/merged.json")
    out = run([farm_cmd, "merge", f"{work}/few"], 2)
    if f"aps-farm: {work}/few/merged.json: cannot remove the earlier merge's file" not in out or "Traceback" in out:
        problems.append(f"a merge that cannot clear merged.json: expected one line naming it, got {out!r}")
    os.rmdir(f"{work}/few/merged.json")

    # The schema can fail: a testsuite without its name.
    broken = f"{work}/broken.xml"
    with open(broken, "w") as f:
        f.write('<?xml version="1.0"?>\n<testsuites><testsuite tests="1"><testcase name="a"/></testsuite></testsuites>\n')
    validate(broken, False)

    for p in problems:
        print(f"FAILED: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
