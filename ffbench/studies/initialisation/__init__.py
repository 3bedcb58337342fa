"""Why Xavier and He exist, shown by training on MNIST-1D: He et al. 2015, Glorot & Bengio 2010, dynamical isometry.

Three parts, each a module of this package with its runs, summary and claims (exact sources there):

1. ``he``: He, Zhang, Ren & Sun 2015 ("Delving deep into rectifiers", Sec. 2.2, Fig. 3): plain ReLU MLPs of 22
   and 30 hidden layers with Var[w] = 1/n against 2/n; which net starts to learn and how early; the forward
   signal log2(q_L / q_1) tracked during training (its finite-width drift).
2. ``glorot``: Glorot & Bengio 2010 (Sec. 3-4, Fig. 2, Figs. 6-7, Table 1): sigmoid, tanh and softsign with the
   standard U[-1/sqrt(n), 1/sqrt(n)] against the normalized init: the sigmoid top layer's saturation, the
   per-layer spread of activations and back-propagated gradients at init, the test-error ranking of Table 1.
3. ``isometry``: Saxe et al. 2014, Pennington, Schoenholz & Ganguli 2017: the spectrum of the input-output
   Jacobian of critical tanh nets, Gaussian against orthogonal weights, against the variance formula
   sigma^2_JJT = L (mu_2 / mu_1^2 - 1 - s_1); and steps to a target loss against depth.

Scale (the budget: the whole study well under 10 minutes on the shared 2-core machine, quick under a minute):
MNIST-1D (4000 training signals of length 40, float32), plain SGD, widths 64-128.  Width 64 for the deep ReLU
and tanh training runs (a 30-layer step takes ~1.5 ms through ``ffbench.fused``; at 64 the finite-width drift of
the forward signal is visible, 5 L / n ~ 2 in log q at 30 layers, without drowning the 1/n vs 2/n contrast, 2^29);
width 100 and 5 hidden layers for Glorot & Bengio (their 5 hidden layers, narrower than their 1000); width 128
for the Jacobian spectra (its finite-width corrections ~ L / n stay within the statistical tolerance up to L = 32,
measured against width 256).  Seeds: 6 draws for He (when a 1/n 22-layer net starts varies from draw to draw:
350-1100 steps), 8 for Glorot & Bengio (4 decided every claim but softsign's ranking: 5 were needed at the effect
seen), 8 networks per depth for the
spectra, 8 draws for the speed runs (4 left the slow-down comparison undecided: 9 were needed at the effect seen);
every comparison paired by draw (same batch order).  Steps: 2000 for He (the 2/n nets start within 100-150, the
1/n 22-layer nets at 350-1100), 5000 for Glorot (tanh with the normalized init reaches ~0 training loss), 1500 for
the speed runs (every net reaches the target loss 1.5 within 600).  All of these are in
``studies/initialisation.toml``.  Measured (one process, the shared 2-core machine at load 7-11, so the wall
times are upper bounds): the full study is 144 runs, 489 s of wall time and 142 s of CPU; ``--quick`` 40 s of
wall time and 18 s of CPU with the Numba cache warm, 76 s of CPU from an empty cache (``ffbench.fused`` compiles
once per activation and depth: it takes the layers as a tuple, one Numba type per depth).

The learning rate is one per part, not tuned per net (the papers tune it): a claim that fails could be a
learning-rate effect, and its note says so.
"""
from __future__ import annotations

from ffbench.studies.framework import group

from . import glorot, he, isometry
from .figures import render  # noqa: F401  (the study contract's render)

NAME = "initialisation"
VERSION = "1"
DEFAULTS = {
    "seed": 0,
    "he": {"depths": [22, 30], "width": 64, "seeds": 6, "steps": 2000, "batch": 64, "lr": 0.01, "momentum": 0.9,
           "log_every": 50},
    "glorot": {"activations": ["sigmoid", "tanh", "softsign"], "depth": 5, "width": 100, "seeds": 8, "steps": 5000,
               "batch": 32, "lr": 0.1, "momentum": 0.0, "log_every": 250},
    "isometry": {"depths": [2, 8, 32], "width": 128, "networks": 8, "inputs": 2, "sigma_b2": 0.05,
                 "training": {"depths": [5, 20, 40], "width": 64, "seeds": 8, "steps": 1500, "batch": 64,
                              "lr": 0.01, "momentum": 0.9, "log_every": 25, "target": 1.5}},
}
QUICK = {
    "he": {"seeds": 2, "steps": 600},
    "glorot": {"seeds": 2, "steps": 1500},
    "isometry": {"depths": [2, 8], "width": 64, "networks": 4, "inputs": 1,
                 "training": {"depths": [5, 40], "seeds": 2, "steps": 500}},
}

KINDS = {"he": he.run, "glorot": glorot.run, "spectrum": isometry.run_spectrum, "speed": isometry.run_speed}


def runs(config):
    """The runs of the three parts; every seed derived from the study seed and the run's own parameters."""
    return he.runs(config, config["seed"]) + glorot.runs(config, config["seed"]) + isometry.runs(config, config["seed"])


def run(spec):
    return KINDS[spec["kind"]](spec)


def summarize(config, pairs):
    kinds = group(pairs, "kind", KINDS)
    he_data, he_rows, he_claims = he.summarize(config, kinds["he"])
    gl_data, gl_rows, gl_claims = glorot.summarize(config, kinds["glorot"])
    iso_data, iso_rows, iso_claims = isometry.summarize(config, kinds["spectrum"], kinds["speed"])
    return {"data": {"he": he_data, "glorot": gl_data, "isometry": iso_data},
            "rows": he_rows + gl_rows + iso_rows, "claims": he_claims + gl_claims + iso_claims,
            "table": _table(gl_data, iso_data)}


def _table(gl, iso):
    lines = ["Glorot & Bengio, test error % (mean over draws):"]
    for act, cells in gl["cells"].items():
        lines.append(f"  {act:<9}" + "  ".join(f"{glorot.INITS[i]} {sum(c['test_error']) / len(c['test_error']):5.1f}"
                                              for i, c in cells.items()))
    lines.append("Jacobian spread slope per layer (predicted): " + ", ".join(
        f"{w} {iso['critical']['slope'][w]:.3g}" for w in iso["critical"]["slope"]))
    return "\n".join(lines)


if __name__ == "__main__":
    from ffbench.studies.framework import main

    main(__name__)
