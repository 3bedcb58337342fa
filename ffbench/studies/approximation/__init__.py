r"""Universal approximation by sums of sigmoids (Cybenko 1989) at Barron's rate (Barron 1993).

Three measurements:

1. **Staircase** (constructive, after Cybenko 1989 and the notes' picture
   :math:`\sigma_1 + \sigma_2 + \dots \approx f`).  On [a, b] = [-1, 1] with grid :math:`t_i = a + i h`,
   :math:`h = (b - a)/n`,

   .. math::  g_n(x) = f(t_0) + \sum_{i=1}^{n} \big(f(t_i) - f(t_{i-1})\big)\,
              \sigma\big(\tfrac{s}{h}(x - m_i)\big), \qquad m_i = \tfrac{t_{i-1} + t_i}{2},

   n sigmoids of steepness s/h, each a step at a cell midpoint weighted by the target's increment.
   For a Lipschitz target the sup and L2 errors are O(h) = O(1/n): the log-log slope is about -1 for
   sin, |x| and the gaussian bump.  The step function is not continuous (outside Cybenko's theorem): its
   sup error stays near 1 (slope ~0) and its L2 error falls only like n^(-1/2).  Each rate is judged as the
   fitted exponent of :math:`\mathrm{err} = C n^{\mathrm{rate}} (1 + c\,x(n))` with its leading correction
   stated, x = 1/n for the continuous targets (the O(h) term) and x = n for the step (the evaluation grid, spacing
   delta, samples its jump's transition of width h/s with relative error O(delta s n)), within a Student t
   tolerance from the fit's residuals (``rate_fit``).
2. **Trained** one-hidden-layer nets of n sigmoid, tanh or relu units fitted by ffbench's training loop
   (full-batch Adam, mse): L2 error against n with the fitted log-log slope, next to Barron's
   n^(-1/2) for the best n-unit net.  Training finds an approximant, not the best one: the slope is what
   the loop reaches in the configured epochs, reported as an observation (Barron's rate is an upper bound
   for the best net, and for a smooth 1-D target the best rate is far faster, so no theorem predicts it).
3. **Barron's rate via Maurey's sampling.**  Target :math:`f(x) = e^{-|x|^2/2}` on the ball
   :math:`B_r \subset R^d` with :math:`\mu` uniform on it.  Its Fourier representation is
   :math:`f(x) = E_{\omega \sim N(0, I_d)} \cos(\omega \cdot x)`, so Barron's constant is
   :math:`C_f = E|\omega| = \sqrt2\,\Gamma(\frac{d+1}{2})/\Gamma(\frac d2)`.  Writing
   :math:`\cos(s z) - 1` as an integral of steps gives
   :math:`f(x) - f(0) = V\,E_p[\epsilon\,H(u \cdot x - r t)]` with total variation
   :math:`V = 2 E_\rho \int_0^{r\rho} |\sin v|\,dv \le 2 r C_f` and a probability p over
   (direction u, threshold t, sign epsilon).  Drawing n units from p (steps replaced by sigmoids of
   steepness ``barron_steepness``) gives
   :math:`f_n = f(0) + \frac{V}{n}\sum_k \epsilon_k \sigma(\kappa(u_k \cdot x / r - t_k))` with
   :math:`n\,E\|f - f_n\|^2_\mu = V^2 E_p[\mu(u \cdot x > r t)] - \|f - f(0)\|^2_\mu
   \le (2 r C_f)^2` (Maurey, in Barron 1993, Lemma 1).  Measured: n times the mean squared error
   against that exact variance (every n estimates it: the 1/n rate itself is that of any Monte Carlo
   sampler).  Barron's content is that the bound does not depend on the dimension: the ball's radius is
   :math:`r = r C_f / C_f(d)` with ``barron_rcf`` = r C_f fixed, so the bound is the same in every d, and
   n * MSE must not grow with d (it falls: the uniform measure on the ball concentrates near its surface).

References: G. Cybenko, "Approximation by superpositions of a sigmoidal function", MCSS 2 (1989);
A. R. Barron, "Universal approximation bounds for superpositions of a sigmoidal function", IEEE Trans.
Inf. Theory 39 (1993).
"""
from __future__ import annotations

