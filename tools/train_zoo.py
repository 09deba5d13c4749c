#!/usr/bin/python3
"""Train the MLPerf Tiny model zoo on Fashion-MNIST and export float ONNX.

Usage (Debian's /usr/bin/python3 with python3-torch and dataset-fashion-mnist):

    nice -n 19 /usr/bin/python3 tools/train_zoo.py --model all --out models
    nice -n 19 /usr/bin/python3 tools/train_zoo.py --model resnet8 [--epochs E]

For each model it writes <out>/<name>/model.onnx (BatchNorm folded into the
preceding Conv/Gemm, opset 13, input `input` with a dynamic batch axis `N`,
output `logits` or, for the autoencoder, `reconstruction`) and
<out>/<name>/train_log.json (settings, seconds, fp32 test accuracy or ROC AUC,
seed, library versions).  The PyTorch state_dict goes to
/tmp/aps_zoo/<name>.pt (never into the repository).

Architectures (MLPerf Tiny reference shapes adapted to 28x28x1):

  resnet8           conv3x3 16 + BN + ReLU; three stages (16, 32, 64 channels)
                    of one residual block each (conv3x3+BN+ReLU, conv3x3+BN,
                    add, ReLU); stages 2 and 3 stride 2 with a 1x1 stride-2
                    conv+BN shortcut; global average pool; FC 10.  [N,1,28,28]
  ds_cnn            [N,784] reshaped to [N,1,28,28]; conv 64 (10,4) stride 2,
                    pad (4,1) -> 14x14, BN, ReLU; four depthwise separable
                    blocks (dw 3x3 + BN + ReLU, pw 1x1 64 + BN + ReLU); global
                    average pool; FC 10.
  mobilenet_v1_025  MobileNetV1 alpha 0.25: conv3x3 8 (stride 1) + BN + ReLU,
                    13 depthwise separable blocks (channels 16, 32, 32, 64, 64,
                    128 x6, 256, 256), stride 2 at blocks 2, 4, 6 and 12, so the
                    map goes 28 -> 14 -> 7 -> 4 -> 2; global average pool; FC 10.
                    Plain ReLU (not ReLU6).  [N,1,28,28]
  autoencoder       FC 784-128-128-128-128-8-128-128-128-128-784, BN + ReLU
                    after every hidden FC, no activation on the output; trained
                    with MSE on the training images of every class except the
                    held-out anomaly class (ANOMALY_CLASS).  Score = mean squared
                    reconstruction error; ROC AUC with the anomaly class as
                    positive.  [N,784]

Everything is seeded (torch, numpy), runs with
torch.use_deterministic_algorithms(True) on one CPU thread by default
(--threads; the count changes float summation order, so a rerun must use the
same count to reproduce the weights), and depends on no clock (the seconds in
train_log.json are measured, not used).  One thread per model lets the four
models train side by side under `nice -n 19` on a 2-core machine that is
busy with other work; the committed models were trained that way.
"""

import argparse
import json
import os
import platform
import sys
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

SEED = 0
THREADS = 1
OPSET = 13
STATE_DIR = "/tmp/aps_zoo"
ANOMALY_CLASS = 8   # 'Bag': held out of the autoencoder's training set (see models/ZOO.md)

MODEL_NAMES = ("resnet8", "ds_cnn", "mobilenet_v1_025", "autoencoder")

# Training settings per model: epochs, batch, peak learning rate (AdamW,
# one-cycle: linear warm-up over the first 15 % of steps, then cosine decay to
# 0), weight decay, augmentation (random horizontal flip).
SETTINGS = {
    "resnet8":          dict(epochs=10, batch=128, lr=3e-3, weight_decay=1e-2, flip=True),
    "ds_cnn":           dict(epochs=12, batch=128, lr=3e-3, weight_decay=1e-2, flip=True),
    "mobilenet_v1_025": dict(epochs=12, batch=128, lr=3e-3, weight_decay=1e-2, flip=True),
    "autoencoder":      dict(epochs=20, batch=256, lr=1e-3, weight_decay=0.0, flip=False),
}


