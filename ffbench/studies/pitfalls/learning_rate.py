"""The learning-rate pitfall's claims: the notes' sentence "too high → loss diverges; too low → training takes
100x longer. Use lr_find or start at 1e-3 with AdamW." taken clause by clause.

- too high: at the sweep's learning rates above the best where runs fail to train, *how* they fail: a loss that
  diverges (non-finite, or a mini-batch loss above 10x the first) or a dead layer (every unit of a hidden layer
  silent on every training input, so the net outputs a constant and the loss sits at chance).
- too low: uncensored steps to the target loss at the best lr / 10 and / 100 (runs that stop at the target,
  with a budget long enough to reach it), against the notes' 100x.
- start at 1e-3: the gap to the sweep's best lr at this budget, reported as the finding it is.
- lr_find: its suggestion against the sweep's best lr (``verdicts.lr_find_claim``).
"""
from __future__ import annotations

import math

import numpy as np

from ..framework import claim_effect, claim_equivalent, claim_fraction, observation, spread_of
from . import sources as src
from .verdicts import DEAD_LAYER, _acc, _get, _steps, lr_find_claim, trained

SLOWDOWN_MARGIN = math.log10(2.0)  # "100x" is a round number: read as within a factor 2 (0.3 decade)


def _dead_layer(result) -> bool:
    return any(f >= DEAD_LAYER for f in result["silent_per_layer"])


def _too_high(cells, lrs, best):
    """Claims on the failing runs above the best lr: divergence (the notes' mechanism) and dead layers."""
    above = [lr for lr in lrs if lr > best]
    failed = [(lr, r) for lr in above for _, r in cells[f"lr={lr:g}"] if not trained(r)]
    if not failed:
        return []
    diverged = [r["exploded"] or r["diverged"] for _, r in failed]
    dead = [_dead_layer(r) for _, r in failed]
    per_lr = []
    for lr in above:
        runs = [r for _, r in cells[f"lr={lr:g}"]]
        layers = np.array([r["silent_per_layer"] for r in runs if r["silent_per_layer"]], dtype=float)
        per_lr.append(f"lr {lr:g}: {sum(not trained(r) for r in runs)}/{len(runs)} fail, "
                      f"{sum(r['exploded'] or r['diverged'] for r in runs)} diverge, dead fraction per layer "
                      + ("/".join(f"{v:.2f}" for v in layers.mean(axis=0)) if layers.size else "-"))
    return [
        claim_fraction(
            "lr_too_high_diverges", f"too high -> loss diverges: of the {len(failed)} runs that fail to train at "
            f"learning rates above the best ({best:g}), the fraction whose loss diverges (non-finite, or a "
            "mini-batch loss above 10x the first), against most (>= 1/2)", sum(diverged), len(failed), (0.5, 1.0),
            source=src.LEARNING_RATE,
            note="fails to train: final training loss >= 2.0 or non-finite; " + "; ".join(per_lr)),
        observation("lr_too_high_dead_layer", "of the same failing runs, the fraction with a dead hidden layer "
                    "(every unit silent on every training input)", float(np.mean(dead)), source=src.LEARNING_RATE,
                    note=f"{sum(dead)}/{len(dead)} runs; He init in every run")]


def _slowdown(cells):
    """Uncensored slowdowns of the lower ``slow_lrs`` against the largest (``ref``), from runs that stop at the
    target loss."""
    slow = {float(name.split("=")[1]): cell for name, cell in cells.items() if name.startswith("slow/lr=")}
    if len(slow) < 2:
        return []
    ref = max(slow)
    base = _steps(slow[ref])
    claims = []
    for lr in sorted((v for v in slow if v < ref), reverse=True):
        cell = slow[lr]
        censored = sum(r["steps_to_target"] is None for _, r in cell)
        ratio = _steps(cell) / base
        factor = ref / lr
        claims.append(observation(
            f"lr_slowdown_{factor:g}x", f"steps to the target loss at lr {lr:g} over lr {ref:g} ({factor:g}x lower)",
            float(ratio.mean()), spread=spread_of(ratio), source=src.LEARNING_RATE,
            note=f"{censored} of {len(cell)} runs censored at the budget" if censored else "every run reached the "
            "target (uncensored)"))
        if round(factor) == 100:
            claims.append(claim_equivalent(
                "lr_too_low_100x", f"too low -> 100x longer: lr {lr:g} (100x below {ref:g}) needs 100x the steps to "
                "the target loss (log10 of the step ratio = 2 within a factor 2)", np.log10(ratio),
                SLOWDOWN_MARGIN, predicted=2.0, source=src.LEARNING_RATE,
                note="the notes' 100x is a round number, read as within a factor 2 (0.3 decade); paired by seed; "
                     + (f"{censored} runs censored (a lower bound)" if censored else "uncensored"),
                not_judged="the runs at the low lr never reach the target within the budget" if censored == len(cell)
                else ""))
    return claims


def learning_rate(cells):
    lrs = sorted(float(name[3:]) for name in cells if name.startswith("lr="))
    acc = {lr: _acc(cells[f"lr={lr:g}"]) for lr in lrs}
    # the best lr by final *training* loss (what the optimiser minimises; a diverged run counts as infinite), so
    # that the test-accuracy comparisons below are not decided by the choice itself
    loss = {lr: np.where(np.isfinite(v := _get(cells[f"lr={lr:g}"], "final_loss")), v, np.inf).mean() for lr in lrs}
    best = min(lrs, key=lambda lr: loss[lr])
    claims = _too_high(cells, lrs, best)
    claims += _slowdown(cells)
    claims.append(lr_find_claim(cells, best, math.log10(lrs[1] / lrs[0]) if len(lrs) > 1 else 0.0))
    if 1e-3 in acc and best != 1e-3:
        claims.append(claim_effect(
            "lr_1e-3_below_best_at_budget", f"at this budget ({cells['lr=0.001'][0][1]['steps']} steps) AdamW at the "
            f"notes' starting lr 1e-3 ends below the sweep's best lr {best:g} (lowest training loss; test accuracy, "
            "best - 1e-3)",
            acc[best] - acc[1e-3], source=src.LEARNING_RATE + " (a starting point, not a promise of the best)",
            note="a finding of this study, not a refutation: the notes advise 1e-3 as where to start; the best lr "
                 "is picked by training loss, so the test accuracy can refute it (paired by seed)"))
    return claims, {"best_lr": best, "lrs": lrs, "mean_test_acc": [float(acc[lr].mean()) for lr in lrs],
                    "mean_final_loss": [float(loss[lr]) for lr in lrs]}
