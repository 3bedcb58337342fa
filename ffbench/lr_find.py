"""The learning-rate range test (Smith 2017, "Cyclical learning rates for training neural networks",
Sec. 3.3; the ``lr_find`` of fastai), with the model and optimiser given back exactly as they were.

The test trains for ``num_steps`` mini-batches while the learning rate grows exponentially from
``start_lr`` to ``end_lr``, ``lr_i = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))``, and
records the mini-batch loss at each step.  The loss curve is smoothed by a bias-corrected
exponential moving average, ``a_i = beta a_{i-1} + (1 - beta) loss_i``, ``s_i = a_i / (1 - beta^(i+1))``
(the smoothing of fastai and of Gugger's write-up of the method); the test stops at divergence: a
non-finite loss, or ``s_i > diverge_factor * min_{j<=i} s_j`` (fastai's factor 4).

The suggested learning rate follows one stated rule (``LR_RULES``):

- ``"minimum"``: the learning rate of the lowest smoothed loss, divided by 10 (fastai's
  ``SuggestionMethod.Minimum``: the minimum itself is already at the edge of instability);
- ``"steepest"``: the learning rate where the smoothed loss falls fastest per decade of learning
  rate (the most negative ``d s / d log10 lr``, as ``np.gradient`` computes it; fastai's
  ``SuggestionMethod.Steep``), ignoring the first ``skip_start`` steps, where the average is still
  dominated by a few losses.

Afterwards every array of the model (weights, biases, BatchNorm parameters and running statistics,
gradients) and of the optimiser (moments, momentum buffers, step count, learning rate), and the
model's dropout random state, hold exactly the bits they held before (tested bit for bit).
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import numpy as np

from ._checks import as_rng, lookup, positive_int
from .losses import canonical_name, check_targets, loss_function
from .optim import Adam, clip_grad_norm

__all__ = ["LR_RULES", "LRFinderResult", "lr_find", "plot_lr_find"]


def _suggest_minimum(lrs, smoothed, skip_start):
    return float(lrs[int(np.argmin(smoothed))] / 10.0)


def _suggest_steepest(lrs, smoothed, skip_start):
    s = smoothed[skip_start:] if len(smoothed) > skip_start + 2 else smoothed
    l = lrs[-len(s):]
    if len(s) < 2:
        return float(l[0])
    return float(l[int(np.argmin(np.gradient(s, np.log10(l))))])


LR_RULES = {"minimum": _suggest_minimum, "steepest": _suggest_steepest}


@dataclass(frozen=True)
class LRFinderResult:
    """One range test: ``lrs``, ``losses`` (raw mini-batch losses) and ``smoothed`` are float64
    arrays of one length (the steps run, the diverging step included); ``suggestion`` is the learning
    rate given by ``rule`` over the steps before divergence; ``suggestions`` holds every rule's value;
    ``stopped`` says why the test ended ("diverged" or "end_lr")."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float
    rule: str
    suggestions: dict
    stopped: str

    def to_dict(self) -> dict:
        """Plain lists and floats, for a JSON record."""
        return {"lrs": self.lrs.tolist(), "losses": self.losses.tolist(),
                "smoothed": self.smoothed.tolist(), "suggestion": self.suggestion, "rule": self.rule,
                "suggestions": dict(self.suggestions), "stopped": self.stopped}


def _restore(current, saved):
    """Put ``saved`` (a deep copy taken earlier) back into ``current``; returns what to keep.

    Arrays are overwritten in place (a caller holding ``model.weights[0]`` sees the old values
    again), lists element by element, plain objects attribute by attribute; anything else (a
    random generator, a number) is replaced by the saved copy."""
    if current is saved:
        return current
    if (isinstance(current, np.ndarray) and isinstance(saved, np.ndarray) and current.flags.writeable
            and current.shape == saved.shape and current.dtype == saved.dtype):
        np.copyto(current, saved)
        return current
    if isinstance(current, list) and isinstance(saved, list) and len(current) == len(saved):
        current[:] = [_restore(c, s) for c, s in zip(current, saved)]
        return current
    if type(current) is type(saved) and hasattr(saved, "__dict__") and not callable(saved):
        _restore_attributes(current, vars(saved))
        return current
    return saved


def _restore_attributes(obj, state: dict) -> None:
    """Give ``obj`` back the attributes ``state`` (a deep copy of ``vars(obj)``) holds."""
    for key in set(vars(obj)) - set(state):
        delattr(obj, key)
    for key, value in state.items():
        setattr(obj, key, _restore(getattr(obj, key, None), value))


