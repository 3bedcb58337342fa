"""XOR: no line separates it, one hidden layer does (Minsky & Papert 1969; Rumelhart, Hinton & Williams 1986).

Claims checked:

- A linear classifier ``sign(w . x + b)`` gets at most 3 of the 4 XOR corners right (accuracy <= 0.75).
  Proof by exhaustion: of the 16 labellings of the corners, a linear-programming feasibility test
  (``y_i (w . x_i + b) >= 1``) finds exactly 14 separable ones, and the best of them agrees with XOR on 3
  corners.  The least-squares linear fit to the 0/1 labels is the constant 1/2 (it carries no
  information).  What a trained logistic regression and the exact best line on the noisy training set
  (enumerating the lines through pairs of points) reach is reported, not judged: "<= 0.75" would hold for an
  untrained model too, and the exhaustive claim above already covers every line.
- A net with one hidden layer (2 or 4 units, per activation) trained with Adam on the cross-entropy
  reaches 100% on the corners.  The content of "back-propagation learns XOR" (Rumelhart, Hinton & Williams
  1986) is a success rate, not one lucky seed: judged per activation at the widest width, the rate must be
  shown above 1/2 (the weakest reading that makes it a statement about training runs: most runs succeed) by
  its exact one-sided Clopper-Pearson limit at alpha 0.01, and is not judged where the seeds cannot decide it
  (the record says how many would).  With 2 hidden units training often stalls on the 2-2-1 net's plateaus
  (R. Bland 1998, "Learning XOR: exploring the space of a classic problem", University of Stirling, Computing
  Science Technical Report): that rate is reported, not judged.

Figures: the decision regions of a trained 2-unit net per activation with the lines ``w_j . x + b_j = 0``
of its hidden units drawn over the data, next to the best linear classifier; and the corner accuracy of
every seed per activation and width against the linear limit 0.75.
"""
from __future__ import annotations

import itertools

import numpy as np
from scipy.optimize import linprog

from ffbench import MLP, data
from ffbench.optim import Adam
from ffbench.studies.claims import claim_close, claim_fraction, observation
from ffbench.studies.framework import derive_seed, group
from ffbench.train import accuracy, train

NAME = "xor"
VERSION = "1"
DEFAULTS = {
    "seed": 0,
    "activations": ["sigmoid", "tanh", "relu", "gelu"],
    "widths": [2, 4],
    "repeats": 30,
    "n_per_corner": 25,
    "noise": 0.15,
    "epochs": 500,
    "lr": 0.05,
    "grid": 61,
}
QUICK = {"activations": ["sigmoid", "tanh", "relu"], "repeats": 3, "epochs": 300, "grid": 31}

# Weight initialiser per activation: Glorot for the saturating ones, He for the rectifiers.
INITS = {"sigmoid": "xavier_normal", "tanh": "xavier_normal", "relu": "he_normal", "leaky_relu": "he_normal",
         "gelu": "he_normal", "silu": "he_normal", "elu": "he_normal", "softplus": "he_normal"}
EXTENT = (-0.5, 1.5)  # the square drawn and gridded around the unit square


def _dataset(config_or_spec):
    return data.xor(config_or_spec["n_per_corner"], config_or_spec["noise"], seed=config_or_spec["data_seed"])


def runs(config):
    common = {"n_per_corner": config["n_per_corner"], "noise": config["noise"],
              "data_seed": derive_seed(config["seed"], "data")}
    specs = [{"kind": "linear", **common, "seed": derive_seed(config["seed"], "linear"),
              "epochs": config["epochs"], "lr": config["lr"]}]
    for act in config["activations"]:
        for width in config["widths"]:
            for r in range(config["repeats"]):
                specs.append({"kind": "net", "activation": act, "width": width, "repeat": r, **common,
                              "seed": derive_seed(config["seed"], act, width, r), "epochs": config["epochs"],
                              "lr": config["lr"], "grid": config["grid"]})
    return specs


