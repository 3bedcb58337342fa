r"""Vanishing gradients: how back-propagated gradients shrink (or grow) with depth, by activation and init.

Claim: in a deep plain network the gradient reaching layer l is multiplied, layer after layer, by a steady
factor that the initialisation and the activation fix and that theory predicts.

- The sigmoid bound (Hochreiter 1991; Glorot & Bengio 2010): for :math:`\delta_l = (\delta_{l+1} W^T) \odot
  \sigma'(Z_l)` with W independent of :math:`\delta_{l+1}`, :math:`E\|\delta_{l+1} W^T\|^2 = \sigma_w^2
  \|\delta_{l+1}\|^2` (:math:`\sigma_w^2 = n\,\mathrm{Var}[W]`) and :math:`\sigma' \le 1/4`, so the root-mean-square
  norm factor per layer is at most :math:`\sqrt{\sigma_w^2}/4`: 0.144 for the standard init (1/3), 0.25 for
  Xavier (1), 0.354 for He (2).  The typical (geometric-mean) factor is below the root mean square (Jensen).
  The tight prediction is :math:`\sqrt{\chi_1}` (below).
- Glorot & Bengio (2010, "Understanding the difficulty of training deep feedforward neural networks", Sec. 4.2.1):
  the standard init U[-1/sqrt(n), 1/sqrt(n)] has n Var[W] = 1/3, a variance factor 1/3 per layer in the linear
  regime (tanh near 0).  He et al. (2015, "Delving deep into rectifiers", Sec. 2.2): for ReLU, Xavier's
  n Var[W] = 1 halves the second moment of pre-activations and of gradients per layer, He's n Var[W] = 2 keeps both.
- Mean field (Poole et al. 2016; Schoenholz et al. 2017, "Deep information propagation", its backpropagation): the
  mean-square factor of layer l is :math:`\chi(q_l) = \sigma_w^2 E[\phi'(\sqrt{q_l} z)^2]`, tending to
  :math:`\chi_1 = \chi(q^*)` at the fixed point of the length map: order (vanishing) for :math:`\chi_1 < 1`, chaos
  for :math:`\chi_1 > 1`.  It is an infinite-width prediction.  At width n the measured factor differs at order
  1/n per layer (for ReLU and one input the typical factor drifts by -5/(2n) in log, Hanin 2018; see the residual
  study); the claims allow that much plus a Student t tolerance over seeds at alpha 0.01 (``claim_mean``; the
  worst-cell claims split alpha over their K cells, Bonferroni), and cells whose pre-activations cross
  q ~ 1 slowly (GELU + He), where the 1/sqrt(n) fluctuations of q_l accumulate over layers (at width 256 the
  factor is 0.70 +- 0.23, sd over 10 seeds, against 0.514), are judged at a width that can judge them (``wide``).

What runs (``ffbench.theory`` has the mean-field formulas):

- probe: a plain network of ``depth`` square layers of ``width`` units (the last one linear), float64, zero
  biases, weights from each initialiser, on one fixed batch ``X`` (``batch`` x ``width``, N(0, 1)) and the loss
  L = sum(R * f(X)) / batch with a fixed random readout R ~ N(0, 1), so that every network receives the same
  unit-scale signal at its output.  Per layer l: q_l = mean(Z_l^2), the norm and variance of delta_l = dL/dZ_l,
  and ||dL/dW_l||.
- factors: the per-layer variance factor ||delta_l||^2 / ||delta_{l+1}||^2 as a geometric (log-linear
  least-squares) fit over the middle layers (fraction ``mid`` of the hidden layers), its square root the norm
  factor, the forward factor q_{l+1} / q_l the same way; the mean-field product of chi(q_l) over the same layers
  (q_l from the length map started at the measured q_0) fitted identically.
- wide: the ``wide.cells`` again at ``wide.width``.
- sweep: W ~ N(0, sigma_w^2 / n), b ~ N(0, sigma_b^2) over a grid of sigma_w^2 (order to chaos); the measured
  critical sigma_w^2 (where the factor crosses 1, interpolated in log) against the root of chi_1 = 1.
- training: a deep plain net of each activation trained by plain SGD on a teacher regression; per-layer gradient
  norms during training and the relative change of each layer's weights (observations: no theorem predicts them).
"""
from __future__ import annotations

import math

import numpy as np

from ffbench import theory
from ffbench.data import teacher
from ffbench.model import MLP
from ffbench.optim import SGD
from ffbench.studies.framework import Name, Number, derive_seed, group
from ffbench.train import train

