"""The dead-ReLU study's claims: the module docstring of ``ffbench.studies.dead_relu`` against the summarised
measurements (dead units at initialisation, born-dead networks, trained networks), with sources and rules."""
from __future__ import annotations

import dataclasses

import numpy as np

from ffbench.studies.claims import ALPHA, claim_close, claim_effect, claim_fraction, observation
from ffbench.studies.stats import fraction_interval

GRAD_DEAD = 1e-6  # |f'(z)| below this on every input: the unit gets (numerically) no gradient (runs and claims)
LU2020 = "Lu, Shin, Su & Karniadakis (2020), Dying ReLU and Initialization, Commun. Comput. Phys. 28:1671"
ONE_INPUT = "this study: exact one-input probability 1 - (1 - 2^-N)^L (module docstring, Markov chain of active counts)"
BETWEEN = (0.05, 0.5)  # 1 - p in this range: both bounds 2p - 1 and p have content and can be resolved
NOTES_004 = ('notes "Neural Networks — Forward & Backpropagation", Critical Pitfalls: "Dead ReLU neurons: if a '
             "neuron's weights push z < 0 for all inputs, it never activates. Use LeakyReLU or proper He "
             'initialization."')
NOTES_002 = ('notes "A Little Bit on Deep Learning in General" (2025-02-25), ReLU and its brothers: \'It "turns off" '
             "neurons with nagative weight.'")
CONVERGED = 0.95  # a learning rate "converges" for an activation when every seed reaches this training accuracy


def study_claims(init, born, trained) -> list:
    """Every claim of the study, in table order."""
    return _claims_init(init) + _claims_born(born) + _claims_trained(trained)


def _claims_init(init):
    """Part (1) is reported, not judged: no closed form covers 2-D data (the one-input bound that holds by
    construction is a unit test)."""
    first = init["inits"][0]
    dead = np.asarray(init["dead_fraction"][first])
    last = {i: float(np.asarray(init["dead_fraction"][i])[0, -1]) for i in init["inits"]}
    return [observation(
        "dead_units_grow_with_depth", f"{first}, width {init['widths'][0]}: dead fraction of the last hidden "
        "layer minus that of the first (two-spirals inputs)", float(dead[0, -1] - dead[0, 0]),
        source="this study: part (1)", note="last-layer dead fraction, narrowest width: " + ", ".join(
            f"{i} {v:.3f}" for i, v in last.items()) + f"; {init['networks']} networks each")]


def _claims_born(born):
    widths, depths, n = born["widths"], born["depths"], born["networks"]
    exact = np.asarray(born["exact"])
    point = born["symmetric"]["point"]
    count = np.asarray(point["count"])
    cells = exact.size
    inside = float(np.mean([lo <= e <= hi for e, k in zip(exact.ravel(), count.ravel())
                            for lo, hi in [fraction_interval(int(k), n, ALPHA / cells)]]))
    claims = [claim_close(
        "dead_at_input_exact", "bias-free nets: fraction of (width, depth) cells whose exact 1-(1-2^-N)^L lies in the "
        "exact (Clopper-Pearson) interval of the simulated P(dead at x = 1)", inside, 1.0, atol=0.0, source=ONE_INPUT,
        kind="theorem", alpha=ALPHA, rule=f"every one of {cells} cells inside its exact Clopper-Pearson interval at "
        f"alpha {ALPHA:g}/{cells} (Bonferroni: a correct formula fails with probability <= {ALPHA:g})",
        note=f"{cells} cells, {n} networks each")]
    claims.append(_born_dead_between_bounds(born, exact))
    if "rai" in born["schemes"]:
        sym = np.asarray(born["symmetric"]["interval"]["p"])[:, -1]
        rai = np.asarray(born["rai"]["interval"]["p"])[:, -1]
        diff = float(np.mean(sym - rai))
        se = float(np.sqrt(np.sum(sym * (1 - sym) + rai * (1 - rai)) / n) / len(sym))
        claims.append(claim_effect(
            "rai_reduces_born_dead", f"P(born dead on [-1, 1]) at {depths[-1]} hidden layers, He (bias-free) "
            "minus RAI, mean over widths > 0 (RAI lowers it)", {"n": n, "mean": diff, "sd": se * np.sqrt(n), "se": se},
            0.0, source=f"{LU2020}: the randomized asymmetric initialisation they propose",
            note="binomial standard error of the difference of independent proportions (n large: t ~ normal); our "
            "RAI draws the symmetric entries from He's N(0, 2/fan_in), not Lu et al.'s second-moment sigma"))
    return claims


