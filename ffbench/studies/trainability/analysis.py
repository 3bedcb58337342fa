"""The trainability study's summary: per-cell learning rate, the phase diagram, and the claims.

Shapes: a *cell* is one (sigma_w^2, depth); arrays indexed ``[sigma, depth]`` follow ``grid(config)`` and
``config["depths"]``, with a trailing ``[lr]`` axis over ``config["training"]["lrs"]`` and/or ``[seed]``.
"""
from __future__ import annotations

import math

import numpy as np

from ... import theory
from ..framework import claim_fraction, claim_mean, group, observation
from .experiment import ACTIVATION, KINDS, measured_xi

SOURCE = "Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, Deep information propagation, ICLR"
ONLY_NEAR = ('abstract and Sec. 5: "arbitrarily deep networks may be trained only sufficiently close to '
             'criticality"')


def critical(config) -> float:
    return theory.critical_sigma_w2(ACTIVATION, config["sigma_b2"])


def grid(config) -> list[float]:
    """The configured sigma_w^2 values and the critical one, sorted."""
    return sorted({*map(float, config["sigma_w2"]), critical(config)})


def _per_run(trained, sigmas, depths, lrs, seeds, key):
    """``result[key]`` of every training run as a float array (sigma, depth, lr, seed); NaN where missing."""
    out = np.full((len(sigmas), len(depths), len(lrs), seeds), math.nan)
    for spec, result in trained:
        value = result[key]
        out[sigmas.index(spec["sigma_w2"]), depths.index(spec["depth"]), lrs.index(spec["lr"]),
            spec["seed_index"]] = math.nan if value is None else float(value)
    return out


def choose_lr(loss) -> np.ndarray:
    """Per cell, the index of the learning rate with the lowest mean training loss over seeds (a run that
    diverged counts as infinitely bad; ties go to the smaller lr).  ``loss``: (sigma, depth, lr, seed)."""
    mean = np.where(np.isfinite(loss), loss, np.inf).mean(axis=-1)
    return np.argmin(mean, axis=-1)


def summarize(config, pairs):
    parts = group(pairs, "kind", KINDS)
    s_c = critical(config)
    sigmas, depths, seeds = grid(config), list(config["depths"]), config["seeds"]
    lrs = [float(v) for v in config["training"]["lrs"]]
    theory_rows = {s2: theory.depth_scale(ACTIVATION, s2, config["sigma_b2"])._asdict() for s2 in sigmas}
    xi = {s2: [math.nan] * config["probe"]["seeds"] for s2 in sigmas}
    for spec, result in parts["probe"]:
        xi[spec["sigma_w2"]][spec["seed_index"]] = measured_xi(result)
    trained = parts["train"]
    acc_all, loss_all, test_all = (_per_run(trained, sigmas, depths, lrs, seeds, k)
                                   for k in ("accuracy", "loss", "test_accuracy"))
    pick = choose_lr(loss_all)
    per_seed = np.take_along_axis(acc_all, pick[:, :, None, None], axis=2)[:, :, 0, :]   # (sigma, depth, seed)
    classes = trained[0][1]["classes"]
    b = config["boundary"]
    threshold = b["chance_multiple"] / classes
    bound = np.array([b["multiple"] * theory_rows[s2]["xi_c"] for s2 in sigmas])
    acc = per_seed.mean(axis=-1)
    data = {
        "sigma_w2": sigmas, "depths": depths, "lrs": lrs, "critical_sigma_w2": s_c, "classes": classes,
        "threshold": threshold, "accuracy": acc, "accuracy_per_seed": per_seed,
        "chosen_lr": [[lrs[j] for j in row] for row in pick],
        "accuracy_by_lr": acc_all.mean(axis=-1), "loss_by_lr": loss_all.mean(axis=-1),
        "test_accuracy": np.take_along_axis(test_all, pick[:, :, None, None], axis=2)[:, :, 0, :].mean(axis=-1),
        "theory": [theory_rows[s2] for s2 in sigmas], "xi_measured": [xi[s2] for s2 in sigmas],
        "curve": _curve(config, s_c), "errors": boundary_errors(sigmas, depths, acc, bound, threshold, b["margin"]),
    }
    rows = [{"part": "run", "sigma_w2": s2, "depth": d, "lr": lr, "seed": i, "accuracy": acc_all[k, j, m, i],
             "loss": loss_all[k, j, m, i], "test_accuracy": test_all[k, j, m, i], "chosen": m == pick[k, j],
             "xi_c": theory_rows[s2]["xi_c"]}
            for k, s2 in enumerate(sigmas) for j, d in enumerate(depths) for m, lr in enumerate(lrs)
            for i in range(seeds)]
    rows += [{"part": "xi", "sigma_w2": s2, "seed": i, "xi_measured": xi[s2][i], **theory_rows[s2]}
             for s2 in sigmas for i in range(config["probe"]["seeds"])]
    claims = _claims(config, sigmas, depths, per_seed, bound, threshold, xi, theory_rows, s_c)
    claims += _lr_observations(config, sigmas, depths, acc_all, pick, threshold, s_c)
    return {"data": data, "rows": rows, "claims": claims,
            "table": _table(sigmas, depths, acc, bound, xi, threshold, data["chosen_lr"])}