import math

import numpy as np

from ffbench import MLP, activation, data
from ffbench.optim import Adam
from ffbench.studies.claims import claim_bound, claim_close, claim_mean, observation
from ffbench.studies.framework import derive_seed, group
from ffbench.train import train

from .barron import (ball_points, barron_constant, barron_radius, cap_fraction, residual_norm2, sample_units,
                     total_variation)
from .figures import render  # noqa: F401  (the study contract's render)

NAME = "approximation"
VERSION = "2"
DEFAULTS = {
    "seed": 0,
    "staircase_targets": ["sin", "abs", "gaussian_bump", "step"],
    "staircase_n": [4, 8, 16, 32, 64, 128, 256, 512, 1024],
    "steepness": 10.0,
    "eval_points": 20001,
    "picture_target": "gaussian_bump",
    "picture_n": 8,
    "trained_target": "sin",
    "trained_activations": ["sigmoid", "tanh", "relu"],
    "trained_widths": [1, 2, 4, 8, 16, 32],
    "trained_points": 256,
    "epochs": 4000,
    "lr": 0.01,
    "shown_widths": [2, 4, 16],
    "barron_dims": [1, 2, 5, 10, 20],
    "barron_n": [10, 30, 100, 300, 1000, 3000],
    "barron_repeats": 24,
    "barron_test_points": 4000,
    "barron_rcf": 1.0,
    "barron_steepness": 1000.0,
}
QUICK = {"staircase_n": [4, 8, 16, 32, 64, 128, 256], "eval_points": 4001, "trained_widths": [2, 4, 8, 16],
         "epochs": 1500, "shown_widths": [2, 16], "barron_dims": [1, 5], "barron_n": [10, 30, 100, 300],
         "barron_repeats": 16, "barron_test_points": 1500}

INTERVAL = (-1.0, 1.0)
INITS = {"sigmoid": "xavier_normal", "tanh": "xavier_normal", "relu": "he_normal"}
PLOT_POINTS = 401
CHUNK = 2000  # evaluation points per block: bounds the (points x units) temporaries
SMOOTH_SLOPE = -1.0


def runs(config):
    specs = []
    for name in config["staircase_targets"]:
        specs.append({"kind": "staircase", "target": name, "n": config["staircase_n"],
                      "steepness": config["steepness"], "eval_points": config["eval_points"],
                      "picture_n": config["picture_n"] if name == config["picture_target"] else 0,
                      "seed": derive_seed(config["seed"], "staircase", name)})
    for act in config["trained_activations"]:
        for width in config["trained_widths"]:
            specs.append({"kind": "trained", "target": config["trained_target"], "activation": act, "width": width,
                          "points": config["trained_points"], "epochs": config["epochs"], "lr": config["lr"],
                          "eval_points": config["eval_points"],
                          "seed": derive_seed(config["seed"], "trained", act, width)})
    for d in config["barron_dims"]:
        specs.append({"kind": "barron", "dim": d, "n": config["barron_n"], "repeats": config["barron_repeats"],
                      "test_points": config["barron_test_points"], "radius": barron_radius(config["barron_rcf"], d),
                      "steepness": config["barron_steepness"], "seed": derive_seed(config["seed"], "barron", d)})
    return specs


# ------------------------------------------------------------------------------------------ staircase

def _sigmoid(z):
    return activation("sigmoid").forward(np.ascontiguousarray(z, dtype=np.float64))


def staircase(f, n, steepness, interval=INTERVAL):
    """The staircase of n sigmoids for ``f`` on ``interval``: (offset f(t_0), weights (n,), centres (n,),
    slope s/h), so that ``g(x) = offset + sum_i weights[i] * sigmoid(slope * (x - centres[i]))``."""
    a, b = interval
    t = np.linspace(a, b, n + 1)
    values = f(t)
    return float(values[0]), np.diff(values), 0.5 * (t[:-1] + t[1:]), steepness * n / (b - a)


