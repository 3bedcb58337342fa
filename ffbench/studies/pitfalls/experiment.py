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


def _silent_fraction(model, X) -> float:
    """Fraction of hidden units whose pre-activation is <= 0 on every input of ``X`` (eval mode): for ReLU
    these are dead units (zero output and zero gradient on the whole set); NaN without hidden layers."""
    if model.depth == 1:
        return math.nan
    model.forward(X)
    silent = [np.all(z <= 0.0, axis=0) for z in model.preactivations[:-1]]
    return float(np.mean(np.concatenate(silent)))


def train_run(spec) -> dict:
    """Train one network; per-epoch training loss and test accuracy, final accuracies, divergence."""
    X, y = _load(spec["dataset"], "train", spec["train_size"])
    Xt, yt = _load(spec["dataset"], "test", None)
    model = _model(spec, X.shape[1], int(y.max()) + 1)
    opt = _named(make_optimizer, spec["optimizer"], model)
    sched = None if spec["scheduler"] is None else _named(make_scheduler, spec["scheduler"], opt)
    test_acc = []
    history = train(model, X, y, loss="softmax_cross_entropy", optimizer=opt, scheduler=sched,
                    epochs=spec["epochs"], batch_size=spec["batch_size"], seed=derive_seed(spec["seed"], "batches"),
                    clip_norm=spec["clip_norm"], callback=lambda epoch, h: test_acc.append(accuracy(model, Xt, yt)))
    finite = not history.diverged and all(np.all(np.isfinite(p)) for p in model.parameters())
    return {"epoch_loss": history.epoch_loss, "test_acc": test_acc,
            "train_acc": accuracy(model, X, y) if finite else math.nan,
            "final_test_acc": accuracy(model, Xt, yt) if finite else math.nan,
            "final_loss": history.epoch_loss[-1] if history.epoch_loss and finite else math.nan,
            "first_loss": history.step_loss[0], "steps": len(history.step_loss),
            "diverged": bool(history.diverged), "diverged_at_step": history.diverged_at_step,
            "steps_to_target": steps_to_target(history.step_loss, spec["target_loss"]),
            "silent_fraction": _silent_fraction(model, X) if finite else math.nan}


def lr_find_run(spec) -> dict:
    """The LR range test on a fresh network of the spec (its optimiser at the spec's settings)."""
    X, y = _load(spec["dataset"], "train", spec["train_size"])
    model = _model(spec, X.shape[1], int(y.max()) + 1)
    opt = _named(make_optimizer, spec["optimizer"], model)
    result = lr_find(model, X, y, loss="softmax_cross_entropy", optimizer=opt, batch_size=spec["batch_size"],
                     seed=derive_seed(spec["seed"], "batches"), **spec["range"])
    return result.to_dict()


KINDS = {"train": train_run, "lr_find": lr_find_run}
