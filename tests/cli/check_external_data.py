#!/usr/bin/python3
"""A model saved with its weights beside it (ONNX external data, as PyTorch's
torch.export-based exporter writes model.onnx + model.onnx.data) runs as the
same model saved whole: the same outputs for every sample under both golden
engines and under the adaptive policy with a profile calibrated on the model
saved whole (the two hash the same), and an RTL run that agrees with the
golden model. Without its data
file it is refused, naming the model, the tensor and the missing file.

    check_external_data.py APS_GOLDEN APS_SIM|- MODELS_DIR WORK_DIR

APS_SIM is "-" in a build without the RTL (the RTL run is then not made).
"""

import json
import os
import shutil
import subprocess
import sys

import onnx

CASES = [  # model, calibration data, whether the model reads it (a fully quantized one does not)
    ("digits_cnn/model.onnx", "digits_cnn/calibration", True),
    ("digits_mlp/model_int8.onnx", "digits_mlp/calibration", False),
]


def save_beside(src, dst):
    """Saves `src` as `dst` with every tensor in dst + '.data'; returns how many moved out."""
    model = onnx.load(src)
    onnx.save_model(model, dst, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(dst) + ".data", size_threshold=0)
    saved = onnx.load(dst, load_external_data=False)
    return sum(t.data_location == onnx.TensorProto.EXTERNAL for t in saved.graph.initializer)


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def eval_outputs(golden, model, data, options, out):
    cmd = [golden, "eval", "--model", model, "--data", data, "--outputs", out] + options
    r = run(cmd)
    if r.returncode != 0:
        return None, f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}"
    with open(out) as f:
        return [(s["index"], s["label"], s["output"]) for s in json.load(f)["samples"]], None


def rtl_run(sim, name, model, data, calibration):
    cmd = [sim, "run", "--model", model, "--data", data, "--count", "4"]
    if calibration:
        cmd += ["--calibration", calibration]
    r = run(cmd)
    if r.returncode != 0:
        return f"{name}: aps-sim exit {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}"
    print(f"ok: {name}: aps-sim's RTL run agrees with the golden model on 4 inputs")
    return None


def main():
    golden, sim, models, work = sys.argv[1:5]
    calibrate = os.path.join(os.path.dirname(golden), "aps-calibrate")
    shutil.rmtree(work, ignore_errors=True)
    problems = []
    for model_rel, calib_rel, reads_calibration in CASES:
        name = model_rel.replace("/", "_").removesuffix(".onnx")
        inline = os.path.join(models, model_rel)
        data = os.path.join(os.path.dirname(inline), "test_data_set_0")
        calibration_data = os.path.join(models, calib_rel)
        calibration = calibration_data if reads_calibration else None
        folder = os.path.join(work, name)
        os.makedirs(folder)
        beside = os.path.join(folder, "model.onnx")
        moved = save_beside(inline, beside)
        if moved == 0:
            problems.append(f"{name}: no tensor was saved outside the model, nothing is tested")
            continue
        profile = os.path.join(folder, "inline.profile.onnx")
        r = run([calibrate, "--model", inline, "--data", calibration_data, "--output", profile])
        if r.returncode != 0:
            problems.append(f"{name}: aps-calibrate exit {r.returncode}: {r.stderr.strip()}")
            continue
        program = ["--engine", "program"] + (["--calibration", calibration] if calibration else [])
        runs = {"onnx engine": ["--engine", "onnx"], "program engine": program,
                "adaptive policy, the whole model's profile": program + ["--profile", profile, "--policy", "adaptive"]}
        for label, options in runs.items():
            tag = label.split(",")[0].replace(" ", "_")
            a, err_a = eval_outputs(golden, inline, data, options, os.path.join(folder, f"inline_{tag}.json"))
            b, err_b = eval_outputs(golden, beside, data, options, os.path.join(folder, f"beside_{tag}.json"))
            if err_a or err_b:
                problems += [e for e in (err_a, err_b) if e]
            elif a != b:
                differ = sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
                problems.append(f"{name}, {label}: {differ} of {len(a)} samples differ from the model saved whole")
            else:
                print(f"ok: {name}, {label}: {len(a)} samples, outputs equal ({moved} tensors beside the model)")
        if sim == "-":
            print(f"{name}: no aps-sim in this build (without the RTL): the RTL run is not made")
        else:
            rtl_problem = rtl_run(sim, name, beside, data, calibration)
            problems += [rtl_problem] if rtl_problem else []
        os.remove(beside + ".data")
        r = run([golden, "eval", "--model", beside, "--data", data])
        want = f"{beside}: initializer '"
        if r.returncode != 2 or want not in r.stderr or "external data file 'model.onnx.data' not found" not in r.stderr:
            problems.append(f"{name}: without its data file: exit {r.returncode}, {r.stderr.strip()!r}")
        else:
            print(f"ok: {name}: without its data file: {r.stderr.strip()}")
    for p in problems:
        print(f"FAILED: {p}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
