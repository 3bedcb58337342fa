"""The pitfalls study's summary: numbers per cell, and every claim with its source, kind and spread.

Comparisons are paired by seed (the cells of a pitfall share seeds).  A run that fails to train (non-finite,
or final training loss >= ``TRAINED_LOSS``) counts at chance accuracy (0.1) in accuracy comparisons.
"""
from __future__ import annotations

import math

import numpy as np

from ..framework import claim_close, claim_greater, claim_less, group, observation, spread_of

TRAINED_LOSS = 2.0      # below ln 10 = 2.30 (chance) by a margin: the net learned something
CHANCE = 0.1
MIN_SEEDS = 3           # fewer seeds give no usable standard error: such claims are not judged
NOTES = "notes ../shared/seeds/004, Pitfalls: "
GREYDANUS = ('Greydanus 2020, "Scaling down deep learning" (arXiv:2011.14439): accuracy table of the mnist1d '
             'README, "Comparing MNIST and MNIST-1D" (logistic regression 32%, MLP 68%, shuffled and not)')
LECUN = ('LeCun, Bottou, Orr & Mueller 1998, "Efficient BackProp", Sec. 4.3 (one-signed inputs) and Sec. 4.4 '
         '("symmetric sigmoids such as hyperbolic tangent often converge faster than the standard logistic '
         'function"); notes ../shared/seeds/002: "Tanh() ... Converges faster."')
IOFFE = 'Ioffe & Szegedy 2015, "Batch Normalization", '
PASCANU = 'Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks", Sec. 3.2'
SMITH = 'Smith 2017, "Cyclical learning rates for training neural networks", Sec. 3.3 (the LR range test)'
SGDR = 'Loshchilov & Hutter 2017, "SGDR", Sec. 3, Eq. 5 (cosine annealing)'
DROPOUT = 'Srivastava et al. 2014, "Dropout: a simple way to prevent neural networks from overfitting", Sec. 6.1.1'
PAIRED = "paired by seed; judged when the mean difference is beyond 3 SE of 0, else not judged"


def _get(cell, key, failed=None) -> np.ndarray:
    """``key`` of each run of a cell (in seed order) as floats; ``failed`` replaces it for runs that did
    not train."""
    out = []
    for _, r in cell:
        value = r[key]
        out.append(failed if failed is not None and not _trained(r) else (math.nan if value is None else value))
    return np.asarray(out, dtype=float)


def _trained(result) -> bool:
    loss = result["final_loss"]
    return loss is not None and math.isfinite(loss) and loss < TRAINED_LOSS


def _acc(cell) -> np.ndarray:
    return _get(cell, "final_test_acc", failed=CHANCE)


def _steps(cell) -> np.ndarray:
    """Steps to the target loss, a run that never got there counted at its budget (a lower bound)."""
    return np.asarray([r["steps_to_target"] if r["steps_to_target"] is not None else r["steps"] for _, r in cell],
                      dtype=float)


def directional(name, description, diff, *, source, kind="empirical", note=""):
    """"``diff`` > 0" for paired differences over seeds: holds beyond +3 SE, FAILS beyond -3 SE, not judged
    in between."""
    spread = spread_of(diff)
    mean, se = spread["mean"], spread["se"]
    within = f"mean difference {mean:.3g} within 3 SE ({3 * se:.2g}) of 0: too few seeds to tell"
    reason = _too_few(spread) or (within if abs(mean) <= 3 * se else "")
    return claim_greater(name, description, mean, 0.0, source=source, kind=kind, spread=spread,
                         note="; ".join(filter(None, [PAIRED, note])), not_judged=reason)


def costs_nothing(name, description, cost, *, source, kind="empirical", note=""):
    """The mean paired ``cost`` is at most 0 within 3 SE (the default tolerance rule); a gain holds too."""
    spread = spread_of(cost)
    return claim_less(name, description, spread["mean"], 0.0, tolerance=3 * spread["se"], source=source, kind=kind,
                      spread=spread, note="; ".join(filter(None, ["paired by seed; tolerance 3 SE", note])),
                      not_judged=_too_few(spread))


