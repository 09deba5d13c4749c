#!/usr/bin/python3
"""Fine-tune a zoo classifier so that every width 2..8 of its one set of
stored weights is accurate on the accelerator (any-precision training).

Usage (Debian's /usr/bin/python3 with python3-torch and dataset-fashion-mnist):

    nice -n 19 /usr/bin/python3 tools/train_any_precision.py --model ds_cnn \\
        [--steps 1800] [--eval-images 2000] [--out models] [--source FILE.onnx]

It starts from the plain model tools/train_zoo.py exported (by default the
bundled models/<name>/model.onnx, whose initializers carry the folded
module's parameter names), so it needs no training state of train_zoo.py's.

Writes <out>/<name>/model_any_precision.onnx (float, BatchNorm folded, the
same graph, input and output as model.onnx, so aps quantizes and runs it the
same way) and <out>/<name>/any_precision_log.json (settings, seconds, the
fake-quantized test accuracy at every width, before and after).

The forward pass reproduces the accelerator's arithmetic on every layer with
weights (golden/numerics/precision_reduction.hpp): the layer's input is
quantized to 8-bit codes with the minmax range aps would measure on the
calibration split (per tensor, zero point 0 since every input here is an
image in [0, 1] or a ReLU output), its weights to int8 per output channel
(symmetric, [-127, 127], as aps quantizes float weights), and both are then
reduced to the step's width b by the hardware's default rule (rounding half up):
clamp((c + 2^(s-1)) >> s) with s = 8 - b, scaled back by 2^s. Gradients pass
straight through the rounding. Each training step runs the batch at 8 bits
and at one width drawn from 2..7; the narrow pass learns from the labels and
from the 8-bit pass's softened outputs (distillation), so every width shares
the same weights and the 8-bit model stays accurate. The ranges are measured
again on the calibration split every RANGE_EVERY steps.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402
import train_zoo  # noqa: E402

MODELS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")
SEED = 0
NARROW = (2, 3, 4, 5, 6, 7)
CALIBRATION_PER_CLASS = 200   # tools/make_fashion_data.py's calibration split
CALIBRATION_SEED = 0
RANGE_EVERY = 100
SETTINGS = dict(steps=1800, batch=128, lr=5e-4, distill_temperature=2.0)
WIDTHS_REPORTED = (8, 6, 5, 4, 3, 2)


def reduce_codes(q, bits, signed):
    """golden/numerics/precision_reduction.hpp's reduce_code with s = 8 - bits, on float tensors of codes.

    Rounding half up only: a model fine-tuned here is tuned for the default weight rule,
    not for midpoint weights (golden/numerics/weight_reduction.hpp).
    """
    s = 8 - bits
    if s == 0:
        return q
    r = torch.floor((q + 2 ** (s - 1)) / 2 ** s)
    top = 2 ** (bits - 1) - 1 if signed else 2 ** bits - 1
    return torch.clamp(r, -top if signed else 0, top) * 2 ** s


class Width:
    """The width every quantized layer runs at (one per forward pass)."""
    bits = 8


class QuantizedLayer(nn.Module):
    """A Conv2d or Linear seen through the accelerator's quantization at Width.bits."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.register_buffer("input_max", torch.tensor(0.0))

    def forward(self, x):
        if self.input_max <= 0:  # before the first range measurement: float
            return self.inner(x)
        bits = Width.bits
        sa = self.input_max / 255.0
        qa = reduce_codes(torch.clamp(torch.round(x / sa), 0, 255), bits, signed=False)
        x = x + (qa * sa - x).detach()
        w = self.inner.weight
        sw = w.detach().abs().amax(dim=tuple(range(1, w.dim())), keepdim=True).clamp_min(1e-12) / 127.0
        qw = reduce_codes(torch.clamp(torch.round(w / sw), -127, 127), bits, signed=True)
        w = w + (qw * sw - w).detach()
        if isinstance(self.inner, nn.Conv2d):
            c = self.inner
            return F.conv2d(x, w, c.bias, c.stride, c.padding, c.dilation, c.groups)
        return F.linear(x, w, self.inner.bias)