from .claims import study_claims
from .figures import render  # noqa: F401  (the study contract's render)
from .probe import probe as _probe

NAME = "vanishing"
VERSION = "2"

DEFAULTS = {
    "seed": 0,
    "activations": ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu"],
    "inits": ["standard_uniform", "xavier_uniform", "he_normal"],
    "negative_slope": 0.01,
    "depth": 50,
    "width": 256,
    "batch": 256,
    "seeds": 4,
    "mid": [0.25, 0.75],
    "wide": {"cells": [["gelu", "he_normal"]], "width": 2048, "seeds": 4},
    "histograms": {"runs": [["tanh", "standard_uniform"], ["tanh", "xavier_uniform"]], "layers": 5,
                   "log10_range": [-20.0, 0.0], "bins": 80},
    "sweep": {"activations": ["tanh", "relu"],
              "sigma_w2": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0],
              "sigma_b2": 0.05, "seeds": 4},
    "training": {"activations": ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu"],
                 "init": "xavier_uniform", "depth": 20, "width": 64, "inputs": 16, "samples": 512,
                 "epochs": 20, "batch_size": 32, "lr": 0.05},
}

QUICK = {
    "depth": 20,
    "width": 64,
    "batch": 64,
    "seeds": 3,
    "wide": {"width": 128, "seeds": 3},
    "sweep": {"sigma_w2": [0.5, 1.0, 1.5, 2.0, 2.5, 3.0], "seeds": 3},
    "training": {"depth": 10, "width": 32, "samples": 256, "epochs": 5},
}



def _cell(value):
    """A config cell ``[activation, init]`` (``wide.cells``, ``histograms.runs``): a problem string or None."""
    if not (isinstance(value, list) and len(value) == 2):
        return "must be an [activation, init] pair"
    return Name("activation")(value[0]) or Name("init")(value[1])


CONSTRAINTS = {"sweep.sigma_b2": Number(low=0), "wide.cells": _cell, "histograms.runs": _cell}

# n Var[W] of a (fan_in, fan_out) layer for each initialiser: sigma_w^2 of the mean-field theory.
SIGMA_W2 = {
    "standard_uniform": lambda fan_in, fan_out, params: 1.0 / 3.0,
    "xavier_uniform": lambda fan_in, fan_out, params: params.get("gain", 1.0) ** 2 * 2.0 * fan_in
    / (fan_in + fan_out),
    "xavier_normal": lambda fan_in, fan_out, params: params.get("gain", 1.0) ** 2 * 2.0 * fan_in
    / (fan_in + fan_out),
    "he_normal": lambda fan_in, fan_out, params: 2.0 / (1.0 + params.get("a", 0.0) ** 2),
}

# ------------------------------------------------------------------------------------------ experiment

def _act_params(config, act):
    return {"negative_slope": config["negative_slope"]} if act == "leaky_relu" else {}


def _init_params(config, act, init):
    # He et al.'s init for a leaky ReLU of slope a: gain sqrt(2 / (1 + a^2)).
    return {"a": config["negative_slope"]} if init == "he_normal" and act == "leaky_relu" else {}


def _probe_spec(config, act, init, init_params, sigma_w2, sigma_b2, seed_index, part, width, hist=None):
    return {"kind": "probe", "part": part, "activation": act, "activation_params": _act_params(config, act),
            "init": init, "init_params": init_params, "sigma_w2": sigma_w2, "sigma_b2": sigma_b2,
            "depth": config["depth"], "width": width, "batch": config["batch"], "seed_index": seed_index,
            "seed": derive_seed(config["seed"], part, act, init, init_params, sigma_b2, seed_index, width),
            "data_seed": derive_seed(config["seed"], "inputs", config["batch"], width), "histogram": hist}


def _grid_specs(config, part, cells, width, seeds, hist_for=()):
    hist_cfg = config["histograms"]
    layers = sorted({int(round(x)) for x in np.linspace(0, config["depth"] - 2, hist_cfg["layers"])})
    hist = {"layers": layers, "log10_range": hist_cfg["log10_range"], "bins": hist_cfg["bins"]}
    specs = []
    for act, init in cells:
        params = _init_params(config, act, init)
        sigma_w2 = SIGMA_W2[init](width, width, params)
        specs += [_probe_spec(config, act, init, params, sigma_w2, 0.0, s, part, width,
                              hist if s == 0 and (act, init) in hist_for else None) for s in range(seeds)]
    return specs


