r"""Dead ReLUs: units that never fire, networks born dead, and what training and initialisation do to them.

The pitfall of the notes ("Neural Networks — Forward & Backpropagation", Critical Pitfalls: "Dead ReLU neurons: if a
neuron's weights push z < 0 for all inputs, it never activates."): a ReLU unit whose pre-activation is negative on
every input outputs 0 and gets a zero gradient everywhere, so it never learns again.  And the result of Lu, Shin,
Su & Karniadakis (2020, "Dying ReLU and Initialization: Theory and Numerical Examples", Commun. Comput. Phys.
28:1671): a deep, narrow ReLU network
is *born dead* (constant on its domain) with a probability that tends to 1 with depth; their randomized
asymmetric initialisation (RAI) lowers that probability.

Definitions (for a data set X = {x_1, ..., x_n} and a ReLU network with hidden layers l = 1..L,
:math:`z_l(x) = h_{l-1}(x) W_l + b_l`, :math:`h_l = \max(z_l, 0)`, :math:`h_0 = x`, and a linear output layer):

- **dead unit** (on X): unit j of layer l with :math:`z_{l,j}(x) \le 0` for every x in X.  It outputs 0 and
  passes a zero gradient (relu'(0) = 0) on the whole data set.
- **dead layer at an input** x: every unit of layer l has :math:`z_{l,j}(x) \le 0`, i.e. :math:`h_l(x) = 0`.
- **born-dead network** (on X, at initialisation): some layer l is dead at every input of X.  Then
  :math:`h_l = 0` on all of X, every later layer sees the same input, and the network is constant on X.
  For a bias-free network a dead layer stays dead (:math:`h_l = 0 \Rightarrow h_{l+1} = 0`), so born dead is the
  same as "every input has some dead layer" and the output is then exactly 0 on X.
- **gradient-dead unit** (trained networks, any activation): :math:`\max_{x \in X} |f'(z_{l,j}(x))| < 10^{-6}`,
  so the unit receives (numerically) no gradient; for ReLU it is the same as a dead unit, for LeakyReLU it
  never happens (f' >= slope), for GELU/SiLU it needs z far below 0 on every input.

Exact born-dead probability of a bias-free network at one input (the derivation checked by the simulation).
Take hidden width N, weights i.i.d. from any distribution symmetric about 0 with no atom at 0 (He, Xavier and
standard init alike), zero biases, and a fixed input x != 0.  Let :math:`K_l` be the number of active units of
layer l at x.  Given :math:`h_{l-1} \ne 0`, the pre-activations :math:`z_{l,j} = h_{l-1} \cdot W_l[:, j]` are
independent across j (independent columns), symmetric and atom-free (a nonzero combination of symmetric
atom-free weights), so each unit is active with probability exactly 1/2, independently of the past:
:math:`K_l \sim \mathrm{Bin}(N, 1/2)` whatever :math:`K_{l-1} \ge 1` was, and :math:`K_{l-1} = 0` forces
:math:`K_l = 0` (absorbing).  The Markov chain of active counts therefore leaves the live states with probability
:math:`2^{-N}` per layer, and

.. math::  P(\text{dead at } x \text{ within } L \text{ hidden layers}) = 1 - (1 - 2^{-N})^L .

It holds for any data set on one ray :math:`\{t x: t > 0\}` (a bias-free ReLU net is positively homogeneous),
and it is an upper bound for any data set containing x (dead on all of X implies dead at x).  For the 1-D domain
[-1, 1] (the "interval" data: a grid including x = +-1), homogeneity reduces born dead to "dead at +1 and at -1";
those two events are not independent (the first layer's active sets at +1 and -1 are complementary, and
deeper layers align the two representations), so we have no closed form there; each has probability p, so
:math:`2p - 1 \le P(\text{born dead on } [-1, 1]) \le p`, and the lower bound tends to 1 with depth (Lu et
al.'s limit, with a rate for this data set).  The expected fraction of inactive units of layer l at one
input is, by the same chain, :math:`1 - \tfrac12 (1 - 2^{-N})^{l-1}`: an upper bound for the dead-unit fraction
on any data set.

RAI (the randomized asymmetric initialisation Lu et al. 2020 propose): for each unit, with parameter vector
:math:`v = (W[:, j], b_j) \in R^{m+1}`, one entry chosen uniformly at random is drawn from the asymmetric
Beta(2, 1) (positive) and the others from the symmetric N(0, sigma^2).  We use He's sigma^2 = 2/m; Lu et al.
derive their sigma from a second-moment condition that we do not reproduce here.

Parts of the study: (1) dead-unit fraction per layer at initialisation against depth and width for He, Xavier
(both zero bias) and standard init (uniform weights and biases, PyTorch's nn.Linear default), on two-spirals
inputs; (2) born-dead probability over thousands of random bias-free networks for widths 2..10 and depths up to 50,
at one input and on the interval (Wilson bands in the figure, exact Clopper-Pearson intervals in the claims),
against the exact formula; (3) RAI against He (bias-free) on the same data; (4) after training with Adam on two
spirals: the dead and gradient-dead fractions against the learning rate for relu, leaky_relu, gelu and silu (same
data, same initial weights, same seeds).

Judged (``ffbench.studies.claims``, alpha 0.01): the exact one-input law in every cell (Bonferroni over the cells);
the interval bounds 2p - 1 <= P <= p wherever both have content (1 - p between 0.05 and 0.5; every such cell,
Bonferroni); RAI lowering the born-dead probability (shown at alpha); ReLU's dead fraction growing with the
learning rate (paired by seed, shown at alpha); LeakyReLU never gradient-dead (f' >= its slope); and ReLU losing
more units' gradient than GELU/SiLU at the learning rates where every seed trains (paired by seed and learning
rate, shown at alpha; their derivatives decay like exp(-z^2/2) and exp(-|z|), so unlike LeakyReLU they *can* lose
their gradient: at the largest learning rate some runs collapse, reported as an observation).  Facts true by
construction (zero-bias He and Xavier nets have the same dead units; dead fractions and interval probabilities sit
under the one-input expectation) are unit tests, not claims.
"""
from __future__ import annotations