def wrap(module):
    for name, child in list(module.named_children()):
        if isinstance(child, (nn.Conv2d, nn.Linear)):
            setattr(module, name, QuantizedLayer(child))
        else:
            wrap(child)
    return module


def unwrap(module):
    for name, child in list(module.named_children()):
        if isinstance(child, QuantizedLayer):
            setattr(module, name, child.inner)
        else:
            unwrap(child)
    return module


def measure_ranges(model, x_cal, dims):
    """Each quantized layer's input range over the calibration split (minmax, as aps measures it)."""
    layers = [m for m in model.modules() if isinstance(m, QuantizedLayer)]
    seen = {id(m): torch.tensor(0.0) for m in layers}
    hooks = [m.register_forward_pre_hook(lambda m, inp: seen.__setitem__(id(m), torch.maximum(seen[id(m)], inp[0].detach().max())))
             for m in layers]
    saved = Width.bits
    Width.bits = 8
    for m in layers:
        m.input_max.zero_()  # float while measuring: the ranges of the float model, as aps sees it
    train_zoo.predict(model, x_cal, dims)
    for h in hooks:
        h.remove()
    for m in layers:
        m.input_max.copy_(seen[id(m)])
    Width.bits = saved


def accuracy_per_width(model, x, y, dims):
    out = {}
    for bits in WIDTHS_REPORTED:
        Width.bits = bits
        out[bits] = float((train_zoo.predict(model, x, dims).argmax(1).numpy() == y).mean())
    Width.bits = 8
    return out


def load_folded(name, source):
    """The zoo model `name` with its BatchNorm folded, its weights read from
    `source`, the ONNX file tools/train_zoo.py exported from that same folded
    module (so its initializers carry the module's parameter names). The
    module with those weights must compute what the file's graph computes on
    100 test images: a file of another architecture, or one whose graph uses
    its weights otherwise, is refused by name."""
    import write_tf_qdq
    if not os.path.isfile(source):
        raise SystemExit(f"{source}: no such file (the plain model to fine-tune; --source names another)")
    folded = train_zoo.fold_batchnorm(train_zoo.MODELS[name]().eval()).eval()
    m = onnx.load(source)
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    wanted = folded.state_dict()
    missing = [k for k in wanted if k not in weights or tuple(weights[k].shape) != tuple(wanted[k].shape)]
    if missing:
        raise SystemExit(f"{source}: not tools/train_zoo.py's {name}: no initializer of the right shape "
                         f"for {', '.join(missing[:3])}")
    folded.load_state_dict({k: weights[k] for k in wanted})
    xte_u8, _ = fashion_mnist.load("test")
    x = train_zoo.shape_batch(torch.from_numpy(fashion_mnist.to_float(xte_u8[:100])), folded.input_dims)
    got = write_tf_qdq.run_graph(m, {m.graph.input[0].name: x.numpy()})[m.graph.output[0].name]
    with torch.no_grad():
        diff = float(np.abs(got - folded(x).numpy()).max())
    if diff > 1e-4:
        raise SystemExit(f"{source}: its graph and tools/train_zoo.py's {name} with its weights differ "
                         f"by up to {diff:.3g} on 100 test images")
    return folded


