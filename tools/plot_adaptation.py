#!/usr/bin/python3
"""Pareto plots and the target check of the adaptation study.

Usage: plot_adaptation.py STUDY.json [STUDY.json ...] --out DIR [--targets digits|zoo]

For every model and split: accuracy against MAC-weighted bits and against
accelerator cycles, with the static front (maps chosen on calibration data,
evaluated on the split) drawn as a line, and the adaptive policies, the
cascade, the ideal policy, the perfect-gate cascade and the per-input oracle
as points. Writes
DIR/adaptation_<model>.png and prints a Markdown summary of the targets,
computed from the numbers (nothing here is tuned): the digits study's
(<= 4.0 bits and >= 1.8x within 0.5 % of fp32) or the zoo's (>= 2.0x fewer
cycles and >= 1.6x less energy than static 8 bits within 0.5 points of fp32,
SAE and PCU cycles exposed <= 2 %).
"""

import argparse
import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# The targets the summaries check and the plots draw: the digits study's
# (bits, cycles) and the zoo's (cycles, energy), against static 8 bits.
DIGITS_BITS, DIGITS_SPEEDUP = 4.0, 1.8
ZOO_SPEEDUP, ZOO_ENERGY = 2.0, 1.6

HARDWARE = ("adaptive (jit)", "adaptive (upfront)", "cascade", "adaptive-cascade (jit)", "budget (upfront)",
            "budget (upfront, traffic)", "budget (upfront, energy)", "adaptive (jit, grouping)", "adaptive (jit, scaling)")


def front(points):
    """Upper-left envelope: the best accuracy reached at or below each cost."""
    out, best = [], -1.0
    for x, y in sorted(points):
        if y > best:
            out.append((x, y))
            best = y
    return out


def ordered_splits(study):
    """A study's splits in the order aps-study ran them (its JSON object sorts them by name)."""
    return {k: study["splits"][k] for k in study.get("split_order", study["splits"])}


def static8(rows):
    """The static 8-bit row, whatever the number of layers."""
    return next(r for r in rows if r["family"] == "static uniform" and r["policy"].startswith("static map:8,")
                or r["policy"] == "static map:8")


def is_hardware(r):
    return r["family"] in HARDWARE or r["policy"].startswith(HARDWARE)


def static_bits_for(accuracy, static_front):
    """Cheapest static (calibration-chosen) map reaching at least `accuracy`."""
    bits = [b for b, a in static_front if a >= accuracy - 1e-9]
    return min(bits) if bits else None


def front_table(rows, budgets=(2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 8.0)):
    """The static front as the calibration split chose it, scored on this split.

    The calibration front is stored cheapest first, each entry better on
    calibration data than the one before; so the best map within a budget is
    the last entry that fits.
    """
    cal = [r for r in rows if r["family"] == "static front (calibration)"]
    s8 = static8(rows)["cycles"]
    lines = ["| budget (bits) | map chosen on calibration | bits | accuracy here | cycles | speed-up vs static 8 |",
             "|---:|---|---:|---:|---:|---:|"]
    for b in budgets:
        fit = [r for r in cal if r["avg_bits"] <= b + 1e-9]
        if not fit:
            continue
        r = fit[-1]
        lines.append(f"| {b:.1f} | {r['policy'].removeprefix('static ')} | {r['avg_bits']:.2f} | "
                     f"{100 * r['accuracy']:.2f} % | {r['cycles']:.0f} | {s8 / r['cycles']:.2f}x |")
    return "\n".join(lines)


def within_half_point(r, fp32):
    return fp32 - r["accuracy"] <= 0.005 + 1e-9


def lead_line(rows, who):
    """The largest lead over the calibration-chosen static front, against the >= 0.3-bit target."""
    gap, r = lead_over_front(rows)
    if not r:
        return []
    return [f"- largest lead of {who} over the calibration-chosen static front at equal accuracy: "
            f"{gap:+.2f} bits ({r['policy']}, {r['detail']}) — target >= 0.3: {'met' if gap >= 0.3 else 'missed'}"]


def oracle_and_front(rows, s8_cycles):
    """The yardsticks' lines (the perfect-gate cascade, the per-input oracle),
    then the calibration front's table: how every summary ends."""
    oracle = next((r for r in rows if r["family"] == "oracle"), None)
    gate = next((r for r in rows if r["family"] == "gate ceiling"), None)
    lines = []
    if gate:
        lines.append(f"- perfect-gate cascade ({gate['detail']}; re-runs exactly the inputs its first pass decides unlike "
                     f"8 bits): {gate['avg_bits']:.2f} bits, {s8_cycles / gate['cycles']:.2f}x, "
                     f"{100 * gate['rerun_share']:.1f} % re-run (the ceiling of any gate that keeps every 8-bit "
                     "decision with an 8-bit re-run)")
    if oracle:
        lines.append(f"- per-input oracle: {oracle['avg_bits']:.2f} bits, {s8_cycles / oracle['cycles']:.2f}x (the ceiling)")
    return lines + ["", front_table(rows)]


