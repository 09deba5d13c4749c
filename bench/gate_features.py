#!/usr/bin/python3
"""Which features of the cheap pass's output could tell the cascade which
inputs to re-run? For each first map, every calibration and test input runs
at that map and at 8 bits in the accelerator's arithmetic (aps-golden eval
--outputs); a gate re-runs at 8 bits the inputs whose score is lowest, as
many as it takes to keep TARGET of the 8-bit decisions on calibration, and
its threshold is then applied to each test split. Gates:

  margin            top1 - top2 output code (the accelerator's plain check)
  margin + third    a logistic fit on (top1 - top2, top1 - top3), the two
                    gaps the accelerator's gate reads
  entropy           the entropy of softmax(codes / T), T chosen on calibration
  all gaps          a logistic fit on every gap top1 - top_k (all that the
                    sorted output says)
  all codes         a gradient-boosted fit on every output code and gap (what
                    the output code vector says, nonlinearly)
  with --sae, gates that also read the up-front SAE's metrics (every PCU
  slot's metric at every candidate width, log2(1 + m); the shadow network
  reads only the input, so the same metrics serve every first map):
  SAE               a gradient-boosted fit on the metrics alone
  margin + SAE      a logistic fit on the two gaps and the metrics (a linear
                    score, which the PCU's integer arithmetic could evaluate)
  all codes + SAE   a gradient-boosted fit on every code, gap and metric
  Their bits also pay the shadow layers, at 8 bits.
  perfect           re-runs exactly the inputs the first map decides unlike
                    8 bits, on each split itself (no threshold): the
                    ceiling of a gate that keeps every 8-bit decision

Fits and temperatures use the even calibration inputs, thresholds the odd
ones (a gate fitted and thresholded on the same inputs keeps the target
there and misses it on others); no test input is used. Gates whose
thresholds land at different agreements are also compared at equal
agreement: "needed here" is the re-run share the gate's ranking needs to
keep TARGET on that split itself (a yardstick that peeks; inputs whose
scores tie re-run together, as a threshold on an integer margin must). Costs are
MAC-weighted bits per input, every pass counted (first map + re-run share x
8), as the study's bits column.

    gate_features.py --golden AP_GOLDEN --model M --profile P --calibration DIR
                     --test DIR[,DIR...] --map MAP [--map MAP ...] [--target 0.995]
                     [--sae] --work DIR --out TABLE.md
"""

import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "farm"))
from merge import roc_auc  # noqa: E402  (the rank-sum rule of golden/numerics/roc_auc.cpp)