import numpy as np

from ffbench import MLP, data, optim
from ffbench.activations import activation
from ffbench.studies.framework import Choice, derive_seed, group
from ffbench.train import accuracy, train

from .born import (SCHEMES, born_dead_depths, datasets, dead_unit_counts, exact_dead_at_input,
                   expected_inactive_fraction, random_networks, wilson_interval)
from .claims import GRAD_DEAD, study_claims
from .figures import render  # noqa: F401  (the study contract's render)

NAME = "dead_relu"
VERSION = "2"
DEFAULTS = {
    "seed": 0,
    "init": {"inits": ["he_normal", "xavier_normal", "standard_uniform"], "widths": [4, 8, 16, 32],
             "depth": 50, "networks": 100, "points": 128},
    "born": {"widths": [2, 3, 4, 5, 6, 7, 8, 9, 10], "depth": 50, "networks": 5000, "interval_points": 65,
             "schemes": ["symmetric", "rai"], "confidence": 0.95},
    "trained": {"activations": ["relu", "leaky_relu", "gelu", "silu"], "lrs": [0.001, 0.003, 0.01, 0.03, 0.1],
                "seeds": 5, "widths": [32, 32, 32, 32], "points": 256, "epochs": 50, "batch_size": 32},
}
QUICK = {
    "init": {"widths": [4, 16], "depth": 20, "networks": 20, "points": 64},
    "born": {"widths": [2, 4, 6, 8, 10], "depth": 30, "networks": 800},
    "trained": {"lrs": [0.001, 0.01, 0.1], "seeds": 2, "widths": [16, 16, 16], "points": 128, "epochs": 10},
}