def _curve(config, s_c, n=400):
    """6 xi_c on a dense sigma_w^2 grid for the figure (the critical point itself left out: xi_c = inf)."""
    lo, hi = min(config["sigma_w2"] + [s_c]), max(config["sigma_w2"] + [s_c])
    s = np.linspace(lo, hi, n)
    s = s[np.abs(s - s_c) > 1e-3]
    return {"sigma_w2": s, "xi_c": [theory.depth_scale(ACTIVATION, float(v), config["sigma_b2"]).xi_c for v in s]}


def judged_cells(depths, bound, margin) -> np.ndarray:
    """(sigma, depth) mask of the cells at least a factor ``margin`` from 6 xi_c on either side."""
    d = np.asarray(depths, dtype=float)[None, :]
    return (d <= bound[:, None] / margin) | (d >= bound[:, None] * margin)


def boundary_errors(sigmas, depths, acc, bound, threshold, margin) -> list[dict]:
    """The judged cells on the wrong side of 6 xi_c: where they lie (sigma_w^2, L, L / 6 xi_c) and what they
    measured (mean training accuracy over seeds)."""
    d = np.asarray(depths, dtype=float)[None, :]
    wrong = judged_cells(depths, bound, margin) & ((acc > threshold) != (d < bound[:, None]))
    return [{"sigma_w2": sigmas[k], "depth": depths[j], "depth_over_6xi": depths[j] / bound[k],
             "accuracy": float(acc[k, j]), "trains": bool(acc[k, j] > threshold)}
            for k, j in zip(*np.nonzero(wrong))]


