r"""Dead ReLUs: units that never fire, networks born dead, and what training and initialisation do to them.

The pitfall of the notes: a ReLU unit whose pre-activation is negative on every input outputs 0 and gets a zero
gradient everywhere, so it never learns again.  And the result of Lu, Shin, Su & Karniadakis (2020, "Dying ReLU
and Initialization: Theory and Numerical Examples", Commun. Comput. Phys. 28:1671): a deep, narrow ReLU network
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
deeper layers align the two representations), so we have no closed form there and report the measurement next
to the one-input bound.  The expected fraction of inactive units of layer l at one input is, by the same chain,
:math:`1 - \tfrac12 (1 - 2^{-N})^{l-1}`: an upper bound for the dead-unit fraction on any data set.

RAI (Lu et al. 2020, Sec. 5): for each unit, with parameter vector :math:`v = (W[:, j], b_j) \in R^{m+1}`, one
entry chosen uniformly at random is drawn from the asymmetric Beta(2, 1) (positive) and the others from the
symmetric N(0, sigma^2).  We use He's sigma^2 = 2/m; Lu et al. derive their sigma from a second-moment
condition that we do not reproduce here.

Parts of the study: (1) dead-unit fraction per layer at initialisation against depth and width for He, Xavier
(both zero bias) and standard init (uniform weights and biases, PyTorch's nn.Linear default), on two-spirals
inputs; (2) born-dead probability over thousands of random bias-free networks for widths 2..10 and depths up to 50,
at one input and on the interval, with Wilson confidence intervals, against the exact formula; (3) RAI against
He (bias-free) on the same data; (4) after training with Adam on two spirals: the dead and gradient-dead
fractions against the learning rate for relu, leaky_relu, gelu and silu (same data, same initial weights, same
seeds).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from scipy import stats

from .. import MLP, data, optim
from ..activations import activation
from ..train import accuracy, train
from .framework import claim_close, claim_greater, claim_less, derive_seed, group
from ..style import COLORS, figure, save_figure, theory

NAME = "dead_relu"
VERSION = "1"
DEFAULTS = {
    "seed": 0,
    "init": {"inits": ["he_normal", "xavier_normal", "standard_uniform"], "widths": [4, 8, 16, 32],
             "depth": 50, "networks": 100, "points": 128},
    "born": {"widths": [2, 3, 4, 5, 6, 7, 8, 9, 10], "depth": 50, "networks": 5000, "interval_points": 65,
             "schemes": ["symmetric", "rai"], "confidence": 0.95},
    "trained": {"activations": ["relu", "leaky_relu", "gelu", "silu"], "lrs": [0.001, 0.003, 0.01, 0.03, 0.1],
                "seeds": 3, "widths": [32, 32, 32, 32], "points": 256, "epochs": 50, "batch_size": 32},
}
QUICK = {
    "init": {"widths": [4, 16], "depth": 20, "networks": 20, "points": 64},
    "born": {"widths": [2, 4, 6, 8, 10], "depth": 30, "networks": 800},
    "trained": {"lrs": [0.001, 0.1], "seeds": 1, "widths": [16, 16, 16], "points": 128, "epochs": 10},
}

GRAD_DEAD = 1e-6  # |f'(z)| below this on every input: the unit gets (numerically) no gradient
CHUNK = 1000      # networks drawn at once in the born-dead sweep (bounds memory: 1000 x 49 x 10 x 10 doubles)
BIAS_INITS = {"he_normal": "zeros", "xavier_normal": "zeros", "standard_uniform": "standard_uniform"}


# ------------------------------------------------------------------------------------------ kernels

@njit(cache=True)
def _relu_layer(h_in, W, bias, h_out, active):
    r"""One ReLU layer for one network: :math:`h_{out} = \max(h_{in} W + b, 0)`; ``active[j]`` is set if unit j
    fires (z > 0) on any input.  h_in (n, m), W (m, N), bias (N,), h_out (n, N) float64; active (N,) bool."""
    n, m = h_in.shape
    N = W.shape[1]
    for i in range(n):
        for j in range(N):
            s = bias[j]
            for k in range(m):
                s += h_in[i, k] * W[k, j]
            if s > 0.0:
                h_out[i, j] = s
                active[j] = True
            else:
                h_out[i, j] = 0.0


@njit(parallel=True, cache=True)
def dead_unit_counts(X, W_in, W_hidden, B, out):
    r"""Dead units per layer of many ReLU networks on one data set.

    Network b: :math:`h_0 = X`, :math:`h_l = \max(h_{l-1} W_l + b_l, 0)` with :math:`W_1` = ``W_in[b]`` and
    :math:`W_l` = ``W_hidden[b, l-2]`` for l >= 2.  ``out[b, l-1]`` = number of units j of layer l with
    :math:`z_{l,j}(x) \le 0` for every row x of X (dead units); layer l is dead at every input iff it equals N.
    X (n, d), W_in (nets, d, N), W_hidden (nets, L-1, N, N), B (nets, L, N) float64; out (nets, L) int64.
    Networks are independent: the loop is partitioned by network, so any thread count gives the same counts.
    """
    nets, L = out.shape
    n = X.shape[0]
    N = W_in.shape[2]
    for b in prange(nets):
        h = np.empty((n, N))
        h_next = np.empty((n, N))
        active = np.zeros(N, dtype=np.bool_)
        _relu_layer(X, W_in[b], B[b, 0], h, active)
        out[b, 0] = N - active.sum()
        for l in range(1, L):
            active[:] = False
            _relu_layer(h, W_hidden[b, l - 1], B[b, l], h_next, active)
            out[b, l] = N - active.sum()
            h, h_next = h_next, h


# ------------------------------------------------------------------------------------- exact pieces

def exact_dead_at_input(width, depth):
    r"""P(a bias-free ReLU net with ``depth`` hidden layers of ``width`` is dead at a fixed input x != 0)
    :math:`= 1 - (1 - 2^{-N})^L` (see the module docstring).  Broadcasts over arrays of widths and depths."""
    width, depth = np.asarray(width, dtype=float), np.asarray(depth, dtype=float)
    return -np.expm1(depth * np.log1p(-(2.0 ** -width)))


def expected_inactive_fraction(width, layer):
    r"""Expected fraction of inactive units of hidden layer ``layer`` (1-based) at one input of a bias-free
    ReLU net: :math:`1 - \tfrac12 (1 - 2^{-N})^{l-1}`."""
    width, layer = np.asarray(width, dtype=float), np.asarray(layer, dtype=float)
    return 1.0 - 0.5 * (1.0 - 2.0 ** -width) ** (layer - 1.0)


def wilson_interval(k, n, confidence=0.95):
    r"""Wilson score interval for a binomial proportion k/n (arrays broadcast):
    :math:`(\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}) / (1 + z^2/n)`,
    z the two-sided normal quantile of ``confidence`` (scipy.stats.norm).  Returns (low, high)."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


