r"""Training pitfalls on real data: the notes' practical advice put to the test on MNIST-1D.

The notes are the web page "Neural Networks — Forward & Backpropagation" (its "Critical Pitfalls" and its
training loop) and the blog post "A Little Bit on Deep Learning in General" (2025-02-25, on sigmoid and tanh);
``sources`` quotes the exact sentence each claim tests.  Measured, several seeds per cell, on MNIST-1D (Greydanus
2020, "Scaling down deep learning", arXiv:2011.14439; ``ffbench.data.mnist1d``: 4000 training and 1000 test
signals of length 40, 10 classes) and, for the baseline, scikit-learn's 8x8 digits (``ffbench.data.digits``).
Every network is an ``ffbench.MLP`` (He init unless stated) trained by ``ffbench.train`` on softmax
cross-entropy with mini-batches of 100; "trains" means the final epoch's mean training loss is finite and below
``TRAINED_LOSS`` = 2.0 (chance is ln 10 = 2.30); a loss *diverges* literally: a non-finite mini-batch loss, or
one above 10x the first (``experiment.exploded``).

1. **Baseline** (Greydanus 2020, the accuracy table of the mnist1d README: logistic regression 32%, MLP 68% test
   accuracy, on the plain and the spatially shuffled set alike).  The protocol is ours (``sources.PROTOCOL``): a
   plain 40-100-100-10 ReLU MLP with the optimiser settings of the mnist1d repository's notebooks/train.py (Adam,
   lr 1e-2, weight decay 0, batch 100), 6000 steps; logistic regression is the same without hidden layers.
   Shuffling the 40 positions with one fixed permutation cannot change an MLP's expected accuracy: the first
   layer ``x W`` sees ``x P`` as ``x (P W)``, and ``P W`` has the distribution of ``W`` (i.i.d. entries), so the
   difference of the two accuracies has mean exactly 0 ("this study: permutation symmetry"), tested as an
   equivalence within ``margin``.
2. **Activations** (LeCun et al. 1998, "Efficient BackProp", Sec. 4.3-4.4; the blog post: "Converges faster."):
   sigmoid, tanh and ReLU nets from the same Xavier-normal weights, plain SGD, steps until the training loss
   (mean of 10 consecutive mini-batches) reaches a target; a run that never does counts at the budget.
3. **BatchNorm** (Ioffe & Szegedy 2015, Sec. 3.3 and Sec. 4.1, Fig. 1(a); the notes: "Always BatchNorm between
   linear and activation layers."): a deep plain ReLU net (12 hidden layers of 64) with SGD + momentum over a
   grid of learning rates, with and without BN, and the baseline MLP with Adam.  "Always" is non-inferiority in
   every cell: BN - plain > -margin, shown at alpha.
4. **Clipping** (the notes: "clip_grad_norm_(model.parameters(), 1.0) should always be in your training loop.";
   Pascanu, Mikolov & Bengio 2013, Sec. 3.2: clipping against sudden gradient spikes).  In the notes' own loop
   (AdamW, lr 1e-3, weight decay 1e-4) clipping to 1.0 must cost nothing: equivalence within ``margin``.  Against
   divergence, literally: plain SGD at learning rates where unclipped runs blow up; of the seeds where exactly one
   of the pair diverged, the unclipped one should be it (an exact sign test); the mean norm before clipping is
   reported next to the threshold (Pascanu's 0.5-10x the average norm).
5. **Learning rate** (the notes: "too high → loss diverges; too low → training takes 100x longer. Use lr_find or
   start at 1e-3 with AdamW."): AdamW over a half-decade grid; the best lr is the one of lowest final training
   loss.  Too high: how the runs above it that fail, fail (diverging loss, or a dead layer: ``learning_rate``).
   Too low: runs at the best lr, /10 and /100 that stop at the target loss (uncensored steps), 100x judged within
   a factor 2.  1e-3: its test-accuracy gap to the best at this budget, a finding.  ``ffbench.lr_find``'s
   suggestion (fastai's rule, the lowest smoothed loss / 10; the range test is Smith 2017, Sec. 3.3) against the
   best lr.
6. **Schedulers** (Loshchilov & Hutter 2017, "SGDR", Eq. 5; the notes' loop: "Apply learning rate scheduler
   (CosineAnnealing, ReduceLROnPlateau)"): constant, StepLR, cosine and ReduceLROnPlateau at one budget, AdamW.
7. **Dropout** (Srivastava et al. 2014, Sec. 6.1.1): a wide net on 1000 training signals, which overfits; the
   train-test accuracy gap and the test accuracy with and without dropout.
8. **Dead ReLUs** (the notes: "Dead ReLU neurons: if a neuron's weights push z < 0 for all inputs, it never
   activates. Use LeakyReLU or proper He initialization."): per hidden layer, the fraction of units whose
   pre-activation is <= 0 on every training input after Adam at a normal and at high learning rates, ReLU
   against LeakyReLU (slope 0.01), both with He init, the notes' other remedy, so that whether He init prevents
   dead layers is itself a claim.

Judging (``verdicts``, ``learning_rate``), every verdict at alpha = 0.01 and paired by seed: an effect holds
only when a one-sided t test shows it, FAILS when it shows the opposite, and is "not judged" in between, with
the n that would decide it; "unchanged" and "costs nothing" are TOST equivalence against ``margin`` = 2 points of
test accuracy (the smallest difference the sources act on: the MNIST-1D table separates models by >= 10 points
and reports whole percent); rates use exact binomial intervals.
"""
from __future__ import annotations

