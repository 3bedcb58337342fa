r"""Trainability: a random tanh network trains only to a depth of about 6 xi_c (Schoenholz et al. 2017).

Claim (S. Schoenholz, J. Gilmer, S. Ganguli, J. Sohl-Dickstein, "Deep information propagation", ICLR 2017,
arXiv:1611.01232): two inputs' correlation reaches its fixed point c* over a depth scale xi_c = -1 / ln chi_c
(Sec. 3), which diverges on the order-to-chaos line chi_1 = 1; a network of depth L trains when L < ~6 xi_c and
not beyond (Sec. 5, Fig. 5: MNIST and CIFAR-10 training accuracy over (sigma_w^2, L) with 6 xi_c drawn on it), so
networks at the critical sigma_w^2 train at any depth.  The formulas are ``ffbench.theory.depth_scale``.

What runs:

- probe: at initialisation, ``probe.seeds`` plain tanh networks of ``probe.width`` units per sigma_w^2, weights
  N(0, sigma_w^2 / n), biases N(0, sigma_b^2), fed ``probe.pairs`` pairs of Gaussian inputs scaled so that the
  first pre-activations have second moment q* and a chosen correlation c_0; per layer, each pair's correlation
  c_l (1 - c_l computed as (|a - b|^2 - (|a| - |b|)^2) / (2 |a| |b|), without cancellation).  Ordered phase
  (c* = 1): c_0 = 1 - ``probe.start`` for every pair, ``probe.depth`` layers; the measured xi_c is -1 / (the
  least-squares slope of ln mean(1 - c_l)) over the layers where it has fallen from 1/10 to 1/1000 of its
  first value (past the nonlinear start; a product of random matrices, so no noise floor).  Chaotic phase:
  the mean correlation of a finite network fluctuates from layer to layer by O(1/sqrt(width)), the same for
  every pair, as much as |c_l - c*| itself a few xi_c deep, so a fit over depth measures noise; instead the
  pairs start spread over c* +- ``probe.start`` (1 - c*), and the slope chi_c of the correlation map at c* is
  the linear coefficient of a quadratic fit of c_{l+1} - c* against c_l - c* over every pair and the first
  ``probe.slope_layers`` layers, with an intercept per layer (a fluctuation common to all pairs moves that
  layer's intercept, not the slope);
  xi_c = -1 / ln chi_c.  A probe whose decay does not reach 1/1000 within its depth, or whose slope is not in
  (0, 1), has no measurement (near the critical line xi_c outgrows any probe).
- train: a tanh network of ``width`` units and L hidden layers (sizes [inputs, width x L, classes]), same
  initialisation, trained by plain SGD (``training``; no momentum or Adam, which rescale gradients) with
  softmax cross-entropy on the training set of ``training.data`` for a fixed number of epochs; then the
  accuracy and loss on that whole training set (the paper's measure), and the test accuracy.

Claims, each derived before looking at our numbers:

- ``xi_c_follows_theory``: ln(measured xi_c / theory), pooled over every sigma_w^2 that all its probes measure,
  is 0 within 3 standard errors of the mean plus ``probe.tolerance`` = 0.1: a finite network's maps differ from
  the mean-field ones by O(1/width) per layer (the log of a product of random matrices grows more slowly than
  the log of its mean square, by about 1/width per layer), which shifts xi_c by O(xi_c / width): under 10%
  only where xi_c <= 0.1 x width (30 for the width-300 probe), so the claim is judged on those sigma_w^2; the
  figure shows the others.
- ``boundary_6_xi_c``: a cell (sigma_w^2, L) is *trainable* when its mean training accuracy over seeds exceeds
  ``boundary.chance_multiple`` x chance (1 / classes): the paper's untrainable cells sit at chance (Fig. 5), its
  trainable ones far above it, so twice chance separates the two with room for a network that memorises a few
  samples.  The prediction is trainable iff L < 6 xi_c.  Cells within a factor ``boundary.margin`` = 2 of 6 xi_c
  are not judged: the paper's Fig. 6 shows the trainable depth growing with training time (the boundary is
  sharp only as a multiple of xi_c, which moves with the budget), so only cells clearly on one side are a test.
  The paper presents the separation as complete; we require ``boundary.fraction`` = 90% of the judged cells
  classified right (each seed's grid gives one fraction; tolerance 3 standard errors over seeds).
- ``critical_trains_at_every_depth``: at the critical sigma_w^2 (chi_1 = 1, added to the grid) every network
  of every depth beats the trainability threshold, judged on the least accurate network (no tolerance: the
  statement is about each network, and 3 standard errors of two seeds could not fail).
- ``trainable_depth_in_xi_c`` (observation): for each sigma_w^2 off the critical line, the deepest trainable
  depth of the grid divided by xi_c; the paper's value is 6.
"""
from __future__ import annotations