def fine_tune(name, source, steps, eval_images, log=lambda text: print(text, flush=True)):
    train_zoo.setup_torch()
    cfg = dict(SETTINGS, steps=steps, eval_images=eval_images)
    model = wrap(load_folded(name, source))
    dims = model.input_dims

    xtr_u8, ytr = fashion_mnist.load("train")
    xte_u8, yte = fashion_mnist.load("test")
    xtr = torch.from_numpy(fashion_mnist.to_float(xtr_u8))
    xte = torch.from_numpy(fashion_mnist.to_float(xte_u8[:eval_images]))
    yte = yte[:eval_images]
    cal = fashion_mnist.balanced_subset(ytr, CALIBRATION_PER_CLASS, CALIBRATION_SEED)
    x_cal = xtr[torch.from_numpy(cal)]
    ytr_t = torch.from_numpy(ytr)

    measure_ranges(model, x_cal, dims)
    before = accuracy_per_width(model, xte, yte, dims)
    log(f"{name}: fake-quantized test accuracy before: {before}")

    n = len(xtr)
    steps_per_epoch = (n + cfg["batch"] - 1) // cfg["batch"]
    total = cfg["steps"]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg["lr"], weight_decay=0.0)
    gen = torch.Generator().manual_seed(SEED)
    t = cfg["distill_temperature"]
    start = time.perf_counter()
    step = 0
    history = []
    for epoch in range((total + steps_per_epoch - 1) // steps_per_epoch):
        order = torch.randperm(n, generator=gen)
        total_loss = 0.0
        for s in range(min(steps_per_epoch, total - step)):
            if step % RANGE_EVERY == 0:
                measure_ranges(model, x_cal, dims)
            model.train()
            sel = order[s * cfg["batch"]:(s + 1) * cfg["batch"]]
            xb = xtr[sel]
            flip = torch.rand(len(sel), generator=gen) < 0.5
            xb = train_zoo.shape_batch(torch.where(flip[:, None, None], xb.flip(-1), xb), dims)
            for group in opt.param_groups:
                group["lr"] = train_zoo.lr_at(step, total, cfg["lr"])
            Width.bits = 8
            out8 = model(xb)
            loss = F.cross_entropy(out8, ytr_t[sel])
            Width.bits = int(NARROW[torch.randint(len(NARROW), (1,), generator=gen)])
            outb = model(xb)
            teacher = F.softmax(out8.detach() / t, dim=1)
            distill = F.kl_div(F.log_softmax(outb / t, dim=1), teacher, reduction="batchmean") * t * t
            loss = loss + 0.5 * F.cross_entropy(outb, ytr_t[sel]) + 0.5 * distill
            Width.bits = 8
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += float(loss) * len(sel)
            step += 1
        history.append({"epoch": epoch + 1, "steps": step, "loss": round(total_loss / (s + 1) / cfg["batch"], 6),
                        "seconds": round(time.perf_counter() - start, 1)})
        log(f"{name}: {history[-1]}")
    measure_ranges(model, x_cal, dims)
    after = accuracy_per_width(model, xte, yte, dims)
    log(f"{name}: fake-quantized test accuracy after: {after}")
    result = {"model": name, "from": source, "seed": SEED, "torch": torch.__version__,
              "settings": cfg, "narrow_widths": list(NARROW), "range_every_steps": RANGE_EVERY,
              "train_seconds": round(time.perf_counter() - start, 1),
              "fake_quantized_test_accuracy_before": before,
              "fake_quantized_test_accuracy_after": after, "history": history}
    return unwrap(model).eval(), result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, choices=("resnet8", "ds_cnn", "mobilenet_v1_025"))
    ap.add_argument("--steps", type=int, default=SETTINGS["steps"], help="training steps (batches of 128)")
    ap.add_argument("--eval-images", type=int, default=2000,
                    help="test images of the fake-quantized accuracy in the log (the figures that count are "
                         "aps's, on the accelerator's arithmetic)")
    ap.add_argument("--out", default="models")
    ap.add_argument("--source", help="the plain model to start from (default: the bundled models/<model>/model.onnx)")
    args = ap.parse_args(argv)
    source = args.source or os.path.join(MODELS_DIR, args.model, "model.onnx")
    model, result = fine_tune(args.model, source, args.steps, args.eval_images)
    with tempfile.TemporaryDirectory() as tmp:
        folded, m, path = train_zoo.export(model, args.model, tmp)
        m.doc_string = (f"APS model zoo: {args.model} fine-tuned for every width 2..8 by "
                        f"tools/train_any_precision.py from tools/train_zoo.py's model (seed {SEED})")
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
        os.makedirs(os.path.join(args.out, args.model), exist_ok=True)
        target = os.path.join(args.out, args.model, "model_any_precision.onnx")
        shutil.copyfile(path, target)
    with open(os.path.join(args.out, args.model, "any_precision_log.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(json.dumps({k: v for k, v in result.items() if k != "history"}, indent=2))
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
