r"""Vanishing gradients: how back-propagated gradients shrink (or grow) with depth, by activation and init.

Claim: in a deep plain network the gradient reaching layer l is multiplied, layer after layer, by a steady
factor that the initialisation and the activation fix and that theory predicts.  Sigmoid's derivative is at
most 1/4, so with weights of unit scale the gradient shrinks at least 4x per layer (0.25^10 ~ 1e-6 after 10
layers) and the first layers of a deep sigmoid net stop learning.  The standard initialisation
U[-1/sqrt(n), 1/sqrt(n)] has n Var[W] = 1/3, a factor 1/3 per layer in variance in the linear regime (Glorot &
Bengio 2010, "Understanding the difficulty of training deep feedforward neural networks"); for ReLU, Xavier's
n Var[W] = 1 halves the second moment of pre-activations and of gradients at every layer and He's n Var[W] = 2
keeps both (He et al. 2015, "Delving deep into rectifiers").  In general the mean-square factor is
chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2] at the fixed point q* of the length map (Poole et al. 2016; Schoenholz
et al. 2017, "Deep information propagation"): gradients vanish for chi_1 < 1 and explode for chi_1 > 1.

What runs (``ffbench.theory`` has the mean-field formulas):

- probe: a plain network of ``depth`` square layers of ``width`` units (the last one linear), float64, zero
  biases, weights from each initialiser, on one fixed batch ``X`` (``batch`` x ``width``, N(0, 1)) and the
  loss L = sum(R * f(X)) / batch, a fixed random readout R ~ N(0, 1) of the output, so that dL/d(output) =
  R / batch is the same unit-scale signal for every activation and init.  Per layer l: the second moment of
  the pre-activations q_l = mean(Z_l^2), the norm and variance of delta_l = dL/dZ_l, and ||dL/dW_l||.
- factors: the per-layer variance factor of the back-propagated gradient, ||delta_l||^2 / ||delta_{l+1}||^2,
  as a geometric (log-linear least-squares) fit over the middle layers (fraction ``mid`` of the hidden
  layers); its square root is the norm factor, the one sigmoid's 1/4 bounds; the forward factor
  q_{l+1} / q_l the same way.  Theory for the same layers: the length map q_l from q_0 = sigma_w^2 mean(X^2)
  (+ sigma_b^2), chi(q_l) per layer, fitted identically ("mean-field"), and chi_1 at q*.
- sweep: the same probe with W ~ N(0, sigma_w^2 / n), b ~ N(0, sigma_b^2) over a grid of sigma_w^2: the
  order-to-chaos picture.
- training: a deep plain net of each activation trained by plain SGD (Adam's per-parameter scaling would hide
  the effect) on a teacher regression; per-layer gradient norms during training and the relative change of
  each layer's weights.
"""
from __future__ import annotations

import math

import numpy as np

from .. import theory
from ..data import teacher
from ..model import MLP
from ..optim import SGD
from ..style import figure, save_figure, theory as theory_line, theory_hline
from ..train import train
from .framework import Number, claim_close, claim_greater, claim_less, derive_seed

NAME = "vanishing"
VERSION = "1"

DEFAULTS = {
    "seed": 0,
    "activations": ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu"],
    "inits": ["standard_uniform", "xavier_uniform", "he_normal"],
    "negative_slope": 0.01,
    "depth": 50,
    "width": 256,
    "batch": 256,
    "seeds": 3,
    "mid": [0.25, 0.75],
    "histograms": {"runs": [["tanh", "standard_uniform"], ["tanh", "xavier_uniform"]], "layers": 5,
                   "log10_range": [-20.0, 0.0], "bins": 80},
    "sweep": {"activations": ["tanh", "relu"],
              "sigma_w2": [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0],
              "sigma_b2": 0.05, "seeds": 2},
    "training": {"activations": ["sigmoid", "tanh", "relu", "leaky_relu", "gelu", "silu"],
                 "init": "xavier_uniform", "depth": 20, "width": 64, "inputs": 16, "samples": 512,
                 "epochs": 20, "batch_size": 32, "lr": 0.05},
}