import math

import numpy as np

from .. import MLP, theory
from ..data import digits, mnist1d
from ..losses import loss_function
from ..optim import SGD
from ..style import figure, save_figure, theory as theory_line
from ..train import accuracy, train
from .framework import claim_close, claim_greater, derive_seed, group, observation, se_tolerance, spread_of

NAME = "trainability"
VERSION = "1"

SOURCE = "Schoenholz, Gilmer, Ganguli & Sohl-Dickstein 2017, Deep information propagation, ICLR"

DEFAULTS = {
    "seed": 0,
    "sigma_b2": 0.05,
    "sigma_w2": [0.5, 1.0, 1.3, 1.5, 1.65, 1.9, 2.2, 2.7, 3.5, 4.5],  # the critical value is added
    "depths": [2, 4, 8, 16, 24, 32, 48, 64, 96, 128],
    "width": 100,
    "seeds": 2,
    "training": {"data": "mnist1d", "lr": 0.01, "batch_size": 32, "epochs": 4, "dtype": "float32"},
    "probe": {"width": 300, "depth": 200, "pairs": 256, "start": 0.5, "slope_layers": 8, "seeds": 4,
              "tolerance": 0.1},
    "boundary": {"multiple": 6.0, "margin": 2.0, "chance_multiple": 2.0, "fraction": 0.9},
}

QUICK = {
    "sigma_w2": [1.0, 3.0],
    "depths": [2, 8, 32],
    "width": 32,
    "training": {"epochs": 1},
    "probe": {"width": 100, "depth": 60, "pairs": 64, "seeds": 2},
}

ACTIVATION = "tanh"  # the paper's network; depth_scale takes any activation with a finite q*
DATASETS = {"mnist1d": mnist1d, "digits": digits}


def critical(config) -> float:
    return theory.critical_sigma_w2(ACTIVATION, config["sigma_b2"])


def grid(config) -> list[float]:
    """The configured sigma_w^2 values and the critical one, sorted."""
    return sorted({*map(float, config["sigma_w2"]), critical(config)})


def runs(config):
    """The probes, then the training runs deepest first: the longest runs start first, so the last worker to
    finish is not left holding a 128-layer network (a run costs about its depth)."""
    specs = []
    for s2 in grid(config):
        for i in range(config["probe"]["seeds"]):
            specs.append({"kind": "probe", "sigma_w2": s2, "sigma_b2": config["sigma_b2"], "seed_index": i,
                          **{k: v for k, v in config["probe"].items() if k not in ("seeds", "tolerance")},
                          "seed": derive_seed(config["seed"], "probe", s2, i)})
    for depth in sorted(config["depths"], reverse=True):
        for s2 in grid(config):
            for i in range(config["seeds"]):
                specs.append({"kind": "train", "sigma_w2": s2, "sigma_b2": config["sigma_b2"], "depth": depth,
                              "width": config["width"], "seed_index": i, **config["training"],
                              "seed": derive_seed(config["seed"], "train", s2, depth, i)})
    return specs


def _network(sizes, spec, dtype=np.float64):
    """A tanh MLP with W ~ N(0, sigma_w^2 / fan_in) and b ~ N(0, sigma_b^2)."""
    model = MLP(sizes, ACTIVATION, "lecun_normal", init_params={"gain": math.sqrt(spec["sigma_w2"])},
                seed=spec["seed"], dtype=dtype)
    rng = np.random.default_rng([spec["seed"], 1])
    for b in model.biases:
        b[:] = rng.normal(0.0, math.sqrt(spec["sigma_b2"]), b.shape)
    return model