def unchanged(name, description, diff, *, source, kind="empirical", note=""):
    """The mean paired difference is 0 within 3 SE, on either side."""
    spread = spread_of(diff)
    return claim_close(name, description, spread["mean"], 0.0, atol=3 * spread["se"], source=source, kind=kind,
                       spread=spread, note="; ".join(filter(None, ["paired by seed; tolerance 3 SE", note])),
                       not_judged=_too_few(spread))


def _too_few(spread) -> str:
    return f"{spread['n']} seeds: fewer than {MIN_SEEDS} give no usable standard error" \
        if spread["n"] < MIN_SEEDS else ""


def _baseline(cells):
    claims = []
    for model, paper in (("logreg", 0.32), ("mlp", 0.68)):
        acc = _acc(cells[f"{model}/mnist1d"])
        spread = spread_of(acc)
        claims.append(claim_close(
            f"baseline_{model}", f"{model} on MNIST-1D reaches the paper's {paper:.0%} test accuracy", spread["mean"],
            paper, atol=3 * spread["se"] + 0.005, source=GREYDANUS, kind="empirical", spread=spread,
            note="tolerance: 3 SE over seeds + 0.005 (the table rounds to whole percent)",
            not_judged=_too_few(spread)))
        claims.append(unchanged(
            f"baseline_{model}_shuffle_invariant", f"{model}: the spatial shuffle leaves test accuracy unchanged",
            _acc(cells[f"{model}/mnist1d_shuffled"]) - acc, kind="theorem",
            source="this study: permutation symmetry of the first layer (module docstring, 1.); " + GREYDANUS))
        digits = _acc(cells[f"{model}/digits"])
        claims.append(observation(f"baseline_{model}_digits", f"{model} test accuracy on scikit-learn's digits",
                                  float(digits.mean()), spread=spread_of(digits)))
    return claims


def _activation(cells):
    steps = {act: _steps(cell) for act, cell in cells.items()}
    claims = [observation(f"activation_steps_{act}", f"{act}: SGD steps to the target loss (budget if never)",
                          float(s.mean()), spread=spread_of(s)) for act, s in steps.items()]
    if {"sigmoid", "tanh"} <= set(steps):
        claims.append(directional("activation_tanh_faster_than_sigmoid",
                                  "tanh reaches the target loss in fewer steps than sigmoid (same initial weights)",
                                  steps["sigmoid"] - steps["tanh"], source=LECUN,
                                  note="difference in steps; a run that never reaches the target counts at the budget"))
    return claims


def _by_lr(cells, prefix, variants):
    """{lr: {variant: cell}} for cell names ``prefix/lr=X/variant``."""
    table = {}
    for name, cell in cells.items():
        parts = name.split("/")
        if parts[0] == prefix:
            table.setdefault(float(parts[1][3:]), {})[parts[2]] = cell
    return {lr: table[lr] for lr in sorted(table) if set(variants) <= set(table[lr])}


def _max_trained_lr(by_lr, variant) -> np.ndarray:
    """Per seed, log10 of the largest learning rate at which the run trains (one grid step below the grid
    when none does)."""
    lrs = sorted(by_lr)
    below = math.log10(lrs[0]) - (math.log10(lrs[1] / lrs[0]) if len(lrs) > 1 else 1.0)
    trained = np.array([[_trained(r) for _, r in by_lr[lr][variant]] for lr in lrs])   # (lrs, seeds)
    return np.array([max([math.log10(lr) for lr, ok in zip(lrs, col) if ok], default=below) for col in trained.T])