def separable_labelings(points):
    """Which of the 2^n labellings of ``points`` (n, 2) a line separates: LP feasibility of
    ``s_i (w . x_i + b) >= 1`` in (w, b).  Returns a list of (labels tuple, separable bool)."""
    out = []
    for labels in itertools.product((0, 1), repeat=len(points)):
        s = 2.0 * np.array(labels) - 1.0
        a_ub = -s[:, None] * np.hstack([points, np.ones((len(points), 1))])
        res = linprog(np.zeros(3), A_ub=a_ub, b_ub=-np.ones(len(points)), bounds=[(None, None)] * 3,
                      method="highs")
        out.append((labels, res.status == 0))
    return out


def best_line(X, labels):
    """The exact best 0-1 accuracy of ``sign(w . x + b)`` on 2-D points in general position.

    An optimal line can be moved until it passes through two data points; a small perturbation then puts
    those two on whichever side is right.  So the best accuracy is the max over pairs (i, j) and both
    orientations of (correct points off the line + 2) / n, and the constant classifiers.
    Returns (accuracy, (i, j, orientation)) with orientation +1 or -1 (None for a constant).
    """
    n = len(X)
    i, j = np.triu_indices(n, 1)
    d = X[j] - X[i]
    normal = np.stack([-d[:, 1], d[:, 0]], axis=1)                    # (pairs, 2)
    side = normal @ X.T - np.sum(normal * X[i], axis=1)[:, None]      # (pairs, n): signed distance * |d|
    off = np.ones_like(side, dtype=bool)
    off[np.arange(len(i)), i] = off[np.arange(len(i)), j] = False
    positive = labels[None, :] == 1
    correct_plus = np.sum(off & ((side > 0) == positive), axis=1) + 2
    correct_minus = np.sum(off & ((side < 0) == positive), axis=1) + 2
    best = max(int(labels.sum()), int(n - labels.sum()))
    choice = None
    for orient, counts in ((1, correct_plus), (-1, correct_minus)):
        k = int(np.argmax(counts))
        if counts[k] > best:
            best, choice = int(counts[k]), (int(i[k]), int(j[k]), orient)
    return best / n, choice


def _run_linear(spec):
    corners, corner_labels = data.xor()
    table = separable_labelings(corners)
    separable = [lab for lab, ok in table if ok]
    agreement = [float(np.mean(np.array(lab) == corner_labels)) for lab in separable]
    # Least squares on the corners: [x1, x2, 1] @ beta = y; XOR's labels are orthogonal to x1, x2 and
    # the constant after centring, so beta = (0, 0, 1/2).
    design = np.hstack([corners, np.ones((4, 1))])
    beta = np.linalg.lstsq(design, corner_labels.astype(float), rcond=None)[0]
    X, y = _dataset(spec)
    noisy_best, choice = best_line(X, y)
    model = MLP([2, 1], activation="identity", init="xavier_normal", seed=spec["seed"])
    hist = train(model, X, y.astype(float)[:, None], loss="bce_with_logits", optimizer=Adam(model, lr=spec["lr"]),
                 epochs=spec["epochs"], batch_size=len(X), seed=spec["seed"])
    line = None
    if choice is not None:
        a, b, orient = choice
        line = [X[a].tolist(), X[b].tolist(), orient]
    return {"separable": [list(lab) for lab in separable], "n_labelings": len(table),
            "separable_agreement": agreement, "xor_separable": bool(any(
                lab == tuple(corner_labels) for lab in separable)),
            "lstsq_beta": beta, "lstsq_pred": design @ beta,
            "noisy_best_accuracy": noisy_best, "noisy_best_line": line,
            "logistic_corner_accuracy": accuracy(model, corners, corner_labels),
            "logistic_train_accuracy": accuracy(model, X, y), "logistic_final_loss": hist.epoch_loss[-1]}


def _grid(n):
    g = np.linspace(*EXTENT, n)
    gx, gy = np.meshgrid(g, g)
    return np.column_stack([gx.ravel(), gy.ravel()])