# -------------------------------------------------------------------------------- random networks

def _symmetric_layer(rng, nets, fan_in, width):
    """Bias-free layer with N(0, 2/fan_in) weights (He; for a bias-free ReLU net only the signs matter)."""
    W = rng.normal(0.0, math.sqrt(2.0 / fan_in), (nets, fan_in, width))
    return W, np.zeros((nets, width))


def _rai_layer(rng, nets, fan_in, width):
    """RAI (Lu et al. 2020): per unit, one of its fan_in + 1 parameters (weights, bias), chosen uniformly, is
    Beta(2, 1); the others N(0, 2/fan_in)."""
    V = rng.normal(0.0, math.sqrt(2.0 / fan_in), (nets, fan_in + 1, width))
    pick = rng.integers(0, fan_in + 1, (nets, width))
    positive = rng.beta(2.0, 1.0, (nets, width))
    np.put_along_axis(V, pick[:, None, :], positive[:, None, :], axis=1)
    return np.ascontiguousarray(V[:, :fan_in]), np.ascontiguousarray(V[:, fan_in])


SCHEMES = {"symmetric": _symmetric_layer, "rai": _rai_layer}


def random_networks(scheme, rng, nets, d_in, width, depth):
    """``nets`` random ReLU networks [d_in, width x depth]: (W_in (nets, d_in, N), W_hidden (nets, depth-1, N, N),
    B (nets, depth, N)), layer by layer from ``rng``."""
    make = SCHEMES[scheme]
    W_in, b0 = make(rng, nets, d_in, width)
    hidden = [make(rng, nets, width, width) for _ in range(depth - 1)]
    W_hidden = np.stack([w for w, _ in hidden], axis=1) if hidden else np.zeros((nets, 0, width, width))
    B = np.stack([b0] + [b for _, b in hidden], axis=1)
    return W_in, np.ascontiguousarray(W_hidden), np.ascontiguousarray(B)


def born_dead_depths(counts, width):
    """First hidden layer (1-based) dead at every input, per network (0: none), from ``dead_unit_counts``."""
    dead = counts == width
    return np.where(dead.any(axis=1), dead.argmax(axis=1) + 1, 0)


