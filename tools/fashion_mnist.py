#!/usr/bin/python3
"""Fashion-MNIST for the APS model zoo: loading, splits, corruption, data-set folders.

The images come from Debian's `dataset-fashion-mnist` package
(`apt-get install dataset-fashion-mnist`), which installs the original idx
files under /usr/share/datasets/fashion-mnist/:

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz   60,000 samples
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz    10,000 samples

Images are uint8 [N,28,28] (16-byte idx3 header), labels uint8 [N] (8-byte
idx1 header), returned here as int64.  Model inputs are float32 pixel / 255,
so every value lies in [0, 1].

Classes: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal,
6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

Corruption recipe (`corrupt`, used for the `corrupted` and
`calibration_corrupted` splits): one numpy Generator
(`numpy.random.default_rng(seed)`) draws, for each image in order, one of four
corruptions uniformly, then the corruption's own random numbers; the result is
clipped to [0, 1]:

- noise:     add N(0, 0.2^2) to every pixel;
- blur:      Gaussian blur, sigma 1.0 (separable 7-tap kernel, edges padded
             with 0, i.e. with the background);
- occlusion: one random 8x8 square, fully inside the image, set to 0 or 1
             (chosen with probability 1/2);
- contrast:  x * 0.5 + 0.25 (the background moves from 0 to 0.25).

Nothing here depends on the clock: the same seed gives the same bytes.
"""

import gzip
import os

import numpy as np
from onnx import numpy_helper

DATA_DIR = "/usr/share/datasets/fashion-mnist"

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")

CORRUPTIONS = ("noise", "blur", "occlusion", "contrast")
NOISE_SIGMA = 0.2
BLUR_SIGMA = 1.0
OCCLUSION_SIZE = 8

IMAGE_SHAPE = (28, 28)


def _read_idx(path, header, expected_magic):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic != expected_magic:
        raise ValueError(f"{path}: idx magic {magic:#x}, expected {expected_magic:#x}")
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big")
            for i in range((header - 4) // 4)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data, header says {dims}")
    return data.reshape(dims)


def load(split, data_dir=DATA_DIR):
    """Return (images uint8 [N,28,28], labels int64 [N]) of 'train' or 'test'."""
    prefix = {"train": "train", "test": "t10k"}[split]
    images = _read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"),
                       16, 0x00000803)
    labels = _read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"),
                       8, 0x00000801)
    if len(images) != len(labels):
        raise ValueError(f"{split}: {len(images)} images but {len(labels)} labels")
    return images.copy(), labels.astype(np.int64)


def to_float(images):
    """uint8 pixels -> float32 in [0, 1] (pixel / 255)."""
    return (images.astype(np.float32) / np.float32(255.0)).astype(np.float32)


def balanced_subset(labels, per_class, seed):
    """Indices of `per_class` samples of every class, drawn without replacement
    with numpy.random.default_rng(seed), returned in ascending order."""
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        picks.append(rng.choice(idx, size=per_class, replace=False))
    return np.sort(np.concatenate(picks))


def _gaussian_kernel(sigma):
    r = int(np.ceil(3 * sigma))
    t = np.arange(-r, r + 1, dtype=np.float64)
    k = np.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def _blur(img, kernel):
    r = len(kernel) // 2
    p = np.pad(img, r)
    rows = sum(kernel[i] * p[:, i:i + img.shape[1]] for i in range(len(kernel)))
    rows = rows[r:r + img.shape[0]]
    p = np.pad(rows, ((r, r), (0, 0)))
    return sum(kernel[i] * p[i:i + img.shape[0]] for i in range(len(kernel)))


def corrupt(images, seed):
    """Corrupted copy of float images [N,28,28] (or [N,784]) in [0,1].

    Returns (float32 array of the input's shape, list of corruption names).
    """
    rng = np.random.default_rng(seed)
    shape = images.shape
    out = images.reshape(-1, *IMAGE_SHAPE).astype(np.float64).copy()
    kernel = _gaussian_kernel(BLUR_SIGMA)
    kinds = rng.integers(0, len(CORRUPTIONS), size=len(out))
    for i, k in enumerate(kinds):
        kind = CORRUPTIONS[k]
        img = out[i]
        if kind == "noise":
            img += rng.normal(0.0, NOISE_SIGMA, size=img.shape)
        elif kind == "blur":
            out[i] = _blur(img, kernel)
        elif kind == "occlusion":
            r, c = rng.integers(0, IMAGE_SHAPE[0] - OCCLUSION_SIZE + 1, size=2)
            img[r:r + OCCLUSION_SIZE, c:c + OCCLUSION_SIZE] = float(rng.integers(0, 2))
        else:  # contrast
            img *= 0.5
            img += 0.25
        np.clip(out[i], 0.0, 1.0, out=out[i])
    return out.reshape(shape).astype(np.float32), [CORRUPTIONS[k] for k in kinds]


def shape_for_model(images, sample_dims):
    """Lay float images [N,28,28] out as [N, *sample_dims] (the model input's
    non-batch dims: (1,28,28) NCHW, (28,28,1) NHWC or (784,) flat)."""
    sample_dims = tuple(int(d) for d in sample_dims)
    n = len(images)
    if int(np.prod(sample_dims)) != 784:
        raise ValueError(f"model input dims {sample_dims} do not hold a 28x28x1 image")
    # For a single channel NCHW, NHWC and flat orders are all the same bytes.
    return np.ascontiguousarray(images.reshape((n,) + sample_dims), dtype=np.float32)


def write_tensor(path, array, name):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(array, name).SerializeToString())


def read_tensor(path):
    from onnx import TensorProto
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def write_data_set(folder, input_name, x, labels):
    """Write folder/input_0.pb (TensorProto named input_name) and
    folder/labels.pb (TensorProto "labels", int64 [N])."""
    if len(x) != len(labels):
        raise ValueError(f"{folder}: {len(x)} inputs but {len(labels)} labels")
    write_tensor(os.path.join(folder, "input_0.pb"), np.asarray(x, dtype=np.float32), input_name)
    write_tensor(os.path.join(folder, "labels.pb"), np.asarray(labels, dtype=np.int64), "labels")
