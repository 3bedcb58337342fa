"""One run of the pitfalls study: train one network on one data set, or run one LR range test.

A run spec is plain JSON: the data set, the network, the optimiser, the schedule and the budget, and its
seed; ``train_run`` and ``lr_find_run`` are pure functions of it (``KINDS`` dispatches on ``spec["kind"]``).
"""
from __future__ import annotations

import functools
import math

import numpy as np

from ... import MLP, data
from ...lr_find import lr_find
from ...optim import optimizer as make_optimizer, scheduler as make_scheduler
from ...train import accuracy, train
from ..framework import derive_seed

DATASETS = {
    "mnist1d": lambda split: data.mnist1d(split),
    "mnist1d_shuffled": lambda split: data.mnist1d(split, shuffle_seq=True),
    "digits": lambda split: data.digits(split),
}
TARGET_WINDOW = 10   # steps averaged before comparing the training loss with a target
EXPLODE = 10.0       # a mini-batch loss above EXPLODE x the first one is an exploding loss (a blow-up: at 10 x
                     # ln 10 = 23 nats the net is confidently wrong on its own batch, far past any slow start)


@functools.lru_cache(maxsize=8)
def _load(name: str, split: str, size):
    """A split of a data set (the first ``size`` rows when given), cached per process."""
    X, y = DATASETS[name](split)
    return (X, y) if size is None else (X[:size], y[:size])


def steps_to_target(step_loss, target) -> int | None:
    """The first step count at which the mean of the last ``TARGET_WINDOW`` mini-batch losses is at most
    ``target``; None when the run never gets there (a censored measurement)."""
    loss = np.asarray(step_loss, dtype=float)
    if target is None or loss.size < TARGET_WINDOW:
        return None
    mean = np.convolve(loss, np.full(TARGET_WINDOW, 1.0 / TARGET_WINDOW), mode="valid")
    hit = np.flatnonzero(mean <= target)
    return int(hit[0]) + TARGET_WINDOW if hit.size else None


def _named(make, settings: dict, owner):
    """``make(settings["name"], owner, **other settings)``: an optimiser or a scheduler from its spec."""
    return make(settings["name"], owner, **{k: v for k, v in settings.items() if k != "name"})


def _model(spec, n_in, n_out):
    return MLP([n_in, *spec["hidden"], n_out], activation=spec["activation"], init=spec["init"],
               norm=spec["norm"], dropout=spec["dropout"], seed=derive_seed(spec["seed"], "model"))


def silent_per_layer(model, X) -> list[float]:
    """Per hidden layer, the fraction of units whose pre-activation is <= 0 on every input of ``X`` (eval
    mode): for ReLU these are dead units (zero output and zero gradient on the whole set); [] without hidden
    layers.  ``X``: (n, d_in)."""
    model.forward(X)
    return [float(np.mean(np.all(z <= 0.0, axis=0))) for z in model.preactivations[:-1]]


def exploded(step_loss) -> bool:
    """A non-finite mini-batch loss, or one above ``EXPLODE`` x the first: the loss diverged (literally)."""
    loss = np.asarray(step_loss, dtype=float)
    return bool(loss.size and (not np.all(np.isfinite(loss)) or np.max(loss) > EXPLODE * loss[0]))


def train_run(spec) -> dict:
    """Train one network; per-epoch training loss and test accuracy, final accuracies, divergence (literal:
    ``exploded``), dead units per hidden layer, and for a clipped run the total gradient norm before clipping
    (mean over steps, and the fraction of steps it was clipped); the training accuracy after each epoch with
    ``spec["train_curve"]``.  With ``spec["stop_at_target"]`` the run stops
    after the epoch in which it reaches its target loss (steps to the target are then exact, never censored
    unless the budget runs out)."""
    X, y = _load(spec["dataset"], "train", spec["train_size"])
    Xt, yt = _load(spec["dataset"], "test", None)
    model = _model(spec, X.shape[1], int(y.max()) + 1)
    opt = _named(make_optimizer, spec["optimizer"], model)
    sched = None if spec["scheduler"] is None else _named(make_scheduler, spec["scheduler"], opt)
    test_acc, train_acc = [], []

    def after_epoch(epoch, h):
        test_acc.append(accuracy(model, Xt, yt))
        if spec.get("train_curve"):  # only where a figure shows it: it costs a forward pass over the training set
            train_acc.append(accuracy(model, X, y))
        return bool(spec.get("stop_at_target")) and steps_to_target(h.step_loss, spec["target_loss"]) is not None

    history = train(model, X, y, loss="softmax_cross_entropy", optimizer=opt, scheduler=sched,
                    epochs=spec["epochs"], batch_size=spec["batch_size"], seed=derive_seed(spec["seed"], "batches"),
                    clip_norm=spec["clip_norm"], callback=after_epoch)
    finite = not history.diverged and all(np.all(np.isfinite(p)) for p in model.parameters())
    norms = np.asarray(history.clip_norms, dtype=float)
    return {"epoch_loss": history.epoch_loss, "test_acc": test_acc, "train_acc_curve": train_acc,
            "train_acc": accuracy(model, X, y) if finite else math.nan,
            "final_test_acc": accuracy(model, Xt, yt) if finite else math.nan,
            "final_loss": history.epoch_loss[-1] if history.epoch_loss and finite else math.nan,
            "first_loss": history.step_loss[0], "max_loss": float(np.nanmax(history.step_loss)),
            "steps": len(history.step_loss), "diverged": bool(history.diverged),
            "diverged_at_step": history.diverged_at_step, "exploded": exploded(history.step_loss),
            "steps_to_target": steps_to_target(history.step_loss, spec["target_loss"]),
            "silent_per_layer": silent_per_layer(model, X) if finite else [],
            "grad_norm_mean": float(norms.mean()) if norms.size else None,
            "clipped_fraction": float(np.mean(norms > spec["clip_norm"])) if norms.size else None}


def lr_find_run(spec) -> dict:
    """The LR range test on a fresh network of the spec (its optimiser at the spec's settings)."""
    X, y = _load(spec["dataset"], "train", spec["train_size"])
    model = _model(spec, X.shape[1], int(y.max()) + 1)
    opt = _named(make_optimizer, spec["optimizer"], model)
    result = lr_find(model, X, y, loss="softmax_cross_entropy", optimizer=opt, batch_size=spec["batch_size"],
                     seed=derive_seed(spec["seed"], "batches"), **spec["range"])
    return result.to_dict()


KINDS = {"train": train_run, "lr_find": lr_find_run}