def _probe(spec):
    """Correlations of input pairs layer by layer at initialisation (see the module docstring)."""
    ds = theory.depth_scale(ACTIVATION, spec["sigma_w2"], spec["sigma_b2"])
    width, pairs, ordered = spec["width"], spec["pairs"], ds.c_star == 1.0
    if ordered:
        c0, depth = np.full(pairs, 1.0 - spec["start"]), spec["depth"]
    else:
        c0, depth = ds.c_star + spec["start"] * (1.0 - ds.c_star) * np.linspace(-1, 1, pairs), spec["slope_layers"]
    s2 = (ds.q_star - spec["sigma_b2"]) / spec["sigma_w2"]  # mean(x^2) that puts q_0 at q*
    c_in = (c0 * ds.q_star - spec["sigma_b2"]) / (spec["sigma_w2"] * s2)
    rng = np.random.default_rng([spec["seed"], 2])
    g1, g2 = rng.standard_normal((2, pairs, width))
    X = math.sqrt(s2) * np.concatenate([g1, c_in[:, None] * g1 + np.sqrt(1.0 - c_in[:, None] ** 2) * g2])
    model = _network([width] * (depth + 1), spec)
    model.forward(X)
    one_minus_c = []
    for z in model.preactivations:
        a, b = z[:pairs], z[pairs:]
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        one_minus_c.append((np.sum((a - b) ** 2, axis=1) - (na - nb) ** 2) / (2.0 * na * nb))
    one_minus_c = np.array(one_minus_c)  # (depth, pairs)
    if ordered:
        return {"ordered": True, "one_minus_c": one_minus_c.mean(axis=1)}
    return {"ordered": False, "c_star": ds.c_star, "c": 1.0 - one_minus_c}


def _train(spec):
    """Train one network on the data set; accuracy and loss on the whole training set after the budget."""
    load = DATASETS[spec["data"]]
    X, y = load("train", dtype=spec["dtype"])
    X_test, y_test = load("test", dtype=spec["dtype"])
    classes = int(y.max()) + 1
    model = _network([X.shape[1]] + [spec["width"]] * spec["depth"] + [classes], spec, np.dtype(spec["dtype"]))
    history = train(model, X, y, "softmax_cross_entropy", SGD(model, lr=spec["lr"]), epochs=spec["epochs"],
                    batch_size=spec["batch_size"], seed=spec["seed"])
    loss = loss_function("softmax_cross_entropy")(model.forward(X), y)[0]
    return {"accuracy": accuracy(model, X, y), "loss": float(loss), "test_accuracy": accuracy(model, X_test, y_test),
            "diverged": history.diverged, "steps": len(history.step_loss), "classes": classes}


KINDS = {"probe": _probe, "train": _train}


def run(spec):
    return KINDS[spec["kind"]](spec)


# ------------------------------------------------------------------------------------------ analysis

def _decay_xi(d, window=(0.1, 1e-3)) -> float:
    """-1 / slope of ln d_l over the layers where d has fallen from window[0] d_0 to window[1] d_0; NaN when it
    never falls that far (xi_c too long for the probe) or the window holds fewer than 3 layers."""
    d = np.asarray(d, dtype=float)
    start = np.flatnonzero(d <= window[0] * d[0])
    end = np.flatnonzero(d <= window[1] * d[0])
    if start.size == 0 or end.size == 0 or end[0] - start[0] < 2:
        return math.nan
    layers = np.arange(start[0], end[0] + 1)
    slope = np.polyfit(layers, np.log(d[layers]), 1)[0]
    return -1.0 / slope if slope < 0 else math.nan


def _slope_xi(c, c_star) -> float:
    """-1 / ln chi, chi the slope at c* of c_{l+1} - c* = a_l + chi (c_l - c*) + k (c_l - c*)^2 fitted by least
    squares over every pair and layer, with one intercept a_l per layer (it absorbs the shift that a finite
    network gives all pairs alike); NaN unless chi is in (0, 1).  ``c``: (layers, pairs)."""
    c = np.asarray(c, dtype=float) - c_star
    layers, pairs = c.shape[0] - 1, c.shape[1]
    x = c[:-1].ravel()
    design = np.column_stack([np.repeat(np.eye(layers), pairs, axis=0), x, x * x])
    chi = np.linalg.lstsq(design, c[1:].ravel(), rcond=None)[0][layers]
    return -1.0 / math.log(chi) if 0.0 < chi < 1.0 else math.nan


def measured_xi(result) -> float:
    """The correlation depth scale of one probe: by the decay of 1 - c_l over depth in the ordered phase, by the
    slope of the layer-to-layer correlation map at c* in the chaotic phase (module docstring)."""
    return _decay_xi(result["one_minus_c"]) if result["ordered"] else _slope_xi(result["c"], result["c_star"])