def datasets(interval_points):
    """The 1-D data sets of the born-dead sweep: "point" x = 1 and "interval", a grid on [-1, 1]."""
    return {"point": np.ones((1, 1)), "interval": np.linspace(-1.0, 1.0, interval_points).reshape(-1, 1)}


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
           "single_input_bound": [expected_inactive_fraction(w, layers) for w in cfg["widths"]]}
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
    claims = _claims(config, init, born, trained)
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


def _claims(config, init, born, trained):
    claims = []
    inits = init["inits"]
    if "he_normal" in inits and "xavier_normal" in inits:
        diff = np.max(np.abs(np.subtract(init["dead_fraction"]["he_normal"], init["dead_fraction"]["xavier_normal"])))
        claims.append(claim_close(
            "he_equals_xavier_at_init", "zero-bias He and Xavier nets from the same draws have exactly the same "
            "dead units (only the signs of a bias-free ReLU net's pre-activations depend on the weight scale)",
            diff, 0.0, atol=0.0, note="max |difference| of dead fractions over widths and layers"))
    he = np.asarray(init["dead_fraction"][inits[0]])
    bound = np.asarray(init["single_input_bound"])
    claims.append(claim_greater(
        "dead_units_grow_with_depth", f"{inits[0]}: dead fraction of the last hidden layer minus that of the first "
        "(narrowest width)", he[0, -1] - he[0, 0], 0.0))
    # A per-network fraction in [0, 1] with mean m has variance <= m (1 - m): a conservative standard error.
    se = np.sqrt(np.maximum(np.maximum(bound * (1 - bound), he * (1 - he)), 1e-12) / init["networks"])
    claims.append(claim_less(
        "dead_fraction_below_one_input_bound", f"{inits[0]}: dead fraction <= 1 - (1 - 2^-N)^(l-1)/2, the expected "
        "inactive fraction at one input: largest excess over widths and layers, in standard errors of the mean",
        float(np.max((he - bound) / se)), 3.0, note="standard error sqrt(m (1 - m) / networks), an upper bound"))

    widths, depths, n = born["widths"], born["depths"], born["networks"]
    exact = np.asarray(born["exact"])
    point = born["symmetric"]["point"]
    cells = exact.size
    lo, hi = wilson_interval(np.asarray(point["count"]), n, 1.0 - (1.0 - born["confidence"]) / cells)
    inside = float(np.mean((exact >= lo) & (exact <= hi)))
    plain_inside = float(np.mean((exact >= np.asarray(point["low"])) & (exact <= np.asarray(point["high"]))))
    claims.append(claim_close(
        "dead_at_input_exact", "bias-free nets: fraction of (width, depth) cells whose exact 1-(1-2^-N)^L lies in the "
        f"Bonferroni-adjusted {born['confidence']:g} Wilson interval of the simulated P(dead at x = 1)",
        inside, 1.0, atol=0.0, note=f"{cells} cells, {n} networks each; inside the plain {born['confidence']:g} "
        f"Wilson interval: {plain_inside:.3f}"))
    interval = np.asarray(born["symmetric"]["interval"]["p"])
    claims.append(claim_greater(
        "born_dead_tends_to_one", f"bias-free, width {widths[0]}, {depths[-1]} hidden layers: P(born dead on "
        "[-1, 1]) (Lu et al.: -> 1 with depth)", interval[0, -1], 0.9))
    claims.append(claim_less(
        "interval_within_one_input_bound", "P(born dead on [-1, 1]) <= exact one-input probability (max over cells of "
        "the Wilson lower bound minus the exact value)",
        float(np.max(np.asarray(born["symmetric"]["interval"]["low"]) - exact)), 0.0))
    if "rai" in born["schemes"]:
        rai = np.asarray(born["rai"]["interval"]["p"])
        claims.append(claim_greater(
            "rai_reduces_born_dead", f"P(born dead on [-1, 1]) at {depths[-1]} hidden layers, He (bias-free) minus "
            "RAI, mean over widths (Lu et al.: RAI lowers it)", float(np.mean(interval[:, -1] - rai[:, -1])), 0.0))

    lrs = trained["lrs"]
    dead = trained["dead_fraction"]
    if "relu" in dead and len(lrs) > 1:
        claims.append(claim_greater(
            "relu_dead_grows_with_lr", f"relu: dead fraction after training at lr {lrs[-1]:g} minus at lr {lrs[0]:g}",
            dead["relu"][-1] - dead["relu"][0], 0.0))
    others = [a for a in trained["activations"] if a != "relu"]
    if others:
        worst = max(np.nanmax(trained["grad_dead_fraction"][a]) for a in others)
        claims.append(claim_less(
            "smooth_and_leaky_units_keep_gradient", f"{', '.join(others)}: largest gradient-dead fraction over "
            "learning rates (the fix the notes recommend: no unit loses its gradient)", worst, 0.01))
    return claims


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


