r"""Training pitfalls on real data: the notes' practical advice put to the test on MNIST-1D.

The source notes (``../shared/seeds/004``, "Pitfalls" and the training loop; ``002`` on sigmoid and tanh) give
advice that this study measures, several seeds per cell, on MNIST-1D (Greydanus 2020, "Scaling down deep
learning", arXiv:2011.14439; ``ffbench.data.mnist1d``: 4000 training and 1000 test signals of length 40, 10
classes) and, for the baseline, scikit-learn's 8x8 digits (``ffbench.data.digits``).  Every network is an
``ffbench.MLP`` trained by ``ffbench.train`` on softmax cross-entropy with mini-batches of 100; "trains" means
the final epoch's mean training loss is finite and below ``TRAINED_LOSS`` = 2.0 (chance is ln 10 = 2.30).

1. **Baseline** (Greydanus 2020, the accuracy table of the mnist1d README, "Comparing MNIST and MNIST-1D":
   logistic regression 32%, MLP 68% test accuracy, on the plain and the spatially shuffled set alike): their
   MLP, 40-100-100-10 ReLU, Adam lr 1e-2, batch 100, 6000 steps (150 epochs); logistic regression is the same
   without hidden layers.  Shuffling the 40 positions with one fixed permutation cannot change an MLP's
   expected accuracy: the first layer ``x W`` sees ``x P`` as ``x (P W)``, and ``P W`` has the distribution of
   ``W`` (i.i.d. entries), so training on the shuffled set is training on the plain set from another draw of
   the same initialisation (the same batches, the same labels).  The difference of the two accuracies has
   mean exactly 0 ("this study: permutation symmetry").
2. **Activations** (LeCun, Bottou, Orr & Mueller 1998, "Efficient BackProp", Sec. 4.3: inputs of one sign make
   all the weight updates of a unit share a sign, and Sec. 4.4: "symmetric sigmoids such as hyperbolic tangent
   often converge faster than the standard logistic function"; notes 002: "Tanh() ... Converges faster."):
   sigmoid, tanh and ReLU nets from the same Xavier-normal weights, plain SGD at one learning rate, steps until
   the training loss (mean of 10 consecutive mini-batches) reaches a target.  A run that never reaches it is
   counted at the budget (a lower bound, which only makes a "sigmoid is slower" verdict conservative).
3. **BatchNorm** (Ioffe & Szegedy 2015, Sec. 3.3 "Batch Normalization enables higher learning rates" and
   Sec. 4.1, Fig. 1(a): an MNIST MLP trains faster with BN; notes 004: "Always BatchNorm between linear and
   activation layers."): a deep plain ReLU net (12 hidden layers of 64) with SGD + momentum over a grid of
   learning rates, with and without BN; and the baseline MLP with Adam.  "Always" is tested as such: BN must
   not lower the test accuracy in any cell.
4. **Clipping** (Pascanu, Mikolov & Bengio 2013, "On the difficulty of training recurrent neural networks",
   Sec. 3.2, Algorithm 1; notes 004: "clip_grad_norm_(model.parameters(), 1.0) should always be in your
   training loop."): plain SGD over a grid of learning rates, unclipped and clipped to norm 1.0.
5. **Learning rate** (notes 004: "too high -> loss diverges; too low -> training takes 100x longer. Use
   lr_find or start at 1e-3 with AdamW."; Smith 2017, "Cyclical learning rates for training neural networks",
   Sec. 3.3, the range test): AdamW over a half-decade grid, the steps to a target loss against the best
   learning rate's, ``ffbench.lr_find``'s suggestion (its "minimum" rule: the lowest smoothed loss / 10)
   against the sweep's best learning rate, and 1e-3 against the best.
6. **Schedulers** (Loshchilov & Hutter 2017, "SGDR", Sec. 3, Eq. 5: cosine annealing; notes 004: "Apply
   learning rate scheduler (CosineAnnealing, ReduceLROnPlateau)"): constant, StepLR, cosine annealing and
   ReduceLROnPlateau (on the epoch training loss) at one fixed budget, AdamW.
7. **Dropout** (Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov 2014, "Dropout", JMLR 15, Sec. 6.1.1
   on MNIST): a wide net on 1000 training signals, which overfits; the train-test accuracy gap with and without
   dropout.
8. **Dead ReLUs** (notes 004: "Dead ReLU neurons: if a neuron's weights push z < 0 for all inputs, it never
   activates. Use LeakyReLU or proper He initialization."): the fraction of hidden units whose pre-activation
   is <= 0 on every training input (dead, for ReLU: zero output and zero gradient on the whole set) after Adam
   at a normal and at high learning rates, ReLU against LeakyReLU (slope 0.01, whose silent units still pass a
   gradient).

Judging (``verdicts``): each comparison is paired by seed (the cells of a pitfall share their seeds, so their
initial weights and batches).  A directional claim ("A is faster than B") holds when the mean paired difference
exceeds 3 standard errors in the claimed direction, fails when it exceeds 3 standard errors the other way, and is
"not judged" in between (too few seeds to tell); a "costs nothing" claim holds when the mean difference is within
3 standard errors of 0.
"""
from __future__ import annotations

