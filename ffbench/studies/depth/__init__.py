r"""Depth is compression: Telgarsky's sawtooth (Telgarsky 2016, "Benefits of depth in neural networks").

The tent map :math:`T(x) = 2\,\mathrm{relu}(x) - 4\,\mathrm{relu}(x - 1/2)` on [0, 1] is one ReLU layer of 2
units.  Composed k times (k hidden layers of 2 units, 6k + 1 parameters) it gives the sawtooth
:math:`T^k` with :math:`2^k` linear pieces and :math:`2^k` crossings of 1/2.  A one-hidden-layer ReLU net of
width w on a 1-D input is piecewise linear with at most w + 1 pieces, so it needs about :math:`2^k` units.

Measured:

1. **Exact construction.**  The network's piecewise-linear function is propagated exactly, layer by layer,
   in rational arithmetic (``fractions.Fraction``): every zero crossing of every unit's pre-activation
   becomes a knot, so the knots hold all breakpoints.  Pieces (maximal intervals of constant slope) and
   crossings of 1/2 are counted for k = 1..``max_k``, and ffbench's ``MLP.forward`` at the knots is
   compared with the exact values (dyadic rationals, exact in float64).
2. **Shallow nets of width w** against :math:`T^k`: (a) w ReLUs at uniform knots with the output layer
   fitted by least squares (the best net with those knots; exact at w = 2^k), (b) a trained
   ``MLP([1, w, 1])`` (Adam, mse, full batch, on the input mapped to [-1, 1]).  Next to the lower bound
   from counting pieces: a function with p pieces changes side of 1/2 at most p times, so it is on the
   wrong side of 1/2 on at least :math:`2^{k-1} - p` of the :math:`2^k + 1` triangles of
   :math:`|T^k - 1/2|` (interior area :math:`2^{-k-2}`, two end ones of half that), giving

   .. math::  \int_0^1 |f - T^k| \ge \max(0,\, 2^{k-1} - w - 2)\,2^{-k-2} \qquad (p \le w + 1),

   and the RMS error is at least the L1 error on [0, 1].
3. **Trained deep-narrow vs shallow-wide** at equal parameter counts on :math:`T^k` (k = ``compare_k``):
   deep nets of width 2 (the construction's architecture, 6k + 1 parameters, which can be exact), 4
   and 8, against one hidden layer with the same number of parameters (within 1).  Same data,
   optimiser and epochs, several seeds.  Telgarsky's theorem says a deep net *exists* that shallow ones
   cannot match; it says nothing about what gradient training finds.  So what training finds is reported as
   observations, not claims: width-2 deep nets mostly collapse to a constant (a layer dead on the whole input
   range, at init or during training: the born-dead effect of Lu et al. 2020, the collapse of Lu, Su &
   Karniadakis 2018), and none finds the exact construction.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ffbench import MLP, data
from ffbench.optim import Adam
from ffbench.studies.claims import claim_close, observation
from ffbench.studies.framework import derive_seed, group
from ffbench.train import train

from .construction import (count_crossings, count_pieces, exact_pwl, piece_lower_bound, shallow_exact, tent_mlp,
                           tent_network)
from .figures import render  # noqa: F401  (the study contract's render)

NAME = "depth"
VERSION = "2"
DEFAULTS = {
    "seed": 0,
    "max_k": 10,
    "shallow_k": [2, 3, 4, 5, 6],
    "shallow_widths": [2, 4, 8, 16, 32, 64],
    "points": 1024,
    "epochs": 4000,
    "lr": 0.01,
    "compare_k": 4,
    "compare_widths": [2, 4, 8],
    "compare_repeats": 5,
    "picture_k": [1, 2, 3],
}
QUICK = {"max_k": 8, "shallow_k": [2, 3, 4], "shallow_widths": [2, 4, 8, 16], "points": 512, "epochs": 1500,
         "compare_k": 3, "compare_widths": [2, 8], "compare_repeats": 2}

PLOT_POINTS = 1025
FAIL_FRACTION = 0.9  # a trained net whose MSE is above 0.9 x Var(T^k) = 0.9/12 learned (almost) nothing


# ------------------------------------------------------------------------------------------------ runs

def _run_exact(spec):
    k = spec["k"]
    weights, biases = tent_network(k)
    knots, values = exact_pwl(weights, biases)
    xs = np.array([float(x) for x in knots])[:, None]
    mlp_error = float(np.max(np.abs(tent_mlp(k).forward(xs)[:, 0] - np.array([float(v) for v in values]))))
    target_error = float(np.max(np.abs(data.target("sawtooth", k=k)(xs[:, 0]) - np.array([float(v) for v in values]))))
    # The same counts for the shallow width-2^k net that interpolates T^k (knots j / 2^k).
    sw, sb = shallow_exact(k)
    s_knots, s_values = exact_pwl(sw, sb)
    return {"pieces": count_pieces(knots, values), "crossings": count_crossings(values), "knots": len(knots),
            "units": 2 * k, "parameters": 6 * k + 1, "mlp_max_error": mlp_error, "target_max_error": target_error,
            "shallow_units": 2 ** k, "shallow_pieces": count_pieces(s_knots, s_values),
            "shallow_crossings": count_crossings(s_values),
            "shallow_max_error": float(max(abs(a - b) for a, b in zip(
                s_values, [Fraction(v) for v in data.target("sawtooth", k=k)(np.array([float(x) for x in s_knots]))])))}


# ---------------------------------------------------------------------------------------- shallow fits

def _centred(X):
    """[0, 1] -> [-1, 1]: the nets see a centred input, so the ReLU kinks of a standard init (-b/w with
    b ~ U(-1, 1)) fall inside the data.  On raw [0, 1] inputs training stalls near the mean far more often."""
    return 2.0 * X - 1.0


def _model(sizes, spec):
    """A ReLU ``MLP(sizes)``: He init, PyTorch-style uniform biases."""
    return MLP(sizes, activation="relu", init="he_normal", seed=spec["seed"], bias_init="standard_uniform")


def _fit(model, X, y, spec):
    """Train ``model`` full-batch with Adam on (centred X, y); returns the history."""
    return train(model, _centred(X), y, loss="mse", optimizer=Adam(model, lr=spec["lr"]), epochs=spec["epochs"],
                 batch_size=spec["points"], seed=spec["seed"])


def is_constant(values):
    """True when a network's outputs on a grid are all the same float: a ReLU net with a layer dead on the
    whole grid computes the same numbers for every input after it (born dead, Lu et al. 2020)."""
    return bool(np.ptp(values) == 0.0)


def _errors(pred, target):
    err = pred - target
    return float(np.mean(np.abs(err))), float(np.sqrt(np.mean(err ** 2)))


def _run_shallow(spec):
    k, w = spec["k"], spec["width"]
    X, y = data.regression_1d("sawtooth", spec["points"], sampling="grid", k=k)
    x = np.linspace(0.0, 1.0, PLOT_POINTS)
    fx = data.target("sawtooth", k=k)(x)
    # (a) uniform knots j / w, output layer by least squares: the best net with those first-layer weights.
    def features(v):
        return np.hstack([np.maximum(v[:, None] - np.arange(w)[None, :] / w, 0.0), np.ones((len(v), 1))])
    coef = np.linalg.lstsq(features(X[:, 0]), y[:, 0], rcond=None)[0]
    lstsq_l1, lstsq_rms = _errors(features(x) @ coef, fx)
    # (b) trained.
    model = _model([1, w, 1], spec)
    hist = _fit(model, X, y, spec)
    trained_l1, trained_rms = _errors(model.forward(_centred(x[:, None]))[:, 0], fx)
    return {"lstsq_l1": lstsq_l1, "lstsq_rms": lstsq_rms, "trained_l1": trained_l1, "trained_rms": trained_rms,
            "final_loss": hist.epoch_loss[-1], "bound": piece_lower_bound(k, w)}


# ------------------------------------------------------------------------------------ deep vs shallow

def compare_architectures(k, width):
    """(deep sizes, shallow sizes): k hidden layers of ``width`` against one hidden layer with the same
    number of parameters, rounded up (3 W + 1 >= deep parameters)."""
    deep = [1] + [width] * k + [1]
    params = sum((m + 1) * n for m, n in zip(deep[:-1], deep[1:]))
    return deep, [1, -(-(params - 1) // 3), 1]


def _run_compare(spec):
    k = spec["k"]
    X, y = data.regression_1d("sawtooth", spec["points"], sampling="grid", k=k)
    model = _model(spec["sizes"], spec)
    x = np.linspace(0.0, 1.0, PLOT_POINTS)
    born_constant = is_constant(model.forward(_centred(x[:, None])))
    hist = _fit(model, X, y, spec)
    pred = model.forward(_centred(x[:, None]))[:, 0]
    l1, rms = _errors(pred, data.target("sawtooth", k=k)(x))
    return {"parameters": model.parameters_count, "l1": l1, "rms": rms, "mse": rms ** 2,
            "final_loss": hist.epoch_loss[-1], "diverged": hist.diverged, "loss_curve": hist.epoch_loss[::50],
            "fit": pred, "constant_at_init": born_constant, "constant": is_constant(pred)}


# ------------------------------------------------------------------------------------------- contract

def runs(config):
    specs = [{"kind": "exact", "k": k, "seed": derive_seed(config["seed"], "exact", k)}
             for k in range(1, config["max_k"] + 1)]
    common = {"points": config["points"], "epochs": config["epochs"], "lr": config["lr"]}
    for k in config["shallow_k"]:
        for w in config["shallow_widths"]:
            specs.append({"kind": "shallow", "k": k, "width": w, **common,
                          "seed": derive_seed(config["seed"], "shallow", k, w)})
    k = config["compare_k"]
    for width in config["compare_widths"]:
        for arch, sizes in zip(("deep", "shallow"), compare_architectures(k, width)):
            for r in range(config["compare_repeats"]):
                specs.append({"kind": "compare", "k": k, "pair": width, "arch": arch, "sizes": sizes, "repeat": r,
                              **common, "seed": derive_seed(config["seed"], "compare", width, arch, r)})
    return specs


KINDS = {"exact": _run_exact, "shallow": _run_shallow, "compare": _run_compare}


def run(spec):
    return KINDS[spec["kind"]](spec)


TELGARSKY = "Telgarsky (2016), Benefits of depth in neural networks, COLT: the tent-map construction of Thm 1.1"
EXACT = "this study: exact rational propagation of the piecewise-linear function (module docstring, part 1)"
COLLAPSE = ("Lu, Su & Karniadakis (2018), Collapse of deep and narrow neural nets, arXiv:1808.04947; born dead: "
            "Lu, Shin, Su & Karniadakis (2020), Dying ReLU and Initialization")


def summarize(config, pairs):
    groups = group(pairs, "kind", KINDS)
    exact, rows, lines, claims = _summarize_exact(config, groups["exact"])
    shallow = {}
    if groups.get("shallow"):
        shallow, more_rows, more_lines, more_claims = _summarize_shallow(config, groups["shallow"])
        rows, lines, claims = rows + more_rows, lines + more_lines, claims + more_claims
    compare = {}
    if groups.get("compare"):
        compare, more_rows, more_lines, more_claims = _summarize_compare(config, groups["compare"])
        rows, lines, claims = rows + more_rows, lines + more_lines, claims + more_claims
    return {"data": {"exact": exact, "shallow": shallow, "shallow_k": config["shallow_k"],
                     "shallow_widths": config["shallow_widths"], "compare": compare, "compare_k": config["compare_k"],
                     "picture_k": config["picture_k"], "plot_x": np.linspace(0.0, 1.0, PLOT_POINTS)},
            "rows": rows, "claims": claims, "table": "\n".join(lines)}


def _summarize_exact(config, pairs):
    """Exact counts of the construction: (data, rows, table lines, claims)."""
    exact = {key: [r[key] for _, r in pairs] for key in (
        "pieces", "crossings", "knots", "units", "parameters", "mlp_max_error", "target_max_error",
        "shallow_units", "shallow_pieces", "shallow_crossings", "shallow_max_error")}
    ks = [s["k"] for s, _ in pairs]
    exact["k"] = ks
    rows = [{"part": "exact", "k": k, "units": exact["units"][i], "parameters": exact["parameters"][i],
             "pieces": exact["pieces"][i], "crossings": exact["crossings"][i],
             "shallow_units_needed": exact["shallow_units"][i]} for i, k in enumerate(ks)]
    all_match = all(p == 2 ** k and c == 2 ** k for k, p, c in zip(ks, exact["pieces"], exact["crossings"]))
    kmax = ks[-1]
    lines = ["tent map composed k times (2k ReLUs): exact pieces and crossings of 1/2",
             "  k      " + " ".join(f"{k:>5}" for k in ks),
             "  pieces " + " ".join(f"{p:>5}" for p in exact["pieces"]),
             "  cross. " + " ".join(f"{c:>5}" for c in exact["crossings"])]
    theorem = {"source": TELGARSKY, "kind": "theorem"}
    claims = [
        claim_close(f"pieces_k{kmax}", f"T^{kmax} from {2 * kmax} ReLUs has 2^{kmax} linear pieces (exact count)",
                    exact["pieces"][-1], 2 ** kmax, atol=0, **theorem),
        claim_close(f"crossings_k{kmax}", f"T^{kmax} crosses 1/2 exactly 2^{kmax} times", exact["crossings"][-1],
                    2 ** kmax, atol=0, **theorem),
        claim_close("pieces_all_k", f"pieces = crossings = 2^k for every k = 1..{kmax} (1 = all)", float(all_match),
                    1.0, atol=0, **theorem),
        claim_close("mlp_exact", "ffbench MLP.forward with the tent weights equals the exact function at every "
                    "knot, every k (max abs error)", max(exact["mlp_max_error"]), 0.0, atol=0, source=EXACT,
                    kind="theorem", note="the knot values are dyadic rationals, exact in float64"),
        claim_close("shallow_exact_2k", "a 1-hidden-layer net of 2^k ReLUs reproduces T^k exactly "
                    "(max abs error at the knots, every k)", max(exact["shallow_max_error"]), 0.0, atol=0,
                    source="this study: T^k = sum_j c_j relu(x - j/2^k) (shallow_exact); notes \"Neural Networks — "
                    "Forward & Backpropagation\", The Universal Approximation Theorem", kind="theorem",
                    note=f"{exact['shallow_units'][-1]} units for k={kmax} against {2 * kmax} in the deep net; the "
                    "notes: \"A deep network with L layers and n neurons per layer can represent functions that "
                    "require O(2ⁿ) neurons in a single-layer network. Depth is compression.\" (here: k layers of 2 "
                    "units against 2^k, Telgarsky's form)"),
    ]
    return exact, rows, lines, claims


def _summarize_shallow(config, pairs):
    """Shallow nets against the piece-count bound: (data, rows, table lines, claims)."""
    shallow, rows = {}, []
    for s, r in pairs:
        e = shallow.setdefault(str(s["k"]), {key: [] for key in r})
        for key, v in r.items():
            e[key].append(v)
        rows.append({"part": "shallow", "k": s["k"], "width": s["width"], "lstsq_l1": r["lstsq_l1"],
                     "trained_l1": r["trained_l1"], "lstsq_rms": r["lstsq_rms"], "trained_rms": r["trained_rms"],
                     "piece_bound_l1": r["bound"]})
    lines = ["shallow width w on T^k: L1 error, least squares on uniform knots / trained  [piece bound]"]
    ratios = []
    for k, e in shallow.items():
        lines.append(f"  k={k}: " + "  ".join(
            f"w={w}: {a:.3f}/{b:.3f} [{c:.3f}]" for w, a, b, c in
            zip(config["shallow_widths"], e["lstsq_l1"], e["trained_l1"], e["bound"])))
        ratios += [min(a, b) / c for a, b, c in zip(e["lstsq_l1"], e["trained_l1"], e["bound"]) if c > 0]
    claims = [observation(
        "shallow_above_bound", "shallow nets against the piece-count bound: min over k, w (bound > 0) of L1 error "
        "/ bound", min(ratios) if ratios else float("nan"), source="this study: piece-count bound (module "
        "docstring, part 2), the counting argument of Telgarsky (2016, proof of Thm 1.1)",
        note=f"{len(ratios)} (k, w) pairs with a positive bound; the bound holds for every net of w units, so "
             "these non-optimal nets cannot test it (a unit test checks it); the ratio says how far above it "
             "least squares and training land")]
    return shallow, rows, lines, claims


def _summarize_compare(config, pairs):
    """Trained deep-narrow against shallow-wide nets: what training finds, reported, not judged (Telgarsky's
    theorem says a deep net *exists*, nothing about what gradient training reaches)."""
    compare, rows = {}, []
    for s, r in pairs:
        c = compare.setdefault(str(s["pair"]), {"deep": {"sizes": None, "runs": []},
                                                "shallow": {"sizes": None, "runs": []}})
        c[s["arch"]]["sizes"] = s["sizes"]
        c[s["arch"]]["runs"].append({key: r[key] for key in ("parameters", "l1", "rms", "mse", "final_loss",
                                                              "loss_curve", "fit", "constant_at_init", "constant")})
        rows.append({"part": "compare", "k": s["k"], "width": s["pair"], "arch": s["arch"],
                     "sizes": "-".join(map(str, s["sizes"])), "repeat": s["repeat"], "parameters": r["parameters"],
                     "trained_l1": r["l1"], "trained_rms": r["rms"], "constant_at_init": r["constant_at_init"],
                     "constant_after_training": r["constant"]})
    k = config["compare_k"]
    fail_level = FAIL_FRACTION / 12.0  # Var(T^k) on [0, 1] is 1/12 for every k
    lines = [f"trained deep-narrow vs shallow-wide on T^{k} (equal parameters): MSE per seed"]
    claims = []
    for pair, c in compare.items():
        for arch in ("deep", "shallow"):
            mses = [x["mse"] for x in c[arch]["runs"]]
            c[arch]["median_mse"] = float(np.median(mses))
            c[arch]["failed"] = float(np.mean(np.array(mses) > fail_level))
            c[arch]["constant"] = float(np.mean([x["constant"] for x in c[arch]["runs"]]))
            lines.append(f"  {arch:<7} {'-'.join(map(str, c[arch]['sizes'])):<16} "
                         f"{c[arch]['runs'][0]['parameters']:>4} params: "
                         + " ".join(f"{m:.2e}" for m in mses) + f"  (failed {c[arch]['failed']:.0%}, "
                         f"constant {c[arch]['constant']:.0%})")
        claims.append(observation(
            f"deep{pair}_vs_shallow", f"trained deep net of width {pair} ({k} layers) against the shallow net of "
            "equal size: median MSE ratio deep/shallow", c["deep"]["median_mse"] / c["shallow"]["median_mse"],
            note=f"{len(c['deep']['runs'])} seeds each; learned nothing (MSE > {FAIL_FRACTION:g} Var T^k): deep "
            f"{c['deep']['failed']:.0%}, shallow {c['shallow']['failed']:.0%}"))
    narrow = compare[str(min(config["compare_widths"]))]["deep"]
    runs_ = narrow["runs"]
    claims.append(observation(
        "deep_narrow_best_mse", f"best MSE over seeds of the trained deep width-{min(config['compare_widths'])} net "
        "(an exact solution with MSE 0 exists: the construction)", min(x["mse"] for x in runs_),
        note="gradient training from a random init does not find the construction"))
    claims.append(observation(
        "deep_narrow_collapse", f"fraction of trained deep width-{min(config['compare_widths'])} nets that compute "
        "a constant (collapsed to the mean of the target)", float(np.mean([x["constant"] for x in runs_])),
        source=COLLAPSE, note=f"constant already at init (a layer dead on the whole input range): "
        f"{np.mean([x['constant_at_init'] for x in runs_]):.0%} of {len(runs_)} seeds"))
    return compare, rows, lines, claims
