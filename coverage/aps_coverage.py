#!/usr/bin/python3
"""aps-coverage: the RTL's coverage from aps-sim --coverage runs, merged and summarized.

  aps-coverage merge -o OUT.dat IN.dat...
      sums the points of several runs (shards) with verilator_coverage --write
  aps-coverage summary IN.dat [--holes FILE.json] [--json OUT.json]
                              [--annotate DIR] [--min PERCENT]
      functional points (the SV's cover properties, in cov_* blocks) hit / total
      per group, line, branch and toggle points hit / total, and every functional
      point not hit with the reason FILE.json gives for it; --annotate writes the
      sources with their counts (verilator_coverage --annotate)

Exit codes: 0 done (and, with --min, at least PERCENT of the functional points
hit and every hole explained), 1 below --min or an unexplained hole, 2 bad
usage or an unreadable coverage file.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))

from output_paths import OutputPathError, check_output_folder, check_outputs_apart, replace_whole, write_whole  # noqa: E402
from python_tool import ArgumentParser, run_tool  # noqa: E402

STRUCTURAL = {"v_line": "line", "v_branch": "branch", "v_toggle": "toggle"}


class CoverageError(Exception):
    pass


def read_points(path):
    """[(fields dict, count)] of a Verilator coverage file."""
    points = []
    try:
        with open(path, "rb") as f:
            for n, raw in enumerate(f, 1):
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                m = re.fullmatch(r"C '(.*)' (\d+)", line)
                if not m:
                    raise CoverageError(f"{path}: line {n} is not a coverage point")
                fields = dict(kv.split("\x02", 1) for kv in m.group(1).split("\x01") if "\x02" in kv)
                points.append((fields, int(m.group(2))))
    except OSError as e:
        raise CoverageError(f"{path}: cannot read: {e.strerror}")
    if not points:
        raise CoverageError(f"{path}: no coverage points (not an aps-sim --coverage file?)")
    return points


def functional_name(hierarchy):
    """'aps.aps_top.u_pcu.cov_pcu_decision.up_front_candidate__BRA__2__KET__' ->
    ('pcu_decision', 'up_front_candidate[2]'); None outside a cov_ block."""
    parts = hierarchy.replace("__BRA__", "[").replace("__KET__", "]").split(".")
    for i, p in enumerate(parts):
        if p.startswith("cov_"):
            return p[4:], ".".join(parts[i + 1:])
    return None


def summarize(points, reasons):
    functional = {}  # "group.point" -> count, in file order (a point listed twice counts once, summed)
    structural = {}
    for fields, count in points:
        kind = fields.get("page", "").split("/", 1)[0]
        if kind == "v_user":
            name = functional_name(fields.get("h", ""))
            if name is not None:
                key = ".".join(name)
                functional[key] = functional.get(key, 0) + count
        elif kind in STRUCTURAL:
            s = structural.setdefault(STRUCTURAL[kind], {"kind": STRUCTURAL[kind], "hit": 0, "total": 0})
            s["total"] += 1
            s["hit"] += count > 0
    groups = {}
    for key, count in functional.items():
        group = key.split(".", 1)[0]
        g = groups.setdefault(group, {"group": group, "hit": 0, "total": 0})
        g["total"] += 1
        g["hit"] += count > 0
    holes = [{"point": k, "reason": reasons.get(k)} for k, count in functional.items() if count == 0]
    hit, total = sum(c > 0 for c in functional.values()), len(functional)
    stale = sorted(k for k in reasons if functional.get(k, 0) > 0)
    unknown = sorted(k for k in reasons if k not in functional)
    return {
        "functional": {"hit": hit, "total": total, "percent": 100.0 * hit / total if total else 0.0},
        "groups": list(groups.values()),
        "structural": [structural[k] for k in ("line", "branch", "toggle") if k in structural],
        "holes": holes,
        "explained_but_hit": stale,
        "explained_but_unknown": unknown,
    }


def print_summary(s):
    f = s["functional"]
    print(f"functional coverage: {f['hit']} of {f['total']} points ({f['percent']:.1f} %)")
    for g in s["groups"]:
        print(f"  {g['group']:<24} {g['hit']:>4} / {g['total']:<4}")
    for k in s["structural"]:
        pct = 100.0 * k["hit"] / k["total"] if k["total"] else 0.0
        print(f"{k['kind']} coverage: {k['hit']} of {k['total']} points ({pct:.1f} %)")
    for h in s["holes"]:
        print(f"hole: {h['point']}: {h['reason'] or 'NOT EXPLAINED'}")
    for k in s["explained_but_hit"]:
        print(f"note: {k} is explained as a hole but was hit")
    for k in s["explained_but_unknown"]:
        print(f"note: {k} is explained as a hole but is no point of this RTL")


def load_reasons(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except OSError as e:
        raise CoverageError(f"{path}: cannot read: {e.strerror}")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CoverageError(f"{path}: not JSON: {e}")
    holes = doc.get("holes") if isinstance(doc, dict) else None
    if not isinstance(holes, dict) or not all(isinstance(v, str) and v for v in holes.values()):
        raise CoverageError(f"{path}: expected {{\"holes\": {{\"group.point\": \"reason\", ...}}}}")
    return holes


def verilator_coverage():
    tool = shutil.which("verilator_coverage")
    if not tool:
        raise CoverageError("verilator_coverage is not on PATH (Debian package verilator)")
    return tool


def point_key(fields):
    return tuple(sorted(fields.items()))


def point_counts(points):
    """{point: count} of read_points' list, counts of a point named twice summed."""
    counts = {}
    for fields, count in points:
        counts[point_key(fields)] = counts.get(point_key(fields), 0) + count
    return counts


