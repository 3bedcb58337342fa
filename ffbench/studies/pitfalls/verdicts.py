"""The pitfalls study's claims: each pitfall's cells -> claims with their source, kind, rule and spread.

A pitfall's cells share their seeds, so every comparison is paired by seed.  The rules (``claims``): an effect
("A beats B") holds only when shown by a one-sided t test at alpha, FAILS when the opposite is shown, and is
not judged in between (``claim_effect``); "unchanged", "costs nothing" and "never lowers" are equivalence or
non-inferiority claims against a stated margin (``claim_equivalent``, or ``claim_effect`` against -margin); rates
use the exact binomial interval (``claim_fraction``).  A run that fails to train (non-finite, or final training
loss >= ``TRAINED_LOSS``) counts at chance accuracy (0.1) in accuracy comparisons.
"""
from __future__ import annotations

import math

import numpy as np

from ..framework import (claim_bound, claim_effect, claim_equivalent, claim_fraction, claim_mean, observation,
                         spread_of, t_tolerance)
from . import sources as src

TRAINED_LOSS = 2.0      # "trains": below ln 10 = 2.30 (chance) by a margin; *divergence* is judged literally
CHANCE = 0.1
DEAD_LAYER = 1.0        # a layer is dead when every one of its units is silent on every training input
MARGIN_WHY = ("margin: 2 points of test accuracy, the smallest difference the sources act on (the MNIST-1D table "
              "separates models by >= 10 points and reports whole percent; the notes' advice is about nets that "
              "fail, not about a point)")


def _get(cell, key, failed=None) -> np.ndarray:
    """``key`` of each run of a cell (in seed order) as floats; ``failed`` replaces it for runs that did
    not train."""
    out = []
    for _, r in cell:
        value = r[key]
        out.append(failed if failed is not None and not trained(r) else (math.nan if value is None else value))
    return np.asarray(out, dtype=float)


def trained(result) -> bool:
    loss = result["final_loss"]
    return loss is not None and math.isfinite(loss) and loss < TRAINED_LOSS


def _acc(cell) -> np.ndarray:
    return _get(cell, "final_test_acc", failed=CHANCE)


def _steps(cell) -> np.ndarray:
    """Steps to the target loss, a run that never got there counted at its budget (a lower bound)."""
    return np.asarray([r["steps_to_target"] if r["steps_to_target"] is not None else r["steps"] for _, r in cell],
                      dtype=float)


def _half_width(values) -> float:
    """The one-sided t half-width of the mean of ``values`` (0 for a single value)."""
    s = spread_of(values)
    return t_tolerance(s, sides=1) if s["n"] >= 2 else 0.0


def _by_lr(cells, prefix, variants):
    """{lr: {variant: cell}} for cell names ``prefix/lr=X/variant``."""
    table = {}
    for name, cell in cells.items():
        parts = name.split("/")
        if parts[0] == prefix and len(parts) == 3:
            table.setdefault(float(parts[1][3:]), {})[parts[2]] = cell
    return {lr: table[lr] for lr in sorted(table) if set(variants) <= set(table[lr])}


def baseline(cells, margin):
    claims = []
    for model, paper in (("logreg", 0.32), ("mlp", 0.68)):
        acc = _acc(cells[f"{model}/mnist1d"])
        claims.append(claim_mean(
            f"baseline_{model}", f"{model} on MNIST-1D reaches the paper's {paper:.0%} test accuracy", acc, paper,
            allowance=0.005, source=src.GREYDANUS, kind="empirical",
            note="allowance 0.005: the table rounds to whole percent; " + src.PROTOCOL))
        claims.append(claim_equivalent(
            f"baseline_{model}_shuffle_invariant", f"{model}: the spatial shuffle leaves test accuracy unchanged "
            f"(shuffled - plain, within {margin:g})", _acc(cells[f"{model}/mnist1d_shuffled"]) - acc, margin,
            kind="theorem", note=MARGIN_WHY,
            source="this study: permutation symmetry of the first layer (module docstring, 1.); " + src.GREYDANUS))
        digits = _acc(cells[f"{model}/digits"])
        claims.append(observation(f"baseline_{model}_digits", f"{model} test accuracy on scikit-learn's digits",
                                  float(digits.mean()), spread=spread_of(digits)))
    return claims


def activation(cells):
    steps = {act: _steps(cell) for act, cell in cells.items()}
    claims = [observation(f"activation_steps_{act}", f"{act}: SGD steps to the target loss (budget if never)",
                          float(s.mean()), spread=spread_of(s)) for act, s in steps.items()]
    if {"sigmoid", "tanh"} <= set(steps):
        claims.append(claim_effect(
            "activation_tanh_faster_than_sigmoid", "tanh reaches the target loss in fewer steps than sigmoid (same "
            "initial weights; sigmoid - tanh steps > 0)", steps["sigmoid"] - steps["tanh"], source=src.LECUN,
            note="paired by seed; a run that never reaches the target counts at the budget (a lower bound, which "
                 "can only understate a sigmoid slowdown)"))
    return claims


