r"""Part 3: dynamical isometry (Saxe, McClelland & Ganguli 2014; Pennington, Schoenholz & Ganguli 2017).

A tanh net of L square layers of width n, weights W_l with Var = sigma_w^2 / n (Gaussian, ``lecun_normal`` with
gain sigma_w) or sigma_w times a Haar orthogonal matrix, biases N(0, sigma_b^2), at the critical point
chi_1 = sigma_w^2 mu_1 = 1 (``ffbench.theory.critical_sigma_w2``; sigma_b^2 = 0.05 gives sigma_w^2 = 1.761 and
q* = 0.570).  Its input-output Jacobian at an input whose pre-activations sit at q* (h_0 = tanh(sqrt(q*) g),
g ~ N(0, I)) is, in the row convention h_{l+1} = phi(h_l W_l + b_l),

    J = W_1 D_1 W_2 D_2 ... W_L D_L,   D_l = diag(phi'(z_l)),   (n, n), float64.

Pennington, Schoenholz & Ganguli 2017 ("Resurrecting the sigmoid in deep learning through dynamical isometry",
NeurIPS), Sec. 2 (the moments of the spectrum of J J^T by free probability): with mu_k = E[phi'(sqrt(q*) z)^(2k)],
the mean of the squared singular values is m_1 = (sigma_w^2 mu_1)^L = chi_1^L (1 at criticality) and their
variance

    sigma^2_{JJ^T} = L (mu_2 / mu_1^2 - 1 - s_1),

s_1 the first S-transform coefficient of W W^T: -1 for Gaussian weights, 0 for orthogonal ones.  So the spread
grows linearly with depth for both, Gaussian faster by L; orthogonal tanh nets approach isometry as q* -> 0
(mu_2 / mu_1^2 -> 1), Gaussian ones never (Saxe et al. 2014: a deep linear Gaussian net has sigma^2 = L, an
orthogonal one 0).  Measured: sigma^2 / m_1^2 of each network's n squared singular values (the normalisation
removes the finite-width fluctuation of m_1, ~ L/n, which the formula's m_1 = 1 leaves out), fitted as c L through
the origin per draw index over the depths; the slope c is judged against mu_2 / mu_1^2 - 1 - s_1 by a two-sided
t test over the draws.  (The equation number of the formula in the paper could not be checked offline: the
formula is stated in full here.)

Training speed: the same nets (input 40 -> n, 10 outputs) trained on MNIST-1D by SGD with one learning rate for
every depth; steps until the window training loss falls below ``target``.  Pennington et al. (Fig. 4-5) see
orthogonal critical tanh nets learn at a speed nearly independent of depth and Gaussian ones slow down with depth.
"""
from __future__ import annotations

import math

import numpy as np

from ffbench import MLP, quadrature, theory
from ffbench.init import init_weights
from ffbench.studies.framework import claim_effect, claim_mean, derive_seed, group, observation

from .training import mnist1d, steps_to, train_probed

SOURCE = ("Pennington, Schoenholz & Ganguli 2017, Resurrecting the sigmoid in deep learning through dynamical "
          "isometry (NeurIPS), Sec. 2: sigma^2_JJT = L (mu_2 / mu_1^2 - 1 - s_1)")
SPEED_SOURCE = ("Pennington, Schoenholz & Ganguli 2017 (NeurIPS), Sec. 4, Figs. 4-5; Saxe, McClelland & Ganguli "
                "2014, Exact solutions to the nonlinear dynamics of learning in deep linear networks (ICLR)")
WEIGHTS = {"gaussian": "lecun_normal", "orthogonal": "orthogonal"}
S1 = {"gaussian": -1.0, "orthogonal": 0.0}  # first S-transform coefficient of W W^T


def critical_point(sigma_b2: float) -> dict:
    """sigma_w^2 at chi_1 = 1 for tanh, q*, mu_1, mu_2 and the predicted slope of sigma^2_JJT per layer."""
    sw2 = theory.critical_sigma_w2("tanh", sigma_b2)
    _, q = theory.chi1("tanh", sw2, sigma_b2)
    d = theory.phi_prime("tanh", quadrature.points(q))
    mu1, mu2 = quadrature.expectation(d ** 2), quadrature.expectation(d ** 4)
    return {"sigma_w2": sw2, "q_star": q, "mu1": mu1, "mu2": mu2,
            "slope": {w: mu2 / mu1 ** 2 - 1.0 - S1[w] for w in WEIGHTS}}