def lr_find(model, X, y, loss="mse", optimizer=None, start_lr=1e-7, end_lr=10.0,
            num_steps=100, batch_size=32, beta=0.98, diverge_factor=4.0, rule="minimum",
            skip_start=10, clip_norm=None, seed=0) -> LRFinderResult:
    """Run the range test on ``model`` with ``optimizer`` (default ``Adam(model)``) over mini-batches
    of ``X`` (n, d_in) and ``y`` (as ``ffbench.train``), then restore both; see the module docstring.

    Mini-batches are drawn without replacement from a permutation of the rows made by
    ``np.random.default_rng(seed)`` (a fresh permutation each pass); the model is in training mode
    (dropout, batch statistics); ``clip_norm`` clips the gradient norm before each step as
    ``ffbench.train`` does.  Returns an ``LRFinderResult``.
    """
    loss = canonical_name(loss)
    loss_fn = loss_function(loss)
    X = model.check_input(X)
    n = X.shape[0]
    y = check_targets(y, loss, n, model.sizes[-1], model.dtype)
    start_lr, end_lr = float(start_lr), float(end_lr)
    if not (math.isfinite(start_lr) and math.isfinite(end_lr) and 0.0 < start_lr < end_lr):
        raise ValueError(f"need 0 < start_lr < end_lr, both finite; got {start_lr}, {end_lr}")
    num_steps = positive_int(num_steps, "num_steps")
    if num_steps < 2:
        raise ValueError(f"num_steps must be at least 2 to sweep a range, got {num_steps}")
    batch_size = min(positive_int(batch_size, "batch_size"), n)
    if model.norm == "batch" and batch_size < 2:
        raise ValueError("a BatchNorm model needs mini-batches of at least 2 samples")
    if not 0.0 <= float(beta) < 1.0:
        raise ValueError(f"beta must be in [0, 1), got {beta}")
    if not float(diverge_factor) > 1.0:
        raise ValueError(f"diverge_factor must be > 1, got {diverge_factor}")
    suggest = lookup(LR_RULES, rule, "lr_find rule")
    skip_start = int(skip_start)
    if clip_norm is not None and not clip_norm > 0:
        raise ValueError(f"clip_norm must be positive, got {clip_norm}")
    optimizer = Adam(model) if optimizer is None else optimizer
    if optimizer.model is not model:
        raise ValueError("the optimizer was built for another model")
    rng = as_rng(seed)

    saved_model = copy.deepcopy(vars(model))
    saved_optimizer = copy.deepcopy(vars(optimizer), memo={id(model): model})
    lrs, losses, smoothed = [], [], []
    average, best, stopped = 0.0, math.inf, "end_lr"
    order, at = rng.permutation(n), 0
    try:
        for i in range(num_steps):
            if at + batch_size > n:
                order, at = rng.permutation(n), 0
            rows = order[at:at + batch_size]
            at += batch_size
            lr = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1))
            optimizer.lr = lr
            value, grad = loss_fn(model._forward(X[rows], train=True), y[rows])
            average = beta * average + (1.0 - beta) * value
            smooth = average / (1.0 - beta ** (i + 1))
            lrs.append(lr)
            losses.append(value)
            smoothed.append(smooth)
            if not math.isfinite(smooth) or smooth > diverge_factor * best:
                stopped = "diverged"
                break
            best = min(best, smooth)
            model._backward(grad, input_grad=False)
            if clip_norm is not None:
                clip_grad_norm(model, clip_norm)
            optimizer.step()
    finally:
        _restore_attributes(model, saved_model)
        _restore_attributes(optimizer, saved_optimizer)
    lrs, losses, smoothed = (np.asarray(a, np.float64) for a in (lrs, losses, smoothed))
    # the first loss is measured before any step, so it is finite and at least one point is usable
    usable = len(lrs) - 1 if stopped == "diverged" else len(lrs)
    suggestions = {name: fn(lrs[:usable], smoothed[:usable], skip_start) for name, fn in LR_RULES.items()}
    return LRFinderResult(lrs, losses, smoothed, suggestions[rule], rule, suggestions, stopped)


def plot_lr_find(ax, result, marks=None):
    """Draw ``result`` (an ``LRFinderResult`` or its ``to_dict()``) on ``ax``: raw losses faint, the
    smoothed curve solid, the suggestion as a dotted vertical line, and each ``marks`` entry
    ``{label: lr}`` (e.g. the best learning rate of a sweep) as a dashed vertical line."""
    r = result.to_dict() if isinstance(result, LRFinderResult) else result
    lrs, raw, smoothed = (np.asarray(r[key], dtype=float) for key in ("lrs", "losses", "smoothed"))
    ax.plot(lrs, raw, color="0.75", linewidth=0.6, marker="", label="mini-batch loss")
    ax.plot(lrs, smoothed, color="#000000", linewidth=1.2, marker="", label="smoothed")
    ax.axvline(r["suggestion"], color="#0072B2", linestyle=":", linewidth=1.0,
               label=f"suggestion ({r['rule']}): {r['suggestion']:.2g}")
    for (name, lr), color in zip((marks or {}).items(), ("#D55E00", "#009E73", "#CC79A7")):
        ax.axvline(lr, color=color, linestyle="--", linewidth=1.0, label=f"{name}: {lr:.2g}")
    finite = smoothed[np.isfinite(smoothed)]
    if finite.size:
        low = min(finite.min(), np.nanmin(np.where(np.isfinite(raw), raw, np.nan)))
        # up to the start of the curve, or 4x it where the curve diverges
        ax.set_ylim(low - 0.1 * abs(low), min(max(finite.max(), raw[0]), 4 * max(finite[0], low)) * 1.05)
    ax.set_xscale("log")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.legend(loc="best")