from ..framework import derive_seed
from .experiment import KINDS
from .figures import render  # noqa: F401  (the study contract)
from .summary import summarize  # noqa: F401  (the study contract)

NAME = "pitfalls"
VERSION = "2"
DEFAULTS = {
    "seed": 0,
    "seeds": 4,                                  # repeats per cell (a pitfall's own "seeds" overrides it)
    "batch_size": 100,
    "margin": 0.02,                              # equivalence margin on test accuracy (module docstring)
    "baseline": {"seeds": 12, "epochs": 150, "digits_epochs": 100, "lr": 0.01, "hidden": [100, 100]},
    "activation": {"activations": ["sigmoid", "tanh", "relu"], "init": "xavier_normal", "lr": 0.1,
                   "epochs": 40, "target_loss": 1.2},
    "batchnorm": {"seeds": 10, "depth": 12, "width": 64, "lrs": [0.01, 0.1, 0.3, 1.0], "momentum": 0.9,
                  "epochs": 10, "shallow_epochs": 30, "shallow_lr": 0.01},
    "clipping": {"seeds": 16, "max_norm": 1.0, "lr": 0.001, "weight_decay": 1e-4, "epochs": 50,
                 "spike_lrs": [3.0, 5.0], "spike_epochs": 20},
    "learning_rate": {"seeds": 8, "lrs": [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0], "epochs": 50,
                      "target_loss": 1.2, "weight_decay": 0.01, "slow_lrs": [1e-2, 1e-3, 1e-4], "slow_epochs": 250,
                      "range": {"start_lr": 1e-6, "end_lr": 10.0, "num_steps": 200}},
    "schedulers": {"lr": 0.01, "epochs": 40, "step_size": 13, "gamma": 0.1, "patience": 3},
    "dropout": {"seeds": 8, "rates": [0.0, 0.3, 0.5], "width": 256, "train_size": 1000, "epochs": 60},
    "dead": {"lrs": [0.001, 0.03, 0.1], "activations": ["relu", "leaky_relu"], "epochs": 20, "layer_margin": 0.05},
}
QUICK = {
    "seeds": 2,
    "baseline": {"seeds": 2, "epochs": 8, "digits_epochs": 8},
    "activation": {"epochs": 5, "target_loss": 2.0},
    "batchnorm": {"seeds": 2, "depth": 6, "lrs": [0.01, 1.0], "epochs": 2, "shallow_epochs": 3},
    "clipping": {"seeds": 2, "epochs": 3, "spike_lrs": [5.0], "spike_epochs": 3},
    "learning_rate": {"seeds": 2, "lrs": [1e-4, 1e-3, 1e-2, 1.0], "epochs": 5, "target_loss": 2.0, "slow_epochs": 5,
                      "range": {"num_steps": 60}},
    "schedulers": {"epochs": 6, "step_size": 2, "patience": 1},
    "dropout": {"seeds": 2, "width": 64, "train_size": 400, "epochs": 5},
    "dead": {"lrs": [0.001, 0.1], "epochs": 3},
}

# What every run spec holds (a cell overrides some of it).
_BASE = {"kind": "train", "dataset": "mnist1d", "train_size": None, "hidden": [100, 100], "activation": "relu",
         "init": "he_normal", "norm": None, "dropout": 0.0, "optimizer": {"name": "adam", "lr": 0.01},
         "scheduler": None, "clip_norm": None, "target_loss": None}