def _cells(trained):
    """(sigma_w2, depth) -> accuracies, losses and test accuracies over seeds, from the train pairs."""
    cells = {}
    for spec, result in trained:
        cell = cells.setdefault((spec["sigma_w2"], spec["depth"]), {"accuracy": [], "loss": [], "test": []})
        cell["accuracy"].append(result["accuracy"])
        cell["loss"].append(result["loss"] if result["loss"] is not None else math.nan)
        cell["test"].append(result["test_accuracy"])
    return cells


def summarize(config, pairs):
    parts = group(pairs, "kind", KINDS)
    s_c = critical(config)
    sigmas, depths, seeds = grid(config), config["depths"], config["seeds"]
    theory_rows = {s2: theory.depth_scale(ACTIVATION, s2, config["sigma_b2"])._asdict() for s2 in sigmas}
    xi = {s2: [math.nan] * config["probe"]["seeds"] for s2 in sigmas}
    for spec, result in parts["probe"]:
        xi[spec["sigma_w2"]][spec["seed_index"]] = measured_xi(result)
    cells = _cells(parts["train"])
    classes = parts["train"][0][1]["classes"]
    b = config["boundary"]
    threshold = b["chance_multiple"] / classes
    acc = np.array([[np.mean(cells[(s2, d)]["accuracy"]) for d in depths] for s2 in sigmas])
    per_seed = np.array([[cells[(s2, d)]["accuracy"] for d in depths] for s2 in sigmas])  # (sigma, depth, seed)
    bound = np.array([b["multiple"] * theory_rows[s2]["xi_c"] for s2 in sigmas])
    data = {
        "sigma_w2": sigmas, "depths": depths, "critical_sigma_w2": s_c, "classes": classes, "threshold": threshold,
        "accuracy": acc, "accuracy_per_seed": per_seed,
        "loss": [[np.mean(cells[(s2, d)]["loss"]) for d in depths] for s2 in sigmas],
        "test_accuracy": [[np.mean(cells[(s2, d)]["test"]) for d in depths] for s2 in sigmas],
        "theory": [theory_rows[s2] for s2 in sigmas], "xi_measured": [xi[s2] for s2 in sigmas],
        "curve": _curve(config, s_c),
    }
    rows = [{"part": "cell", "sigma_w2": s2, "depth": d, "seed": i, "accuracy": cells[(s2, d)]["accuracy"][i],
             "loss": cells[(s2, d)]["loss"][i], "test_accuracy": cells[(s2, d)]["test"][i],
             "xi_c": theory_rows[s2]["xi_c"]} for s2 in sigmas for d in depths for i in range(seeds)]
    rows += [{"part": "xi", "sigma_w2": s2, "seed": i, "xi_measured": xi[s2][i], **theory_rows[s2]}
             for s2 in sigmas for i in range(config["probe"]["seeds"])]
    claims = _claims(config, sigmas, depths, per_seed, bound, threshold, xi, theory_rows, s_c)
    return {"data": data, "rows": rows, "claims": claims, "table": _table(sigmas, depths, acc, bound, xi, threshold)}


def _curve(config, s_c, n=400):
    """6 xi_c on a dense sigma_w^2 grid for the figure (the critical point itself left out: xi_c = inf)."""
    lo, hi = min(config["sigma_w2"] + [s_c]), max(config["sigma_w2"] + [s_c])
    s = np.linspace(lo, hi, n)
    s = s[np.abs(s - s_c) > 1e-3]
    return {"sigma_w2": s, "xi_c": [theory.depth_scale(ACTIVATION, float(v), config["sigma_b2"]).xi_c for v in s]}