from ..framework import derive_seed
from .experiment import KINDS
from .figures import render  # noqa: F401  (the study contract)
from .verdicts import summarize  # noqa: F401  (the study contract)

NAME = "pitfalls"
VERSION = "1"
DEFAULTS = {
    "seed": 0,
    "seeds": 4,                                  # repeats per cell (5 for the baseline)
    "batch_size": 100,
    "baseline": {"seeds": 5, "epochs": 150, "digits_epochs": 100, "lr": 0.01, "hidden": [100, 100]},
    "activation": {"activations": ["sigmoid", "tanh", "relu"], "init": "xavier_normal", "lr": 0.1,
                   "epochs": 40, "target_loss": 1.2},
    "batchnorm": {"depth": 12, "width": 64, "lrs": [0.01, 0.1, 0.3, 1.0], "momentum": 0.9, "epochs": 10,
                  "shallow_epochs": 30, "shallow_lr": 0.01},
    "clipping": {"lrs": [0.1, 0.5, 2.0, 5.0], "max_norm": 1.0, "epochs": 20},
    "learning_rate": {"lrs": [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0], "epochs": 50,
                      "target_loss": 1.2, "weight_decay": 0.01,
                      "range": {"start_lr": 1e-6, "end_lr": 10.0, "num_steps": 200}},
    "schedulers": {"lr": 0.01, "epochs": 40, "step_size": 13, "gamma": 0.1, "patience": 3},
    "dropout": {"rates": [0.0, 0.3, 0.5], "width": 256, "train_size": 1000, "epochs": 60},
    "dead": {"lrs": [0.001, 0.03, 0.1], "activations": ["relu", "leaky_relu"], "epochs": 20},
}
QUICK = {
    "seeds": 2,
    "baseline": {"seeds": 2, "epochs": 8, "digits_epochs": 8},
    "activation": {"epochs": 5, "target_loss": 2.0},
    "batchnorm": {"depth": 6, "lrs": [0.01, 1.0], "epochs": 2, "shallow_epochs": 3},
    "clipping": {"lrs": [0.5, 5.0], "epochs": 3},
    "learning_rate": {"lrs": [1e-4, 1e-3, 1e-2, 1.0], "epochs": 5, "target_loss": 2.0,
                      "range": {"num_steps": 60}},
    "schedulers": {"epochs": 6, "step_size": 2, "patience": 1},
    "dropout": {"width": 64, "train_size": 400, "epochs": 5},
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
    cells += [("clipping", f"sgd/lr={rate:g}/{'clip' if clip else 'none'}",
               {"optimizer": {"name": "sgd", "lr": rate}, "clip_norm": c["max_norm"] if clip else None,
                "epochs": c["epochs"]})
              for rate in c["lrs"] for clip in (False, True)]
    adamw = {"name": "adamw", "weight_decay": lr["weight_decay"]}
    cells += [("learning_rate", f"lr={rate:g}", {"optimizer": {**adamw, "lr": rate}, "epochs": lr["epochs"],
                                                  "target_loss": lr["target_loss"]})
              for rate in lr["lrs"]]
    cells += [("learning_rate", "lr_find", {"kind": "lr_find", "optimizer": {**adamw, "lr": 1e-3},
                                            "range": lr["range"]})]
    schedules = {"constant": None, "step": {"name": "step", "step_size": s["step_size"], "gamma": s["gamma"]},
                 "cosine": {"name": "cosine", "T_max": s["epochs"]},
                 "plateau": {"name": "plateau", "factor": s["gamma"], "patience": s["patience"]}}
    cells += [("schedulers", name, {"optimizer": {**adamw, "lr": s["lr"]}, "scheduler": sched, "epochs": s["epochs"]})
              for name, sched in schedules.items()]
    cells += [("dropout", f"p={p:g}", {"hidden": [d["width"]] * 2, "dropout": p, "train_size": d["train_size"],
                                       "epochs": d["epochs"]})
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