def _batchnorm(cells):
    deep = _by_lr(cells, "deep", ("plain", "batch"))
    claims = [directional("batchnorm_higher_lr", "BN trains the deep net at larger learning rates (log10 of the "
                          "largest that trains)", _max_trained_lr(deep, "batch") - _max_trained_lr(deep, "plain"),
                          source=IOFFE + 'Sec. 3.3, "Batch Normalization enables higher learning rates"')]
    plain_ok = [lr for lr, v in deep.items() if all(_trained(r) for _, r in v["plain"])]
    if plain_ok:
        best = max(plain_ok, key=lambda lr: float(np.mean(_acc(deep[lr]["plain"]))))
        claims.append(directional(
            "batchnorm_faster", f"at the plain net's best learning rate ({best:g}) BN reaches a higher test accuracy "
            "in the same steps", _acc(deep[best]["batch"]) - _acc(deep[best]["plain"]),
            source=IOFFE + "Sec. 4.1, Fig. 1(a) (test accuracy against training steps: an MNIST MLP trains faster "
            "with BN)"))
        loss = _get(deep[best]["plain"], "final_loss") - _get(deep[best]["batch"], "final_loss")
        claims.append(observation("batchnorm_training_loss_gain", f"at lr {best:g}: final training loss plain - BN",
                                  float(loss.mean()), spread=spread_of(loss)))
    shallow = _by_lr(cells, "shallow", ("plain", "batch"))
    worst, worst_cell = math.inf, None
    for kind, table in (("deep", deep), ("shallow", shallow)):
        for lr, v in table.items():
            diff = _acc(v["batch"]) - _acc(v["plain"])
            spread = spread_of(diff)
            bound = spread["mean"] + 3 * spread["se"]
            if bound < worst:
                worst, worst_cell = bound, (f"{kind} lr={lr:g}", spread)
    claims.append(claim_greater(
        "batchnorm_always", '"Always BatchNorm": BN never lowers test accuracy (every cell: mean BN - plain '
        "+ 3 SE > 0; worst cell shown)", worst, 0.0, source=NOTES + '"Always BatchNorm between linear and '
        'activation layers."', kind="empirical", spread=worst_cell[1],
        note=f"worst cell: {worst_cell[0]}; failed runs count at chance accuracy", not_judged=_too_few(worst_cell[1])))
    return claims


def _clipping(cells):
    table = _by_lr(cells, "sgd", ("none", "clip"))
    failing = [lr for lr, v in table.items() if not any(_trained(r) for _, r in v["none"])]
    stable = [lr for lr, v in table.items() if all(_trained(r) for _, r in v["none"])]
    rescued = [_trained(r) for lr in failing for _, r in table[lr]["clip"]]
    claims = [claim_close("clipping_prevents_divergence", "at every learning rate where no unclipped SGD run "
                          "trains, every run clipped to norm 1.0 trains (fraction)",
                          float(np.mean(rescued)) if rescued else math.nan, 1.0, atol=0.0, source=PASCANU,
                          kind="empirical", note=f"learning rates where unclipped SGD fails: {failing}",
                          not_judged="" if failing else "no learning rate of the grid makes unclipped SGD fail")]
    source = NOTES + '"clip_grad_norm_(model.parameters(), 1.0) should always be in your training loop."'
    claims += [costs_nothing(f"clipping_costs_nothing_lr={lr:g}", f"at lr {lr:g}, where unclipped SGD trains, "
                             "clipping to 1.0 leaves the final training loss unchanged",
                             _get(table[lr]["clip"], "final_loss") - _get(table[lr]["none"], "final_loss"),
                             source=source, note="cost: clipped - unclipped final training loss")
               for lr in stable]
    return claims


