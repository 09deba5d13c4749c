#!/usr/bin/python3
"""aps-golden eval --outputs under an SAE policy (adaptive, no grouping,
threshold scale 1): each sample's sae_metrics hold one metric per PCU slot and
candidate width. Re-deriving the PCU's threshold rule from them with the
profile's alphas and thresholds (golden/accelerator/pcu.hpp) gives each
sample's widths; their MAC-weighted mean must be the avg_bits the run
reported, and each sample's output must be what a static run at its widths
outputs (so the metrics belong to that sample).

    check_eval_sae_metrics.py AP_GOLDEN MODEL DATA PROFILE.onnx jit|upfront WORK_DIR
"""

import json
import os
import subprocess
import sys

import onnx

U64_MAX = 2**64 - 1


def threshold_width(metrics, alphas, threshold, candidates):
    for m, alpha, b in zip(metrics, alphas, candidates):
        if min(U64_MAX, (m * alpha) >> 16) <= threshold:
            return b
    return 8


def eval_outputs(golden, model, data, profile, args, work, tag):
    """(samples of aps-golden eval --outputs, its report)."""
    out, rep = os.path.join(work, f"{tag}.outputs.json"), os.path.join(work, f"{tag}.report.json")
    subprocess.run([golden, "eval", "--model", model, "--data", data, "--engine", "program", "--profile", profile,
                    "--outputs", out, "--report", rep, *args], check=True, capture_output=True)
    with open(out) as f, open(rep) as g:
        return json.load(f)["samples"], json.load(g)


def derived_maps(samples, profile, schedule):
    """Each sample's widths by the PCU's threshold rule, or a problem."""
    layers, candidates = profile["layers"], profile["candidates"]
    alpha_key = "alpha_jit" if schedule == "jit" else "alpha_upfront"
    maps = []
    for s in samples:
        metrics = s.get("sae_metrics")
        if metrics is None or len(metrics) != len(layers) or any(len(m) != len(candidates) for m in metrics):
            return None, f"sample {s['index']}: sae_metrics is not {len(layers)} lists of {len(candidates)}: {metrics}"
        maps.append(tuple(threshold_width(m, l[alpha_key], l["threshold"], candidates)
                          for m, l in zip(metrics, layers)))
    return maps, None


def problems_of(samples, report, profile, schedule, static_output):
    """static_output(map) -> every sample's output codes at that static map."""
    maps, problem = derived_maps(samples, profile, schedule)
    if problem:
        return [problem]
    out = []
    macs = [l["macs"] for l in profile["layers"]]
    derived = sum(sum(m * b for m, b in zip(macs, w)) for w in maps) / (sum(macs) * len(samples))
    if abs(derived - report["avg_bits"]) > 1e-9:
        out.append(f"the metrics give {derived:.6f} bits, the run reported {report['avg_bits']:.6f}")
    for w in sorted(set(maps)):
        static = static_output(w)
        wrong = [s["index"] for s, m in zip(samples, maps) if m == w and s["output"] != static[s["index"]]]
        if wrong:
            out.append(f"{len(wrong)} samples (first: {wrong[0]}) whose metrics give map {w} output other codes "
                       "than a static run at that map")
    return out


def main():
    golden, model, data, profile_path, schedule, work = sys.argv[1:7]
    os.makedirs(work, exist_ok=True)
    samples, report = eval_outputs(golden, model, data, profile_path, ["--policy", "adaptive", "--schedule", schedule],
                                   work, schedule)
    onnx_model = onnx.load(profile_path)
    profile = json.loads({p.key: p.value for p in onnx_model.metadata_props}["aps.profile"])
    cache = {}

    def static_output(w):
        if w not in cache:
            runs, _ = eval_outputs(golden, model, data, profile_path,
                                   ["--precision", "map:" + ",".join(map(str, w))], work, "static")
            cache[w] = [r["output"] for r in runs]
        return cache[w]

    problems = problems_of(samples, report, profile, schedule, static_output)
    # The check can fail: each sample given the next one's metrics.
    shifted = [dict(s, sae_metrics=samples[(i + 1) % len(samples)]["sae_metrics"]) for i, s in enumerate(samples)]
    if not problems_of(shifted, report, profile, schedule, static_output):
        problems.append("the check passed metrics moved one sample along")
    for p in problems:
        print(f"FAILED: {p}")
    if not problems:
        print(f"ok: {len(samples)} samples' SAE metrics give their outputs and the {report['avg_bits']:.4f} bits "
              f"the run reported ({len(cache)} maps)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