def _claims(config, sigmas, depths, per_seed, bound, threshold, xi, theory_rows, s_c):
    claims = []
    b, probe = config["boundary"], config["probe"]
    lrs, steps = config["training"]["lrs"], _steps(config)
    budget = (f"{steps} SGD steps (batch {config['training']['batch_size']}), the best of lr {lrs} per cell by "
              f"training loss, width {config['width']}, {config['seeds']} networks per cell")
    # 1. Measured xi_c against theory: ln(measured / theory), pooled over every sigma_w^2 measured by all seeds.
    resolvable = probe["tolerance"] * probe["width"]  # xi_c whose finite-width shift O(xi_c / width) stays small
    measured_at = [s2 for s2 in sigmas if theory_rows[s2]["xi_c"] <= resolvable
                   and all(math.isfinite(x) and x > 0 for x in xi[s2])]
    logs = [math.log(x / theory_rows[s2]["xi_c"]) for s2 in measured_at for x in xi[s2]]
    if len(logs) >= 2:
        claims.append(claim_mean(
            "xi_c_follows_theory", "correlation depth scale at init: ln(measured xi_c / theory), pooled over "
            f"sigma_w^2 in {[round(s, 3) for s in measured_at]} and {probe['seeds']} networks each", logs, 0.0,
            allowance=probe["tolerance"], kind="theorem",
            source=f"{SOURCE}, Sec. 3: |c_l - c*| ~ exp(-l/xi_c), xi_c^-1 = -ln(sigma_w^2 E[phi'(u1) phi'(u2)])",
            note=f"allowance {probe['tolerance']}: the O(xi_c / width) finite-width shift at width {probe['width']}; "
                 f"judged where xi_c <= {resolvable:g} = tolerance x width and every probe measured it (module "
                 "docstring)"))
    # 2. The 6 xi_c boundary, away from it: each judged cell (seed-mean accuracy at its own lr) is right or wrong.
    acc = per_seed.mean(axis=-1)
    far = judged_cells(depths, bound, b["margin"])
    right = ((acc > threshold) == (np.asarray(depths, dtype=float)[None, :] < bound[:, None]))[far]
    if right.size:
        errors = boundary_errors(sigmas, depths, acc, bound, threshold, b["margin"])
        claims.append(claim_fraction(
            "boundary_6_xi_c", f"cells with L < {b['multiple']:g} xi_c train (accuracy > {threshold:.2f}, "
            f"{b['chance_multiple']:g}x chance) and cells beyond do not: fraction right of the {right.size} cells "
            f"outside a factor-{b['margin']:g} band around {b['multiple']:g} xi_c, against at least "
            f"{b['fraction']:.0%}", int(right.sum()), int(right.size), (b["fraction"], 1.0), kind="empirical",
            source=f"{SOURCE}, Sec. 5 and Fig. 5 (trainable iff L < 6 xi_c; MNIST, CIFAR-10)",
            note=f"{budget}; errors (sigma_w^2, L, L / 6 xi_c, accuracy): " + _error_text(errors)
                 + "; cells are treated as independent trials",
            not_judged="" if right.size >= 10 else f"only {right.size} cells outside the band: too few"))
    # 3. The paper's statement: deep networks train *only* near criticality (a necessary condition).
    deep = [j for j, d in enumerate(depths) if d >= b["deep"]]
    trains = [(k, j) for k in range(len(sigmas)) for j in deep if acc[k, j] > threshold]
    near = [depths[j] < b["margin"] * bound[k] for k, j in trains]
    if trains:
        outside = [f"({sigmas[k]:.3g}, {depths[j]})" for (k, j), ok in zip(trains, near) if not ok]
        claims.append(claim_fraction(
            "deep_trains_only_near_criticality", f"networks of depth L >= {b['deep']} train only sufficiently "
            f"close to criticality: every trainable cell with L >= {b['deep']} has L < {b['margin']:g} x 6 xi_c "
            "(fraction of the trainable deep cells that do)", sum(near), len(near), 1.0, kind="empirical",
            source=f"{SOURCE}, {ONLY_NEAR}",
            note=f"{budget}; trainable deep cells outside the window: {', '.join(outside) or 'none'}"))
    # 4. The infinite-width extrapolation: at chi_1 = 1 every network of the grid trains.
    i_c = sigmas.index(s_c)
    nets = per_seed[i_c]                                                                 # (depth, seed)
    worst = np.unravel_index(int(np.argmin(nets)), nets.shape)
    claims.append(claim_fraction(
        "critical_trains_at_every_depth", f"at the critical sigma_w^2 = {s_c:.4f} every network of every depth "
        f"({depths[0]}..{depths[-1]}, width {config['width']}) trains: fraction of the networks with accuracy > "
        f"{threshold:.2f} (least accurate: L = {depths[worst[0]]}, seed {worst[1]}, {nets[worst]:.3f})",
        int((nets > threshold).sum()), int(nets.size), 1.0, kind="empirical",
        source=f"this study: the infinite-width extrapolation of {SOURCE}, Sec. 3 (xi_c diverges at chi_1 = 1); "
               "the paper states the necessary condition only",
        note=f"{budget}.  Mean field assumes width >> depth; here width {config['width']} < L = {depths[-1]}.  "
             "Accuracy per depth (seed mean): " + ", ".join(f"L={d}: {acc[i_c, j]:.3f}" for j, d in enumerate(depths))))
    # 5. Where the budget's boundary lies, in units of xi_c.
    depths_in_xi = []
    for k, s2 in enumerate(sigmas):
        trainable = [d for j, d in enumerate(depths) if acc[k, j] > threshold]
        if s2 != s_c and trainable and max(trainable) < depths[-1]:
            depths_in_xi.append(max(trainable) / theory_rows[s2]["xi_c"])
    if depths_in_xi:
        claims.append(observation(
            "trainable_depth_in_xi_c", "deepest trainable depth of the grid / xi_c, median over sigma_w^2 whose "
            "boundary lies inside the grid (the paper: about 6)", float(np.median(depths_in_xi)),
            source=f"{SOURCE}, Sec. 5, Fig. 5 and Fig. 6 (the trainable depth grows with training time)",
            note="per sigma_w^2: " + ", ".join(f"{r:.1f}" for r in depths_in_xi)))
    return claims


