"""One run of the trainability study: a correlation probe at initialisation, or one training run.

A run spec is plain JSON (``runs`` in the package builds them); ``KINDS`` dispatches on ``spec["kind"]``.  The
probe returns per-layer correlations, which ``measured_xi`` turns into a depth scale (the module docstring of
``ffbench.studies.trainability`` says how and why).
"""
from __future__ import annotations

import math

import numpy as np

from ... import MLP, activation, theory
from ...data import digits, mnist1d
from ...gemm import matmul
from ...losses import loss_function
from ...optim import SGD
from ...train import train

ACTIVATION = "tanh"  # the paper's network; depth_scale takes any activation with a finite q*
DATASETS = {"mnist1d": mnist1d, "digits": digits}


def _network(sizes, spec, dtype=np.float64):
    """A tanh MLP with W ~ N(0, sigma_w^2 / fan_in) and b ~ N(0, sigma_b^2)."""
    model = MLP(sizes, ACTIVATION, "lecun_normal", init_params={"gain": math.sqrt(spec["sigma_w2"])},
                seed=spec["seed"], dtype=dtype)
    rng = np.random.default_rng([spec["seed"], 1])
    for b in model.biases:
        b[:] = rng.normal(0.0, math.sqrt(spec["sigma_b2"]), b.shape)
    return model


def _layers(model, X):
    """``(Z_l, A_l)`` of each layer of ``model`` on ``X`` (rows, d_in), one layer at a time: the calls and shapes
    of ``MLP.forward`` (so the same bits) without keeping every layer's arrays, which for the probe's 200 layers of
    512 x 300 float64 were ~0.5 GB of the study's peak memory."""
    identity = activation("identity")
    h = X
    for l, (W, b) in enumerate(zip(model.weights, model.biases)):
        Z = matmul(h, W, out=np.empty((h.shape[0], W.shape[1]), model.dtype))
        A = np.empty_like(Z)
        (identity if l == model.depth - 1 else model.act).fused_forward(Z, b, A)
        yield Z, A
        h = A


def _output(model, X) -> np.ndarray:
    """``model.forward(X)`` (rows, classes) without keeping the hidden layers."""
    for _, A in _layers(model, model.check_input(X)):
        pass
    return A


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
    one_minus_c = []
    for z, _ in _layers(model, model.check_input(X)):
        a, b = z[:pairs], z[pairs:]
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        one_minus_c.append((np.sum((a - b) ** 2, axis=1) - (na - nb) ** 2) / (2.0 * na * nb))
    one_minus_c = np.array(one_minus_c)  # (depth, pairs)
    if ordered:
        return {"ordered": True, "one_minus_c": one_minus_c.mean(axis=1)}
    return {"ordered": False, "c_star": ds.c_star, "c": 1.0 - one_minus_c}


def _train(spec):
    """Train one network by plain SGD at ``spec["lr"]``; accuracy and mean loss on the whole training set after
    the budget (the paper's measure), and the test accuracy.  A run whose loss turns non-finite stops there and
    reports NaN loss (the per-cell learning rate never picks it)."""
    load = DATASETS[spec["data"]]
    X, y = load("train", dtype=spec["dtype"])
    X_test, y_test = load("test", dtype=spec["dtype"])
    classes = int(y.max()) + 1
    model = _network([X.shape[1]] + [spec["width"]] * spec["depth"] + [classes], spec, np.dtype(spec["dtype"]))
    history = train(model, X, y, "softmax_cross_entropy", SGD(model, lr=spec["lr"]), epochs=spec["epochs"],
                    batch_size=spec["batch_size"], seed=spec["seed"])
    out = _output(model, X)
    loss = float(loss_function("softmax_cross_entropy")(out, y)[0])
    # ffbench.accuracy's rule (argmax), on outputs computed once and without keeping every layer
    return {"accuracy": float(np.mean(out.argmax(axis=1) == y)), "loss": loss if math.isfinite(loss) else math.nan,
            "test_accuracy": float(np.mean(_output(model, X_test).argmax(axis=1) == y_test)),
            "diverged": history.diverged,
            "steps": len(history.step_loss), "classes": classes}


KINDS = {"probe": _probe, "train": _train}



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
