"""The vanishing-gradient study's claims: each prediction of the module docstring of ``ffbench.studies.vanishing``
against the summarised measurements, with its source, kind, spread and tolerance."""
from __future__ import annotations

import math

import numpy as np

from ffbench.studies.claims import ALPHA, claim_bound, claim_less, claim_mean, observation
from ffbench.studies.stats import t_quantile
from ffbench.style import label

SIGMOID_MAX_SLOPE = 0.25  # max sigmoid'(z), at z = 0
MIN_SEEDS = 2  # a Student t tolerance from the spread needs at least this many seeds
WIDE_MIN = 1024  # narrower than this, the slow cells' factor is dominated by finite-width drift
HOCHREITER = ("this study: module docstring (the sigmoid bound), after Hochreiter 1991 (diploma thesis, TU Munich) "
              "and Glorot & Bengio 2010 (AISTATS), Sec. 4.2.1")
GLOROT = "Glorot & Bengio 2010, Understanding the difficulty of training deep feedforward neural networks, Sec. 4.2.1"
HE = "He, Zhang, Ren & Sun 2015, Delving deep into rectifiers (ICCV), Sec. 2.2"
NOTES_004 = 'notes "Neural Networks — Forward & Backpropagation", The Vanishing Gradient Problem'
MEAN_FIELD = ("Poole et al. 2016, Exponential expressivity (NeurIPS): the length map; Schoenholz et al. 2017, Deep "
              "information propagation (ICLR): chi_1 and the mean-field theory of backpropagation")


def finite_width_allowance(width: int) -> float:
    """Relative (log) accuracy of an infinite-width prediction of a per-layer factor at ``width``: 5/(2n), the
    typical-factor drift of a ReLU layer (Hanin 2018), taken as the order of every cell's 1/n correction."""
    return 5.0 / (2.0 * width)


def sigmoid_norm_bound(sigma_w2: float) -> float:
    """sqrt(sigma_w^2) / 4: the root-mean-square per-layer norm factor of a sigmoid layer is at most this."""
    return math.sqrt(sigma_w2) * SIGMOID_MAX_SLOPE


def _few(n):
    return f"{n} seed(s): at least {MIN_SEEDS} are needed for a tolerance from their spread" if n < MIN_SEEDS else ""


def _factor_claim(name, description, values, predicted, width, *, source, kind, note=""):
    """measured (mean over seeds) ~= predicted: two-sided Student t over the seeds plus the finite-width
    allowance (the prediction is for infinite width)."""
    allowance = abs(predicted) * finite_width_allowance(width)
    return claim_mean(name, description, values, predicted, allowance=allowance, source=source, kind=kind,
                      not_judged=_few(len(values)),
                      note=f"tolerance: Student t over seeds + 5/(2n) = {allowance:.2g} for width {width}"
                           + (f"; {note}" if note else ""))


def _sigmoid_claims(config, grid):
    claims = []
    for init in config["inits"]:
        e = grid.get(f"sigmoid/{init}")
        if e is None:
            continue
        bound, nf = sigmoid_norm_bound(e["sigma_w2"]), e["norm_factor"]
        claims.append(claim_bound(
            f"sigmoid_{init}_per_layer", f"sigmoid, {label(init)} init (n Var[W] = {e['sigma_w2']:.3g}): per-layer "
            "gradient norm factor <= sqrt(n Var[W]) / 4", nf, bound, source=f"{HOCHREITER}; {NOTES_004}",
            not_judged=_few(len(nf)),
            note="max sigmoid' = 1/4 and E||delta W^T||^2 = n Var[W] ||delta||^2 (one-sided: only a factor "
                 "significantly above the bound refutes it); the notes: \"For sigmoid, σ'(z) ≤ 0.25 everywhere.\""))
    he = grid.get("sigmoid/he_normal")
    if he is not None:
        claims.append(_factor_claim(
            "sigmoid_he_normal_sqrt_chi1", "sigmoid, He init: per-layer gradient norm factor = sqrt(chi_1) (the "
            "tight mean-field prediction; infinite width)", he["norm_factor"], math.sqrt(he["chi1"]), he["width"],
            source=MEAN_FIELD, kind="theorem"))
    xavier = grid.get("sigmoid/xavier_uniform")
    if xavier is not None:
        claims.append(observation(
            "sigmoid_xavier_10_layers", "sigmoid, Xavier init: measured ||delta_l|| / ||delta_(l+10)|| across 10 "
            "middle layers (0.25^10 = 9.5e-7)", float(np.exp(np.mean(np.log(xavier["ten_layers"])))),
            source=f"{HOCHREITER}; {NOTES_004}",
            note="the per-layer bound to the 10th power; reported, not judged twice; the notes: \"After 10 layers, "
                 "the gradient is multiplied by 0.25¹⁰ ≈ 0.000001.\""))
    return claims


def _linear_claims(grid):
    claims = []
    tanh = grid.get("tanh/standard_uniform")
    if tanh is not None:
        claims.append(_factor_claim(
            "glorot_standard_tanh", "tanh, standard init: gradient variance factor n Var[W] = 1/3 per layer (linear "
            "regime)", tanh["backward_factor"], 1.0 / 3.0, tanh["width"], source=GLOROT, kind="theorem"))
    for init, predicted in (("xavier_uniform", 0.5), ("he_normal", 1.0)):
        e = grid.get(f"relu/{init}")
        if e is None:
            continue
        for direction, key, what in (("backward", "backward_factor", "gradient variance"),
                                     ("forward", "forward_factor", "pre-activation second moment")):
            claims.append(_factor_claim(
                f"he_relu_{init}_{direction}", f"ReLU, {label(init)} init: {what} factor {predicted:g} per layer",
                e[key], predicted, e["width"], source=HE if direction == "forward" else f"{HE}; {NOTES_004}",
                kind="theorem", note="" if direction == "forward" else "the notes: \"ReLU fixes this: its derivative "
                "is 1 for z > 0, so gradients don't shrink as they propagate.\" (with He init; Xavier halves them)"))
    return claims