def _cells(config) -> list[tuple[str, str, dict]]:
    """(pitfall, cell name, spec overrides) for every cell of the study, pitfall by pitfall."""
    b, a, bn, c = config["baseline"], config["activation"], config["batchnorm"], config["clipping"]
    lr, s, d, dead = config["learning_rate"], config["schedulers"], config["dropout"], config["dead"]
    adam = {"name": "adam", "lr": b["lr"]}
    cells = [("baseline", f"{model}/{dataset}",
              {"dataset": dataset, "hidden": b["hidden"] if model == "mlp" else [], "optimizer": adam,
               "epochs": b["digits_epochs"] if dataset == "digits" else b["epochs"]})
             for dataset in ("mnist1d", "mnist1d_shuffled", "digits") for model in ("logreg", "mlp")]
    cells += [("activation", act, {"activation": act, "init": a["init"], "optimizer": {"name": "sgd", "lr": a["lr"]},
                                   "epochs": a["epochs"], "target_loss": a["target_loss"]})
              for act in a["activations"]]
    deep = [bn["width"]] * bn["depth"]
    cells += [("batchnorm", f"deep/lr={rate:g}/{norm or 'plain'}",
               {"hidden": deep, "norm": norm, "epochs": bn["epochs"],
                "optimizer": {"name": "sgd", "lr": rate, "momentum": bn["momentum"]}})
              for rate in bn["lrs"] for norm in (None, "batch")]
    cells += [("batchnorm", f"shallow/lr={bn['shallow_lr']:g}/{norm or 'plain'}",
               {"norm": norm, "epochs": bn["shallow_epochs"], "optimizer": {"name": "adam", "lr": bn["shallow_lr"]}})
              for norm in (None, "batch")]
    notes_loop = {"name": "adamw", "lr": c["lr"], "weight_decay": c["weight_decay"]}
    cells += [("clipping", f"adamw/{'clip' if clip else 'none'}", {"optimizer": notes_loop, "epochs": c["epochs"],
                                                                   "clip_norm": c["max_norm"] if clip else None})
              for clip in (False, True)]
    cells += [("clipping", f"sgd/lr={rate:g}/{'clip' if clip else 'none'}",
               {"optimizer": {"name": "sgd", "lr": rate}, "clip_norm": c["max_norm"] if clip else None,
                "epochs": c["spike_epochs"]})
              for rate in c["spike_lrs"] for clip in (False, True)]
    adamw = {"name": "adamw", "weight_decay": lr["weight_decay"]}
    cells += [("learning_rate", f"lr={rate:g}", {"optimizer": {**adamw, "lr": rate}, "epochs": lr["epochs"],
                                                  "target_loss": lr["target_loss"]})
              for rate in lr["lrs"]]
    cells += [("learning_rate", f"slow/lr={rate:g}", {"optimizer": {**adamw, "lr": rate}, "epochs": lr["slow_epochs"],
                                                       "target_loss": lr["target_loss"], "stop_at_target": True})
              for rate in lr["slow_lrs"]]
    cells += [("learning_rate", "lr_find", {"kind": "lr_find", "optimizer": {**adamw, "lr": 1e-3},
                                            "range": lr["range"]})]
    schedules = {"constant": None, "step": {"name": "step", "step_size": s["step_size"], "gamma": s["gamma"]},
                 "cosine": {"name": "cosine", "T_max": s["epochs"]},
                 "plateau": {"name": "plateau", "factor": s["gamma"], "patience": s["patience"]}}
    cells += [("schedulers", name, {"optimizer": {**adamw, "lr": s["lr"]}, "scheduler": sched, "epochs": s["epochs"]})
              for name, sched in schedules.items()]
    cells += [("dropout", f"p={p:g}", {"hidden": [d["width"]] * 2, "dropout": p, "train_size": d["train_size"],
                                       "epochs": d["epochs"], "train_curve": True})
              for p in d["rates"]]
    cells += [("dead", f"{act}/lr={rate:g}", {"activation": act, "optimizer": {"name": "adam", "lr": rate},
                                              "epochs": dead["epochs"]})
              for act in dead["activations"] for rate in dead["lrs"]]
    return cells


def runs(config) -> list[dict]:
    """One spec per cell and seed; the cells of a pitfall share their seeds (paired comparisons)."""
    specs = []
    for pitfall, cell, overrides in _cells(config):
        seeds = config[pitfall].get("seeds", config["seeds"])
        for repeat in range(seeds):
            specs.append({**_BASE, "batch_size": config["batch_size"], **overrides, "pitfall": pitfall,
                          "cell": cell, "repeat": repeat, "seed": derive_seed(config["seed"], pitfall, repeat)})
    return specs


def run(spec) -> dict:
    return KINDS[spec["kind"]](spec)