def runs(config):
    cells = [(a, i) for a in config["activations"] for i in config["inits"]]
    hist_runs = {tuple(r) for r in config["histograms"]["runs"]}
    specs = _grid_specs(config, "grid", cells, config["width"], config["seeds"], hist_runs)
    wide = config["wide"]
    specs += _grid_specs(config, "wide", [tuple(c) for c in wide["cells"]], wide["width"], wide["seeds"])
    sweep = config["sweep"]
    for act in sweep["activations"]:
        for s2 in sweep["sigma_w2"]:
            specs += [_probe_spec(config, act, "lecun_normal", {"gain": math.sqrt(s2)}, s2, sweep["sigma_b2"], s,
                                  "sweep", config["width"]) for s in range(sweep["seeds"])]
    tr = config["training"]
    for act in tr["activations"]:
        specs.append({"kind": "train", "activation": act, "activation_params": _act_params(config, act),
                      "init": tr["init"], "init_params": _init_params(config, act, tr["init"]),
                      **{k: tr[k] for k in ("depth", "width", "inputs", "samples", "epochs", "batch_size",
                                            "lr")},
                      "seed": derive_seed(config["seed"], "train", act, tr["init"]),
                      "data_seed": derive_seed(config["seed"], "train-data", tr["inputs"], tr["samples"])})
    return specs


def _train(spec):
    """A deep plain network trained by SGD on a teacher regression; per-layer gradient norms and weight change."""
    X, y = teacher(spec["samples"], [spec["inputs"], 32, 1], "tanh", seed=spec["data_seed"])
    sizes = [spec["inputs"]] + [spec["width"]] * (spec["depth"] - 1) + [1]
    model = MLP(sizes, spec["activation"], spec["init"], seed=spec["seed"], init_params=spec["init_params"],
                **spec["activation_params"])
    initial = [w.copy() for w in model.weights]
    history = train(model, X, y, "mse", SGD(model, lr=spec["lr"]), epochs=spec["epochs"],
                    batch_size=spec["batch_size"], seed=spec["seed"], record_grad_norms=True)
    norms = np.asarray(history.grad_norms)  # (layers, steps)
    return {
        "epoch_loss": history.epoch_loss, "diverged": history.diverged,
        "grad_norm_mean": norms.mean(axis=1),
        "weight_change": [float(np.linalg.norm(w - w0) / np.linalg.norm(w0))
                          for w, w0 in zip(model.weights, initial)],
    }


KINDS = {"probe": _probe, "train": _train}


def run(spec):
    return KINDS[spec["kind"]](spec)


# ------------------------------------------------------------------------------------------ numbers

def _mid_layers(depth, mid):
    """The hidden layers [lo, hi) over which the steady factor is fitted."""
    hidden = depth - 1
    lo, hi = int(math.floor(mid[0] * hidden)), int(math.ceil(mid[1] * hidden))
    return lo, max(hi, lo + 2)


def per_layer_factor(values, lo, hi) -> float:
    """exp of the least-squares slope of log(values[l]) over l in [lo, hi): the steady factor
    values[l+1] / values[l] (NaN if any value there is 0 or not finite)."""
    v = np.asarray(values[lo:hi], dtype=float)
    if not np.all(np.isfinite(v) & (v > 0)):
        return math.nan
    slope = np.polyfit(np.arange(lo, hi), np.log(v), 1)[0]
    return float(np.exp(slope))


def _theory_profiles(spec, result):
    """Mean-field q_l and ||delta_l|| for the layers of a probe (anchored at the measured output delta)."""
    act, params, depth = spec["activation"], spec["activation_params"], spec["depth"]
    s2, b2 = spec["sigma_w2"], spec["sigma_b2"]
    q = theory.q_profile(act, s2 * result["input_second_moment"] + b2, s2, b2, depth - 1, **params)
    chis = np.array([theory.chi(act, ql, s2, **params) for ql in q])
    # delta_l = (delta_{l+1} W_{l+1}^T) * phi'(Z_l): mean square times chi(q_l), from the output's delta down.
    sq = np.empty(depth)
    sq[-1] = result["delta_norm"][-1] ** 2
    for l in range(depth - 2, -1, -1):
        sq[l] = sq[l + 1] * chis[l]
    return q, np.sqrt(sq)


