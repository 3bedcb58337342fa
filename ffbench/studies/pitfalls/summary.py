"""The pitfalls study's summary: every claim (``verdicts``, ``learning_rate``) and every number the figures draw.

``data["cells"][pitfall][cell]`` holds, per seed (lists in seed order): the per-epoch curves (``epoch_loss``,
``test_acc``, ``train_acc_curve``; a diverged run's curves stop early), the final values (``final_test_acc``,
``train_acc``, ``final_loss``; NaN for a run whose weights went non-finite), ``exploded``, ``trained``,
``steps``, ``steps_to_target`` (None when never reached) and ``silent_per_layer`` (dead fraction per hidden
layer).  The figures read nothing else.
"""
from __future__ import annotations

import numpy as np

from ..framework import group
from . import verdicts
from .learning_rate import learning_rate

PER_RUN = ("epoch_loss", "test_acc", "train_acc_curve", "final_test_acc", "train_acc", "final_loss", "exploded",
           "steps", "steps_to_target", "silent_per_layer")
ROW_KEYS = ("final_test_acc", "train_acc", "final_loss", "steps", "steps_to_target", "diverged", "exploded",
            "max_loss", "grad_norm_mean", "clipped_fraction")


def _judges(config):
    margin = config["margin"]
    return {"baseline": lambda c: verdicts.baseline(c, margin), "activation": verdicts.activation,
            "batchnorm": lambda c: verdicts.batchnorm(c, margin),
            "clipping": lambda c: verdicts.clipping(c, margin, config["clipping"]["max_norm"]),
            "learning_rate": learning_rate, "schedulers": verdicts.schedulers, "dropout": verdicts.dropout,
            "dead": lambda c: verdicts.dead(c, config["dead"]["layer_margin"])}


def summarize(config, pairs):
    judges = _judges(config)
    grouped = {pitfall: group(runs, "cell") for pitfall, runs in group(pairs, "pitfall", judges).items()}
    claims, rows = [], []
    data = {"cells": {}, "lr_find": [r for _, r in grouped["learning_rate"]["lr_find"]],
            "margin": config["margin"]}
    for pitfall, judge in judges.items():
        out = judge(grouped[pitfall])
        if isinstance(out, tuple):
            out, data[pitfall] = out
        claims += out
    for pitfall, cells in grouped.items():
        for cell, runs in cells.items():
            if cell == "lr_find":
                continue
            data["cells"].setdefault(pitfall, {})[cell] = {
                **{key: [r[key] for _, r in runs] for key in PER_RUN},
                "trained": [verdicts.trained(r) for _, r in runs]}
            rows += [{"pitfall": pitfall, "cell": cell, "repeat": s["repeat"], "seed": s["seed"],
                      **{k: r[k] for k in ROW_KEYS}, "dead_layers": sum(f >= 1.0 for f in r["silent_per_layer"]),
                      "trained": verdicts.trained(r)} for s, r in runs]
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
