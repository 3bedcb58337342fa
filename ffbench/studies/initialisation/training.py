"""The training loop every part of the initialisation study shares: plain mini-batch SGD on MNIST-1D, probed.

``train_probed`` trains an ``ffbench.MLP`` (float32) with ``ffbench.optim.SGD`` for a fixed number of steps on
batches drawn without replacement (a fresh permutation each epoch, from the run's seed), and every ``log_every``
steps records the mean training loss of that window and whatever ``probe(model)`` returns (a dict of floats or
lists), so a part can watch a layer's saturation or the forward signal during training, not only at the end.
"""
from __future__ import annotations

import math

import numpy as np

from ffbench import data
from ffbench.losses import loss_function
from ffbench.optim import SGD
from ffbench.train import accuracy

LOSS = "softmax_cross_entropy"
CHANCE_LOSS = math.log(10.0)  # the loss of a uniform prediction over MNIST-1D's 10 classes


def mnist1d():
    """``(X, y, X_test, y_test)``: MNIST-1D (Greydanus 2020), float32 (4000, 40) / (1000, 40), int64 labels."""
    X, y = data.mnist1d("train", dtype=np.float32)
    X_test, y_test = data.mnist1d("test", dtype=np.float32)
    return X, y, X_test, y_test


def train_probed(model, X, y, *, steps, batch, lr, momentum, seed, log_every, probe=None) -> dict:
    """Train ``model`` in place; returns ``{"step": [...], "loss": [...], "probes": [probe dicts]}``.

    ``step[k]`` is the number of steps done at log point k (0: before training, where ``loss`` is the loss of
    the first window's batches at init, measured without a step); ``loss[k]`` the mean training loss over the
    window ending there.  A non-finite loss stops training: the log points from there on hold NaN losses and
    repeat the last probe (a diverged run; every run of a spec has the same log points)."""
    rng = np.random.default_rng(seed)
    optimizer = SGD(model, lr=lr, momentum=momentum)
    out = {"step": [], "loss": [], "probes": []}

    def log(step, window):
        out["step"].append(step)
        out["loss"].append(float(np.mean(window)) if window else math.nan)
        if probe is not None:
            out["probes"].append(probe(model))

    order, pos, window = rng.permutation(len(X)), 0, []
    log(0, [float(_loss_at(model, X[order[:batch]], y[order[:batch]]))])
    for step in range(1, steps + 1):
        if pos + batch > len(X):
            order, pos = rng.permutation(len(X)), 0
        rows = order[pos:pos + batch]
        pos += batch
        value = model.train_step(X[rows], y[rows], LOSS, optimizer)
        window.append(value)
        if not math.isfinite(value):  # diverged: the remaining log points hold NaN and the last probe
            last = out["probes"][-1] if probe is not None else None
            for rest in range(step + (-step) % log_every, steps + 1, log_every):
                out["step"].append(rest)
                out["loss"].append(math.nan)
                if probe is not None:
                    out["probes"].append(last)
            break
        if step % log_every == 0:
            log(step, window)
            window = []
    return out


def _loss_at(model, X, y) -> float:
    return loss_function(LOSS)(model.forward(X), y)[0]


def test_error(model, X_test, y_test) -> float:
    """Test error in percent (as Glorot & Bengio's Table 1)."""
    return 100.0 * (1.0 - accuracy(model, X_test, y_test))


def steps_to(steps, losses, target) -> float:
    """The first logged step whose window loss is below ``target``; ``inf`` if none (never reached)."""
    for s, v in zip(steps, losses):
        if v < target:
            return float(s)
    return math.inf
