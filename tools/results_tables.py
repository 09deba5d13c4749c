#!/usr/bin/python3
"""Markdown result tables from the JSON the measuring tools write.

    results_tables.py accuracy DIR          aps-golden eval reports in DIR
                                            (<model>.<split>.<fp32|qdq|bN>.json)
    results_tables.py benchmarks A.json ... aps-bench --json reports
    results_tables.py zoo DIR               bench/run_zoo.sh's reports in DIR
                                            (<model>.<form>.<onnx|b8|b4|rtl>.json)

Prints the table with the commands that produced the numbers; the scripts
in bench/ redirect it into docs/results/. Nothing here is typed by hand.
"""

import json
import os
import platform
import sys


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def pct(v):
    return f"{100 * v:.2f} %"


def accuracy(folder):
    reports = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            model, split, kind = name[:-5].split(".")
            with open(os.path.join(folder, name)) as f:
                reports[(model, split, kind)] = json.load(f)
    kinds = ["fp32", "qdq", "b8", "b6", "b4", "b3", "b2"]
    heads = ["fp32", "int8 QDQ (ONNX)", "accelerator 8 b", "6 b", "4 b", "3 b", "2 b"]
    out = ["# Accuracy of the bundled models", "",
           "Written by `bench/run_accuracy.sh` from `aps-golden eval` reports: fp32 and int8 QDQ with ONNX "
           "semantics, and the accelerator's integer arithmetic (the network program) at every static width. "
           "The RTL reproduces the accelerator columns exactly (co-simulation tests).", "",
           "| model | split | samples | " + " | ".join(heads) + " |", "|---|---|---:|" + "---:|" * len(heads)]
    for model, split in sorted({(m, s) for m, s, _ in reports}):
        row = [reports.get((model, split, k)) for k in kinds]
        samples = next(r["samples"] for r in row if r)
        cells = [pct(r["accuracy"]) if r else "–" for r in row]
        out.append(f"| {model} | {split} | {samples} | " + " | ".join(cells) + " |")
    out += ["", "```sh", "build/golden/cli/aps-golden eval --model models/digits_mlp/model.onnx "
            "--data models/digits_mlp/test_data_set_0",
            "build/golden/cli/aps-golden eval --model models/digits_mlp/model_int8.onnx "
            "--data models/digits_mlp/test_data_set_0 --engine program --precision 4", "```"]
    return "\n".join(out) + "\n"


