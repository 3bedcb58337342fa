"""Toy study for the framework tests: E|Z| of a standard normal by Monte Carlo is sqrt(2/pi).

Laid out like ``ffbench/studies/_template.py`` (the study contract's worked example).  Pure NumPy and fast.
Two claims: one that holds (the estimate matches sqrt(2/pi)) and one that does not (E|Z| > 1), so the tests
see both verdicts.  ``HOOK``, if set, is called with each spec before the run:
tests use it to inject interruptions and failures without changing the specs (and so the cache keys).
"""
import math

import numpy as np

from ffbench.studies.framework import claim_close, claim_greater, derive_seed, group
from ffbench.style import figure, save_figure, theory_hline

NAME = "toy"
VERSION = "1"
DEFAULTS = {"seed": 7, "sizes": [100, 1000, 10000, 100000], "repeats": 2}
QUICK = {"sizes": [200, 2000, 20000]}

CALLS = []  # the specs run in this process, in order
HOOK = None


def runs(config):
    return [{"kind": "sample", "n": n, "repeat": r, "seed": derive_seed(config["seed"], n, r)}
            for n in config["sizes"] for r in range(config["repeats"])]


def _sample(spec):
    z = np.random.default_rng(spec["seed"]).standard_normal(spec["n"])
    return {"mean_abs": np.abs(z).mean(), "max_abs": np.abs(z).max()}


KINDS = {"sample": _sample}


def run(spec):
    if HOOK is not None:
        HOOK(spec)
    CALLS.append(spec)
    return KINDS[spec["kind"]](spec)


def summarize(config, pairs):
    sizes = config["sizes"]
    by_n = group(pairs, "n", sizes)
    mean = [float(np.mean([r["mean_abs"] for _, r in by_n[n]])) for n in sizes]
    predicted = math.sqrt(2 / math.pi)
    rows = [{"n": s["n"], "repeat": s["repeat"], "mean_abs": r["mean_abs"], "max_abs": r["max_abs"]}
            for s, r in pairs]
    source = "this study: E|Z| = sqrt(2/pi) for Z ~ N(0, 1), in the module docstring"
    claims = [claim_close("mean_abs", "E|Z| = sqrt(2/pi) for Z ~ N(0, 1)", mean[-1], predicted, rtol=0.05,
                          source=source, kind="theorem"),
              claim_greater("mean_abs_above_one", "E|Z| > 1 (false: a claim that does not hold)", mean[-1], 1.0,
                            source=source, kind="theorem")]
    table = "\n".join(f"n={n:>7}  E|Z|~{m:.4f}" for n, m in zip(sizes, mean))
    return {"data": {"sizes": sizes, "mean_abs": mean, "predicted": predicted}, "rows": rows,
            "claims": claims, "table": table}


def render(record, out_dir, formats):
    data = record["data"]
    fig, ax = figure("single")
    ax.semilogx(data["sizes"], data["mean_abs"], label="measured")
    theory_hline(ax, data["predicted"], label=r"$\sqrt{2/\pi}$")
    ax.set_xlabel("samples $n$")
    ax.set_ylabel(r"$E|Z|$ estimate")
    ax.legend()
    return save_figure(fig, out_dir, "toy_mean_abs", formats)


if __name__ == "__main__":
    from ffbench.studies.framework import main

    main(__name__)