def scratch_folder(output):
    """A private folder for a file on its way to `output`: beside it where
    it can be (a small /tmp is not the output's disk), else the system's."""
    if not output.startswith(("/dev/", "/proc/")):
        try:
            return tempfile.TemporaryDirectory(prefix=".aps-coverage.", dir=os.path.dirname(os.path.abspath(output)))
        except OSError:
            pass
    return tempfile.TemporaryDirectory(prefix="aps-coverage.")


def merge(inputs, output, points=None):
    """Sums coverage files into `output`; `points` may hold files' read_points
    already read, by path. Returns (points, files summed)."""
    # Runs of one build hold the same points (Verilator writes every point,
    # hit or not): a file that does not is another build's or was cut short,
    # and summing it would count points of two designs as one.
    first = None
    expected = {}
    # A file named twice is summed once, as verilator_coverage reads it once.
    unique = {}
    for path in inputs:
        unique.setdefault(os.path.realpath(path), path)
    inputs = list(unique.values())
    for path in inputs:
        read = point_counts(points[path] if points and path in points else read_points(path))
        keys = set(read)
        if first is None:
            first = (path, keys)
        elif keys != first[1]:
            raise CoverageError(f"{first[0]} and {path} hold different points ({len(keys - first[1])} only in the "
                                f"second, {len(first[1] - keys)} only in the first): one is another build's "
                                f"coverage, or cut short")
        for key, count in read.items():
            expected[key] = expected.get(key, 0) + count
    # verilator_coverage exits 0 when its write fails (a full disk, a file
    # size limit): its file is written apart, checked to hold every point
    # with the summed counts, and only then replaces `output`.
    with scratch_folder(output) as scratch:
        merged = os.path.join(scratch, "merged.dat")
        r = subprocess.run([verilator_coverage(), "--write", merged, *inputs], capture_output=True, text=True)
        if r.returncode != 0:
            raise CoverageError(f"verilator_coverage --write {output}: {r.stderr.strip() or r.returncode}")
        try:
            written = point_counts(read_points(merged))
            why = f"it holds {len(written)} of the {len(expected)} points, or other counts than their sums"
        except CoverageError as e:
            why, written = f"{e}".replace(merged, "its file"), None
        if written != expected:
            raise CoverageError(f"verilator_coverage --write {output} wrote a file that is not the inputs' sum ({why}; "
                                f"a full disk?): {output} is left as it was")
        replace_whole(output, lambda tmp: shutil.copyfile(merged, tmp))
    return len(expected), len(inputs)