def _learning_rate(cells):
    lrs = sorted(float(name[3:]) for name in cells if name.startswith("lr="))
    acc = {lr: _acc(cells[f"lr={lr:g}"]) for lr in lrs}
    best = max(lrs, key=lambda lr: float(acc[lr].mean()))
    top = cells[f"lr={lrs[-1]:g}"]
    claims = [claim_close("lr_too_high_fails", f"at the largest learning rate ({lrs[-1]:g}) AdamW fails to "
                          "train (fraction of runs)", float(np.mean([not _trained(r) for _, r in top])), 1.0,
                          atol=0.0, source=NOTES + '"too high -> loss diverges"', kind="empirical",
                          note=f"fails: non-finite or final training loss >= {TRAINED_LOSS}")]
    source = NOTES + '"too low -> training takes 100x longer"'
    below = {}
    for decades in (1, 2):       # the grid's learning rates nearest best/10 and best/100
        near = min(lrs, key=lambda lr: abs(math.log10(best / lr) - decades))
        if abs(math.log10(best / near) - decades) < 0.3:
            below[decades] = (near, _steps(cells[f"lr={near:g}"]) / _steps(cells[f"lr={best:g}"]))
    claims += [observation(f"lr_slowdown_best/{10 ** k}", f"steps to the target loss, lr {lr:g} / best lr {best:g} "
                           "(a lower bound where the slow runs never reach it within the budget)",
                           float(f.mean()), source=source, spread=spread_of(f)) for k, (lr, f) in below.items()]
    if 2 in below:
        slow, factor = below[2]
        claims.append(directional("lr_too_low_is_slow", f"lr {slow:g} (best/100) needs more steps to the target "
                                  f"loss than the best lr {best:g} (log10 of the step ratio)", np.log10(factor),
                                  source=source, note="a run that never reaches the target counts at the budget"))
    found = np.array([r["suggestion"] for _, r in cells["lr_find"]])
    log_ratio = np.abs(np.log10(found / best))
    spread = spread_of(log_ratio)
    step = math.log10(lrs[1] / lrs[0]) if len(lrs) > 1 else 0.0
    claims.append(claim_less("lr_find_near_best", f"lr_find's suggestion lies within a factor 10 of the sweep's "
                             f"best lr {best:g} (|log10 ratio| < 1)", spread["mean"], 1.0,
                             tolerance=3 * spread["se"] + step / 2, source=SMITH, kind="empirical", spread=spread,
                             note="tolerance: 3 SE over seeds + half the sweep's grid step (the best lr is known to "
                             "that resolution); the factor-10 window is this study's choice",
                             not_judged=_too_few(spread)))
    if 1e-3 in acc:
        claims.append(costs_nothing("lr_adamw_1e-3_is_best", "AdamW at lr 1e-3 reaches the test accuracy of "
                                    f"the sweep's best lr {best:g}", acc[best] - acc[1e-3],
                                    source=NOTES + '"Use lr_find or start at 1e-3 with AdamW."',
                                    note="cost: best - 1e-3 test accuracy"))
    return claims, {"best_lr": best, "lrs": lrs, "mean_test_acc": [float(acc[lr].mean()) for lr in lrs]}


def _schedulers(cells):
    const = _acc(cells["constant"])
    claims = [directional("scheduler_cosine_beats_constant", "cosine annealing ends with a higher test accuracy "
                          "than a constant lr at the same budget", _acc(cells["cosine"]) - const, source=SGDR),
              directional("scheduler_plateau_beats_constant", "ReduceLROnPlateau ends with a higher test accuracy "
                          "than a constant lr at the same budget", _acc(cells["plateau"]) - const,
                          source="notes ../shared/seeds/004, training loop: \"Apply learning rate scheduler "
                          "(CosineAnnealing, ReduceLROnPlateau)\"")]
    claims += [observation(f"scheduler_{name}_test_acc", f"{name}: final test accuracy", float(_acc(c).mean()),
                           spread=spread_of(_acc(c))) for name, c in cells.items()]
    return claims


def _dropout(cells):
    gaps = {name: _get(c, "train_acc") - _get(c, "final_test_acc") for name, c in cells.items()}
    claims = []
    for name in [n for n in cells if n != "p=0"]:
        claims.append(directional(f"dropout_{name}_smaller_gap", f"dropout {name[2:]} narrows the train-test "
                                  "accuracy gap of an overfitting net", gaps["p=0"] - gaps[name], source=DROPOUT))
        claims.append(directional(f"dropout_{name}_better_test", f"dropout {name[2:]} raises its test accuracy",
                                  _acc(cells[name]) - _acc(cells["p=0"]), source=DROPOUT))
    return claims