QUICK = {
    "depth": 20,
    "width": 64,
    "batch": 64,
    "seeds": 1,
    "sweep": {"sigma_w2": [0.5, 1.0, 2.0, 3.0], "seeds": 1},
    "training": {"depth": 10, "width": 32, "samples": 256, "epochs": 5},
}
CONSTRAINTS = {"sweep.sigma_b2": Number(low=0)}  # zero bias is allowed; the rest is inferred from DEFAULTS

LABELS = {"standard_uniform": "standard", "xavier_uniform": "Xavier", "xavier_normal": "Xavier (normal)",
          "he_normal": "He", "lecun_normal": r"$N(0, \sigma_w^2/n)$"}

# n Var[W] of a (fan_in, fan_out) layer for each initialiser: sigma_w^2 of the mean-field theory.
SIGMA_W2 = {
    "standard_uniform": lambda fan_in, fan_out, params: 1.0 / 3.0,
    "xavier_uniform": lambda fan_in, fan_out, params: params.get("gain", 1.0) ** 2 * 2.0 * fan_in
    / (fan_in + fan_out),
    "xavier_normal": lambda fan_in, fan_out, params: params.get("gain", 1.0) ** 2 * 2.0 * fan_in
    / (fan_in + fan_out),
    "he_normal": lambda fan_in, fan_out, params: 2.0 / (1.0 + params.get("a", 0.0) ** 2),
}

SIGMOID_BOUND = 0.25  # max sigmoid'(z): the per-layer norm factor when n Var[W] = 1
MEAN_FIELD_TOLERANCE = 0.1  # |log(measured / predicted)| of a per-layer variance factor: within ~10%


# ------------------------------------------------------------------------------------------ the sweep

def _act_params(config, act):
    return {"negative_slope": config["negative_slope"]} if act == "leaky_relu" else {}


def _init_params(config, act, init):
    # He et al.'s init for a leaky ReLU of slope a: gain sqrt(2 / (1 + a^2)).
    return {"a": config["negative_slope"]} if init == "he_normal" and act == "leaky_relu" else {}


def _probe_spec(config, act, init, init_params, sigma_w2, sigma_b2, seed_index, part, hist=None):
    width = config["width"]
    return {"kind": "probe", "part": part, "activation": act, "activation_params": _act_params(config, act),
            "init": init, "init_params": init_params, "sigma_w2": sigma_w2, "sigma_b2": sigma_b2,
            "depth": config["depth"], "width": width, "batch": config["batch"], "seed_index": seed_index,
            "seed": derive_seed(config["seed"], part, act, init, init_params, sigma_b2, seed_index),
            "data_seed": derive_seed(config["seed"], "inputs", config["batch"], width), "histogram": hist}


def runs(config):
    hist_cfg = config["histograms"]
    hist_runs = {tuple(r) for r in hist_cfg["runs"]}
    layers = sorted({int(round(x)) for x in np.linspace(0, config["depth"] - 2, hist_cfg["layers"])})
    specs = []
    for act in config["activations"]:
        for init in config["inits"]:
            hist = ({"layers": layers, "log10_range": hist_cfg["log10_range"], "bins": hist_cfg["bins"]}
                    if (act, init) in hist_runs else None)
            params = _init_params(config, act, init)
            sigma_w2 = SIGMA_W2[init](config["width"], config["width"], params)
            specs += [_probe_spec(config, act, init, params, sigma_w2, 0.0, s, "grid", hist if s == 0 else None)
                      for s in range(config["seeds"])]
    sweep = config["sweep"]
    for act in sweep["activations"]:
        for s2 in sweep["sigma_w2"]:
            specs += [_probe_spec(config, act, "lecun_normal", {"gain": math.sqrt(s2)}, s2, sweep["sigma_b2"], s,
                                  "sweep") for s in range(sweep["seeds"])]
    tr = config["training"]
    for act in tr["activations"]:
        specs.append({"kind": "train", "activation": act, "activation_params": _act_params(config, act),
                      "init": tr["init"], "init_params": _init_params(config, act, tr["init"]),
                      **{k: tr[k] for k in ("depth", "width", "inputs", "samples", "epochs", "batch_size",
                                            "lr")},
                      "seed": derive_seed(config["seed"], "train", act, tr["init"]),
                      "data_seed": derive_seed(config["seed"], "train-data", tr["inputs"], tr["samples"])})
    return specs