CHUNK = 1000      # networks drawn at once in the born-dead sweep (bounds memory: 1000 x 49 x 10 x 10 doubles)
BIAS_INITS = {"he_normal": "zeros", "xavier_normal": "zeros", "standard_uniform": "standard_uniform"}
# Beyond what DEFAULTS imply: the inits with a bias rule here, and the born-dead schemes.
CONSTRAINTS = {"init.inits": Choice(BIAS_INITS, "init with a bias rule here"),
               "born.schemes": Choice(SCHEMES, "scheme")}


# ---------------------------------------------------------------------------------------------- runs

def runs(config):
    seed = config["seed"]
    a, b, t = config["init"], config["born"], config["trained"]
    specs = [{"kind": "init", "init": init, "width": w, "depth": a["depth"], "networks": a["networks"],
              "points": a["points"], "seed": derive_seed(seed, "init", w)}  # same draws for every init
             for init in a["inits"] for w in a["widths"]]
    specs += [{"kind": "born", "scheme": s, "width": w, "depth": b["depth"], "networks": b["networks"],
               "interval_points": b["interval_points"], "seed": derive_seed(seed, "born", s, w)}
              for s in b["schemes"] for w in b["widths"]]
    specs += [{"kind": "trained", "activation": act, "lr": lr, "replicate": r, "widths": t["widths"],
               "points": t["points"], "epochs": t["epochs"], "batch_size": t["batch_size"],
               "seed": derive_seed(seed, "trained", r)}  # same weights and batches for every activation and lr
              for act in t["activations"] for lr in t["lrs"] for r in range(t["seeds"])]
    return specs


def _run_init(spec):
    X, _ = data.two_spirals(spec["points"], seed=derive_seed(spec["seed"], "data"))
    seeds = np.random.default_rng(spec["seed"]).integers(0, 2**63, spec["networks"])
    sizes = [2] + [spec["width"]] * spec["depth"] + [1]
    dead = np.empty((spec["networks"], spec["depth"]))
    for i, s in enumerate(seeds):
        model = MLP(sizes, "relu", init=spec["init"], bias_init=BIAS_INITS[spec["init"]], seed=int(s))
        model.forward(X)
        dead[i] = [np.mean((z <= 0).all(axis=0)) for z in model.preactivations[:-1]]
    return {"dead_fraction": dead.mean(axis=0), "born_dead": np.mean(dead == 1.0, axis=0)}


def _run_born(spec):
    rng = np.random.default_rng(spec["seed"])
    width, depth = spec["width"], spec["depth"]
    sets = datasets(spec["interval_points"])
    first = {name: [] for name in sets}
    for lo in range(0, spec["networks"], CHUNK):
        nets = min(CHUNK, spec["networks"] - lo)
        W_in, W_hidden, B = random_networks(spec["scheme"], rng, nets, 1, width, depth)
        for name, X in sets.items():
            counts = np.empty((nets, depth), dtype=np.int64)
            dead_unit_counts(X, W_in, W_hidden, B, counts)
            first[name].append(born_dead_depths(counts, width))
    # dead[name][L-1]: networks born dead within L hidden layers (prefixes of the depth-`depth` networks)
    return {name: [int(np.sum((f >= 1) & (f <= L))) for L in range(1, depth + 1)]
            for name, f in ((k, np.concatenate(v)) for k, v in first.items())}