def _analyse(spec, result, mid):
    lo, hi = _mid_layers(spec["depth"], mid)
    q_th, norm_th = _theory_profiles(spec, result)
    sq = np.asarray(result["delta_norm"]) ** 2
    chi1, q_star = theory.chi1(spec["activation"], spec["sigma_w2"], spec["sigma_b2"],
                               **spec["activation_params"])
    wg, dn = result["weight_grad_norm"], result["delta_norm"]
    return {
        "backward_factor": 1.0 / per_layer_factor(sq, lo, hi),
        "backward_factor_theory": 1.0 / per_layer_factor(norm_th ** 2, lo, hi),
        "forward_factor": per_layer_factor(result["q"], lo, hi),
        "forward_factor_theory": per_layer_factor(q_th, lo, hi),
        "chi1": chi1, "q_star": q_star, "first_to_last": wg[0] / wg[-1],
        "delta_first_to_last": dn[0] / dn[-1], "ten_layers": dn[lo] / dn[min(lo + 10, len(dn) - 1)],
        "q_theory": q_th, "delta_norm_theory": norm_th,
    }


def _geomean(rows):
    return np.exp(np.mean(np.log(np.asarray(rows, dtype=float)), axis=0))


PER_SEED = ("backward_factor", "forward_factor", "first_to_last", "delta_first_to_last", "ten_layers")
SHARED = ("backward_factor_theory", "forward_factor_theory", "chi1", "q_star", "q_theory", "delta_norm_theory")


def _cells(config, pairs):
    """{"act/init": entry} over probe pairs: per-seed factors, geometric-mean profiles, theory."""
    cells = {}
    for key, members in group([({**s, "cell": f"{s['activation']}/{s['init']}"}, r) for s, r in pairs],
                              "cell").items():
        s0 = members[0][0]
        analysed = [_analyse(s, r, config["mid"]) for s, r in members]
        entry = {k: _geomean([r[k] for _, r in members]) for k in ("q", "delta_norm", "delta_var", "weight_grad_norm")}
        entry.update({k: [a[k] for a in analysed] for k in PER_SEED})
        entry.update({k: analysed[0][k] for k in SHARED})
        entry.update(sigma_w2=s0["sigma_w2"], width=s0["width"],
                     norm_factor=[math.sqrt(f) for f in entry["backward_factor"]])
        if s0["histogram"] is not None:
            entry["histograms"] = members[0][1]["histograms"]
        cells[key] = entry
    return cells


def _sweep(config, pairs):
    sweep_cfg, out = config["sweep"], {}
    for act in sweep_cfg["activations"]:
        points = []
        for s2 in sweep_cfg["sigma_w2"]:
            a = [_analyse(s, r, config["mid"]) for s, r in pairs if s["activation"] == act and s["sigma_w2"] == s2]
            points.append({"sigma_w2": s2, "measured": [x["backward_factor"] for x in a],
                           "mean_field": a[0]["backward_factor_theory"], "chi1": a[0]["chi1"],
                           "q_star": a[0]["q_star"]})
        fine = np.linspace(min(sweep_cfg["sigma_w2"]), max(sweep_cfg["sigma_w2"]), 121)
        curve = [theory.chi1(act, s2, sweep_cfg["sigma_b2"], **_act_params(config, act))[0] for s2 in fine]
        out[act] = {"points": points, "curve_sigma_w2": fine, "curve_chi1": curve,
                    "critical": critical_sigma_w2(act, sweep_cfg["sigma_b2"], min(sweep_cfg["sigma_w2"]),
                                                  max(sweep_cfg["sigma_w2"]), **_act_params(config, act)),
                    "crossing": crossing([p["sigma_w2"] for p in points], [p["measured"] for p in points]),
                    "crossing_mean_field": crossing([p["sigma_w2"] for p in points],
                                                    [[p["mean_field"]] for p in points])}
    return out


def critical_sigma_w2(act, sigma_b2, lo, hi, **params) -> float | None:
    """The root of chi_1(sigma_w^2) = 1 in [lo, hi] by bisection (chi_1 increases with sigma_w^2); None if none."""
    f = lambda s2: theory.chi1(act, s2, sigma_b2, **params)[0] - 1.0  # noqa: E731
    if not f(lo) < 0 <= f(hi):
        return None
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return 0.5 * (lo + hi)