def _born_dead_between_bounds(born, exact):
    """Dead on [-1, 1] = dead at +1 and at -1 (homogeneity), each with probability p, so 2p - 1 <= P <= p.  Judged
    where both bounds have content (1 - p in ``BETWEEN``), every such cell by the exact interval of its count at
    alpha / K (Bonferroni over the K cells); the record shows the cell with the least room."""
    n, widths, depths = born["networks"], born["widths"], born["depths"]
    count = np.asarray(born["symmetric"]["interval"]["count"])
    zone = [(a, b) for a in range(len(widths)) for b in range(len(depths))
            if BETWEEN[0] <= 1 - exact[a, b] <= BETWEEN[1]]
    description = (f"bias-free nets on [-1, 1], every (width, depth) cell with 1 - p in [{BETWEEN[0]:g}, "
                   f"{BETWEEN[1]:g}] (p the exact one-input probability): 2p - 1 <= P(born dead) <= p")
    source = f"{LU2020}: born dead in probability as depth -> infinity; the bounds: this study (module docstring)"
    if not zone:
        return claim_fraction("born_dead_between_bounds", description, 0, 1, (0.0, 1.0), source=source, kind="bound",
                              not_judged=f"no cell of the grid has 1 - p in [{BETWEEN[0]:g}, {BETWEEN[1]:g}]")
    alpha = ALPHA / len(zone)

    def room(cell):  # how far the cell's interval reaches into [2p - 1, p] (negative: it misses)
        lo, hi = fraction_interval(int(count[cell]), n, alpha)
        p = exact[cell]
        return min(hi - (2 * p - 1), p - lo)

    worst = min(zone, key=room)
    p = float(exact[worst])
    claim = claim_fraction("born_dead_between_bounds", f"{description}; least room: width {widths[worst[0]]}, "
                           f"{depths[worst[1]]} hidden layers", int(count[worst]), n, (2 * p - 1, p), alpha=alpha,
                           source=source, kind="bound", note=f"{len(zone)} cells, {n} networks each")
    return dataclasses.replace(claim, alpha=ALPHA, rule=f"exact Clopper-Pearson, two-sided, at alpha {ALPHA:g}/"
                               f"{len(zone)} per cell (Bonferroni over the {len(zone)} cells), expectation [2p-1, p]")


def _seed_values(trained, key, act, lr):
    """Per-seed values of ``key`` for one activation and learning rate, diverged runs left out."""
    k = trained["lrs"].index(lr)
    return [v for v in trained["per_seed"][key][act][k] if v is not None]