def _probe(spec):
    """One forward and backward pass of a fresh network on the fixed batch; per-layer statistics."""
    width, depth, batch = spec["width"], spec["depth"], spec["batch"]
    data = np.random.default_rng(spec["data_seed"])
    X = data.standard_normal((batch, width))
    R = data.standard_normal((batch, width))
    model = MLP([width] * (depth + 1), spec["activation"], spec["init"], seed=spec["seed"],
                init_params=spec["init_params"], **spec["activation_params"])
    if spec["sigma_b2"] > 0:
        biases = np.random.default_rng([spec["seed"], 1])
        for b in model.biases:
            b[:] = biases.normal(0.0, math.sqrt(spec["sigma_b2"]), b.shape)
    model.forward(X)
    model.backward(R / batch)
    result = {
        "input_second_moment": float(np.mean(X * X)),
        "q": [float(np.mean(z * z)) for z in model.preactivations],
        "delta_norm": [float(np.linalg.norm(d)) for d in model.deltas],
        "delta_var": [float(np.var(d)) for d in model.deltas],
        "weight_grad_norm": [float(np.linalg.norm(g)) for g in model.grad_weights],
    }
    hist = spec["histogram"]
    if hist is not None:
        edges = np.linspace(*hist["log10_range"], hist["bins"] + 1)
        result["histograms"] = {}
        for l in hist["layers"]:
            d = np.abs(model.deltas[l].ravel())
            nonzero = d[d > 0]
            logs = np.log10(nonzero)
            result["histograms"][str(l)] = {
                "counts": np.histogram(logs, edges)[0], "below": int(np.sum(logs < edges[0])),
                "above": int(np.sum(logs > edges[-1])), "zeros": int(d.size - nonzero.size)}
    return result


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


# ------------------------------------------------------------------------------------------ analysis

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
    """Mean-field q_l and ||delta_l||^2 for the layers of a probe (anchored at the measured output delta)."""
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
    wg = result["weight_grad_norm"]
    return {
        "backward_factor": 1.0 / per_layer_factor(sq, lo, hi),
        "backward_factor_theory": 1.0 / per_layer_factor(norm_th ** 2, lo, hi),
        "forward_factor": per_layer_factor(result["q"], lo, hi),
        "forward_factor_theory": per_layer_factor(q_th, lo, hi),
        "chi1": chi1, "q_star": q_star,
        "first_to_last": wg[0] / wg[-1],
        "delta_first_to_last": result["delta_norm"][0] / result["delta_norm"][-1],
        "q_theory": q_th, "delta_norm_theory": norm_th,
    }


def _geomean(rows):
    return np.exp(np.mean(np.log(np.asarray(rows, dtype=float)), axis=0))


