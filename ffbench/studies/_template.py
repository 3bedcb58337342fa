"""Template study (copy this file to start one): He initialisation preserves the second moment of ReLU nets.

Claim (He, Zhang, Ren & Sun 2015, "Delving Deep into Rectifiers", Sec. 2.2, Eq. 10): in a ReLU net with
zero-mean symmetric weights of variance Var[w] on n inputs, the expected second moment of the pre-activations
changes by the factor n Var[w] / 2 per layer: E[q_{l+1}] = (n Var[w] / 2) E[q_l], exactly, at any width
(the expectation over the weights).  He's normal init (Var[w] = 2/n) keeps it at 1; Glorot's (Var[w] = 1/n
for square layers) halves it per layer.

This study: q_l is the mean square of layer l's pre-activations over a fixed N(0, 1) batch; the ratio
q_L / q_1 over L - 1 ReLU layers is averaged over independent weight draws and compared with
(n Var[w] / 2)^(L-1) by a two-sided Student t test at alpha 0.01 over the draws (``claim_mean``).  The typical
(geometric-mean) ratio drifts below the expectation at finite width (Hanin 2018): reported as an observation.

How to copy it: rename the file and ``NAME``, register the module in ``ffbench.studies.STUDIES``, write
``studies/NAME.toml`` equal to ``DEFAULTS`` (a test keeps them equal), then replace the kinds, the summary
and the figure.  The contract every name here follows is ``ffbench.studies.framework.contract.Study``.
"""
import math

import numpy as np

from ffbench.init import init_weights
from ffbench.studies.framework import Choice, claim_mean, derive_seed, group, observation
from ffbench.style import figure, label, save_figure, theory

NAME = "template"
VERSION = "1"  # bump when run() changes: cached runs are then recomputed
DEFAULTS = {"seed": 0, "inits": ["he_normal", "xavier_normal"], "width": 128, "depth": 10, "batch": 64, "draws": 40}
QUICK = {"width": 64, "draws": 20}

# n Var[w] / 2 per layer for square layers: the prediction, and the inits this study supports.
PER_LAYER = {"he_normal": 1.0, "xavier_normal": 0.5}
# Beyond what DEFAULTS imply (types, ranges; "inits" names from ffbench.init): only the inits PER_LAYER knows.
CONSTRAINTS = {"inits": Choice(PER_LAYER, "init of this study")}
SOURCE = "He et al. 2015, Delving Deep into Rectifiers, Sec. 2.2, Eq. 10"


# ------------------------------------------------------------------------------------------------ runs

def runs(config):
    """One run per init and weight draw; every seed derived from the run's own parameters."""
    keep = ("width", "depth", "batch")
    return [{"kind": "moments", "init": init, "draw": d, **{k: config[k] for k in keep},
             "seed": derive_seed(config["seed"], "moments", init, d)}
            for init in config["inits"] for d in range(config["draws"])]


def _moments(spec):
    """q_l, l = 1..depth: mean squares of the pre-activations of one random ReLU net on a N(0, 1) batch."""
    rng = np.random.default_rng(spec["seed"])
    n = spec["width"]
    h = rng.standard_normal((spec["batch"], n))
    q = []
    for _ in range(spec["depth"]):
        z = h @ init_weights(spec["init"], n, n, rng=rng)
        q.append(float(np.mean(z * z)))
        h = np.maximum(z, 0.0)
    return {"q": q}


KINDS = {"moments": _moments}


def run(spec):
    return KINDS[spec["kind"]](spec)


# ------------------------------------------------------------------------------------------- summarize

def _profile(config, pairs):
    """Per init: every draw's q_L / q_1, and the mean profile q_l / q_1."""
    out = {}
    for init, runs_of_init in group(pairs, "init", config["inits"]).items():
        q = np.array([r["q"] for _, r in runs_of_init])
        ratio = q / q[:, :1]
        out[init] = {"ratio": ratio[:, -1].tolist(), "mean_profile": ratio.mean(axis=0).tolist(),
                     "predicted_profile": [PER_LAYER[init] ** l for l in range(config["depth"])]}
    return out


def _claims(config, profile):
    claims, layers = [], config["depth"] - 1
    for init, p in profile.items():
        predicted = PER_LAYER[init] ** layers
        claims.append(claim_mean(
            f"{init}_second_moment", f"E[q_L / q_1] = (n Var[w] / 2)^{layers} = {predicted:.4g} with {init}",
            p["ratio"], predicted, source=SOURCE, kind="theorem", note="over the weight draws"))
        geometric = math.exp(float(np.mean(np.log(p["ratio"]))))
        claims.append(observation(f"{init}_typical_ratio", f"geometric mean of q_L / q_1 with {init}", geometric,
                                  source="this study: the finite-width drift noted in the module docstring"))
    return claims


def summarize(config, pairs):
    profile = _profile(config, pairs)
    rows = [{"init": s["init"], "draw": s["draw"], "layer": l + 1, "q": q}
            for s, r in pairs for l, q in enumerate(r["q"])]
    table = "\n".join(f"{init:<14} E[q_L/q_1] = {np.mean(p['ratio']):.4g}" for init, p in profile.items())
    return {"data": {"profile": profile}, "rows": rows, "claims": _claims(config, profile), "table": table}


# ---------------------------------------------------------------------------------------------- render

def render(record, out_dir, formats):
    fig, ax = figure("single")
    for init, p in record["data"]["profile"].items():
        layers = np.arange(1, len(p["mean_profile"]) + 1)
        ax.semilogy(layers, p["mean_profile"], "o", label=label(init))
        theory(ax, layers, p["predicted_profile"])
    ax.set_xlabel("layer $l$")
    ax.set_ylabel(r"$q_l / q_1$ (mean over draws)")
    ax.legend()
    return save_figure(fig, out_dir, f"{NAME}_moments", formats)


if __name__ == "__main__":
    from ffbench.studies.framework import main

    main(__name__)