def annotate(path, folder, points):
    """verilator_coverage --annotate into `folder`: each source of `points`
    with its counts."""
    # verilator_coverage exits 0 when a write fails (a full disk), leaving
    # files cut short or empty: it writes apart, each file it wrote is checked
    # to hold at least its source's lines, and only then copied into `folder`.
    # (It writes none for a source without points to show.)
    sources = {fields["f"] for fields, _ in points if "f" in fields}
    for source in sorted(sources):
        target = os.path.join(folder, os.path.basename(source))
        try:
            same = os.path.samefile(target, source)
        except OSError:  # either is missing: nothing to overwrite
            same = False
        if same:
            raise CoverageError(f"--annotate {folder}: it holds {source}, a source the coverage file names, which "
                                "its annotated copy would replace; give another folder")
    with scratch_folder(folder) as scratch:
        r = subprocess.run([verilator_coverage(), "--annotate", scratch, "--annotate-min", "1", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise CoverageError(f"verilator_coverage --annotate {folder}: {r.stderr.strip() or r.returncode}")
        for source in sorted(sources):
            annotated = os.path.join(scratch, os.path.basename(source))
            if not os.path.exists(annotated):
                continue
            try:
                with open(source, "rb") as f:
                    want = f.read().count(b"\n")
            except OSError:
                continue  # a source moved since the run: nothing to check it by
            with open(annotated, "rb") as f:
                got = f.read().count(b"\n")
            if got < want:
                raise CoverageError(f"verilator_coverage --annotate {folder}: {os.path.basename(source)} has "
                                    f"{got} of its source's {want} lines (a full disk?); nothing was written "
                                    f"into {folder}")
        os.makedirs(folder, exist_ok=True)
        for name in sorted(os.listdir(scratch)):
            annotated = os.path.join(scratch, name)
            replace_whole(os.path.join(folder, name), lambda tmp, src=annotated: shutil.copyfile(src, tmp))


def main(argv=None):
    p = ArgumentParser(prog="aps-coverage", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("merge", help="sum the points of several coverage files")
    m.add_argument("-o", "--output", required=True)
    m.add_argument("inputs", nargs="+")
    s = sub.add_parser("summary", help="points hit per group, and the holes")
    s.add_argument("input")
    s.add_argument("--holes", help="JSON {\"holes\": {\"group.point\": \"why it is not reached\"}}")
    s.add_argument("--json", help="write the summary here (aps-report --coverage reads it)")
    s.add_argument("--annotate", help="write the annotated sources into this folder")
    s.add_argument("--min", type=float, help="fail unless this share (%%) of functional points is hit and every hole is explained")
    a = p.parse_args(argv)
    try:
        # Before anything is read or printed.
        if a.command == "summary" and a.min is not None and not 0 <= a.min <= 100:
            raise CoverageError(f"--min must be a share in 0..100 (%), not {a.min}")
        if a.command == "merge":
            check_outputs_apart([("IN.dat", i) for i in a.inputs], [("-o", a.output)])
        else:
            check_outputs_apart([("IN.dat", a.input), ("--holes", a.holes)], [("--json", a.json)])
            if a.annotate:
                check_output_folder("--annotate", a.annotate)
        if a.command == "merge":
            count, files = merge(a.inputs, a.output)
            print(f"aps-coverage: {a.output} ({count} points from {files} files)")
            return 0
        reasons = load_reasons(a.holes) if a.holes else {}
        points = read_points(a.input)
        summary = summarize(points, reasons)
        summary["source"] = os.path.abspath(a.input)
        print_summary(summary)
        if a.json:
            write_whole(a.json, json.dumps(summary, indent=2))
        if a.annotate:
            annotate(a.input, a.annotate, points)
        if a.min is not None:
            unexplained = [h["point"] for h in summary["holes"] if not h["reason"]]
            if summary["functional"]["percent"] < a.min or unexplained:
                print(f"aps-coverage: {summary['functional']['percent']:.1f} % of the functional points hit "
                      f"(required {a.min:g} %), {len(unexplained)} holes not explained", file=sys.stderr)
                return 1
        return 0
    except (CoverageError, OutputPathError) as e:
        print(f"aps-coverage: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run_tool("aps-coverage", main))