def summarize(config, pairs):
    specs, results = [s for s, _ in pairs], [r for _, r in pairs]
    depth, mid = config["depth"], config["mid"]
    lo, hi = _mid_layers(depth, mid)
    analysed = [_analyse(s, r, mid) if s["kind"] == "probe" else None for s, r in zip(specs, results)]

    grid, rows = {}, []
    for act in config["activations"]:
        for init in config["inits"]:
            idx = [i for i, s in enumerate(specs) if s["kind"] == "probe" and s["part"] == "grid"
                   and s["activation"] == act and s["init"] == init]
            a0, s0 = analysed[idx[0]], specs[idx[0]]
            entry = {key: _geomean([results[i][key] for i in idx])
                     for key in ("q", "delta_norm", "delta_var", "weight_grad_norm")}
            entry.update({key: [analysed[i][key] for i in idx]
                          for key in ("backward_factor", "forward_factor", "first_to_last", "delta_first_to_last")})
            entry.update({key: a0[key] for key in ("backward_factor_theory", "forward_factor_theory", "chi1",
                                                   "q_star", "q_theory", "delta_norm_theory")})
            entry["sigma_w2"] = s0["sigma_w2"]
            entry["norm_factor"] = [math.sqrt(f) for f in entry["backward_factor"]]
            if s0["histogram"] is not None:
                entry["histograms"] = results[idx[0]]["histograms"]
            grid[f"{act}/{init}"] = entry
            for l in range(depth):
                rows.append({"part": "profile", "activation": act, "init": init, "sigma_w2": s0["sigma_w2"],
                             "sigma_b2": 0.0, "layer": l, "q": entry["q"][l],
                             "q_theory": entry["q_theory"][l] if l < depth - 1 else None,
                             "delta_norm": entry["delta_norm"][l],
                             "delta_norm_theory": entry["delta_norm_theory"][l],
                             "delta_var": entry["delta_var"][l], "weight_grad_norm": entry["weight_grad_norm"][l]})
            rows.append({"part": "factor", "activation": act, "init": init, "sigma_w2": s0["sigma_w2"],
                         "sigma_b2": 0.0, "backward_factor": float(np.mean(entry["backward_factor"])),
                         "backward_factor_theory": entry["backward_factor_theory"], "chi1": entry["chi1"],
                         "q_star": entry["q_star"], "forward_factor": float(np.mean(entry["forward_factor"])),
                         "forward_factor_theory": entry["forward_factor_theory"],
                         "first_to_last": float(_geomean(entry["first_to_last"])),
                         "delta_first_to_last": float(_geomean(entry["delta_first_to_last"]))})

    sweep_cfg = config["sweep"]
    sweep = {}
    for act in sweep_cfg["activations"]:
        points = []
        for s2 in sweep_cfg["sigma_w2"]:
            idx = [i for i, s in enumerate(specs) if s["kind"] == "probe" and s["part"] == "sweep"
                   and s["activation"] == act and s["sigma_w2"] == s2]
            a = [analysed[i] for i in idx]
            point = {"sigma_w2": s2, "measured": [x["backward_factor"] for x in a],
                     "mean_field": a[0]["backward_factor_theory"], "chi1": a[0]["chi1"], "q_star": a[0]["q_star"]}
            points.append(point)
            rows.append({"part": "sweep", "activation": act, "init": "lecun_normal", "sigma_w2": s2,
                         "sigma_b2": sweep_cfg["sigma_b2"], "backward_factor": float(np.mean(point["measured"])),
                         "backward_factor_theory": point["mean_field"], "chi1": point["chi1"],
                         "q_star": point["q_star"]})
        fine = np.linspace(min(sweep_cfg["sigma_w2"]), max(sweep_cfg["sigma_w2"]), 121)
        curve = [theory.chi1(act, s2, sweep_cfg["sigma_b2"], **_act_params(config, act))[0] for s2 in fine]
        sweep[act] = {"points": points, "curve_sigma_w2": fine, "curve_chi1": curve}

    training = {}
    for s, r in zip(specs, results):
        if s["kind"] == "train":
            training[s["activation"]] = r
            rows += [{"part": "training", "activation": s["activation"], "init": s["init"], "layer": l,
                      "grad_norm_mean": g, "weight_change": w}
                     for l, (g, w) in enumerate(zip(r["grad_norm_mean"], r["weight_change"]))]

    data = {"grid": grid, "sweep": sweep, "training": training, "mid_layers": [lo, hi],
            "sigmoid_bound": SIGMOID_BOUND}
    return {"data": data, "rows": rows, "claims": _claims(config, grid, sweep, training),
            "table": _table(config, grid)}


def _mean(values):
    return float(np.mean(values))