def crossing(sigma_w2, factors) -> dict:
    """Where the mean log factor over seeds first crosses 0 (factor 1), by linear interpolation in sigma_w^2,
    and its standard error propagated from the seeds' spread at the two bracketing points (None without one)."""
    x = np.asarray(sigma_w2, dtype=float)
    logs = [np.log(np.asarray(f, dtype=float)) for f in factors]
    y = np.array([v.mean() for v in logs])
    se = np.array([v.std(ddof=1) / math.sqrt(v.size) if v.size > 1 else math.nan for v in logs])
    for i in range(len(x) - 1):
        if y[i] < 0 <= y[i + 1]:
            t = -y[i] / (y[i + 1] - y[i])
            slope = (y[i + 1] - y[i]) / (x[i + 1] - x[i])
            spread = math.hypot((1 - t) * se[i], t * se[i + 1]) / slope
            return {"at": float(x[i] + t * (x[i + 1] - x[i])), "se": spread if math.isfinite(spread) else None}
    return {"at": None, "se": None}


def summarize(config, pairs):
    kinds = group(pairs, "kind", KINDS)
    parts = group(kinds["probe"], "part", ("grid", "wide", "sweep"))
    grid, wide, sweep = _cells(config, parts["grid"]), _cells(config, parts["wide"]), _sweep(config, parts["sweep"])
    training = {s["activation"]: r for s, r in kinds["train"]}
    data = {"grid": grid, "wide": wide, "sweep": sweep, "training": training,
            "mid_layers": list(_mid_layers(config["depth"], config["mid"]))}
    return {"data": data, "rows": _rows(config, grid, sweep, training),
            "claims": study_claims(config, grid, wide, sweep, training), "table": _table(config, grid)}


def _rows(config, grid, sweep, training):
    rows = []
    for key, e in grid.items():
        act, init = key.split("/")
        base = {"activation": act, "init": init, "sigma_w2": e["sigma_w2"], "sigma_b2": 0.0}
        rows += [{"part": "profile", **base, "layer": l, "q": e["q"][l],
                  "q_theory": e["q_theory"][l] if l < config["depth"] - 1 else None,
                  "delta_norm": e["delta_norm"][l], "delta_norm_theory": e["delta_norm_theory"][l],
                  "delta_var": e["delta_var"][l], "weight_grad_norm": e["weight_grad_norm"][l]}
                 for l in range(config["depth"])]
        rows.append({"part": "factor", **base, "backward_factor": float(np.mean(e["backward_factor"])),
                     **{k: e[k] for k in ("backward_factor_theory", "chi1", "q_star", "forward_factor_theory")},
                     "forward_factor": float(np.mean(e["forward_factor"])),
                     "first_to_last": float(_geomean(e["first_to_last"])),
                     "delta_first_to_last": float(_geomean(e["delta_first_to_last"]))})
    for act, s in sweep.items():
        rows += [{"part": "sweep", "activation": act, "init": "lecun_normal", "sigma_w2": p["sigma_w2"],
                  "sigma_b2": config["sweep"]["sigma_b2"], "backward_factor": float(np.mean(p["measured"])),
                  "backward_factor_theory": p["mean_field"], "chi1": p["chi1"], "q_star": p["q_star"]}
                 for p in s["points"]]
    for act, r in training.items():
        rows += [{"part": "training", "activation": act, "init": config["training"]["init"], "layer": l,
                  "grad_norm_mean": g, "weight_change": w}
                 for l, (g, w) in enumerate(zip(r["grad_norm_mean"], r["weight_change"]))]
    return rows


def _table(config, grid):
    header = f"{'activation':<11} {'init':<17} {'sigma_w2':>8} {'var factor':>10} {'mean-field':>10} " \
             f"{'chi_1':>8} {'q factor':>9} {'|d_0|/|d_L|':>11} {'|dW_0|/|dW_L|':>13}"
    lines = [f"Per-layer factors over hidden layers {_mid_layers(config['depth'], config['mid'])} "
             f"(depth {config['depth']}, width {config['width']}, {config['seeds']} seed(s))", header]
    for key, e in grid.items():
        act, init = key.split("/")
        lines.append(f"{act:<11} {init:<17} {e['sigma_w2']:>8.4g} "
                     f"{np.mean(e['backward_factor']):>10.4g} {e['backward_factor_theory']:>10.4g} "
                     f"{e['chi1']:>8.4g} {np.mean(e['forward_factor']):>9.4g} "
                     f"{float(_geomean(e['delta_first_to_last'])):>11.3g} "
                     f"{float(_geomean(e['first_to_last'])):>13.3g}")
    return "\n".join(lines)