# ------------------------------------------------------------------------------------------ figures

def _arr(values):
    return np.asarray(values, dtype=float)


def render(record, out_dir, formats):
    d = record["data"]
    return (_render_init(d["init"], out_dir, formats) + _render_born(d["born"], out_dir, formats)
            + _render_rai(d["born"], out_dir, formats) + _render_trained(d["trained"], out_dir, formats))


INIT_TITLES = {"he_normal": "He (zero bias)", "xavier_normal": "Xavier (zero bias)",
               "standard_uniform": "standard (uniform bias)"}


def _render_init(d, out_dir, formats):
    fig, axes = figure("double", height=2.7, ncols=len(d["inits"]), sharey=True, squeeze=False)
    layers = _arr(d["layers"])
    for ax, init in zip(axes[0], d["inits"]):
        for k, w in enumerate(d["widths"]):
            ax.plot(layers, _arr(d["dead_fraction"][init][k]), label=f"N = {w}", markevery=max(1, len(layers) // 10))
            if init != "standard_uniform":
                theory(ax, layers, _arr(d["single_input_bound"][k]), label="one-input bound" if k == 0 else None)
        ax.set_title(INIT_TITLES.get(init, init))
        ax.set_xlabel("hidden layer $l$")
        ax.set_ylim(-0.02, 1.02)
    axes[0, 0].set_ylabel("fraction of dead units")
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=len(d["widths"]) + 1)
    return save_figure(fig, out_dir, "dead_relu_init", formats)


def _render_born(d, out_dir, formats):
    fig, axes = figure("double", height=3.0, ncols=2, sharey=True)
    depths = _arr(d["depths"])
    show = [k for k, w in enumerate(d["widths"]) if w in (2, 3, 4, 6, 8, 10)] or list(range(len(d["widths"])))
    for ax, name, title in zip(axes, ("point", "interval"), ("dead at one input $x = 1$", "born dead on $[-1, 1]$")):
        sym = d["symmetric"][name]
        for k in show:
            p, lo, hi = _arr(sym["p"][k]), _arr(sym["low"][k]), _arr(sym["high"][k])
            line, = ax.plot(depths, p, label=f"N = {d['widths'][k]}", markevery=max(1, len(depths) // 8))
            ax.fill_between(depths, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
            theory(ax, depths, _arr(d["exact"][k]), label=r"exact $1-(1-2^{-N})^L$" if k == show[0] else None)
        ax.set_title(title)
        ax.set_xlabel("hidden layers $L$")
    axes[0].set_ylabel(f"P(dead), {d['networks']} nets, {d['confidence']:g} Wilson band")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=len(show) + 1)
    return save_figure(fig, out_dir, "dead_relu_born_dead", formats)


def _render_rai(d, out_dir, formats):
    if "rai" not in d:
        return []
    fig, ax = figure("single")
    depths = _arr(d["depths"])
    widths = [k for k, w in enumerate(d["widths"]) if w in (2, 4, 6, 8)] or [0]
    for c, k in enumerate(widths):
        for scheme, label, style, marker in (("symmetric", "He", "-", "o"), ("rai", "RAI", "--", "s")):
            ax.plot(depths, _arr(d[scheme]["interval"]["p"][k]), label=f"{label}, N = {d['widths'][k]}",
                    color=COLORS[c % len(COLORS)], linestyle=style, marker=marker, markevery=max(1, len(depths) // 8))
    ax.set_xlabel("hidden layers $L$")
    ax.set_ylabel("P(born dead on $[-1, 1]$)")
    ax.legend(loc="upper right", bbox_to_anchor=(1.0, 0.8), ncol=2, fontsize=5.5)
    return save_figure(fig, out_dir, "dead_relu_rai", formats)


def _render_trained(d, out_dir, formats):
    fig, axes = figure("double", height=2.4, ncols=3)
    lrs = _arr(d["lrs"])
    for key, ax, label in zip(("dead_fraction", "grad_dead_fraction", "accuracy"), axes,
                              ("dead units (z <= 0 on all data)", "gradient-dead units", "training accuracy")):
        for a in d["activations"]:
            ax.semilogx(lrs, _arr(d[key][a]), label=a)
        ax.set_xlabel("Adam learning rate")
        ax.set_ylabel(label)
    axes[0].legend()
    return save_figure(fig, out_dir, "dead_relu_trained", formats)


if __name__ == "__main__":
    from ffbench.studies.framework import main

    main(__name__)
