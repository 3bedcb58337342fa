"""The mini-batch training loop of the seed notes: shuffle, forward, loss, backward, clip, step, schedule.

``train`` validates the data once, then runs ``epochs`` passes over it in mini-batches.  A loss that
becomes NaN or inf stops training: the ``History`` records ``diverged=True`` and the step where it
happened, and the model keeps the weights of that step (no exception: a divergence is a result).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import fused
from ._checks import as_float_array, as_rng, positive_int
from .losses import canonical_name, check_targets, loss_function
from .optim import ReduceLROnPlateau, SGD, clip_grad_norm


@dataclass
class History:
    """What happened during ``train``: one entry per step or per epoch as named.

    ``grad_norms[l]`` (when ``record_grad_norms``) holds the Frobenius norm of layer l's weight
    gradient at every step."""

    step_loss: list = field(default_factory=list)
    epoch_loss: list = field(default_factory=list)     # mean of the step losses of each epoch
    lr: list = field(default_factory=list)             # learning rate used at each step
    grad_norms: list = field(default_factory=list)     # per layer, per step
    clip_norms: list = field(default_factory=list)     # total norm before clipping, per step
    diverged: bool = False
    diverged_at_step: int | None = None
    wall_time_s: float = 0.0

    def __repr__(self) -> str:
        """One line: sizes and end points, not the per-step lists (``history.step_loss`` etc. hold those)."""
        parts = [f"{len(self.epoch_loss)} epochs", f"{len(self.step_loss)} steps"]
        if self.epoch_loss:
            parts.append(f"epoch loss {self.epoch_loss[0]:.4g} -> {self.epoch_loss[-1]:.4g}")
        if self.lr:
            parts.append(f"lr {self.lr[0]:.3g}" + (f" -> {self.lr[-1]:.3g}" if self.lr[-1] != self.lr[0] else ""))
        if self.grad_norms:
            parts.append(f"grad norms of {len(self.grad_norms)} layers")
        if self.clip_norms:
            parts.append(f"max norm before clipping {max(self.clip_norms):.3g}")
        if self.diverged:
            parts.append(f"DIVERGED at step {self.diverged_at_step}")
        parts.append(f"{self.wall_time_s:.3g} s")
        return f"History({', '.join(parts)})"


def train(model, X, y, loss="mse", optimizer=None, scheduler=None, epochs=10, batch_size=32, shuffle=True,
          seed=0, clip_norm=None, record_grad_norms=False, callback=None) -> History:
    """Train ``model`` in place on ``X`` (n, d_in) and ``y`` and return the ``History``.

    ``y`` is (n, d_out) (or (n,) for one output) of the model's dtype for ``mse``/``bce_with_logits``,
    integer labels (n,) for ``softmax_cross_entropy``.  ``optimizer`` defaults to ``SGD(model,
    lr=0.01)``.  ``scheduler`` steps once per epoch (``ReduceLROnPlateau`` on the epoch loss).
    ``seed`` drives the shuffling only (the model's seed fixed its weights).  With BatchNorm a final
    mini-batch of a single sample is skipped (BatchNorm cannot normalise one sample in training mode).  ``callback(epoch,
    history)`` runs after each epoch; returning True stops training.
    """
    loss = canonical_name(loss)
    loss_fn = loss_function(loss)
    X = model.check_input(X)
    n = X.shape[0]
    y = check_targets(y, loss, n, model.sizes[-1], model.dtype)
    epochs = positive_int(epochs, "epochs")
    batch_size = min(positive_int(batch_size, "batch_size"), n)
    if model.norm == "batch" and n < 2:
        raise ValueError("a BatchNorm model needs at least 2 samples to train (batch statistics of one "
                         "sample are undefined)")
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm must be positive, got {clip_norm}")
    optimizer = optimizer if optimizer is not None else SGD(model, lr=0.01)
    rng = as_rng(seed)
    history = History(grad_norms=[[] for _ in range(model.depth)] if record_grad_norms else [])
    start = time.perf_counter()
    if fused.applies(model, optimizer, batch_size, clip_norm, record_grad_norms):
        _train_compiled(model, X, y, loss, optimizer, scheduler, epochs, batch_size, shuffle, rng, callback,
                        history)
        history.wall_time_s = time.perf_counter() - start
        return history
    for epoch in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        losses = []
        for lo in range(0, n, batch_size):
            rows = order[lo:lo + batch_size]
            if len(rows) < 2 and model.norm == "batch":
                continue  # BatchNorm cannot train on one sample (as PyTorch): drop it, as drop_last would
            batch = np.take(X, rows, axis=0, out=model._work(True, "X", -1, (len(rows), X.shape[1])))
            out = model._forward(batch, train=True, reuse=True)
            value, grad = loss_fn(out, y[rows])
            history.step_loss.append(value)
            history.lr.append(optimizer.lr)
            if not math.isfinite(value):
                history.diverged, history.diverged_at_step = True, len(history.step_loss) - 1
                break
            model._backward(grad, input_grad=False, reuse=True)
            if record_grad_norms:
                for l, g in enumerate(model.grad_weights):
                    history.grad_norms[l].append(float(np.linalg.norm(g)))
            if clip_norm is not None:
                history.clip_norms.append(clip_grad_norm(model, clip_norm))
            optimizer.step()
            losses.append(value)
        if history.diverged:
            break
        history.epoch_loss.append(float(np.mean(losses)))
        if scheduler is not None:
            scheduler.step(history.epoch_loss[-1]) if isinstance(scheduler, ReduceLROnPlateau) else scheduler.step()
        if callback is not None and callback(epoch, history):
            break
    history.wall_time_s = time.perf_counter() - start
    return history


def _train_compiled(model, X, y, loss, optimizer, scheduler, epochs, batch_size, shuffle, rng, callback,
                    history):
    """``train``'s loop through ``ffbench.fused``: several epochs per compiled call, one per call
    when a scheduler or callback must run between epochs; the same steps, bits and history."""
    n = X.shape[0]
    per_call = 1 if (scheduler is not None or callback is not None) else fused.epochs_per_call(n, epochs)
    steps_per_epoch = -(-n // batch_size)
    epoch = 0
    while epoch < epochs:
        count = min(per_call, epochs - epoch)
        orders = np.stack([rng.permutation(n) if shuffle else np.arange(n) for _ in range(count)])
        values = fused.run(model, X, y, loss, optimizer, orders, batch_size)
        history.step_loss.extend(values.tolist())
        history.lr.extend([optimizer.lr] * len(values))
        for e in range(count):
            chunk = values[e * steps_per_epoch:(e + 1) * steps_per_epoch]
            if len(chunk) < steps_per_epoch or not math.isfinite(chunk[-1]):
                history.diverged, history.diverged_at_step = True, len(history.step_loss) - 1
                return
            history.epoch_loss.append(float(np.mean(chunk.tolist())))
            if scheduler is not None:
                scheduler.step(history.epoch_loss[-1]) if isinstance(scheduler, ReduceLROnPlateau) else scheduler.step()
            if callback is not None and callback(epoch + e, history):
                return
        epoch += count


def evaluate(model, X, y, loss="mse") -> dict:
    """The model on held-out data, in evaluation mode (no dropout, BatchNorm's running statistics):
    ``{"loss": mean loss (float), "accuracy": fraction correct (float) or None for mse}``.  ``X`` (n, d_in) of the
    model's dtype; ``y`` as for ``train``: integer labels (n,) for ``softmax_cross_entropy``, (n, d_out) targets
    for ``mse``/``bce_with_logits``."""
    loss = canonical_name(loss)
    X = model.check_input(X)
    y = check_targets(y, loss, X.shape[0], model.sizes[-1], model.dtype)
    value, _ = loss_function(loss)(model.forward(X), y)
    labels = None if loss == "mse" else (y if loss == "softmax_cross_entropy" else (y > 0.5).astype(np.int64))
    return {"loss": float(value), "accuracy": None if labels is None else accuracy(model, X, labels)}


def accuracy(model, X, labels) -> float:
    """Fraction of rows whose predicted class matches ``labels``: argmax for several outputs,
    ``output > 0`` (a logit) for one output."""
    out = model.forward(X)
    pred = out.argmax(axis=1) if out.shape[1] > 1 else (out[:, 0] > 0).astype(np.int64)
    return float(np.mean(pred == np.asarray(labels).reshape(-1)))