def summarize(name, split, rows):
    fp32 = next(r for r in rows if r["family"] == "fp32")["accuracy"]
    s8 = static8(rows)["cycles"]
    best = None
    for r in rows:
        if is_hardware(r) and within_half_point(r, fp32) and (best is None or r["avg_bits"] < best["avg_bits"]):
            best = r
    lines = [f"**{name}, {split}** (fp32 {100 * fp32:.2f} %, static 8 bits {s8:.0f} cycles):"]
    if best:
        lines.append(
            f"- cheapest hardware policy within 0.5 % of fp32: {best['policy']} ({best['detail']}) at "
            f"{best['avg_bits']:.2f} bits, {s8 / best['cycles']:.2f}x fewer cycles than static 8 bits "
            f"({100 * best['accuracy']:.2f} %) — targets: <= {DIGITS_BITS} bits "
            f"{'met' if best['avg_bits'] <= DIGITS_BITS else 'missed'}, "
            f">= {DIGITS_SPEEDUP}x {'met' if s8 / best['cycles'] >= DIGITS_SPEEDUP else 'missed'}")
    else:
        lines.append("- no hardware policy is within 0.5 % of fp32")
    lines += lead_line(rows, "an adaptive point")
    return "\n".join(lines + oracle_and_front(rows, s8))


def lead_over_front(rows):
    """Largest lead in bits of a hardware row over the calibration-chosen static front at equal accuracy."""
    static_front = [(r["avg_bits"], r["accuracy"]) for r in rows if r["family"] == "static front (calibration)"]
    static_front += [(r["avg_bits"], r["accuracy"]) for r in rows if r["family"] == "static uniform"]
    gaps = []
    for r in rows:
        if not is_hardware(r):
            continue
        sb = static_bits_for(r["accuracy"], static_front)
        if sb is not None:
            gaps.append((sb - r["avg_bits"], r))
    return max(gaps, key=lambda g: g[0]) if gaps else (None, None)


def summarize_zoo(name, split, rows):
    """The zoo's targets: cycles, energy and SAE exposure within 0.5 points of fp32."""
    fp32 = next(r for r in rows if r["family"] == "fp32")["accuracy"]
    s8 = static8(rows)
    within = [r for r in rows if within_half_point(r, fp32) and r["cycles"] > 0]
    lines = [f"**{name}, {split}** (fp32 {100 * fp32:.2f} %, static 8 bits {100 * s8['accuracy']:.2f} %, "
             f"{s8['cycles']:.0f} cycles, {s8['energy_nj']:.0f} nJ per inference):"]

    def describe(r):
        what = r["detail"] or {"static front (calibration)": "calibration front", "static uniform": "uniform"}.get(
            r["family"], r["family"])
        return (f"{r['policy']} ({what}): {100 * r['accuracy']:.2f} %, {r['avg_bits']:.2f} bits, "
                f"{s8['cycles'] / r['cycles']:.2f}x fewer cycles, {s8['energy_nj'] / r['energy_nj']:.2f}x less energy" +
                (f", SAE + PCU exposed {100 * r['sae_cycles_exposed'] / r['cycles']:.1f} %" if r["sae_cycles_exposed"] else ""))
    hw = [r for r in within if is_hardware(r)]
    static = [r for r in within if r["family"] in ("static uniform", "static front (calibration)")]
    if hw:
        best = min(hw, key=lambda r: r["cycles"])
        speed, energy = s8["cycles"] / best["cycles"], s8["energy_nj"] / best["energy_nj"]
        lines.append(f"- fastest hardware policy within 0.5 points of fp32: {describe(best)} — targets >= {ZOO_SPEEDUP}x "
                     f"cycles {'met' if speed >= ZOO_SPEEDUP else 'missed'}, >= {ZOO_ENERGY}x energy "
                     f"{'met' if energy >= ZOO_ENERGY else 'missed'}")
    else:
        lines.append("- no hardware policy is within 0.5 points of fp32")
    if static:
        lines.append(f"- fastest static map within 0.5 points (uniform, or on the front chosen on calibration): "
                     f"{describe(min(static, key=lambda r: r['cycles']))}")
    staged = next((r for r in rows if r["family"] == "staged cascade"), None)
    if staged:
        lines.append(f"- {describe(staged)}; golden only, stages and thresholds chosen on calibration")
    lines += lead_line(rows, "a hardware policy")
    exposed = [(r["sae_cycles_exposed"] / r["cycles"], r) for r in rows if is_hardware(r) and r["sae_cycles_exposed"] > 0]
    if exposed:
        share, r = max(exposed, key=lambda e: e[0])
        lines.append(f"- SAE + PCU cycles exposed: up to {100 * share:.1f} % ({r['policy']}, {r['detail']}) — target <= 2 %: "
                     f"{'met' if share <= 0.02 else 'missed'}")
    return "\n".join(lines + oracle_and_front(rows, s8["cycles"]))