def _run_net(spec):
    X, y = _dataset(spec)
    corners, corner_labels = data.xor()
    act = spec["activation"]
    model = MLP([2, spec["width"], 1], activation=act, init=INITS.get(act, "xavier_normal"), seed=spec["seed"],
                bias_init="standard_uniform")
    hist = train(model, X, y.astype(float)[:, None], loss="bce_with_logits",
                 optimizer=Adam(model, lr=spec["lr"]), epochs=spec["epochs"], batch_size=len(X), seed=spec["seed"])
    logits = model.forward(_grid(spec["grid"]))[:, 0]
    return {"corner_accuracy": accuracy(model, corners, corner_labels), "train_accuracy": accuracy(model, X, y),
            "final_loss": hist.epoch_loss[-1], "diverged": hist.diverged,
            "W1": model.weights[0], "b1": model.biases[0], "W2": model.weights[1][:, 0], "b2": model.biases[1],
            "grid_logits": logits}


KINDS = {"linear": _run_linear, "net": _run_net}


def run(spec):
    return KINDS[spec["kind"]](spec)


def summarize(config, pairs):
    kinds = group(pairs, "kind", KINDS)
    (linear_spec, lin), = kinds["linear"]
    nets = kinds["net"]
    X, y = _dataset({**config, "data_seed": linear_spec["data_seed"]})
    rows, per = [], {}
    for s, r in nets:
        rows.append({"activation": s["activation"], "width": s["width"], "repeat": s["repeat"], "seed": s["seed"],
                     "corner_accuracy": r["corner_accuracy"], "train_accuracy": r["train_accuracy"],
                     "final_loss": r["final_loss"]})
        per.setdefault(s["activation"], {}).setdefault(str(s["width"]), []).append(r)
    rows.append({"activation": "linear (logistic)", "width": 0, "repeat": 0, "seed": linear_spec["seed"],
                 "corner_accuracy": lin["logistic_corner_accuracy"],
                 "train_accuracy": lin["logistic_train_accuracy"], "final_loss": lin["logistic_final_loss"]})

    accuracies, success, shown = {}, {}, {}
    smallest = str(min(config["widths"]))
    for act in config["activations"]:
        accuracies[act] = {w: [r["corner_accuracy"] for r in rs] for w, rs in per[act].items()}
        success[act] = {w: float(np.mean(np.array(a) == 1.0)) for w, a in accuracies[act].items()}
        # The panel shows the first seed of the smallest width that solved XOR (else its best seed).
        candidates = per[act][smallest]
        pick = next((r for r in candidates if r["corner_accuracy"] == 1.0),
                    max(candidates, key=lambda r: r["train_accuracy"]))
        shown[act] = {k: pick[k] for k in ("W1", "b1", "W2", "b2", "grid_logits", "corner_accuracy",
                                           "train_accuracy")}
    best_separable = max(lin["separable_agreement"])
    claims = _claims_linear(config, lin, len(X)) + _claims_hidden(config, accuracies, success)
    lines = [f"{'activation':<10}" + "".join(f"  width {w}: solved" for w in sorted(success[config['activations'][0]],
                                                                                      key=int))]
    for act in config["activations"]:
        lines.append(f"{act:<10}" + "".join(f"  {success[act][w]:>15.0%}" for w in sorted(success[act], key=int)))
    lines.append(f"linear: best on corners {best_separable:.2f}, exact best line on noisy set "
                 f"{lin['noisy_best_accuracy']:.3f}, logistic regression {lin['logistic_corner_accuracy']:.2f}")
    return {"data": {"X": X, "y": y, "extent": list(EXTENT), "grid": config["grid"],
                     "accuracies": accuracies, "success": success, "shown": shown,
                     "linear": {k: lin[k] for k in ("separable", "separable_agreement", "lstsq_beta",
                                                    "noisy_best_accuracy", "noisy_best_line",
                                                    "logistic_corner_accuracy")}},
            "rows": rows, "claims": claims, "table": "\n".join(lines)}


MINSKY = "Minsky & Papert (1969), Perceptrons: XOR is not linearly separable"
RUMELHART = ("Rumelhart, Hinton & Williams (1986), Learning internal representations by error propagation, "
             "Parallel Distributed Processing vol. 1, ch. 8 (the XOR problem)")
