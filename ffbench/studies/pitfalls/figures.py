"""The pitfalls study's figures, drawn from the record alone: learning curves per pitfall, the LR range test
with the sweep's best learning rate marked, and the baseline table."""
from __future__ import annotations

import numpy as np

from ...lr_find import plot_lr_find
from ...style import COLORS, LINESTYLES, figure, save_figure

# Which curve each pitfall shows: the per-epoch mean training loss, or the test accuracy after each epoch.
CURVES = {"baseline": "test_acc", "activation": "epoch_loss", "batchnorm": "epoch_loss", "clipping": "epoch_loss",
          "learning_rate": "epoch_loss", "schedulers": "test_acc", "dropout": "test_acc", "dead": "test_acc"}
YLABELS = {"epoch_loss": "training loss (epoch mean)", "test_acc": "test accuracy"}
TITLES = {"baseline": "1. baseline (paper setup)", "activation": "2. sigmoid vs tanh vs ReLU (SGD)",
          "batchnorm": "3. BatchNorm", "clipping": "4. gradient clipping (SGD)",
          "learning_rate": "5. learning rate (AdamW)", "schedulers": "6. schedulers (AdamW)",
          "dropout": "7. dropout (1000 training signals)", "dead": "8. dead ReLUs (Adam)"}


def _curves(ax, cells, key):
    """Mean over seeds of each cell's curve (NaN-aware: a diverged run stops contributing)."""
    for i, (cell, values) in enumerate(cells.items()):
        curves = np.asarray(values[key], dtype=float)
        if not np.isfinite(curves).any():
            continue
        with np.errstate(all="ignore"):
            mean = np.nanmean(np.where(np.isfinite(curves), curves, np.nan), axis=0)
        ax.plot(np.arange(1, mean.size + 1), mean, color=COLORS[i % len(COLORS)],
                linestyle=LINESTYLES[(i // len(COLORS)) % len(LINESTYLES)], marker="", linewidth=1.0, label=cell)
    if key == "epoch_loss":
        ax.set_yscale("log")
        ax.set_ylim(top=3.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel(YLABELS[key])
    ax.legend(fontsize=5, ncol=2 if len(cells) > 6 else 1, loc="best")


def _baseline_table(ax, cells):
    paper = {"logreg": "32%", "mlp": "68%"}
    text = []
    for dataset in ("mnist1d", "mnist1d_shuffled", "digits"):
        row = [dataset]
        for model in ("logreg", "mlp"):
            acc = 100 * np.asarray(cells[f"{model}/{dataset}"]["final_test_acc"], dtype=float)
            row.append(f"{acc.mean():.1f} ± {acc.std(ddof=1) if acc.size > 1 else 0:.1f}%")
            row.append(paper[model] if dataset != "digits" else "-")
        text.append(row)
    ax.axis("off")
    table = ax.table(cellText=text, colLabels=["data set", "logistic (ours)", "paper", "MLP (ours)", "paper"],
                     loc="center", cellLoc="center")
    table.auto_set_font_size(False)
    table.set_fontsize(7)
    table.scale(1.0, 1.4)


def render(record, out_dir, formats):
    data = record["data"]
    paths = []
    for pitfall, key in CURVES.items():
        fig, ax = figure("single")
        _curves(ax, data["cells"][pitfall], key)
        ax.set_title(TITLES[pitfall], fontsize=8)
        paths += save_figure(fig, out_dir, f"pitfalls_curves_{pitfall}", formats)
    fig, ax = figure("single")
    best = data["learning_rate"]["best_lr"]
    plot_lr_find(ax, data["lr_find"][0], marks={"sweep's best lr": best, "notes' 1e-3": 1e-3})
    ax.set_title("5. lr_find (AdamW, first seed) and the sweep", fontsize=8)
    paths += save_figure(fig, out_dir, "pitfalls_lr_find", formats)
    fig, ax = figure("double", height=1.4)
    _baseline_table(ax, data["cells"]["baseline"])
    ax.set_title("MNIST-1D and digits test accuracy, mean ± sd over seeds (paper: Greydanus 2020)", fontsize=8)
    paths += save_figure(fig, out_dir, "pitfalls_baseline_table", formats)
    return paths