def study_name(study):
    """The model folder's name (models/<name>/ or models/<name>/model.onnx), with the
    file's stem after it for another file in that folder (ds_cnn_model_any_precision)."""
    path = study["model"].rstrip("/")
    if not path.endswith(".onnx"):
        name = os.path.basename(path)
    else:
        folder, stem = os.path.basename(os.path.dirname(path)), os.path.basename(path)[:-len(".onnx")]
        # A model given without its folder ("model.onnx") is named by its file alone.
        name = folder if stem == "model" and folder else f"{folder}_{stem}" if folder else stem
    # A later slice (aps-study --first) must not overwrite the first one's plot.
    first = max((data.get("first", 0) for data in study["splits"].values()), default=0)
    return f"{name}_from_{first}" if first else name


def plot(study, out_dir, targets="digits", written=None):
    name = study_name(study)
    # Two studies of one model (the golden and the RTL study) each keep their plot.
    if written is not None:
        base, k = name, 2
        while name in written:
            name, k = f"{base}_{k}", k + 1
        written.add(name)
    # An anomaly detector's rows hold its ROC AUC where a classifier's hold accuracy.
    auc = study.get("figure") == "auc"
    splits = ordered_splits(study)
    fig, axes = plt.subplots(len(splits), 3, figsize=(19, 5 * len(splits)), squeeze=False)
    summary = []
    for row_axes, (split, data) in zip(axes, splits.items()):
        rows = data["rows"]
        # One image is 0.1 points of 1000: a reader needs the count to judge a 0.5-point window.
        shown = f"{split}, {data['inputs']} inputs" if "inputs" in data else split
        if data.get("first"):
            shown += f" from input {data['first']}"
        fp32 = next(r for r in rows if r["family"] == "fp32")["accuracy"]
        s8 = static8(rows)
        for ax, key, label in ((row_axes[0], "avg_bits", "MAC-weighted bits (every pass)"),
                               (row_axes[1], "cycles", "accelerator cycles per inference (SAE, PCU, re-runs included)"),
                               (row_axes[2], "energy_nj", "energy per inference, nJ (every pass)")):
            cal = front([(r[key], r["accuracy"]) for r in rows if r["family"] == "static front (calibration)" and r[key] > 0])
            own = front([(r[key], r["accuracy"]) for r in rows if r["family"] == "static front (this split)" and r[key] > 0])
            if cal:
                ax.plot(*zip(*cal), "-o", color="0.3", ms=3, label="static front (maps chosen on calibration)")
            if own:
                ax.plot(*zip(*own), ":", color="0.6", label="static front of this split (reference, peeks)")
            uni = [(r[key], r["accuracy"]) for r in rows if r["family"] == "static uniform" and r[key] > 0]
            ax.scatter(*zip(*uni), marker="s", color="black", label="static uniform 8/6/4/3/2", zorder=3)
            styles = {"adaptive (jit)": ("tab:blue", "o"), "adaptive (upfront)": ("tab:cyan", "v"),
                      "cascade": ("tab:red", "D"), "adaptive-cascade (jit)": ("tab:purple", "P"),
                      "budget (upfront)": ("tab:olive", "X"), "budget (upfront, energy)": ("tab:brown", "X"),
                      "staged cascade": ("tab:pink", "d"), "ideal": ("tab:green", "^"), "gate ceiling": ("tab:orange", "h"),
                      "oracle": ("gold", "*")}
            for fam, (color, marker) in styles.items():
                pts = [(r[key], r["accuracy"]) for r in rows if (r["policy"] == fam or r["family"] == fam) and r[key] > 0]
                if pts:
                    pts.sort()
                    point = fam in ("oracle", "gate ceiling")  # one row per split: a point, not a line
                    ax.plot(*zip(*pts), marker=marker, color=color, linestyle="" if point else "--",
                            ms=8 if point else 5, label=fam)
            ax.axhline(fp32, color="tab:gray", linewidth=0.8, linestyle="-.", label="fp32")
            ax.axhline(fp32 - 0.005, color="tab:gray", linewidth=0.6, linestyle=":", label="fp32 - 0.5 %")
            if key == "avg_bits":
                ax.axvline(DIGITS_BITS, color="tab:orange", linewidth=0.6, linestyle=":", label=f"{DIGITS_BITS} bits")
            elif key == "cycles":
                goal = ZOO_SPEEDUP if targets == "zoo" else DIGITS_SPEEDUP
                ax.axvline(s8["cycles"] / goal, color="tab:orange", linewidth=0.6, linestyle=":", label=f"static 8 / {goal}")
            else:
                ax.axvline(s8["energy_nj"] / ZOO_ENERGY, color="tab:orange", linewidth=0.6, linestyle=":",
                           label=f"static 8 / {ZOO_ENERGY}")
            lo = max(0.0, min(r["accuracy"] for r in rows if r["family"] in ("static uniform", "cascade", "oracle")) - 0.02)
            bottom, top = max(lo, fp32 - 0.12), fp32 + 0.02
            ax.set_ylim(bottom, top)
            # The axes show the points under fp32 that the targets are about; say what falls outside them.
            off = sum(1 for r in rows if r[key] > 0 and not bottom <= r["accuracy"] <= top)
            ax.set_xlabel(label + (f"\n({off} rows outside the accuracy axis)" if off else ""))
            ax.set_ylabel("ROC AUC" if auc else "accuracy")
            ax.set_title(f"{name} — {shown}")
            ax.grid(alpha=0.3)
        row_axes[0].legend(fontsize=7, loc="lower right")
        if auc:
            summary.append(f"**{name}, {shown}**: scored by ROC AUC (fp32 {fp32:.4f}); the targets are set for "
                           "classifiers' accuracy, so its rows are in its study table only")
        else:
            summary.append(summarize_zoo(name, shown, rows) if targets == "zoo" else summarize(name, shown, rows))
    fig.tight_layout()
    path = os.path.join(out_dir, f"adaptation_{name}.png")
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path, summary