def _lr_observations(config, sigmas, depths, acc_all, pick, threshold, s_c):
    """What the per-cell learning rate changes: the cells whose trainability differs from the fixed-lr
    design at ``training.reference_lr``, and the critical nets' accuracy at each lr at the deepest depth."""
    lrs = [float(v) for v in config["training"]["lrs"]]
    ref = float(config["training"]["reference_lr"])
    if ref not in lrs:
        return []
    chosen = np.take_along_axis(acc_all.mean(axis=-1), pick[:, :, None], axis=2)[:, :, 0] > threshold
    fixed = acc_all.mean(axis=-1)[:, :, lrs.index(ref)] > threshold
    changed = [f"({sigmas[k]:.3g}, {depths[j]}): {'trains' if chosen[k, j] else 'fails'} at lr "
               f"{lrs[pick[k, j]]:g}" for k, j in zip(*np.nonzero(chosen != fixed))]
    i_c, deepest = sigmas.index(s_c), len(depths) - 1
    return [
        observation("lr_changes_trainability", f"cells whose trainability differs between one fixed lr {ref:g} "
                    "and the per-cell lr (count)", float(len(changed)), source="this study",
                    note="; ".join(changed) or "none"),
        observation("critical_deepest_by_lr", f"at the critical sigma_w^2, L = {depths[-1]}: training accuracy "
                    "(seed mean) at the best lr of the sweep", float(acc_all[i_c, deepest].mean(axis=-1).max()),
                    source="this study", note="by lr: " + ", ".join(
                        f"{lr:g}: {a:.3f}" for lr, a in zip(lrs, acc_all[i_c, deepest].mean(axis=-1))))]


def _steps(config) -> int:
    """SGD steps of one training run (the data set's size is fixed per data set name)."""
    sizes = {"mnist1d": 4000, "digits": 1437}
    t = config["training"]
    return t["epochs"] * math.ceil(sizes.get(t["data"], 0) / t["batch_size"])


def _error_text(errors) -> str:
    return "; ".join(f"({e['sigma_w2']:.3g}, {e['depth']}, {e['depth_over_6xi']:.2f}, {e['accuracy']:.3f})"
                     for e in errors) or "none"


def _table(sigmas, depths, acc, bound, xi, threshold, chosen_lr):
    head = f"{'sigma_w2':>8} {'xi_c':>8} {'xi meas':>8} " + " ".join(f"{d:>11}" for d in depths)
    lines = [f"Training accuracy (mean over seeds) at the cell's lr, by depth; * = L < 6 xi_c; trainable above "
             f"{threshold:.2f}", head]
    for k, s2 in enumerate(sigmas):
        meas = np.array(xi[s2], dtype=float)
        # 4 significant digits: xi_c diverges at the critical point (6.86e+06 there), and must keep the columns
        m = f"{np.mean(meas):8.4g}" if np.all(np.isfinite(meas)) else f"{'-':>8}"
        cells = " ".join(f"{acc[k, j]:4.2f}{'*' if d < bound[k] else ' '}@{chosen_lr[k][j]:<5.2g}"
                         for j, d in enumerate(depths))
        lines.append(f"{s2:8.4f} {bound[k] / 6:8.4g} {m} {cells}")
    return "\n".join(lines)