def _claims(config, sigmas, depths, per_seed, bound, threshold, xi, theory_rows, s_c):
    claims = []
    b, probe = config["boundary"], config["probe"]
    seeds = config["seeds"]
    small = "" if seeds >= 2 else "one seed: no spread to derive a tolerance from"
    # 1. Measured xi_c against theory: ln(measured / theory), pooled over every sigma_w^2 measured by all seeds.
    resolvable = probe["tolerance"] * probe["width"]  # xi_c whose finite-width shift O(xi_c / width) stays small
    measured_at = [s2 for s2 in sigmas if theory_rows[s2]["xi_c"] <= resolvable
                   and all(math.isfinite(x) and x > 0 for x in xi[s2])]
    logs = [math.log(x / theory_rows[s2]["xi_c"]) for s2 in measured_at for x in xi[s2]]
    if len(logs) >= 2:
        spread = spread_of(logs)
        claims.append(claim_close(
            "xi_c_follows_theory", "correlation depth scale at init: ln(measured xi_c / theory), pooled over "
            f"sigma_w^2 in {[round(s, 3) for s in measured_at]} and {probe['seeds']} networks each",
            spread["mean"], 0.0, atol=se_tolerance(spread) + probe["tolerance"], spread=spread, kind="theorem",
            source=f"{SOURCE}, Sec. 3: |c_l - c*| ~ exp(-l/xi_c), xi_c^-1 = -ln(sigma_w^2 E[phi'(u1) phi'(u2)])",
            note=f"tolerance 3 SE + {probe['tolerance']} (the O(xi_c / width) finite-width shift, width "
                 f"{probe['width']}); judged where xi_c <= {resolvable:g} = tolerance x width and every probe "
                 "measured it (module docstring)"))
    # 2. The 6 xi_c boundary, away from it.
    depth_arr = np.asarray(depths, dtype=float)[None, :]
    far = (depth_arr <= bound[:, None] / b["margin"]) | (depth_arr >= bound[:, None] * b["margin"])
    predicted = depth_arr < bound[:, None]
    fractions = [float(np.mean(((per_seed[:, :, i] > threshold) == predicted)[far])) for i in range(seeds)]
    judged = int(far.sum())
    if judged:
        spread = spread_of(fractions) if seeds >= 2 else None
        claims.append(claim_greater(
            "boundary_6_xi_c", f"cells with L < {b['multiple']:g} xi_c train (accuracy > {threshold:.2f}, "
            f"{b['chance_multiple']:g}x chance) and cells beyond do not: fraction right of the {judged} cells "
            f"outside a factor-{b['margin']:g} band around {b['multiple']:g} xi_c", float(np.mean(fractions)),
            b["fraction"], tolerance=se_tolerance(spread) if spread else 0.0, spread=spread, kind="empirical",
            source=f"{SOURCE}, Sec. 5 and Fig. 5 (trainable iff L < 6 xi_c; MNIST, CIFAR-10)",
            note="threshold, band and required fraction from the paper (module docstring); tolerance 3 SE over "
                 "seeds' fractions", not_judged=small or (f"only {judged} cells outside the band: too few to "
                                                         "resolve a 90% fraction" if judged < 10 else "")))
    # 3. The critical sigma_w^2 trains at every depth: a statement about every network, so it is judged on the
    # least accurate one (each network either trains or not); a mean within 3 SE of 2 seeds could not fail.
    i_c = sigmas.index(s_c)
    worst, worst_seed = np.unravel_index(int(np.argmin(per_seed[i_c])), per_seed[i_c].shape)
    spread = spread_of(per_seed[i_c, worst]) if seeds >= 2 else None
    claims.append(claim_greater(
        "critical_trains_at_every_depth", f"at the critical sigma_w^2 = {s_c:.4f} every network of every depth "
        f"({depths[0]}..{depths[-1]}) trains: accuracy > {threshold:.2f}; measured: the least accurate one "
        f"(L = {depths[worst]}, seed {worst_seed})", float(per_seed[i_c, worst, worst_seed]), threshold,
        spread=spread, kind="empirical",
        source=f"{SOURCE}, Sec. 5 and Fig. 5 (xi_c diverges at chi_1 = 1: any depth trains)",
        note="judged per network, no tolerance; spread: the seeds at that depth.  Where it fails it is kept as a "
             "finding: the paper trains far longer than this step budget, and its Fig. 6 shows the trainable depth "
             "growing with training time, so a budget this short can leave the deepest critical nets untrained",
        not_judged=small))
    # 4. Where the budget's boundary lies, in units of xi_c.
    depths_in_xi = []
    for k, s2 in enumerate(sigmas):
        trainable = [d for j, d in enumerate(depths) if per_seed[k, j].mean() > threshold]
        if s2 != s_c and trainable and max(trainable) < depths[-1]:
            depths_in_xi.append(max(trainable) / theory_rows[s2]["xi_c"])
    if depths_in_xi:
        claims.append(observation(
            "trainable_depth_in_xi_c", "deepest trainable depth of the grid / xi_c, median over sigma_w^2 whose "
            "boundary lies inside the grid (the paper: about 6)", float(np.median(depths_in_xi)),
            source=f"{SOURCE}, Sec. 5, Fig. 5 and Fig. 6 (the trainable depth grows with training time)",
            note="per sigma_w^2: " + ", ".join(f"{r:.1f}" for r in depths_in_xi)))
    return claims