def _claims_trained(trained):
    lrs, acts = trained["lrs"], trained["activations"]
    claims = []
    if "relu" in acts and len(lrs) > 1:
        seeds = trained["per_seed"]["dead_fraction"]["relu"]
        d = [b - a for a, b in zip(seeds[0], seeds[-1]) if a is not None and b is not None]
        claims.append(claim_effect(
            "relu_dead_grows_with_lr", f"relu: dead fraction after training at lr {lrs[-1]:g} minus at lr "
            f"{lrs[0]:g} > 0 (same seeds)", d, 0.0,
            source="Karpathy, CS231n course notes, Neural Networks Part 1, 'Commonly used activation functions' "
            "(ReLU: with a learning rate set too high, much of the network can die)",
            note="paired by seed (the same initial weights and batches at both learning rates)",
            not_judged="" if d else "no seed trained at both learning rates"))
    if "leaky_relu" in acts:
        values = [v for lr in lrs for v in _seed_values(trained, "grad_dead_fraction", "leaky_relu", lr)]
        worst = max(values) if values else float("nan")
        claims.append(claim_close(
            "leaky_relu_never_gradient_dead", "leaky_relu: largest gradient-dead fraction over learning rates and "
            "seeds (f' >= 0.01 everywhere, so no unit can lose its gradient)", worst, 0.0, atol=0.0,
            source="Maas, Hannun & Ng (2013), Rectifier Nonlinearities Improve Neural Network Acoustic Models: the "
            f"leaky rectifier, f'(z) = 0.01 for z < 0; {NOTES_004}", kind="theorem",
            note=f"gradient-dead: max |f'| over the data < {GRAD_DEAD:g}"))
    smooth = [a for a in acts if a in ("gelu", "silu")]
    if smooth:
        ok = [lr for lr in lrs if all(min(_seed_values(trained, "accuracy", a, lr), default=0.0) >= CONVERGED
                                      for a in smooth)]
        judged = ok or lrs  # none converges (a quick grid): report every learning rate, judge none
        claims.append(_smooth_keep_gradient(trained, smooth, ok))
        lr = lrs[-1]
        if lr not in ok:
            worst = {a: _seed_values(trained, "grad_dead_fraction", a, lr) for a in smooth}
            acc = {a: _seed_values(trained, "accuracy", a, lr) for a in smooth}
            claims.append(observation(
                "smooth_units_collapse_at_large_lr", f"{', '.join(smooth)} at lr {lr:g}, the largest of the grid "
                "(training does not converge for every seed): mean gradient-dead fraction",
                float(np.mean(sum(worst.values(), []))),
                source="this study: part (4)", note="; ".join(
                    f"{a}: gradient-dead per seed {', '.join(f'{v:.2f}' for v in worst[a])}, accuracy "
                    f"{', '.join(f'{v:.2f}' for v in acc[a])}" for a in smooth)))
    return claims


def _smooth_keep_gradient(trained, smooth, ok):
    """ReLU loses more units' gradient than GELU/SiLU: the paired difference (same seed and learning rate, hence
    the same initial weights and batches) of gradient-dead fractions, relu minus each smooth activation, at the
    learning rates where every seed of every smooth activation converges (none: every rate, reported only)."""
    key, lrs = "grad_dead_fraction", trained["lrs"]
    if "relu" not in trained["activations"]:
        return observation("smooth_units_keep_gradient", f"{', '.join(smooth)}: gradient-dead fraction (no relu to "
                           "compare with)", float(np.mean([v for a in smooth for lr in lrs
                                                          for v in _seed_values(trained, key, a, lr)])),
                           source="this study: part (4)")
    used = ok or lrs
    diffs = [r - v for a in smooth for lr in used
             for r, v in zip(trained["per_seed"][key]["relu"][lrs.index(lr)],
                             trained["per_seed"][key][a][lrs.index(lr)])
             if r is not None and v is not None]
    means = ", ".join(f"{a} {np.mean([v for lr in used for v in _seed_values(trained, key, a, lr)]):.3f}"
                      for a in ["relu", *smooth])
    return claim_effect(
        "smooth_units_keep_gradient", f"gradient-dead fraction of relu minus {', '.join(smooth)} > 0 at the learning "
        f"rates where training converges (lr {', '.join(f'{lr:g}' for lr in used)}): smooth units keep their "
        "gradient where relu loses it", diffs, 0.0,
        source=f"this study: part (4) (GELU' and SiLU' are positive but decay like exp(-z^2/2) and exp(-|z|)); "
               f"{NOTES_002}",
        note=f"paired by seed and learning rate; converges: every seed reaches {CONVERGED:.0%} training accuracy; "
             f"mean gradient-dead fraction there: {means}",
        not_judged="" if ok else "no learning rate of the grid converges for every seed")