def _log_ratio(a, b) -> float:
    """|log(a / b)|: inf when one of them is 0 or infinite, NaN when either is NaN."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(abs(np.log(np.float64(a)) - np.log(np.float64(b))))


def _claims(config, grid, sweep, training):
    claims = []
    g = grid.get
    sig = {init: g(f"sigmoid/{init}") for init in config["inits"]}
    for init, note in (("standard_uniform", ""), ("xavier_uniform", ""),
                       ("he_normal", "the 1/4 bound assumes n Var[W] <= 1; He's n Var[W] = 2 gives about "
                                     "sqrt(2) x 1/4 per layer")):
        if sig.get(init) is not None:
            claims.append(claim_less(
                f"sigmoid_{init}_per_layer", f"sigmoid, {LABELS[init]} init: the gradient norm shrinks by at "
                "least 4x per layer (norm factor <= 1/4)", _mean(sig[init]["norm_factor"]), SIGMOID_BOUND,
                note=note))
    if sig.get("xavier_uniform") is not None:
        claims.append(claim_less(
            "sigmoid_xavier_10_layers", "sigmoid, Xavier init: over 10 layers the gradient norm shrinks below "
            "0.25^10 ~ 1e-6", _mean(sig["xavier_uniform"]["norm_factor"]) ** 10, SIGMOID_BOUND ** 10))
    tanh_std = g("tanh/standard_uniform")
    if tanh_std is not None:
        claims.append(claim_close(
            "glorot_standard_tanh", "tanh, standard init: gradient variance factor n Var[W] = 1/3 per layer "
            "(Glorot & Bengio 2010, linear regime)", _mean(tanh_std["backward_factor"]), 1.0 / 3.0, rtol=0.1))
    for init, predicted in (("xavier_uniform", 0.5), ("he_normal", 1.0)):
        e = g(f"relu/{init}")
        if e is None:
            continue
        label = LABELS[init]
        claims.append(claim_close(f"he_relu_{init}_backward", f"ReLU, {label} init: gradient variance factor "
                                  f"{predicted:g} per layer (He et al. 2015)", _mean(e["backward_factor"]),
                                  predicted, rtol=0.1))
        claims.append(claim_close(f"he_relu_{init}_forward", f"ReLU, {label} init: pre-activation second moment "
                                  f"factor {predicted:g} per layer (He et al. 2015)", _mean(e["forward_factor"]),
                                  predicted, rtol=0.1))
    # Mean-field over every activation x init: worst |log(measured / predicted)| of the variance factor.
    errors = {key: _log_ratio(_mean(e["backward_factor"]), e["backward_factor_theory"]) for key, e in grid.items()}
    worst = max(errors, key=errors.get)
    beyond = [key for key in grid if not errors[key] < MEAN_FIELD_TOLERANCE]
    claims.append(claim_less(
        "mean_field_grid", "every activation x init: measured per-layer gradient variance factor matches the "
        "mean-field product of chi(q_l) over the same layers (worst |log ratio|)", errors[worst], 0.0,
        tolerance=MEAN_FIELD_TOLERANCE,
        note=f"worst: {worst}" + (f"; beyond the tolerance: {', '.join(beyond)} (a finite-width effect: "
                                  "those pre-activations drift slowly through q ~ 1, where fluctuations of "
                                  "order 1/sqrt(width) accumulate over layers)" if beyond else "")))
    chi_err, agree, total = {}, 0, 0
    for act, s in sweep.items():
        for p in s["points"]:
            m = _mean(p["measured"])
            chi_err[f"{act}@{p['sigma_w2']:g}"] = _log_ratio(m, p["mean_field"])
            agree += (m > 1) == (p["chi1"] > 1) or _log_ratio(p["chi1"], 1.0) < 0.05
            total += 1
    if chi_err:
        worst = max(chi_err, key=chi_err.get)
        claims.append(claim_less(
            "mean_field_sweep", "sigma_w^2 sweep: measured per-layer factor vs mean-field (worst |log ratio|)",
            chi_err[worst], 0.0, tolerance=MEAN_FIELD_TOLERANCE, note=f"worst: {worst}"))
        claims.append(claim_close(
            "order_to_chaos", "sigma_w^2 sweep: gradients vanish exactly where chi_1 < 1 and explode where "
            "chi_1 > 1 (fraction of sweep points in the predicted phase; |log chi_1| < 0.05 counts as critical)",
            agree / total, 1.0, atol=0.0))
    if "sigmoid" in training:
        w = training["sigmoid"]["weight_change"]
        claims.append(claim_less(
            "training_sigmoid_first_layer_frozen", "training a deep sigmoid net: the first layer's weights move "
            "less than 1% as much (relatively) as the last layer's", w[0] / w[-1], 0.01))
    if "tanh" in training:
        w = training["tanh"]["weight_change"]
        claims.append(claim_greater(
            "training_tanh_first_layer_learns", "training a deep tanh net (chi_1 ~ 1 with Xavier): the first "
            "layer's weights move at least 10% as much (relatively) as the last layer's", w[0] / w[-1], 0.1))
    return claims


def _table(config, grid):
    header = f"{'activation':<11} {'init':<9} {'sigma_w2':>8} {'var factor':>10} {'mean-field':>10} " \
             f"{'chi_1':>8} {'q factor':>9} {'|d_0|/|d_L|':>11} {'|dW_0|/|dW_L|':>13}"
    lines = [f"Per-layer factors over hidden layers {_mid_layers(config['depth'], config['mid'])} "
             f"(depth {config['depth']}, width {config['width']}, {config['seeds']} seed(s))", header]
    for key, e in grid.items():
        act, init = key.split("/")
        lines.append(f"{act:<11} {LABELS.get(init, init):<9} {e['sigma_w2']:>8.4g} "
                     f"{_mean(e['backward_factor']):>10.4g} {e['backward_factor_theory']:>10.4g} "
                     f"{e['chi1']:>8.4g} {_mean(e['forward_factor']):>9.4g} "
                     f"{float(_geomean(e['delta_first_to_last'])):>11.3g} "
                     f"{float(_geomean(e['first_to_last'])):>13.3g}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ figures

def _grid_axes(n):
    ncols = 3
    nrows = (n + ncols - 1) // ncols
    fig, axes = figure("double", height=2.0 * nrows + 0.4, nrows=nrows, ncols=ncols, squeeze=False,
                       sharex=True)
    return fig, axes.ravel()


def _render_profiles(record, out_dir, formats, key, theory_key, stem, ylabel):
    config, grid = record["config"], record["data"]["grid"]
    fig, axes = _grid_axes(len(config["activations"]))
    depth = config["depth"]
    layers = np.arange(depth)
    mark = max(1, depth // 10)
    for ax, act in zip(axes, config["activations"]):
        for i, init in enumerate(config["inits"]):
            e = grid[f"{act}/{init}"]
            # Hidden layers only: the output layer is linear, outside the theory's recursion.
            values = np.asarray(e[key], dtype=float)[:depth - 1]
            ax.semilogy(layers[:depth - 1], values, markevery=mark, label=LABELS.get(init, init))
            th = np.asarray(e[theory_key], dtype=float)[:depth - 1]
            theory_line(ax, layers[:depth - 1], th, label="mean-field" if i == 0 else None)
        if key == "delta_norm" and act == "sigmoid":
            top = grid[f"{act}/{config['inits'][0]}"]["delta_norm"][-1]
            hidden = layers[:depth - 1]
            theory_line(ax, hidden, top * record["data"]["sigmoid_bound"] ** (depth - 1 - hidden),
                        label=r"$4^{-(L-l)}$ bound", linestyle=":", color="0.1")
        ax.set_title(act)
        ax.set_xlabel("layer $l$ (0 = input side)")
        ax.set_ylabel(ylabel)
    for ax in axes[len(config["activations"]):]:
        ax.set_visible(False)
    axes[0].legend(loc="lower right" if key == "delta_norm" else "best", fontsize=6)
    return save_figure(fig, out_dir, stem, formats)


def _render_histograms(record, out_dir, formats):
    grid = record["data"]["grid"]
    entries = [(key, e) for key, e in grid.items() if "histograms" in e]
    cfg = record["config"]["histograms"]
    edges = np.linspace(*cfg["log10_range"], cfg["bins"] + 1)
    centers = 0.5 * (edges[1:] + edges[:-1])
    fig, axes = figure("double", height=2.4, ncols=max(len(entries), 1), squeeze=False, sharey=True)
    for ax, (key, e) in zip(axes.ravel(), entries):
        act, init = key.split("/")
        for l, h in sorted(e["histograms"].items(), key=lambda kv: int(kv[0])):
            counts = np.asarray(h["counts"], dtype=float)
            total = counts.sum() + h["below"] + h["above"] + h["zeros"]
            ax.plot(centers, counts / total, drawstyle="steps-mid", marker="", label=f"layer {int(l)}")
        ax.set_title(f"{act}, {LABELS.get(init, init)} init")
        ax.set_xlabel(r"$\log_{10} |\partial L / \partial Z_l|$")
    axes.ravel()[0].set_ylabel("fraction of entries")
    axes.ravel()[0].legend(loc="upper left")
    return save_figure(fig, out_dir, "vanishing_histograms", formats)


def _render_chi(record, out_dir, formats):
    data = record["data"]
    fig, (ax, bx) = figure("double", height=2.8, ncols=2)
    for act in record["config"]["sweep"]["activations"]:  # config order: the record's keys are sorted
        s = data["sweep"][act]
        pts = s["points"]
        x = [p["sigma_w2"] for p in pts]
        line, = ax.semilogy(x, [_mean(p["measured"]) for p in pts], linestyle="", label=f"{act}, measured")
        theory_line(ax, s["curve_sigma_w2"], s["curve_chi1"], label=rf"{act}, $\chi_1$ at $q^*$",
                    color=line.get_color())
        ax.plot(x, [p["mean_field"] for p in pts], linestyle="", marker="x", color=line.get_color(),
                markersize=3, label=f"{act}, mean-field (same layers)")
    theory_hline(ax, 1.0)
    sigma_b2 = record["config"]["sweep"]["sigma_b2"]
    ax.set_xlabel(rf"$\sigma_w^2 = n\,\mathrm{{Var}}[W]$  ($\sigma_b^2$ = {sigma_b2:g})")
    ax.set_ylabel("per-layer gradient variance factor")
    ax.set_title("order (< 1) to chaos (> 1)")
    ax.legend(loc="lower right", fontsize=6)
    pred = [e["chi1"] for e in data["grid"].values()]
    meas = [_mean(e["backward_factor"]) for e in data["grid"].values()]
    for act in record["config"]["activations"]:
        keys = [k for k in data["grid"] if k.split("/")[0] == act]
        bx.loglog([data["grid"][k]["chi1"] for k in keys], [_mean(data["grid"][k]["backward_factor"]) for k in keys],
                  linestyle="", label=act)
    lim = np.array([min(pred + meas) / 1.5, max(pred + meas) * 1.5])
    theory_line(bx, lim, lim, label="measured = $\\chi_1$")
    bx.set_xlabel(r"$\chi_1 = \sigma_w^2 E[\phi'(\sqrt{q^*} z)^2]$")
    bx.set_ylabel("measured per-layer factor")
    bx.set_title("activations x inits (standard, Xavier, He)")
    bx.legend(loc="upper left", fontsize=6)
    return save_figure(fig, out_dir, "vanishing_chi", formats)


def _render_training(record, out_dir, formats):
    training = record["data"]["training"]
    cfg = record["config"]["training"]
    fig, axes = figure("double", height=2.5, ncols=3)
    for act in cfg["activations"]:
        r = training[act]
        loss = np.asarray(r["epoch_loss"], dtype=float)
        axes[0].semilogy(np.arange(1, len(loss) + 1), loss, label=act, markevery=max(1, len(loss) // 8))
        layers = np.arange(len(r["weight_change"]))
        axes[1].semilogy(layers, r["grad_norm_mean"], label=act)
        axes[2].semilogy(layers, r["weight_change"], label=act)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training loss (MSE)")
    axes[1].set_xlabel("layer $l$")
    axes[1].set_ylabel(r"mean $\|\partial L/\partial W_l\|$ during training")
    axes[2].set_xlabel("layer $l$")
    axes[2].set_ylabel(r"$\|W_l - W_l^{(0)}\| / \|W_l^{(0)}\|$")
    axes[0].set_title(f"depth {cfg['depth']}, {LABELS.get(cfg['init'], cfg['init'])} init, SGD")
    axes[2].legend(loc="best", fontsize=6)
    return save_figure(fig, out_dir, "vanishing_training", formats)


def render(record, out_dir, formats):
    paths = []
    paths += _render_profiles(record, out_dir, formats, "delta_norm", "delta_norm_theory", "vanishing_gradients",
                              r"$\|\partial L/\partial Z_l\|$")
    paths += _render_profiles(record, out_dir, formats, "q", "q_theory", "vanishing_preactivations",
                              r"$q_l = E[Z_l^2]$")
    paths += _render_histograms(record, out_dir, formats)
    paths += _render_chi(record, out_dir, formats)
    paths += _render_training(record, out_dir, formats)
    return paths


if __name__ == "__main__":
    from .framework import main

    main(__name__)