def _table(sigmas, depths, acc, bound, xi, threshold):
    head = f"{'sigma_w2':>8} {'xi_c':>8} {'xi meas':>8} " + " ".join(f"{d:>5}" for d in depths)
    lines = [f"Training accuracy (mean over seeds) by depth; * = L < 6 xi_c; trainable above {threshold:.2f}", head]
    for k, s2 in enumerate(sigmas):
        meas = np.array(xi[s2], dtype=float)
        m = f"{np.mean(meas):8.2f}" if np.all(np.isfinite(meas)) else f"{'-':>8}"
        cells = " ".join(f"{acc[k, j]:4.2f}{'*' if d < bound[k] else ' '}" for j, d in enumerate(depths))
        lines.append(f"{s2:8.4f} {bound[k] / 6:8.2f} {m} {cells}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ figures

def _edges(values, log=False):
    v = np.log(values) if log else np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    e = np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])
    return np.exp(e) if log else e


def render(record, out_dir, formats):
    data = record["data"]
    sigmas, depths = np.asarray(data["sigma_w2"]), np.asarray(data["depths"], dtype=float)
    fig, (ax, bx) = figure("double", height=3.0, ncols=2)
    mesh = ax.pcolormesh(_edges(sigmas), _edges(depths, log=True), np.asarray(data["accuracy"], dtype=float).T,
                         vmin=1.0 / data["classes"], vmax=math.ceil(10 * np.max(data["accuracy"])) / 10,
                         cmap="cividis", shading="flat")  # chance to best, as the paper's colour scale
    fig.colorbar(mesh, ax=ax, label="training accuracy")
    curve = data["curve"]
    xi_curve = np.asarray(curve["xi_c"], dtype=float)
    s_curve = np.asarray(curve["sigma_w2"], dtype=float)
    for side in (s_curve < data["critical_sigma_w2"], s_curve > data["critical_sigma_w2"]):
        theory_line(ax, s_curve[side], 6 * xi_curve[side], color="white", linewidth=1.2,
                    label=r"$6\,\xi_c$" if side[0] else None)
    ax.axvline(data["critical_sigma_w2"], color="white", linestyle=":", linewidth=1.0, label=r"$\chi_1 = 1$")
    if len(sigmas) > 1 and len(depths) > 1:
        ax.contour(sigmas, depths, np.asarray(data["accuracy"], dtype=float).T, levels=[data["threshold"]],
                   colors="black", linewidths=0.8)
    ax.plot([], [], color="black", linewidth=0.8, marker="", label=f"accuracy = {data['threshold']:.2f}")
    ax.set_yscale("log")
    ax.set_ylim(_edges(depths, log=True)[[0, -1]])
    ax.set_yticks(depths, [f"{d:g}" for d in depths])
    ax.minorticks_off()
    ax.set_xlabel(r"$\sigma_w^2$  ($\sigma_b^2$ = %g)" % record["config"]["sigma_b2"])
    ax.set_ylabel("depth $L$ (hidden layers)")
    ax.set_title(f"tanh, width {record['config']['width']}, {record['config']['training']['data']}")
    ax.legend(loc="upper right", fontsize=6, labelcolor="white")
    theory_line(bx, s_curve, xi_curve, label=r"theory $\xi_c = -1/\ln\chi_c$")
    meas = np.asarray(data["xi_measured"], dtype=float)
    ok = np.all(np.isfinite(meas), axis=1)
    bx.errorbar(sigmas[ok], meas[ok].mean(axis=1),
                yerr=meas[ok].std(axis=1, ddof=1) if meas.shape[1] > 1 else None, linestyle="",
                label=f"measured at init (width {record['config']['probe']['width']})")
    probe = record["config"]["probe"]
    bx.axhline(probe["tolerance"] * probe["width"], color="0.5", linestyle=":", linewidth=0.8,
               label=r"judged below: $\xi_c \leq$ %g x width" % probe["tolerance"])
    bx.set_yscale("log")
    bx.set_ylim(0.5, 3 * probe["depth"])
    bx.set_xlabel(r"$\sigma_w^2$")
    bx.set_ylabel(r"correlation depth scale $\xi_c$")
    bx.legend(loc="upper right", fontsize=6)
    return save_figure(fig, out_dir, "trainability", formats)


if __name__ == "__main__":
    from .framework import main

    main(__name__)