def run_eval(a, data, tag, policy_args):
    """(samples of aps-golden eval --outputs, its report) on `data`."""
    out = os.path.join(a.work, f"{tag}.outputs.json")
    rep = os.path.join(a.work, f"{tag}.report.json")
    r = subprocess.run([a.golden, "eval", "--model", a.model, "--data", data, "--engine", "program", "--profile",
                        a.profile, "--outputs", out, "--report", rep, *policy_args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"gate_features: aps-golden eval on {data} with {' '.join(policy_args)} failed ({r.returncode}): "
                 f"{(r.stderr or r.stdout).strip()}")
    with open(out) as f:
        samples = json.load(f)["samples"]
    with open(rep) as f:
        return samples, json.load(f)


def run_map(a, data, bits, tag):
    """(output codes [n, k], labels [n], MAC-weighted bits) of `data` at `bits`."""
    samples, report = run_eval(a, data, tag, ["--precision", "8" if bits == "8" else f"map:{bits}"])
    codes = np.array([s["output"] for s in samples], dtype=np.int64)
    labels = np.array([s["label"] for s in samples], dtype=np.int64)
    return codes, labels, report["avg_bits"]


def run_sae(a, data, tag):
    """(SAE features [n, slots x widths], the shadow layers' MAC-weighted bits)
    of `data`: the up-front schedule's metrics, log2(1 + m)."""
    samples, report = run_eval(a, data, tag, ["--policy", "adaptive", "--schedule", "upfront"])
    if any("sae_metrics" not in s for s in samples):
        sys.exit(f"gate_features: aps-golden eval wrote no SAE metrics for {data}")
    metrics = np.array([np.ravel(s["sae_metrics"]) for s in samples], dtype=np.float64)
    return np.log2(1 + metrics), 8 * report["shadow_macs"] / report["macs"]


def decide(codes):
    """The accelerator's class: the first index of the largest code."""
    return np.argmax(codes, axis=1)


def gaps(codes):
    s = -np.sort(-codes, axis=1)
    return s[:, :1] - s[:, 1:]


def entropy(codes, t):
    z = codes / t
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return -(p * np.log(np.maximum(p, 1e-300))).sum(axis=1)


def needed_agreements(target, n):
    """How many of n decisions the target keeps, at least (gate_fit.cpp's rule)."""
    return math.ceil(target * n - 1e-9)


def threshold_for(score, agree, target):
    """The smallest score threshold whose re-runs (score < threshold) keep
    `target` of the decisions: re-runs always agree."""
    need = needed_agreements(target, len(score))
    have = int(agree.sum())
    if have >= need:
        return -math.inf
    order = np.argsort(score, kind="stable")
    gained = np.cumsum(~agree[order])
    k = int(np.searchsorted(gained, need - have)) + 1  # re-run the k lowest
    # Ties re-run together: the threshold lies just above the k-th lowest score.
    return np.nextafter(score[order[k - 1]], math.inf)


class Gates:
    """Each gate's score: higher means more confident the first pass agrees.
    `cal_sae`: the calibration inputs' SAE features, or None (no SAE gates)."""

    def __init__(self, cal_codes, cal_sae, cal_agree):
        if cal_agree.all() or not cal_agree.any():
            sys.exit("gate_features: the first map decides every even calibration input "
                     f"{'as' if cal_agree.all() else 'unlike'} 8 bits: no gate can be fitted")
        # name: (features of (codes, sae), model); linear fits are scores the
        # PCU could evaluate, boosted ones what the features say nonlinearly.
        self.gates = {
            "margin + third": (lambda codes, sae: gaps(codes)[:, :2], LogisticRegression(max_iter=1000)),
            "all gaps": (lambda codes, sae: gaps(codes), LogisticRegression(max_iter=2000)),
            "all codes": (lambda codes, sae: np.hstack([codes, gaps(codes)]),
                          HistGradientBoostingClassifier(random_state=0)),
        }
        if cal_sae is not None:
            self.gates.update({
                "SAE": (lambda codes, sae: sae, HistGradientBoostingClassifier(random_state=0)),
                "margin + SAE": (lambda codes, sae: np.hstack([gaps(codes)[:, :2], sae]),
                                 make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))),
                "all codes + SAE": (lambda codes, sae: np.hstack([codes, gaps(codes), sae]),
                                    HistGradientBoostingClassifier(random_state=0)),
            })
        for features, fit in self.gates.values():
            fit.fit(features(cal_codes, cal_sae), cal_agree)
        # The temperature whose entropy ranks the calibration inputs best.
        best = None
        for t in (1, 2, 4, 8, 16, 32, 64):
            auc = rank_auc(-entropy(cal_codes, t), cal_agree)
            if best is None or auc > best[0]:
                best = (auc, t)
        self.temperature = best[1]

    def scores(self, codes, sae):
        fitted = {g: fit.predict_proba(features(codes, sae))[:, 1] for g, (features, fit) in self.gates.items()}
        entropy_gate = f"entropy (T = {self.temperature})"
        out = {"margin": gaps(codes)[:, 0].astype(float), "margin + third": fitted.pop("margin + third"),
               entropy_gate: -entropy(codes, self.temperature)}
        out.update(fitted)
        return out