def _run_trained(spec):
    X, y = data.two_spirals(spec["points"], seed=derive_seed(spec["seed"], "data"))
    model = MLP([2, *spec["widths"], 2], spec["activation"], init="he_normal", seed=spec["seed"])
    history = train(model, X, y, loss="softmax_cross_entropy", optimizer=optim.Adam(model, lr=spec["lr"]),
                    epochs=spec["epochs"], batch_size=spec["batch_size"], seed=derive_seed(spec["seed"], "batches"))
    result = {"diverged": history.diverged, "final_loss": history.epoch_loss[-1] if history.epoch_loss else None}
    if history.diverged:
        return {**result, "dead_fraction": None, "grad_dead_fraction": None, "accuracy": None}
    model.forward(X)
    act = activation(spec["activation"])
    zs = model.preactivations[:-1]
    dead = np.concatenate([(z <= 0).all(axis=0) for z in zs])
    grad_dead = np.concatenate([np.abs(act.backward(z, np.ones_like(z))).max(axis=0) < GRAD_DEAD for z in zs])
    return {**result, "dead_fraction": dead.mean(), "grad_dead_fraction": grad_dead.mean(),
            "accuracy": accuracy(model, X, y)}


KINDS = {"init": _run_init, "born": _run_born, "trained": _run_trained}


def run(spec):
    return KINDS[spec["kind"]](spec)


# ----------------------------------------------------------------------------------------- summary

def _summarize_init(config, pairs):
    cfg = config["init"]
    layers = np.arange(1, cfg["depth"] + 1)
    by = {(s["init"], s["width"]): r for s, r in pairs}
    out = {"layers": layers, "widths": cfg["widths"], "inits": cfg["inits"], "networks": cfg["networks"],
           "dead_fraction": {i: [by[i, w]["dead_fraction"] for w in cfg["widths"]] for i in cfg["inits"]},
           "born_dead": {i: [by[i, w]["born_dead"] for w in cfg["widths"]] for i in cfg["inits"]},
           "single_input_bound": [expected_inactive_fraction(w, layers) for w in cfg["widths"]],
           "bias": {i: BIAS_INITS[i] for i in cfg["inits"]}}
    rows = [{"part": "init", "init": i, "width": w, "layer": int(l), "dead_fraction": by[i, w]["dead_fraction"][k],
             "born_dead_fraction": by[i, w]["born_dead"][k]}
            for i in cfg["inits"] for w in cfg["widths"] for k, l in enumerate(layers)]
    return out, rows


def _summarize_born(config, pairs):
    cfg = config["born"]
    widths, n = cfg["widths"], cfg["networks"]
    depths = np.arange(1, cfg["depth"] + 1)
    by = {(s["scheme"], s["width"]): r for s, r in pairs}
    out = {"widths": widths, "depths": depths, "networks": n, "confidence": cfg["confidence"],
           "schemes": cfg["schemes"], "exact": [exact_dead_at_input(w, depths) for w in widths]}
    rows = []
    for scheme in cfg["schemes"]:
        out[scheme] = {}
        for name in ("point", "interval"):
            k = np.array([by[scheme, w][name] for w in widths])
            lo, hi = wilson_interval(k, n, cfg["confidence"])
            out[scheme][name] = {"count": k, "p": k / n, "low": lo, "high": hi}
            rows += [{"part": "born", "scheme": scheme, "data": name, "width": w, "depth": int(L),
                      "networks": n, "born_dead": int(k[a, b]), "p": k[a, b] / n, "ci_low": lo[a, b],
                      "ci_high": hi[a, b], "exact_one_input": out["exact"][a][b]}
                     for a, w in enumerate(widths) for b, L in enumerate(depths)]
    return out, rows


def _summarize_trained(config, pairs):
    cfg = config["trained"]
    out = {"activations": cfg["activations"], "lrs": cfg["lrs"]}
    keys = ("dead_fraction", "grad_dead_fraction", "accuracy", "final_loss")
    for key in keys:
        out[key] = {a: [_nanmean([r[key] for s, r in pairs if s["activation"] == a and s["lr"] == lr])
                        for lr in cfg["lrs"]] for a in cfg["activations"]}
    out["diverged"] = {a: [sum(r["diverged"] for s, r in pairs if s["activation"] == a and s["lr"] == lr)
                           for lr in cfg["lrs"]] for a in cfg["activations"]}
    out["per_seed"] = {key: {a: [[r[key] for s, r in pairs if s["activation"] == a and s["lr"] == lr]
                                 for lr in cfg["lrs"]] for a in cfg["activations"]} for key in keys[:3]}
    out["units"] = int(sum(cfg["widths"]))
    rows = [{"part": "trained", "activation": s["activation"], "lr": s["lr"], "replicate": s["replicate"],
             **{k: r[k] for k in (*keys, "diverged")}} for s, r in pairs]
    return out, rows