def refuse(message):
    """Bad input: one line, exit 2 (the tools' contract)."""
    print(f"plot_adaptation.py: {message}", file=sys.stderr)
    sys.exit(2)


def load_study(path):
    """An aps-study --json file, refused in one line if it is not one (or has
    no split with the fp32 and static 8-bit rows every summary starts from)."""
    try:
        with open(path, encoding="utf-8") as f:
            study = json.load(f)
    except OSError as e:
        refuse(f"{path}: cannot read: {e.strerror}")
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        refuse(f"{path}: not JSON ({e})")
    keys = ("model", "splits", "sae_cost_share_jit", "sae_cost_share_upfront")
    if not isinstance(study, dict) or any(k not in study for k in keys) or not isinstance(study["splits"], dict):
        refuse(f"{path}: not an aps-study --json file (it needs {', '.join(keys)}; "
               "aps-study --report writes another kind)")
    if not study["splits"]:
        refuse(f"{path}: the study has no split")
    for split, data in study["splits"].items():
        rows = data.get("rows") if isinstance(data, dict) else None
        try:
            if not any(r["family"] == "fp32" for r in rows):
                raise StopIteration
            static8(rows)
        except (KeyError, TypeError, StopIteration):
            refuse(f"{path}: split '{split}' has no fp32 and static 8-bit rows")
    return study


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("studies", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--targets", choices=("digits", "zoo"), default="digits")
    a = ap.parse_args()
    if os.path.exists(a.out) and not os.path.isdir(a.out):
        refuse(f"--out {a.out}: a file, not a folder")
    # Every input is read and checked before anything is written.
    studies = [(path, load_study(path)) for path in a.studies]
    os.makedirs(a.out, exist_ok=True)
    print("# Adaptation targets, measured\n")
    script = "bench/run_zoo_study.sh" if a.targets == "zoo" else "bench/run_adaptation_study.sh"
    print(f"Written by `{script}` (`tools/plot_adaptation.py`) from the study's JSON; "
          "thresholds, groups and the cascade were chosen on calibration data only.\n")
    written = set()
    for path, study in studies:
        try:
            png, summary = plot(study, a.out, a.targets, written)
        except (KeyError, TypeError, StopIteration) as e:
            refuse(f"{path}: a row or field the summary reads is missing or malformed ({type(e).__name__}: {e})")
        print(f"wrote {png}", file=sys.stderr)
        print(f"## {study['model']}\n")
        upfront = study["sae_cost_share_upfront"] is not None
        print(f"SAE cost: {100 * study['sae_cost_share_jit']:.1f} % of MACs just in time, " +
              (f"{100 * study['sae_cost_share_upfront']:.1f} % up front" if upfront else
               f"no up-front schedule in the profile ({study['upfront_unavailable']})"))
        for split, data in ordered_splits(study).items():
            print(f"SAE fidelity ({split}): rho {data['fidelity_jit']['rho_all']:.2f} just in time, " +
                  (f"{data['fidelity_upfront']['rho_all']:.2f} up front" if upfront else "no up-front schedule") +
                  f"; decisions equal to the ideal's " +
                  ("n/a" if data["decisions_equal_to_ideal"] is None else f"{100 * data['decisions_equal_to_ideal']:.1f} %"))
        print("\n\n".join(summary))
        print()


if __name__ == "__main__":
    main()