def staircase_eval(x, offset, weights, centres, slope):
    """g(x) for the staircase (x: (m,) float64) -> (m,) float64, in blocks of CHUNK points."""
    out = np.empty(len(x))
    for lo in range(0, len(x), CHUNK):
        z = slope * (x[lo:lo + CHUNK, None] - centres[None, :])
        out[lo:lo + CHUNK] = offset + _sigmoid(z) @ weights
    return out


def _run_staircase(spec):
    f = data.target(spec["target"])
    x = np.linspace(*INTERVAL, spec["eval_points"])
    fx = f(x)
    sup, l2 = [], []
    for n in spec["n"]:
        err = staircase_eval(x, *staircase(f, n, spec["steepness"])) - fx
        sup.append(float(np.max(np.abs(err))))
        l2.append(float(np.sqrt(np.mean(err ** 2))))
    result = {"sup": sup, "l2": l2}
    if spec["picture_n"]:
        xp = np.linspace(*INTERVAL, PLOT_POINTS)
        offset, weights, centres, slope = staircase(f, spec["picture_n"], spec["steepness"])
        terms = weights[:, None] * _sigmoid(slope * (xp[None, :] - centres[:, None]))
        result["picture"] = {"x": xp, "target": f(xp), "offset": offset, "terms": terms,
                             "partial_sums": offset + np.cumsum(terms, axis=0)}
    return result


# -------------------------------------------------------------------------------------------- trained

def _run_trained(spec):
    X, y = data.regression_1d(spec["target"], spec["points"], sampling="grid")
    act = spec["activation"]
    model = MLP([1, spec["width"], 1], activation=act, init=INITS.get(act, "xavier_normal"), seed=spec["seed"],
                bias_init="standard_uniform")
    hist = train(model, X, y, loss="mse", optimizer=Adam(model, lr=spec["lr"]), epochs=spec["epochs"],
                 batch_size=spec["points"], seed=spec["seed"])
    x = np.linspace(*INTERVAL, spec["eval_points"])
    err = model.forward(x[:, None])[:, 0] - data.target(spec["target"])(x)
    xp = np.linspace(*INTERVAL, PLOT_POINTS)
    return {"sup": float(np.max(np.abs(err))), "l2": float(np.sqrt(np.mean(err ** 2))),
            "final_loss": hist.epoch_loss[-1], "diverged": hist.diverged, "fit": model.forward(xp[:, None])[:, 0]}


# --------------------------------------------------------------------------------------------- Barron

def _run_barron(spec):
    d, r, kappa = spec["dim"], spec["radius"], spec["steepness"]
    rng = np.random.default_rng(spec["seed"])
    V = total_variation(d, r)
    n_mse = []
    for n in spec["n"]:
        per_repeat = []
        for _ in range(spec["repeats"]):
            # Fresh test points per repeat: each n * MSE is then an unbiased estimate of n E||f - f_n||^2_mu,
            # and the spread over repeats holds all of the Monte Carlo error.
            x = ball_points(rng, spec["test_points"], d, r)
            fx = np.exp(-0.5 * np.sum(x * x, axis=1))
            u, t, sign = sample_units(rng, n, d, r)
            approx = np.ones(len(x))  # f(0) = 1
            for lo in range(0, n, CHUNK):
                z = kappa * (x @ u[lo:lo + CHUNK].T / r - t[None, lo:lo + CHUNK])
                approx += (V / n) * (_sigmoid(z) @ sign[lo:lo + CHUNK])
            per_repeat.append(n * float(np.mean((approx - fx) ** 2)))
        n_mse.append(per_repeat)
    _, t_big, _ = sample_units(rng, 200_000, d, r)
    variance = V ** 2 * float(np.mean(cap_fraction(t_big, d))) - residual_norm2(d, r)
    return {"n_mse": n_mse, "V": V, "C_f": barron_constant(d), "radius": r, "bound": (2 * r * barron_constant(d)) ** 2,
            "maurey_variance": variance}


KINDS = {"staircase": _run_staircase, "trained": _run_trained, "barron": _run_barron}


def run(spec):
    return KINDS[spec["kind"]](spec)


# ------------------------------------------------------------------------------------------ summarize