def _worst(cells):
    """The claim inputs of the cell furthest outside its own tolerance: (key, |log ratio|, tolerance, fewest seeds,
    rule).  Each of the K cells is judged two-sided at alpha / K (Bonferroni: the worst of K correct cells fails
    with probability <= alpha), its log ratio's standard error by the delta method (se of the mean / mean)."""
    scored, k = [], len(cells)
    for key, values, predicted, width in cells:
        v = np.asarray(values, dtype=float)
        se = v.std(ddof=1) / math.sqrt(v.size) / v.mean() if v.size > 1 else 0.0
        err = abs(math.log(v.mean() / predicted)) if v.mean() > 0 and predicted > 0 else math.inf
        tol = (t_quantile(v.size, ALPHA / k, 2) * se if v.size > 1 else 0.0) + finite_width_allowance(width)
        scored.append((err / tol, key, err, tol, v.size))
    _, key, err, tol, n = max(scored)
    rule = (f"worst of {k} cells, each Student t (n-1 df), two-sided at alpha {ALPHA:g}/{k} (Bonferroni), "
            "+ 5/(2n)")
    return key, err, tol, min(s[4] for s in scored), rule


def _mean_field_claims(config, grid, wide, sweep):
    judged_wide = {k: e for k, e in wide.items() if e["width"] >= WIDE_MIN}
    cells = [(k, e["backward_factor"], e["backward_factor_theory"], e["width"])
             for k, e in grid.items() if k not in wide] + \
            [(f"{k} (width {e['width']})", e["backward_factor"], e["backward_factor_theory"], e["width"])
             for k, e in judged_wide.items()]
    skipped = sorted(set(wide) - set(judged_wide))
    key, err, tol, n, rule = _worst(cells)
    claims = [claim_less(
        "mean_field_grid", "every activation x init: measured per-layer gradient variance factor vs the mean-field "
        "product of chi(q_l) over the same layers (an infinite-width prediction): worst |log ratio| against its "
        "own tolerance", err, 0.0, tolerance=tol, source=MEAN_FIELD, kind="theorem", not_judged=_few(n),
        alpha=ALPHA, rule=rule,
        note=f"worst: {key}; per cell Student t over seeds + 5/(2n); slow cells judged at their wide width"
             + (f"; not judged (wide width < {WIDE_MIN}): {', '.join(skipped)}" if skipped else ""))]
    points = [(f"{act}@{p['sigma_w2']:g}", p["measured"], p["mean_field"], config["width"])
              for act, s in sweep.items() for p in s["points"]]
    if points:
        key, err, tol, n, rule = _worst(points)
        claims.append(claim_less(
            "mean_field_sweep", "sigma_w^2 sweep: measured per-layer factor vs mean-field, worst |log ratio| against "
            "its own tolerance", err, 0.0, tolerance=tol, source=MEAN_FIELD, kind="theorem", not_judged=_few(n),
            alpha=ALPHA, rule=rule, note=f"worst: {key}; per point Student t over seeds + 5/(2n)"))
    for act, s in sweep.items():
        at, se, root, mean_field_at = (math.nan if v is None else float(v) for v in (
            s["crossing"]["at"], s["crossing"]["se"], s["critical"], s["crossing_mean_field"]["at"]))
        grid_error = abs(mean_field_at - root)
        n = len(s["points"][0]["measured"])
        reason = _few(n) or ("chi_1 = 1 has no root in the swept range" if not math.isfinite(root) else
                             "the mean-field factors do not cross 1 on this grid" if not math.isfinite(grid_error)
                             else "")
        claims.append(claim_mean(
            f"order_to_chaos_{act}", f"{act} sigma_w^2 sweep (sigma_b^2 = {config['sweep']['sigma_b2']:g}): where "
            "the measured gradient factor crosses 1 (vanishing below, exploding above) vs the root of chi_1 = 1",
            {"n": n, "mean": at, "se": se if math.isfinite(se) else 0.0}, root if math.isfinite(root) else None,
            allowance=0.0 if reason else grid_error, source=MEAN_FIELD, kind="theorem", not_judged=reason,
            note=f"tolerance: Student t on the standard error propagated from the seeds at the bracketing points "
                 f"+ {grid_error:.3g}, the error of the same interpolation applied to the mean-field factors (grid "
                 "spacing, finite depth)"))
    return claims


def _training_observations(training):
    claims = []
    for act, what in (("sigmoid", "the first layer barely moves"), ("tanh", "chi_1 ~ 1 with Xavier: it learns")):
        if act in training:
            w = training[act]["weight_change"]
            claims.append(observation(
                f"training_{act}_first_layer", f"training a deep {act} net with SGD: relative weight change of the "
                f"first layer over the last ({what})", w[0] / w[-1], source="this study (Glorot & Bengio 2010, "
                "show the same contrast)"))
    return claims


def study_claims(config, grid, wide, sweep, training) -> list:
    """Every claim of the study, in table order."""
    return (_sigmoid_claims(config, grid) + _linear_claims(grid) + _mean_field_claims(config, grid, wide, sweep)
            + _training_observations(training))
