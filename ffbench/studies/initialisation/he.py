"""Part 1: He, Zhang, Ren & Sun 2015, Sec. 2.2 and Fig. 3: deep plain ReLU nets with Var[w] = 1/n against 2/n.

Each run trains one ReLU MLP (``depth`` hidden layers of ``width``, float32, zero biases) with ``lecun_normal``
(Var[w] = 1/n_in: "Xavier" as He et al. use it) or ``he_normal`` (Var[w] = 2/n_in) and logs, every ``log_every``
steps, the window's mean training loss and the forward signal on a fixed probe batch: ``log2(q_L / q_1)``, the mean
square of the last hidden layer's pre-activations over the first's.  At init its expectation is ``(n Var[w] /
2)^(L-1)`` (He et al. Eq. 10: 2^-(L-1) with 1/n, 1 with 2/n); its typical value drifts below at finite width
(Hanin 2018, ``log q`` a sum of L terms of variance ~ 5/n), the drift the vanishing study measures at init.

A net "starts to learn" at the first logged step whose window loss is below ``START`` x ln 10 (the chance loss of
10 classes); a net that never does within the budget is censored at ``steps + log_every``.
"""
from __future__ import annotations

import math

import numpy as np

from ffbench import MLP
from ffbench.studies.framework import claim_effect, derive_seed, group, observation

from .training import CHANCE_LOSS, mnist1d, train_probed

SOURCE = "He, Zhang, Ren & Sun 2015, Delving deep into rectifiers (ICCV), Sec. 2.2 and Fig. 3"
INITS = {"lecun_normal": "Var[w] = 1/n", "he_normal": "Var[w] = 2/n"}
START = 0.9  # "starts to learn": window loss below 0.9 ln 10, 10% under the chance loss
PROBE = 256  # the first PROBE training signals: the fixed batch the forward signal is measured on


def runs(config, seed):
    c = config["he"]
    keep = {k: c[k] for k in ("width", "steps", "batch", "lr", "momentum", "log_every")}
    return [{"kind": "he", "depth": depth, "init": init, "draw": s, **keep,
             "seed": derive_seed(seed, "he", depth, init, s), "order": derive_seed(seed, "he-order", depth, s)}
            for depth in c["depths"] for init in INITS for s in range(c["seeds"])]


def run(spec):
    X, y, _, _ = mnist1d()
    probe_x = X[:PROBE]
    model = MLP([X.shape[1]] + [spec["width"]] * spec["depth"] + [10], activation="relu", init=spec["init"],
                dtype=np.float32, seed=spec["seed"])

    def probe(m):
        m.forward(probe_x)
        q = [float(np.mean(np.square(z, dtype=np.float64))) for z in m.preactivations[:-1]]
        return math.log2(q[-1] / q[0]) if q[0] > 0 and q[-1] > 0 else -math.inf

    h = train_probed(model, X, y, steps=spec["steps"], batch=spec["batch"], lr=spec["lr"],
                     momentum=spec["momentum"], seed=spec["order"], log_every=spec["log_every"], probe=probe)
    return {"step": h["step"], "loss": h["loss"], "log2_signal": h["probes"]}


def start_step(result, spec) -> float:
    """The first logged step with window loss < START ln 10; ``steps + log_every`` (censored) if none."""
    for s, v in zip(result["step"][1:], result["loss"][1:]):
        if v < START * CHANCE_LOSS:
            return float(s)
    return float(spec["steps"] + spec["log_every"])


def summarize(config, pairs):
    c = config["he"]
    curves, claims, rows = {}, [], []
    for depth, of_depth in group(pairs, "depth", c["depths"]).items():
        curves[str(depth)] = {}
        for init, of_init in group(of_depth, "init", INITS).items():
            of_init = sorted(of_init, key=lambda p: p[0]["draw"])
            curves[str(depth)][init] = {
                "step": of_init[0][1]["step"], "loss": [r["loss"] for _, r in of_init],
                "log2_signal": [r["log2_signal"] for _, r in of_init],
                "start": [start_step(r, s) for s, r in of_init]}
            rows += [{"part": "he", "depth": depth, "init": init, "draw": s["draw"], "step": st, "loss": v,
                      "log2_signal": q} for s, r in of_init
                     for st, v, q in zip(r["step"], r["loss"], r["log2_signal"])]
        claims += _claims(c, depth, curves[str(depth)])
    return {"curves": curves, "start_threshold": START * CHANCE_LOSS}, rows, claims


def _claims(c, depth, curves):
    one, two = curves["lecun_normal"], curves["he_normal"]
    censored = c["steps"] + c["log_every"]
    later = np.subtract(one["start"], two["start"])  # paired by draw: same batch order
    started = sum(s < censored for s in one["start"])
    note = (f"width {c['width']}, SGD lr {c['lr']} momentum {c['momentum']}, batch {c['batch']}, {c['steps']} steps; "
            f"a net that never starts is counted at {censored} steps (censored: the difference is then a lower "
            "bound); paired by draw (same batch order)")
    if depth >= 30:
        note += ("; the 1/n stall checked outside the record (2 draws each, lowest window loss): lr 0.03 2.30, lr 0.1 "
                 "2.30, 6000 steps 2.30, width 128 2.30: not a learning-rate, budget or width effect at this scale")
    claims = [claim_effect(
        f"he_{depth}_starts_earlier",
        f"{depth}-layer ReLU MLP on MNIST-1D: steps until the training loss falls 10% below chance, Var[w] = 1/n "
        "minus 2/n (> 0: the 2/n net starts to learn earlier)", later, 0.0, "greater", source=SOURCE,
        kind="empirical", note=note),
        observation(f"he_{depth}_one_over_n_started",
                    f"{depth}-layer ReLU MLP, Var[w] = 1/n: fraction of draws that start to learn within "
                    f"{c['steps']} steps (He et al.: 22 layers converge, more slowly; 30 layers stall)",
                    started / len(one["start"]), source=SOURCE),
        observation(f"he_{depth}_signal_drift",
                    f"{depth}-layer ReLU MLP, Var[w] = 2/n: log2(q_L / q_1) on the probe batch at init and its "
                    "mean change over training (expectation 0 at init; its typical value drifts at finite width)",
                    float(np.mean([s[0] for s in two["log2_signal"]])), source=SOURCE + "; Hanin 2018 (finite width)",
                    note=f"change over training: {np.mean([s[-1] - s[0] for s in two['log2_signal']]):+.3g}")]
    end_one = [np.nanmean(l[-3:]) for l in one["loss"]]
    end_two = [np.nanmean(l[-3:]) for l in two["loss"]]
    claims.append(claim_effect(
        f"he_{depth}_lower_final_loss",
        f"{depth}-layer ReLU MLP: training loss over the last 3 logged windows, Var[w] = 1/n minus 2/n (> 0)",
        np.subtract(end_one, end_two), 0.0, "greater", source=SOURCE, kind="empirical", note=note))
    return claims