def _max_trained_lr(by_lr, variant) -> np.ndarray:
    """Per seed, log10 of the largest learning rate at which the run trains (one grid step below the grid
    when none does)."""
    lrs = sorted(by_lr)
    below = math.log10(lrs[0]) - (math.log10(lrs[1] / lrs[0]) if len(lrs) > 1 else 1.0)
    ok = np.array([[trained(r) for _, r in by_lr[lr][variant]] for lr in lrs])   # (lrs, seeds)
    return np.array([max([math.log10(lr) for lr, t in zip(lrs, col) if t], default=below) for col in ok.T])


def batchnorm(cells, margin):
    deep = _by_lr(cells, "deep", ("plain", "batch"))
    claims = [claim_effect("batchnorm_higher_lr", "BN trains the deep net at larger learning rates (log10 of the "
                           "largest that trains, BN - plain)",
                           _max_trained_lr(deep, "batch") - _max_trained_lr(deep, "plain"),
                           source=src.IOFFE + 'Sec. 3.3, "Batch Normalization enables higher learning rates"',
                           note="paired by seed")]
    plain_ok = [lr for lr, v in deep.items() if all(trained(r) for _, r in v["plain"])]
    if plain_ok:
        best = max(plain_ok, key=lambda lr: float(np.mean(_acc(deep[lr]["plain"]))))
        claims.append(claim_effect(
            "batchnorm_faster", f"at the plain net's best learning rate ({best:g}) BN reaches a higher test accuracy "
            "in the same steps", _acc(deep[best]["batch"]) - _acc(deep[best]["plain"]), note="paired by seed",
            source=src.IOFFE + "Sec. 4.1, Fig. 1(a) (test accuracy against training steps: an MNIST MLP trains "
            "faster with BN)"))
        loss = _get(deep[best]["plain"], "final_loss") - _get(deep[best]["batch"], "final_loss")
        claims.append(observation("batchnorm_training_loss_gain", f"at lr {best:g}: final training loss plain - BN",
                                  float(loss.mean()), spread=spread_of(loss)))
    # "Always": in every cell BN is non-inferior (BN - plain > -margin, shown); judged on the weakest cell.
    cells_by = [(f"{kind} lr={lr:g}", _acc(v["batch"]) - _acc(v["plain"]))
                for kind, table in (("deep", deep), ("shallow", _by_lr(cells, "shallow", ("plain", "batch"))))
                for lr, v in table.items()]
    name, diff = min(cells_by, key=lambda c: spread_of(c[1])["mean"] - _half_width(c[1]))
    claims.append(claim_effect(
        "batchnorm_always", f'"Always BatchNorm": BN never lowers test accuracy by more than {margin:g} (BN - plain '
        f"> -{margin:g} shown in every cell; the weakest cell, {name}, shown)", diff, -margin, source=src.BATCHNORM,
        note=f"non-inferiority, paired by seed; {MARGIN_WHY}; failed runs count at chance accuracy; cells: "
             + ", ".join(f"{n}: {d.mean():+.3f}" for n, d in cells_by)))
    return claims


def clipping(cells, margin, max_norm):
    claims = []
    if {"adamw/clip", "adamw/none"} <= set(cells):
        clip, none = cells["adamw/clip"], cells["adamw/none"]
        clipped = _get(clip, "clipped_fraction")
        claims.append(claim_equivalent(
            "clipping_costs_nothing", f"in the notes' own loop (AdamW, lr 1e-3) clipping to {max_norm:g} leaves test "
            f"accuracy unchanged (clipped - unclipped, within {margin:g})", _acc(clip) - _acc(none), margin,
            source=src.CLIPPING, note=f"paired by seed; {MARGIN_WHY}; clipping was active on {clipped.mean():.0%} "
            "of the steps"))
        loss = _get(clip, "final_loss") - _get(none, "final_loss")
        claims.append(observation("clipping_training_loss_cost", "notes' loop: final training loss clipped - "
                                  "unclipped", float(loss.mean()), spread=spread_of(loss), source=src.CLIPPING))
    table = _by_lr(cells, "sgd", ("none", "clip"))
    # Paired by seed: of the pairs where exactly one run diverged, the unclipped one should be it (a sign test).
    unclipped_only = clipped_only = 0
    per_lr = []
    for lr, v in table.items():
        a = [r["exploded"] for _, r in v["none"]]
        b = [r["exploded"] for _, r in v["clip"]]
        unclipped_only += sum(x and not y for x, y in zip(a, b))
        clipped_only += sum(y and not x for x, y in zip(a, b))
        norms = _get(v["clip"], "grad_norm_mean")
        per_lr.append(f"lr {lr:g}: {sum(a)}/{len(a)} unclipped and {sum(b)}/{len(b)} clipped runs diverged, mean "
                      f"norm before clipping {np.nanmean(norms):.3g} (threshold {max_norm:g} = "
                      f"{max_norm / np.nanmean(norms):.2g}x it)")
    if table:
        pairs = unclipped_only + clipped_only
        claims.append(claim_fraction(
            "clipping_prevents_divergence", f"plain SGD at learning rates where unclipped runs blow up: of the seeds "
            f"where exactly one of the pair diverged (non-finite loss, or a mini-batch loss above 10x the first), "
            "the unclipped run is the one (shown above 1/2)", unclipped_only, max(pairs, 1), 0.5, shown=True,
            source=src.CLIPPING + "; " + src.PASCANU, note="exact sign test on the discordant pairs; "
            + "; ".join(per_lr), not_judged="" if pairs else "no seed diverged with one setting and not the other"))
    return claims