def benchmarks(paths):
    out = ["# Co-simulation speed, cycles and PE utilization", "",
           f"Written by `bench/run_benchmarks.sh` from `aps-bench --json` on {machine()}. "
           "*co-sim* = golden model + RTL + scoreboard; *RTL-only* = the same RTL without golden model and "
           "scoreboard; *ideal* = MACs x bits / (ROWS x COLS), a bit-serial PE doing one bit-plane of one MAC "
           "per cycle. *Sim cycles/s* counts every simulated cycle, host-port transfers included."]
    for path in paths:
        with open(path) as f:
            b = json.load(f)
        a = b["array"]
        out += ["", f"## {b['model']}", "",
                f"{b['inputs']} inputs, {b['macs']} MACs per inference, {a['rows']}x{a['cols']} PE array, "
                f"fastest of {b['repeats']} runs, one thread.", "",
                "| bits | co-sim inf/s | co-sim sim cycles/s | RTL-only inf/s | RTL-only / co-sim | golden-only inf/s | "
                "cycles/inference | ideal cycles | cycles / ideal |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in b["rows"]:
            fi, ri = r["cosim_inferences_per_second"], r["rtl_only_inferences_per_second"]
            out.append(f"| {r['bits']} | {fi:.0f} | {r['cosim_sim_cycles_per_second']:.3g} | {ri:.0f} | {ri / fi:.2f}x | "
                       f"{r['golden_only_inferences_per_second']:.0f} | {r['cycles_per_inference']:.0f} | "
                       f"{r['ideal_cycles']:.0f} | {r['cycles_per_inference'] / r['ideal_cycles']:.2f} |")
        out += ["", "PE utilization per layer (ideal / actual cycles; layers without multipliers have no ideal):", "",
                "| bits | layer | kind | cycles | ideal | utilization |", "|---:|---|---|---:|---:|---:|"]
        for r in b["rows"]:
            for l in r["layers"]:
                out.append(f"| {r['bits']} | {l['layer']} | {l['kind']} | {l['cycles']:.0f} | {l['ideal']:.0f} | "
                           f"{100 * l['utilization']:.0f} % |")
        out += ["", "Where one inference's energy goes (nJ, golden/accelerator/energy_model.hpp), and what its "
                "memory-port bytes carry (weight tile planes, weight tile headers, channel parameters, activations: "
                "input, output, spills):", "",
                "| bits | MACs | buffer reads | buffer writes | ext. weight planes | ext. weight headers "
                "| ext. params | ext. activations | total | bytes: planes / headers / params / activations |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in b["rows"]:
            e, x = r["energy_pj"], r["ext_bytes"]
            # Static maps: no SAE term (it is in the JSON, 0).
            terms = ("macs", "buffer_reads", "buffer_writes", "ext_weight_planes", "ext_weight_headers",
                     "ext_params", "ext_activations", "total")
            out.append(f"| {r['bits']} | " + " | ".join(f"{e[t] / 1000:.1f}" for t in terms) +
                       f" | {x['weight_planes']} / {x['weight_headers']} / {x['params']} / {x['activations']} |")
        widths = ",".join(str(r["bits"]) for r in b["rows"])
        out += ["", "```sh", f"build/bench/aps-bench --model {b['model']} --data {b['data']} --count {b['inputs']} "
                f"--repeats {b['repeats']} --precisions {widths}", "```"]
    return "\n".join(out) + "\n"


def figure(report):
    """A classifier's accuracy or an anomaly detector's ROC AUC, as text."""
    if report is None:
        return "–"
    if report.get("task") == "anomaly_detection":
        return f"AUC {report['auc']:.4f}" if report.get("auc") is not None else "–"
    return pct(report["accuracy"])


def zoo(folder):
    reports = {}
    for name in sorted(os.listdir(folder)):
        parts = name[:-5].split(".") if name.endswith(".json") else []
        if len(parts) == 3:
            with open(os.path.join(folder, name)) as f:
                reports[tuple(parts)] = json.load(f)
    out = ["# The model zoo on Fashion-MNIST", "",
           f"Written by `bench/run_zoo.sh` from `aps-golden eval` and `aps-sim --report` on {machine()}. "
           "*model*: the float PyTorch export, quantized by aps on the 2000-image calibration split; "
           "*model_tf_int8*: the TensorFlow-exporter int8 QDQ form. *ONNX semantics*: the golden model "
           "evaluating the ONNX graph (fp32 for *model*, int8 QDQ for *model_tf_int8*); *accelerator*: the "
           "accelerator's integer arithmetic (the network program) at a static width. Classifiers: top-1 "
           "accuracy; the autoencoder: ROC AUC of the reconstruction error with 'Bag' as the anomaly.", "",
           "## Golden model, 10,000 test images", "",
           "| model | form | images | ONNX semantics | accelerator 8 b | accelerator 4 b |",
           "|---|---|---:|---:|---:|---:|"]
    keys = sorted({(m, f) for m, f, _ in reports})
    for model, form in keys:
        onnx, b8, b4 = (reports.get((model, form, k)) for k in ("onnx", "b8", "b4"))
        samples = next((r["samples"] for r in (onnx, b8, b4) if r), 0)
        out.append(f"| {model} | {form} | {samples} | {figure(onnx)} | {figure(b8)} | {figure(b4)} |")
    out += ["", "## Through the RTL at 8 bits (the first test images)", "",
            "Every layer's output of every input compared bit for bit with the golden model; the figure is the "
            "RTL's own output scored on those images (the golden figure on the same images in brackets). "
            "Cycles and bytes are per inference, from the RTL's counters; sim speed with the runs' `--jobs`.", "",
            "| model | form | inputs | mismatches | RTL figure (golden) | cycles | memory stall cycles | "
            "bytes moved | inferences/s | jobs |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for model, form in keys:
        r = reports.get((model, form, "rtl"))
        if not r:
            continue
        key = "auc" if r["task"] == "anomaly_detection" else "accuracy"
        golden = {key: r[f"golden_{key}"], "task": r["task"]}
        out.append(f"| {model} | {form} | {r['inputs']} | {r['mismatches']} | {figure(r)} ({figure(golden)}) | "
                   f"{r['cycles_per_inference']:.0f} | {r['memory_stall_cycles_per_inference']:.0f} | "
                   f"{r['bytes_moved_per_inference']:.0f} | {r['inferences_per_second']:.2f} | {r['jobs']} |")
    rtl_inputs = max((r["inputs"] for (_, _, k), r in reports.items() if k == "rtl"), default=0)
    out += ["", "```sh", f"bench/run_zoo.sh build docs/results/zoo.md {rtl_inputs}", "```"]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "accuracy":
        sys.stdout.write(accuracy(sys.argv[2]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "benchmarks":
        sys.stdout.write(benchmarks(sys.argv[2:]))
    elif len(sys.argv) >= 3 and sys.argv[1] == "zoo":
        sys.stdout.write(zoo(sys.argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