def rank_auc(score, positive):
    """P(score of a positive > score of a negative), ties half; 0.5 without both."""
    auc = roc_auc(score.tolist(), positive.astype(int).tolist())
    return 0.5 if auc is None else auc


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("golden", "model", "profile", "calibration", "test", "work", "out"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--map", action="append", required=True, help="a first map, b1,b2,... per layer with weights")
    p.add_argument("--target", type=float, default=0.995)
    p.add_argument("--json")
    p.add_argument("--sae", action="store_true", help="also gates that read the up-front SAE's metrics")
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    tests = a.test.split(",")
    maps = a.map
    splits = {"calibration": a.calibration}
    for t in tests:
        name = os.path.basename(t.rstrip("/"))
        if name in splits:
            sys.exit(f"gate_features: two splits named {name} ({splits[name]} and {t})")
        splits[name] = t
    eight = {name: run_map(a, d, "8", f"{name}_8") for name, d in splits.items()}
    sae = {name: run_sae(a, d, f"{name}_sae") for name, d in splits.items()} if a.sae else {}
    sae_bits = sae["calibration"][1] if a.sae else 0.0
    lines = [f"# Cascade gates on {a.model}", "",
             f"Written by `bench/gate_features.py`: gates fitted on the even inputs of {a.calibration}, "
             f"thresholds chosen on its odd ones to keep {100 * a.target:.1f} % of the 8-bit decisions; "
             "re-runs at 8 bits. AUC: how well the gate's score ranks the inputs whose first pass agrees with "
             "8 bits above those whose does not. Bits: MAC-weighted, every pass counted. Re-run needed here: the "
             "share the gate's ranking must re-run to keep the target on that split itself (it peeks: gates compared "
             "at equal agreement).", ""]
    if a.sae:
        lines += [f"SAE gates read the up-front SAE's metrics; their bits include its shadow layers at 8 bits "
                  f"(+{sae_bits:.2f}).", ""]
    results = []
    for m in maps:
        first = {name: run_map(a, d, m, f"{name}_{m.replace(',', '-')}") for name, d in splits.items()}
        cal_codes = first["calibration"][0]
        cal_agree = decide(cal_codes) == decide(eight["calibration"][0])
        cal_sae = sae["calibration"][0] if a.sae else None
        gates = Gates(cal_codes[0::2], None if cal_sae is None else cal_sae[0::2], cal_agree[0::2])
        thresholds = {g: threshold_for(s, cal_agree[1::2], a.target)
                      for g, s in gates.scores(cal_codes[1::2], None if cal_sae is None else cal_sae[1::2]).items()}
        thresholds["perfect"] = 0.5  # re-runs every input whose score (its agreement) is 0
        first_bits = first["calibration"][2]
        lines += [f"## first map {m} ({first_bits:.2f} bits; calibration agreement with 8 bits "
                  f"{100 * cal_agree.mean():.2f} %)", "",
                  "| split (calibration: its odd inputs) | gate | AUC (agrees) | re-run | agreement with 8 bits | accuracy "
                  "| bits | re-run needed here |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for name in splits:
            codes, labels, _ = first[name]
            d8 = decide(eight[name][0])
            features = sae[name][0] if a.sae else None
            if name == "calibration":  # the half the thresholds were chosen on
                codes, labels, d8 = codes[1::2], labels[1::2], d8[1::2]
                features = None if features is None else features[1::2]
            agree = decide(codes) == d8
            for g, s in {**gates.scores(codes, features), "perfect": agree.astype(float)}.items():
                rerun = s < thresholds[g]
                final = np.where(rerun, d8, decide(codes))
                # A perfect gate needs only the shortfall; its tied scores
                # (every disagreement is 0) would re-run them all.
                needed = (max(0, needed_agreements(a.target, len(agree)) - int(agree.sum())) / len(agree)
                          if g == "perfect" else float((s < threshold_for(s, agree, a.target)).mean()))
                row = {"map": m, "split": name, "gate": g, "auc": rank_auc(s, agree), "rerun": float(rerun.mean()),
                       "agreement": float((final == d8).mean()), "accuracy": float((final == labels).mean()),
                       "bits": first_bits + 8 * float(rerun.mean()) + (sae_bits if "SAE" in g else 0.0),
                       "rerun_needed": needed}
                results.append(row)
                lines.append(f"| {name} | {g} | {row['auc']:.3f} | {100 * row['rerun']:.1f} % | "
                             f"{100 * row['agreement']:.2f} % | {100 * row['accuracy']:.2f} % | {row['bits']:.2f} | "
                             f"{100 * needed:.1f} % |")
        lines.append("")
    with open(a.out, "w") as f:
        f.write("\n".join(lines))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