def dead(cells, layer_margin):
    silent, acc = {}, {}
    for name, cell in cells.items():
        act, lr = name.split("/")
        layers = [r["silent_per_layer"] for _, r in cell if r["silent_per_layer"]]   # runs with finite weights
        silent[act, float(lr[3:])] = np.asarray(layers, dtype=float)                 # (runs, hidden layers)
        acc[act, float(lr[3:])] = _acc(cell)
    lrs = sorted({lr for _, lr in silent})
    claims = [observation(f"dead_{act}_lr={lr:g}", f"{act} (He init) after Adam at lr {lr:g}: fraction of units "
                          "with z <= 0 on every training input, per hidden layer (mean over seeds)",
                          float(s.mean()), spread=spread_of(s.mean(axis=1)), source=src.DEAD_RELU,
                          note="per layer: " + ", ".join(f"{v:.2f}" for v in s.mean(axis=0)))
              for (act, lr), s in silent.items() if s.size]
    hi, lo = silent["relu", lrs[-1]], silent["relu", lrs[0]]
    if len(hi) == len(lo):
        claims.append(claim_effect("dead_relu_more_at_high_lr", f"ReLU: more dead units after lr {lrs[-1]:g} than "
                                   f"after lr {lrs[0]:g} (fraction, paired by seed)", hi.mean(axis=1) - lo.mean(axis=1),
                                   source=src.DEAD_RELU, note="runs whose weights went non-finite are left out"))
    claims.append(claim_effect(
        "dead_he_init_prevents", f"with He initialisation (the notes' remedy, in use) ReLU keeps every layer alive "
        f"at lr {lrs[-1]:g}: the most-dead layer's dead fraction stays below {layer_margin:g}", hi.max(axis=1),
        layer_margin, relation="less", source=src.DEAD_RELU,
        note="per run, the largest dead fraction over the hidden layers; He init was used in every run"))
    if ("leaky_relu", lrs[-1]) in acc:
        claims.append(claim_effect("dead_leaky_relu_trains_at_high_lr", f"at lr {lrs[-1]:g} LeakyReLU reaches a "
                                   "higher test accuracy than ReLU", acc["leaky_relu", lrs[-1]] - acc["relu", lrs[-1]],
                                   source=src.DEAD_RELU, note="paired by seed"))
    return claims


def schedulers(cells):
    const = _acc(cells["constant"])
    claims = [claim_effect("scheduler_cosine_beats_constant", "cosine annealing ends with a higher test accuracy "
                           "than a constant lr at the same budget", _acc(cells["cosine"]) - const, source=src.SGDR,
                           note="paired by seed"),
              claim_effect("scheduler_plateau_beats_constant", "ReduceLROnPlateau ends with a higher test accuracy "
                           "than a constant lr at the same budget", _acc(cells["plateau"]) - const,
                           source=src.SCHEDULER, note="paired by seed")]
    claims += [observation(f"scheduler_{name}_test_acc", f"{name}: final test accuracy", float(_acc(c).mean()),
                           spread=spread_of(_acc(c))) for name, c in cells.items()]
    return claims


def dropout(cells):
    gaps = {name: _get(c, "train_acc") - _get(c, "final_test_acc") for name, c in cells.items()}
    claims = []
    for name in [n for n in cells if n != "p=0"]:
        claims.append(claim_effect(f"dropout_{name}_smaller_gap", f"dropout {name[2:]} narrows the train-test "
                                   "accuracy gap of an overfitting net", gaps["p=0"] - gaps[name], source=src.DROPOUT,
                                   note="paired by seed"))
        claims.append(claim_effect(f"dropout_{name}_better_test", f"dropout {name[2:]} raises its test accuracy",
                                   _acc(cells[name]) - _acc(cells["p=0"]), source=src.DROPOUT, note="paired by seed"))
    return claims


def lr_find_claim(cells, best, step):
    """lr_find's suggestion against the sweep's best lr: |log10 ratio| < 1, one-sided t with half a grid step
    allowed (the best lr is known to that resolution)."""
    found = np.array([r["suggestion"] for _, r in cells["lr_find"]])
    return claim_bound("lr_find_near_best", f"lr_find's suggestion lies within a factor 10 of the sweep's best lr "
                       f"{best:g} (|log10 ratio| < 1)", np.abs(np.log10(found / best)), 1.0, allowance=step / 2,
                       source=src.RANGE_TEST, kind="empirical",
                       note="allowance: half the sweep's grid step; the factor-10 window is this study's choice")