def loglog_slope(n, err):
    """Least-squares slope of log(err) against log(n)."""
    return float(np.polyfit(np.log(np.asarray(n, float)), np.log(np.asarray(err, float)), 1)[0])


CYBENKO = "this study: staircase of n sigmoids (module docstring, part 1), after Cybenko (1989)"
NOTES_002 = ('notes "A Little Bit on Deep Learning in General" (2025-02-25), What is a unversial function '
             'approximator?: "We can keep adding sigmoids and tinkering with their parameters until their sum '
             'approximates the pattern $f(x)$ expressed in the data accurately enough."')
MAUREY = ("this study: Maurey's sampling variance (module docstring, part 3), the proof of Barron (1993), "
          "Universal approximation bounds for superpositions of a sigmoidal function, Lemma 1")
# The staircase rates are asymptotic, so each error curve is fitted with its leading correction stated:
# err = C n^rate (1 + c x(n)).  Continuous targets: x = 1/n, the O(h) term of the staircase error.  The step: x = n,
# the evaluation grid's error at the jump (a transition of width h/s sampled at spacing delta: relative error
# O(delta s n)).  The rate's standard error comes from the fit's residuals (points - 3 degrees of freedom).
CORRECTION = {"step": lambda n: n / n[-1]}  # every other target: 1/n