NOTES_002 = 'notes "A Little Bit on Deep Learning in General" (2025-02-25), How do they become universial function ' \
            'approximators?'
EXPECTED_RATE = 0.5  # "most runs succeed": the weakest reading of "back-propagation learns XOR" about runs


def _claims_linear(config, lin, points):
    """The linear limit: exact facts (LP exhaustion, least squares), then what a trained or best line reaches on
    the data (reported: an untrained model would pass "<= 0.75" too, so it is not a test of anything)."""
    exact = {"source": MINSKY, "kind": "theorem"}
    return [
        claim_close("separable_labelings", "exactly 14 of the 16 labellings of the corners are linearly separable "
                    "(LP feasibility); XOR and its complement are not", len(lin["separable"]), 14, atol=0,
                    source=f"{MINSKY}; {NOTES_002}", kind="theorem", note="the notes: \"We know linear "
                    "regressions are weak, they cannot solve XOR classification, as an example.\""),
        claim_close("linear_max_accuracy", "best linear classifier on the 4 corners: 3 of 4 right "
                    "(max agreement of a separable labelling with XOR)", max(lin["separable_agreement"]), 0.75,
                    atol=0, **exact),
        claim_close("lstsq_constant", "least-squares linear fit to the XOR labels is the constant 1/2 "
                    "(max |prediction - 1/2| on the corners)",
                    float(np.max(np.abs(np.asarray(lin["lstsq_pred"]) - 0.5))), 0.0, atol=1e-12,
                    source="this study: XOR's labels are orthogonal to x1, x2 and 1 after centring (module "
                    "docstring)", kind="theorem", note="tolerance: float64 rounding of the least-squares solve"),
        observation("logistic_accuracy", "trained logistic regression (ffbench, Adam) on the corners",
                    lin["logistic_corner_accuracy"], source="this study",
                    note="bounded by linear_max_accuracy; at XOR's symmetric optimum the logits are ~0, so the "
                    "corner accuracy is decided by rounding"),
        observation("noisy_linear_accuracy", "exact best line on the noisy training set (all lines through pairs "
                    "of points)", lin["noisy_best_accuracy"], source="this study",
                    note=f"{points} points, noise {config['noise']}"),
    ]


def _claims_hidden(config, accuracies, success):
    """One hidden layer solves XOR: per activation the success rate at the widest width, shown above 1/2
    (judged); the pooled rate (reported)."""
    claims = []
    widest = str(max(config["widths"]))
    for act in config["activations"]:
        solved = [a == 1.0 for a in accuracies[act][widest]]
        note = ", ".join(f"width {w}: {success[act][w]:.0%} of seeds" for w in sorted(success[act], key=int))
        claims.append(claim_fraction(
            f"hidden_{act}", f"one hidden layer of {widest} {act} units, trained by back-propagation (Adam), solves "
            f"XOR in most runs: fraction of seeds reaching 100% on the corners > {EXPECTED_RATE:g}", sum(solved),
            len(solved), EXPECTED_RATE, shown=True, source=f"{RUMELHART}; {NOTES_002}", kind="empirical",
            note=f"{note}; expectation {EXPECTED_RATE:g}: the weakest reading of 'back-propagation learns XOR' that "
                 "is about training runs (most succeed), not one seed; the notes: \"Activation functions introduce "
                 "non-linearity to the model, allowing the model to fit to arbitrary functions.\""))
    rates = {w: [success[a][w] for a in config["activations"]] for w in map(str, config["widths"])}
    claims.append(observation(
        "success_rate_widest", f"fraction of seeds x activations with {widest} hidden units reaching 100% on the "
        "corners", float(np.mean(rates[widest])), source="this study",
        note=", ".join(f"width {w}: {np.mean(r):.0%}" for w, r in rates.items()) + f"; {config['repeats']} seeds "
        "per activation and width"))
    return claims


from ffbench.studies.xor_figures import render  # noqa: E402,F401  (the study contract's render)


if __name__ == "__main__":
    from ffbench.studies.framework import main

    main(__name__)