# ----------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------

def conv_bn(cin, cout, k, stride=1, pad=None, groups=1):
    if pad is None:
        pad = k // 2 if isinstance(k, int) else tuple(x // 2 for x in k)
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, pad, groups=groups, bias=False),
                         nn.BatchNorm2d(cout))


class ResBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3, 1)
        self.shortcut = conv_bn(cin, cout, 1, stride, 0) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.conv2(F.relu(self.conv1(x)))
        s = x if self.shortcut is None else self.shortcut(x)
        return F.relu(y + s)


class ResNet8(nn.Module):
    input_dims = (1, 28, 28)

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(1, 16, 3)
        self.stage1 = ResBlock(16, 16, 1)
        self.stage2 = ResBlock(16, 32, 2)
        self.stage3 = ResBlock(32, 64, 2)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.stem(x))
        x = self.stage3(self.stage2(self.stage1(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class DSBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, stride, 1, groups=cin)
        self.pw = conv_bn(cin, cout, 1, 1, 0)

    def forward(self, x):
        return F.relu(self.pw(F.relu(self.dw(x))))


class DSCNN(nn.Module):
    input_dims = (784,)

    def __init__(self):
        super().__init__()
        # (28 + 8 - 10) // 2 + 1 = 14 and (28 + 2 - 4) // 2 + 1 = 14: the
        # symmetric padding (4, 1) is also what TensorFlow's 'same' gives.
        self.stem = conv_bn(1, 64, (10, 4), 2, (4, 1))
        self.blocks = nn.Sequential(*[DSBlock(64, 64, 1) for _ in range(4)])
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = x.reshape(-1, 1, 28, 28)
        x = self.blocks(F.relu(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


# (output channels, stride) of MobileNetV1's 13 depthwise separable blocks at
# alpha 0.25, with the strides adapted to 28x28 inputs.
MOBILENET_BLOCKS = ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2),
                    (128, 1), (128, 1), (128, 1), (128, 1), (128, 1),
                    (256, 2), (256, 1))


class MobileNetV1(nn.Module):
    input_dims = (1, 28, 28)

    def __init__(self):
        super().__init__()
        self.stem = conv_bn(1, 8, 3, 1)
        blocks, cin = [], 8
        for cout, stride in MOBILENET_BLOCKS:
            blocks.append(DSBlock(cin, cout, stride))
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class AutoEncoder(nn.Module):
    input_dims = (784,)
    widths = (784, 128, 128, 128, 128, 8, 128, 128, 128, 128, 784)

    def __init__(self):
        super().__init__()
        w = self.widths
        self.hidden = nn.ModuleList(
            nn.Sequential(nn.Linear(w[i], w[i + 1]), nn.BatchNorm1d(w[i + 1]))
            for i in range(len(w) - 2))
        self.out = nn.Linear(w[-2], w[-1])

    def forward(self, x):
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.out(x)


MODELS = {"resnet8": ResNet8, "ds_cnn": DSCNN,
          "mobilenet_v1_025": MobileNetV1, "autoencoder": AutoEncoder}


# ----------------------------------------------------------------------------
# BatchNorm folding
# ----------------------------------------------------------------------------

def _fold(weight, bias, bn):
    """W' = W * g/sqrt(v+eps) per output channel; b' = (b - m) * g/sqrt(v+eps) + beta."""
    with torch.no_grad():
        k = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        w = weight * k.reshape((-1,) + (1,) * (weight.dim() - 1))
        b = (bias if bias is not None else torch.zeros_like(bn.running_mean))
        b = (b - bn.running_mean) * k + bn.bias
    return w, b


def fold_batchnorm(module):
    """Replace every Sequential(Conv2d|Linear, BatchNorm) by one layer with
    the BatchNorm folded into its weight and bias (in place, eval only)."""
    for name, child in list(module.named_children()):
        if (isinstance(child, nn.Sequential) and len(child) == 2
                and isinstance(child[1], (nn.BatchNorm1d, nn.BatchNorm2d))):
            layer = child[0]
            w, b = _fold(layer.weight, layer.bias, child[1])
            if isinstance(layer, nn.Conv2d):
                new = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                layer.stride, layer.padding, groups=layer.groups, bias=True)
            else:
                new = nn.Linear(layer.in_features, layer.out_features, bias=True)
            with torch.no_grad():
                new.weight.copy_(w)
                new.bias.copy_(b)
            setattr(module, name, new)
        else:
            fold_batchnorm(child)
    return module


# ----------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------

def setup_torch():
    torch.set_num_threads(THREADS)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    try:
        torch.use_deterministic_algorithms(True)
        return True
    except Exception:  # pragma: no cover - torch without the switch
        return False


def lr_at(step, total, peak):
    warm = max(1, int(0.15 * total))
    if step < warm:
        return peak * (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    return peak * 0.5 * (1.0 + np.cos(np.pi * t))


def shape_batch(x, dims):
    return x.reshape((x.shape[0],) + tuple(dims))


def predict(model, x, dims, batch=1000):
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            outs.append(model(shape_batch(x[i:i + batch], dims)))
    return torch.cat(outs)


def anomaly_scores(recon, x):
    return ((recon - x.reshape(len(x), -1)) ** 2).mean(dim=1)


def train(name, epochs=None, log=print):
    from sklearn.metrics import roc_auc_score

    deterministic = setup_torch()
    cfg = dict(SETTINGS[name])
    if epochs is not None:
        cfg["epochs"] = epochs
    model = MODELS[name]()
    dims = model.input_dims

    xtr_u8, ytr = fashion_mnist.load("train")
    xte_u8, yte = fashion_mnist.load("test")
    xtr = torch.from_numpy(fashion_mnist.to_float(xtr_u8))
    xte = torch.from_numpy(fashion_mnist.to_float(xte_u8))
    ytr_t = torch.from_numpy(ytr)
    is_ae = name == "autoencoder"
    if is_ae:
        keep = torch.from_numpy(np.flatnonzero(ytr != ANOMALY_CLASS))
        xtr, ytr_t = xtr[keep], ytr_t[keep]

    n = len(xtr)
    steps_per_epoch = (n + cfg["batch"] - 1) // cfg["batch"]
    total = cfg["epochs"] * steps_per_epoch
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    gen = torch.Generator().manual_seed(SEED)
    log(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, "
        f"{n} training images, {cfg}")
    start = time.perf_counter()
    step = 0
    history = []
    for epoch in range(cfg["epochs"]):
        model.train()
        order = torch.randperm(n, generator=gen)
        total_loss = 0.0
        for s in range(steps_per_epoch):
            sel = order[s * cfg["batch"]:(s + 1) * cfg["batch"]]
            xb = xtr[sel]
            if cfg["flip"]:
                flip = torch.rand(len(sel), generator=gen) < 0.5
                xb = torch.where(flip[:, None, None], xb.flip(-1), xb)
            xb = shape_batch(xb, dims)
            for group in opt.param_groups:
                group["lr"] = lr_at(step, total, cfg["lr"])
            out = model(xb)
            if is_ae:
                loss = F.mse_loss(out, xb)
            else:
                loss = F.cross_entropy(out, ytr_t[sel])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total_loss += float(loss) * len(sel)
            step += 1
        elapsed = time.perf_counter() - start
        entry = {"epoch": epoch + 1, "loss": round(total_loss / n, 6),
                 "seconds": round(elapsed, 1)}
        if not is_ae and (epoch + 1 == cfg["epochs"] or (epoch + 1) % 2 == 0):
            acc = float((predict(model, xte, dims).argmax(1).numpy() == yte).mean())
            entry["test_accuracy"] = acc
        history.append(entry)
        log(f"{name}: {entry}")
    seconds = time.perf_counter() - start

    model.eval()
    result = {"model": name, "seed": SEED, "torch": torch.__version__,
              "numpy": np.__version__, "onnx": onnx.__version__,
              "python": platform.python_version(), "threads": THREADS,
              "deterministic_algorithms": deterministic,
              "optimizer": "AdamW, one-cycle (15 % linear warm-up, cosine to 0)",
              "augmentation": "random horizontal flip" if cfg["flip"] else "none",
              "training_images": n, "train_seconds": round(seconds, 1),
              "parameters": sum(p.numel() for p in model.parameters()), **cfg}
    out = predict(model, xte, dims)
    if is_ae:
        scores = anomaly_scores(out, xte).numpy()
        result["anomaly_class"] = ANOMALY_CLASS
        result["anomaly_class_name"] = fashion_mnist.CLASS_NAMES[ANOMALY_CLASS]
        result["fp32_test_auc"] = float(roc_auc_score(yte == ANOMALY_CLASS, scores))
        result["fp32_test_mse_normal"] = float(scores[yte != ANOMALY_CLASS].mean())
        result["fp32_test_mse_anomaly"] = float(scores[yte == ANOMALY_CLASS].mean())
    else:
        result["fp32_test_accuracy"] = float((out.argmax(1).numpy() == yte).mean())
    result["history"] = history
    return model, result


# ----------------------------------------------------------------------------
# Export
# ----------------------------------------------------------------------------

def count_macs(onnx_model, dims):
    """Multiply-accumulates of one inference of the (BN-folded) ONNX graph:
    Conv = out elements * (in channels / group) * kh * kw; Gemm = out * in."""
    from onnx import shape_inference
    m = onnx.ModelProto()
    m.CopyFrom(onnx_model)
    inp = m.graph.input[0].type.tensor_type.shape.dim
    inp[0].ClearField("dim_param")
    inp[0].dim_value = 1
    m = shape_inference.infer_shapes(m)
    shapes = {}
    for vi in list(m.graph.value_info) + list(m.graph.output) + list(m.graph.input):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    macs = 0
    for node in m.graph.node:
        if node.op_type == "Conv":
            w = inits[node.input[1]]
            macs += int(np.prod(shapes[node.output[0]])) * int(np.prod(w.shape[1:]))
        elif node.op_type == "Gemm":
            w = inits[node.input[1]]
            macs += int(np.prod(w.shape))
    return macs


def constants_to_initializers(model):
    """torch's exporter writes the Reshape target as a Constant node; make it
    an initializer so the graph holds only the compute ops."""
    g = model.graph
    keep = []
    for node in g.node:
        if node.op_type == "Constant":
            t = onnx.helper.get_attribute_value(node.attribute[0])
            t.name = node.output[0]
            g.initializer.append(t)
        else:
            keep.append(node)
    del g.node[:]
    g.node.extend(keep)
    return model


def export(model, name, out_dir):
    folded = fold_batchnorm(model).eval()
    dims = model.input_dims
    out_name = "reconstruction" if name == "autoencoder" else "logits"
    path = os.path.join(out_dir, name, "model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    dummy = torch.zeros((1,) + tuple(dims))
    torch.onnx.export(folded, dummy, path, opset_version=OPSET,
                      input_names=["input"], output_names=[out_name],
                      dynamic_axes={"input": {0: "N"}, out_name: {0: "N"}},
                      do_constant_folding=True)
    m = onnx.load(path)
    constants_to_initializers(m)
    m.graph.name = name
    m.doc_string = (f"APS model zoo: {name} trained on Fashion-MNIST by tools/train_zoo.py "
                    f"(seed {SEED}), BatchNorm folded")
    meta = {"aps.dataset": "fashion-mnist", "aps.zoo_model": name}
    if name == "autoencoder":
        meta["aps.task"] = "anomaly_detection"
        meta["aps.anomaly_class"] = str(ANOMALY_CLASS)
    else:
        meta["aps.task"] = "classification"
    del m.metadata_props[:]
    for k, v in meta.items():
        m.metadata_props.add(key=k, value=v)
    onnx.checker.check_model(m)
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    return folded, m, path


def check_export(model, folded, onnx_path, ref_unfolded):
    """The ONNX graph, run by a small numpy/torch interpreter
    (write_tf_qdq.run_graph), against the BN-folded torch model and against
    the trained (unfolded, eval-mode) PyTorch model on 100 test images."""
    import write_tf_qdq
    xte_u8, _ = fashion_mnist.load("test")
    x = torch.from_numpy(fashion_mnist.to_float(xte_u8[:100]))
    x = shape_batch(x, model.input_dims)
    m = onnx.load(onnx_path)
    onnx.checker.check_model(m)
    got = write_tf_qdq.run_graph(m, {"input": x.numpy()})[m.graph.output[0].name]
    with torch.no_grad():
        ref = folded(x).numpy()
    return float(np.abs(got - ref).max()), float(np.abs(got - ref_unfolded).max())


def main(argv=None):
    global THREADS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="all", choices=MODEL_NAMES + ("all",))
    ap.add_argument("--epochs", type=int, default=None,
                    help="override the model's epoch count (see SETTINGS)")
    ap.add_argument("--out", default="models")
    ap.add_argument("--threads", type=int, default=THREADS,
                    help="torch CPU threads (default 1; the thread count changes the float "
                         "summation order, so reruns must use the same count to match)")
    ap.add_argument("--export-only", action="store_true",
                    help=f"skip training: reload {STATE_DIR}/<name>.pt and .json "
                         "from an earlier run and export again")
    args = ap.parse_args(argv)
    THREADS = args.threads
    names = MODEL_NAMES if args.model == "all" else (args.model,)
    for name in names:
        state = os.path.join(STATE_DIR, f"{name}.pt")
        if args.export_only:
            setup_torch()
            model = MODELS[name]()
            model.load_state_dict(torch.load(state))
            model.eval()
            with open(os.path.join(STATE_DIR, f"{name}.json")) as f:
                result = json.load(f)
        else:
            model, result = train(name, args.epochs)
            os.makedirs(STATE_DIR, exist_ok=True)
            torch.save(model.state_dict(), state)
            with open(os.path.join(STATE_DIR, f"{name}.json"), "w") as f:
                json.dump(result, f, indent=2)
        # Reference outputs of the unfolded (BN) model on 100 test images.
        xte_u8, _ = fashion_mnist.load("test")
        x100 = shape_batch(torch.from_numpy(fashion_mnist.to_float(xte_u8[:100])), model.input_dims)
        model.eval()
        with torch.no_grad():
            ref_unfolded = model(x100).numpy()
        folded, m, path = export(model, name, args.out)
        with torch.no_grad():
            fold_diff = float(np.abs(folded(x100).numpy() - ref_unfolded).max())
        onnx_diff, onnx_vs_trained = check_export(model, folded, path, ref_unfolded)
        result["bn_fold_max_abs_diff_100"] = fold_diff
        result["onnx_vs_torch_max_abs_diff_100"] = onnx_diff
        result["onnx_vs_trained_torch_max_abs_diff_100"] = onnx_vs_trained
        result["macs"] = count_macs(m, model.input_dims)
        result["onnx_parameters"] = int(sum(np.prod(t.dims) for t in m.graph.initializer
                                            if t.data_type == onnx.TensorProto.FLOAT))
        result["onnx_ops"] = sorted({n.op_type for n in m.graph.node})
        result["onnx_bytes"] = os.path.getsize(path)
        with open(os.path.join(args.out, name, "train_log.json"), "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        summary = {k: v for k, v in result.items() if k != "history"}
        print(json.dumps(summary, indent=2))
        if max(onnx_diff, fold_diff, onnx_vs_trained) > 1e-3:
            raise SystemExit(f"{name}: export check failed (fold {fold_diff}, onnx {onnx_diff})")


if __name__ == "__main__":
    main()