def rate_fit(n, err, target):
    """The fitted rate of ``log err = a + rate log n + c x(n)`` (x from ``CORRECTION``): ``{"n", "df", "mean",
    "se"}`` (a spread for ``claim_mean``: the rate, its standard error from the residuals, points - 3 df)."""
    n = np.asarray(n, float)
    y = np.log(np.asarray(err, float))
    x = CORRECTION.get(target, lambda m: 1.0 / m)(n)
    A = np.stack([np.ones_like(n), np.log(n), x], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    df = len(n) - A.shape[1]
    resid = y - A @ coef
    se = math.sqrt(float(resid @ resid) / df * np.linalg.inv(A.T @ A)[1, 1]) if df > 0 else float("nan")
    return {"n": len(n), "df": df, "mean": float(coef[1]), "se": se}


def summarize(config, pairs):
    by_kind = group(pairs, "kind", KINDS)
    stair, picture, rows, lines, claims = _summarize_staircase(config, by_kind["staircase"])
    trained, more_rows, more_lines, more_claims = _summarize_trained(config, by_kind["trained"])
    rows, lines, claims = rows + more_rows, lines + more_lines, claims + more_claims
    barron, more_rows, more_lines, more_claims = _summarize_barron(config, by_kind["barron"])
    rows, lines, claims = rows + more_rows, lines + more_lines, claims + more_claims
    return {"data": {"staircase_n": config["staircase_n"], "staircase": stair, "picture": picture,
                     "picture_target": config["picture_target"], "trained_widths": config["trained_widths"],
                     "trained_target": config["trained_target"], "trained": trained,
                     "fit_x": np.linspace(*INTERVAL, PLOT_POINTS),
                     "barron_n": config["barron_n"], "barron": barron},
            "rows": rows, "claims": claims, "table": "\n".join(lines)}


def _summarize_staircase(config, pairs):
    """Staircase errors against n: (data, picture, rows, table lines, claims)."""
    stair, picture, rows = {}, None, []
    n_list = config["staircase_n"]
    for s, r in pairs:
        name = s["target"]
        stair[name] = {"sup": r["sup"], "l2": r["l2"], "sup_slope": loglog_slope(n_list, r["sup"]),
                       "l2_slope": loglog_slope(n_list, r["l2"])}
        if "picture" in r:
            picture = r["picture"]
        rows += [{"part": "staircase", "target": name, "activation": "sigmoid", "n": n, "sup_error": e_sup,
                  "l2_error": e_l2} for n, e_sup, e_l2 in zip(n_list, r["sup"], r["l2"])]
    lines = ["staircase of n sigmoids: log-log slope of the error against n"]
    claims = []
    for name, v in stair.items():
        lines.append(f"  {name:<14} sup {v['sup_slope']:+.3f}   L2 {v['l2_slope']:+.3f}")
        # The step is outside Cybenko's theorem (not continuous): its own rates follow from the one cell
        # of width 2/n that holds the jump.
        expected = {"sup": 0.0, "l2": -0.5} if name == "step" else {"sup": SMOOTH_SLOPE, "l2": SMOOTH_SLOPE}
        for norm in ("sup", "l2"):
            what = ({"sup": "the sup error does not decay (slope ~0; Cybenko's theorem needs continuity)",
                     "l2": "the L2 error decays like n^(-1/2) (the error lives on one cell of width 2/n)"}[norm]
                    if name == "step" else f"staircase {norm} error falls like 1/n (fitted exponent)")
            fit = rate_fit(n_list, v[norm], name)
            v[f"{norm}_rate"], v[f"{norm}_rate_se"] = fit["mean"], fit["se"]
            claims.append(claim_mean(
                f"staircase_{name}_{norm}_slope", f"{name}: {what}", fit, expected[norm], source=CYBENKO,
                kind="theorem", not_judged="" if fit["df"] > 0 else f"{len(n_list)} values of n: 3 or fewer",
                note=f"the rate of log err = a + rate log n + {'c n' if name == 'step' else 'c/n'} fitted over n = "
                     f"{n_list[0]}..{n_list[-1]} (the leading correction: module docstring; plain log-log slope "
                     f"{v[f'{norm}_slope']:+.4f}); tolerance: Student t on the fit's standard error"))
    decreasing = all(np.all(np.diff(stair[k]["l2"]) < 0) for k in stair)
    claims.append(claim_close("staircase_l2_decreasing", "staircase L2 error decreases with every doubling of n, "
                              "for every target (1 = yes)", float(decreasing), 1.0, atol=0,
                              source=f"{CYBENKO}; {NOTES_002}", kind="theorem"))
    return stair, picture, rows, lines, claims


def _summarize_trained(config, pairs):
    """Trained one-hidden-layer nets: what Adam reaches, reported (no theorem predicts a trained net's rate:
    Barron's n^(-1/2) bounds the best n-unit net, and for a smooth 1-D target the best rate is far faster)."""
    trained, rows, lines, claims = {}, [], [], []
    if not pairs:
        return trained, rows, lines, claims
    widths = config["trained_widths"]
    for s, r in pairs:
        t = trained.setdefault(s["activation"], {"sup": [], "l2": [], "final_loss": [], "fits": {}})
        t["sup"].append(r["sup"])
        t["l2"].append(r["l2"])
        t["final_loss"].append(r["final_loss"])
        if s["width"] in config["shown_widths"]:
            t["fits"][str(s["width"])] = r["fit"]
        rows.append({"part": "trained", "target": s["target"], "activation": s["activation"], "n": s["width"],
                     "sup_error": r["sup"], "l2_error": r["l2"]})
    lines.append(f"trained 1-hidden-layer nets on {config['trained_target']}: L2 error at n = "
                 + ", ".join(map(str, widths)))
    for act, t in trained.items():
        t["l2_slope"] = loglog_slope(widths, t["l2"])
        t["l2_fit"] = [float(np.exp(np.polyval(np.polyfit(np.log(widths), np.log(t["l2"]), 1), np.log(w))))
                       for w in widths]
        lines.append(f"  {act:<8} " + " ".join(f"{e:.2e}" for e in t["l2"]) + f"   slope {t['l2_slope']:+.2f}")
        claims.append(observation(
            f"trained_{act}_l2_slope", f"trained {act} nets on {config['trained_target']}: log-log slope of the L2 "
            f"error against the width n = {widths[0]}..{widths[-1]}", t["l2_slope"],
            source="this study: part 2", note=f"{config['epochs']} full-batch Adam steps, one seed per width; "
            "Barron's n^(-1/2) bounds the best n-unit net, not what training reaches"))
    return trained, rows, lines, claims


def _summarize_barron(config, pairs):
    """Maurey's sampling against its exact variance, per dimension, at fixed r C_f: (data, rows, lines, claims)."""
    barron, rows, lines, claims = {}, [], [], []
    if not pairs:
        return barron, rows, lines, claims
    ns = np.asarray(config["barron_n"], float)
    for s, r in pairs:
        nm = np.asarray(r["n_mse"], float)
        d = s["dim"]
        mean = nm.mean(axis=1)
        se = nm.std(axis=1, ddof=1) / math.sqrt(nm.shape[1])
        barron[str(d)] = {"n_mse_mean": mean, "n_mse_std": se, "V": r["V"], "C_f": r["C_f"], "radius": r["radius"],
                          "bound": r["bound"], "maurey_variance": r["maurey_variance"],
                          "mse_slope": loglog_slope(ns, mean / ns),
                          # every n estimates the same n E||f - f_n||^2: the mean over n, its standard error
                          "overall": float(mean.mean()), "overall_se": float(np.sqrt(np.sum(se ** 2)) / len(se))}
        rows += [{"part": "barron", "target": f"gaussian d={d}", "activation": "sigmoid", "n": n,
                  "l2_error": math.sqrt(m / n), "n_mse": m} for n, m in zip(config["barron_n"], mean)]
    lines.append(f"Barron/Maurey, f = exp(-|x|^2/2) on the ball of radius r = {config['barron_rcf']:g} / C_f: "
                 "n * MSE against n")
    for d, b in barron.items():
        lines.append(f"  d={d:<3} r={b['radius']:.3f} V={b['V']:.3f} (2rC_f)^2={b['bound']:.2f}  n*MSE: "
                     + " ".join(f"{m:.3g}" for m in b["n_mse_mean"])
                     + f"  Maurey {b['maurey_variance']:.3g}  slope {b['mse_slope']:+.2f}")
        claims.append(claim_mean(
            f"maurey_variance_d{d}", f"d={d}: n*MSE of n sampled sigmoids equals Maurey's exact variance "
            "V^2 E[mu(cap)] - ||f - f(0)||^2 (mean over n and repeats)",
            {"n": int(len(ns) * config["barron_repeats"]), "mean": b["overall"], "se": b["overall_se"]},
            b["maurey_variance"], source=MAUREY, kind="theorem",
            note="tolerance: Student t over repeats (fresh units and test points each); the exact "
            f"variance is for steps; the sigmoids of steepness {config['barron_steepness']:g} differ by "
            "O(1/steepness)"))
    dims = np.log(np.asarray([int(d) for d in barron], float))
    if len(dims) > 1:
        y = np.log([b["overall"] for b in barron.values()])
        var_y = np.array([(b["overall_se"] / b["overall"]) ** 2 for b in barron.values()])
        centred = dims - dims.mean()
        slope = float(np.sum(centred * y) / np.sum(centred ** 2))
        slope_se = float(np.sqrt(np.sum(centred ** 2 * var_y)) / np.sum(centred ** 2))
        repeats = int(len(ns) * config["barron_repeats"])
        claims.append(claim_bound(
            "barron_dimension_free", f"at fixed r C_f = {config['barron_rcf']:g} (Barron's bound "
            f"{4 * config['barron_rcf'] ** 2:g} in every d), n*MSE does not grow with d: log-log slope of the mean "
            f"n*MSE against d = {', '.join(barron)}", {"n": len(dims), "df": repeats - 1, "mean": slope,
                                                     "se": slope_se}, 0.0,
            source="Barron (1993), Universal approximation bounds for superpositions of a sigmoidal function, "
            "Theorem 1: n ||f - f_n||^2 <= (2 r C_f)^2 whatever the dimension",
            note=f"tolerance: one-sided Student t on the slope's standard error (delta method from each d's "
                 f"standard error over {repeats} repeats, hence {repeats - 1} df)"))
    ratio = max(max(b["n_mse_mean"]) / b["bound"] for b in barron.values())
    claims.append(observation(
        "barron_bound_ratio", "largest n*MSE / (2 r C_f)^2 over d and n: how far under Barron's bound Maurey's "
        "sampling lands", ratio, source=MAUREY, note="the bound holds by construction (the variance is at most "
        "V^2 <= (2 r C_f)^2: a unit test); the ratio says how loose it is for this target"))
    return barron, rows, lines, claims