def _layers(weights, n_in, n, depth, sw2, sb2, rng):
    """``depth`` (W (n_in or n, n), b (n,)) pairs, float64, drawn from ``rng``."""
    out = []
    for l in range(depth):
        W = init_weights(WEIGHTS[weights], n_in if l == 0 else n, n, rng=rng, gain=math.sqrt(sw2))
        out.append((W, rng.standard_normal(n) * math.sqrt(sb2)))
    return out


def jacobian(layers, h0) -> np.ndarray:
    """dh_L / dh_0 of a tanh net at the input row ``h0`` (n_in,), (n_in, n): J = W_1 D_1 ... W_L D_L."""
    J, h = np.eye(len(h0)), h0
    for W, b in layers:
        z = h @ W + b
        J = (J @ W) * (1.0 - np.tanh(z) ** 2)
        h = np.tanh(z)
    return J


def spectrum_moments(J) -> tuple[float, float]:
    """(m_1, sigma^2 / m_1^2) of the squared singular values of J."""
    lam = np.linalg.svd(J, compute_uv=False) ** 2
    return float(lam.mean()), float(lam.var() / lam.mean() ** 2)


def runs(config, seed):
    c = config["isometry"]
    spec = [{"kind": "spectrum", "weights": w, "depth": d, "draw": s, "width": c["width"], "sigma_b2": c["sigma_b2"],
             "inputs": c["inputs"], "seed": derive_seed(seed, "spectrum", w, d, s)}
            for w in WEIGHTS for d in c["depths"] for s in range(c["networks"])]
    t = c["training"]
    keep = {k: t[k] for k in ("width", "steps", "batch", "lr", "momentum", "log_every", "target")}
    spec += [{"kind": "speed", "weights": w, "depth": d, "draw": s, "sigma_b2": c["sigma_b2"], **keep,
              "seed": derive_seed(seed, "speed", w, d, s), "order": derive_seed(seed, "speed-order", d, s)}
             for w in WEIGHTS for d in t["depths"] for s in range(t["seeds"])]
    return spec


def run_spectrum(spec):
    crit = critical_point(spec["sigma_b2"])
    rng = np.random.default_rng(spec["seed"])
    n = spec["width"]
    layers = _layers(spec["weights"], n, n, spec["depth"], crit["sigma_w2"], spec["sigma_b2"], rng)
    moments = [spectrum_moments(jacobian(layers, np.tanh(rng.standard_normal(n) * math.sqrt(crit["q_star"]))))
               for _ in range(spec["inputs"])]
    sv = np.linalg.svd(jacobian(layers, np.tanh(rng.standard_normal(n) * math.sqrt(crit["q_star"]))),
                       compute_uv=False)  # one more input's singular values, for the figure
    return {"m1": float(np.mean([m for m, _ in moments])), "var": float(np.mean([v for _, v in moments])),
            "singular_values": np.sort(sv).tolist()}


def run_speed(spec):
    crit = critical_point(spec["sigma_b2"])
    X, y, _, _ = mnist1d()
    model = MLP([X.shape[1]] + [spec["width"]] * spec["depth"] + [10], activation="tanh",
                init=WEIGHTS[spec["weights"]], init_params={"gain": math.sqrt(crit["sigma_w2"])}, dtype=np.float32,
                seed=spec["seed"])
    rng = np.random.default_rng([spec["seed"], 1])  # the biases N(0, sigma_b^2): MLP's bias_init has no normal
    for b in model.biases[:-1]:
        b[:] = rng.standard_normal(b.size) * math.sqrt(spec["sigma_b2"])
    h = train_probed(model, X, y, steps=spec["steps"], batch=spec["batch"], lr=spec["lr"], momentum=spec["momentum"],
                     seed=spec["order"], log_every=spec["log_every"])
    return {"step": h["step"], "loss": h["loss"]}


def speed_steps(result, spec) -> float:
    """Steps to the target loss; ``steps + log_every`` (censored) when never reached."""
    s = steps_to(result["step"][1:], result["loss"][1:], spec["target"])
    return s if math.isfinite(s) else float(spec["steps"] + spec["log_every"])