def _dead(cells):
    silent = {}
    for name, cell in cells.items():
        act, lr = name.split("/")
        silent[act, float(lr[3:])] = _get(cell, "silent_fraction")   # NaN for a run that diverged
    lrs = sorted({lr for _, lr in silent})
    source = NOTES + '"Dead ReLU neurons: if a neuron\'s weights push z < 0 for all inputs, it never activates. ' \
                     'Use LeakyReLU or proper He initialization."'
    claims = [observation(f"dead_{act}_lr={lr:g}", f"{act} after Adam at lr {lr:g}: fraction of hidden units "
                          "with z <= 0 on every training input", float(np.nanmean(s)),
                          spread=spread_of(s[np.isfinite(s)])) for (act, lr), s in silent.items()]
    more = silent["relu", lrs[-1]] - silent["relu", lrs[0]]
    claims.append(directional("dead_relu_more_at_high_lr", f"ReLU: more dead units after lr {lrs[-1]:g} than "
                              f"after lr {lrs[0]:g}", more[np.isfinite(more)], source=source,
                              note="runs that diverged (no finite pre-activations) are left out"))
    if ("leaky_relu", lrs[-1]) in silent:
        claims.append(directional("dead_leaky_relu_trains_at_high_lr", f"at lr {lrs[-1]:g} LeakyReLU reaches a "
                                  "higher test accuracy than ReLU", _acc(cells[f"leaky_relu/lr={lrs[-1]:g}"])
                                  - _acc(cells[f"relu/lr={lrs[-1]:g}"]), source=source))
    return claims


PITFALLS = {"baseline": _baseline, "activation": _activation, "batchnorm": _batchnorm, "clipping": _clipping,
            "learning_rate": _learning_rate, "schedulers": _schedulers, "dropout": _dropout, "dead": _dead}
CURVE_KEYS = ("epoch_loss", "test_acc")


def _curves(cell, key) -> list[list[float]]:
    """Per seed, the per-epoch curve padded with NaN to the longest (a diverged run stops early)."""
    length = max(len(r[key]) for _, r in cell)
    return [[*r[key], *[math.nan] * (length - len(r[key]))] for _, r in cell]


def summarize(config, pairs):
    grouped = {pitfall: group(runs, "cell") for pitfall, runs in group(pairs, "pitfall", PITFALLS).items()}
    claims, rows = [], []
    data = {"cells": {}, "lr_find": [r for _, r in grouped["learning_rate"]["lr_find"]]}
    for pitfall, judge in PITFALLS.items():
        out = judge(grouped[pitfall])
        if isinstance(out, tuple):
            out, data[pitfall] = out
        claims += out
    for pitfall, cells in grouped.items():
        for cell, runs in cells.items():
            if cell == "lr_find":
                continue
            data["cells"].setdefault(pitfall, {})[cell] = {
                **{key: _curves(runs, key) for key in CURVE_KEYS},
                **{key: [r[key] for _, r in runs] for key in ("final_test_acc", "train_acc", "final_loss")}}
            rows += [{"pitfall": pitfall, "cell": cell, "repeat": s["repeat"], "seed": s["seed"],
                      **{k: r[k] for k in ("final_test_acc", "train_acc", "final_loss", "steps", "steps_to_target",
                                           "diverged", "silent_fraction")}, "trained": _trained(r)}
                     for s, r in runs]
    return {"data": data, "rows": rows, "claims": claims, "table": baseline_table(data["cells"]["baseline"])}


def baseline_table(cells) -> str:
    """Test accuracy, mean +- sd over seeds, of the baseline cells next to the paper's numbers."""
    paper = {"logreg": "32%", "mlp": "68%"}
    lines = [f"{'data set':<18}{'logistic regression':>28}{'MLP 40-100-100-10':>28}"]
    for dataset in ("mnist1d", "mnist1d_shuffled", "digits"):
        parts = []
        for model in ("logreg", "mlp"):
            acc = np.asarray(cells[f"{model}/{dataset}"]["final_test_acc"], dtype=float)
            ref = f" (paper {paper[model]})" if dataset != "digits" else ""
            parts.append(f"{100 * np.mean(acc):.1f} +- {100 * np.std(acc, ddof=1):.1f}%{ref}")
        lines.append(f"{dataset:<18}{parts[0]:>28}{parts[1]:>28}")
    return "\n".join(lines)