def _nanmean(values):
    values = np.array([np.nan if v is None else v for v in values], dtype=float)
    return float(np.mean(values[np.isfinite(values)])) if np.isfinite(values).any() else float("nan")


def summarize(config, pairs):
    parts = group(pairs, "kind", KINDS)
    init, rows_a = _summarize_init(config, parts["init"])
    born, rows_b = _summarize_born(config, parts["born"])
    trained, rows_c = _summarize_trained(config, parts["trained"])
    claims = study_claims(init, born, trained)
    return {"data": {"definitions": DEFINITIONS, "init": init, "born": born, "trained": trained},
            "rows": rows_a + rows_b + rows_c, "claims": claims, "table": _table(config, init, born, trained)}


DEFINITIONS = {
    "dead_unit": "pre-activation <= 0 on every input of the data set",
    "dead_layer_at_input": "every unit of the layer has pre-activation <= 0 at that input (layer output 0)",
    "born_dead": "at initialisation some hidden layer is dead at every input of the data set, so the network "
                 "is constant there (bias-free: output exactly 0)",
    "gradient_dead_unit": f"max over the data of |f'(pre-activation)| < {GRAD_DEAD:g}",
    "exact_one_input": "1 - (1 - 2^-N)^L: P(bias-free ReLU net, N wide, L hidden layers, symmetric atom-free "
                       "weights, is dead at a fixed input x != 0); upper bound for any data set containing x",
    "depth": "number of hidden (ReLU) layers; the output layer is linear",
}


def _table(config, init, born, trained):
    lines = ["Dead units at init (fraction of the last hidden layer, mean over networks):"]
    lines.append("  init              " + "  ".join(f"N={w:<4}" for w in init["widths"]))
    for i in init["inits"]:
        lines.append(f"  {i:<16}  " + "  ".join(f"{np.asarray(v)[-1]:<6.3f}" for v in init["dead_fraction"][i]))
    depths = born["depths"]
    show = sorted({d for d in (2, 5, 10, 20, 30, 50) if d <= depths[-1]} | {int(depths[-1])})
    lines.append(f"\nBorn dead, bias-free (P at x=1 / exact / P on [-1,1]; RAI on [-1,1]), {born['networks']} nets:")
    lines.append("  N   " + "  ".join(f"L={d:<22}" for d in show))
    for a, w in enumerate(born["widths"]):
        cells = []
        for d in show:
            b = d - 1
            cell = (f"{born['symmetric']['point']['p'][a][b]:.3f}/{born['exact'][a][b]:.3f}/"
                    f"{born['symmetric']['interval']['p'][a][b]:.3f}")
            if "rai" in born:
                cell += f";{born['rai']['interval']['p'][a][b]:.3f}"
            cells.append(f"{cell:<24}")
        lines.append(f"  {w:<3} " + "  ".join(cells))
    lines.append("\nAfter training (Adam, two spirals): dead / gradient-dead fraction / accuracy")
    lines.append("  activation  " + "  ".join(f"lr={lr:<16g}" for lr in trained["lrs"]))
    for a in trained["activations"]:
        cells = [f"{trained['dead_fraction'][a][k]:.2f}/{trained['grad_dead_fraction'][a][k]:.2f}/"
                 f"{trained['accuracy'][a][k]:.2f}" for k in range(len(trained["lrs"]))]
        lines.append(f"  {a:<10}  " + "  ".join(f"{c:<19}" for c in cells))
    return "\n".join(lines)