def summarize(config, spectrum_pairs, speed_pairs):
    c, t = config["isometry"], config["isometry"]["training"]
    crit = critical_point(c["sigma_b2"])
    spectra, speed, rows = {}, {}, []
    for w, of_w in group(spectrum_pairs, "weights", WEIGHTS).items():
        by_depth = group(of_w, "depth", c["depths"])
        spectra[w] = {"depth": c["depths"],
                      "var": [[r["var"] for _, r in sorted(p, key=lambda p: p[0]["draw"])] for p in by_depth.values()],
                      "m1": [[r["m1"] for _, r in sorted(p, key=lambda p: p[0]["draw"])] for p in by_depth.values()],
                      "singular_values": [p[0][1]["singular_values"] for p in by_depth.values()]}
        rows += [{"part": "spectrum", "weights": w, "depth": s["depth"], "draw": s["draw"], "m1": r["m1"],
                  "var": r["var"]} for s, r in of_w]
    for w, of_w in group(speed_pairs, "weights", WEIGHTS).items():
        by_depth = group(of_w, "depth", t["depths"])
        speed[w] = {"depth": t["depths"], "step": next(iter(by_depth.values()))[0][1]["step"] if of_w else [],
                    "steps": [[speed_steps(r, s) for s, r in sorted(p, key=lambda p: p[0]["draw"])]
                              for p in by_depth.values()],
                    "loss": [[r["loss"] for _, r in sorted(p, key=lambda p: p[0]["draw"])] for p in by_depth.values()]}
    data = {"critical": crit, "spectra": spectra, "speed": speed, "target": t["target"],
            "censored": t["steps"] + t["log_every"]}
    return data, rows, _claims(c, crit, spectra, speed)


def fitted_slopes(depths, var) -> np.ndarray:
    """Per draw index: the least-squares slope c of var = c L through the origin over the depths."""
    L, V = np.asarray(depths, float), np.asarray(var, float)  # V: (depths, draws)
    return (L @ V) / (L @ L)


def _claims(c, crit, spectra, speed):
    claims = []
    for w, s in spectra.items():
        claims.append(claim_mean(
            f"isometry_{w}_spread_slope", f"tanh at chi_1 = 1 (sigma_b^2 = {c['sigma_b2']}, sigma_w^2 = "
            f"{crit['sigma_w2']:.4g}), {w} weights, width {c['width']}: the variance of the Jacobian's squared "
            f"singular values (over their mean squared) per layer, fitted over depths {c['depths']}, vs "
            "mu_2 / mu_1^2 - 1 - s_1", fitted_slopes(s["depth"], s["var"]), crit["slope"][w], source=SOURCE,
            kind="theorem", note=f"mu_1 = {crit['mu1']:.4g}, mu_2 = {crit['mu2']:.4g}, s_1 = {S1[w]:g}; infinite-"
            "width prediction; one value per draw index (the depths' networks are independent)"))
    if len(spectra) == 2:
        ratio = crit["slope"]["gaussian"] / crit["slope"]["orthogonal"]
        claims.append(observation(
            "isometry_gaussian_over_orthogonal_spread", f"spread of the squared singular values at depth "
            f"{c['depths'][-1]}: Gaussian over orthogonal (predicted {ratio:.3g})",
            float(np.mean(spectra["gaussian"]["var"][-1]) / np.mean(spectra["orthogonal"]["var"][-1])), source=SOURCE))
    t = c["training"]
    if len(speed) == 2 and len(t["depths"]) >= 2:
        note = (f"width {t['width']}, SGD lr {t['lr']} momentum {t['momentum']}, batch {t['batch']} at every depth, "
                f"{t['steps']} steps; a net that never reaches the target counts as {t['steps'] + t['log_every']} "
                "(censored); paired by draw (same batch order)")
        gauss, orth = (np.log(np.asarray(speed[w]["steps"], float)) for w in ("gaussian", "orthogonal"))
        claims.append(claim_effect(
            "isometry_deep_gaussian_slower", f"critical tanh, depth {t['depths'][-1]}: ln(steps to training loss "
            f"{t['target']}), Gaussian minus orthogonal (> 0)", gauss[-1] - orth[-1], 0.0, "greater",
            source=SPEED_SOURCE, kind="empirical", note=note))
        claims.append(claim_effect(
            "isometry_gaussian_slows_more_with_depth", f"critical tanh: slow-down from depth {t['depths'][0]} to "
            f"{t['depths'][-1]}, ln(steps ratio), Gaussian minus orthogonal (> 0)",
            (gauss[-1] - gauss[0]) - (orth[-1] - orth[0]), 0.0, "greater", source=SPEED_SOURCE, kind="empirical",
            note=note))
        claims.append(observation(
            "isometry_orthogonal_slowdown", f"critical tanh, orthogonal: steps to the target at depth "
            f"{t['depths'][-1]} over depth {t['depths'][0]} (1: depth-independent)",
            float(np.exp(np.mean(orth[-1] - orth[0]))), source=SPEED_SOURCE, note=note))
    return claims
