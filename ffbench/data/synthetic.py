"""Deterministic synthetic problems: 1-D regression targets, XOR, two spirals, blobs, teacher networks."""
from __future__ import annotations

import functools
import inspect
import math
import numbers
from typing import Callable, NamedTuple

import numpy as np

from .._checks import as_rng, lookup, positive_int
from ..activations import activation as get_activation
from ._args import _finish, _float_dtype, _interval, _nonnegative, _positive, _real

__all__ = ["TARGETS", "TEACHER_ACTIVATIONS", "target", "regression_1d", "xor", "two_spirals", "blobs",
           "teacher"]


# 1-D regression targets

def _as_x(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _sin(x, freq):
    """``sin(pi * freq * x)``: one full period on [-1, 1] at ``freq=1``."""
    return np.sin(np.pi * freq * _as_x(x))


def _step(x, at):
    """Heaviside step ``1 if x >= at else 0``."""
    return np.where(_as_x(x) >= at, 1.0, 0.0)


def _abs(x):
    """``|x|``: one kink, at 0."""
    return np.abs(_as_x(x))


def _gaussian_bump(x, center, width):
    """``exp(-(x - center)^2 / (2 width^2))``: height 1 at ``center``."""
    z = (_as_x(x) - center) / width
    return np.exp(-0.5 * z * z)


def _sawtooth(x, k):
    """Telgarsky's sawtooth ``tent^k(x)`` on [0, 1], ``tent(x) = 2x if x < 1/2 else 2(1 - x)``.

    Piecewise linear with ``2^k`` pieces of slope ``+-2^k`` and ``2^(k-1)`` teeth of height 1: a
    depth-``O(k)`` ReLU net computes it exactly, a shallow one needs width exponential in ``k``
    (Telgarsky 2016, "Benefits of depth in neural networks").
    """
    x = _as_x(x)
    if np.any((x < 0.0) | (x > 1.0)):
        raise ValueError(f"the sawtooth target is defined on [0, 1]; got x in "
                         f"[{np.nanmin(x)}, {np.nanmax(x)}]")
    for _ in range(k):
        x = np.where(x < 0.5, 2.0 * x, 2.0 * (1.0 - x))
    return x


class _Target(NamedTuple):
    fn: Callable[..., np.ndarray]   # fn(x, **params) -> float64 array of x's shape
    params: Callable[..., dict]     # validates keyword parameters, returns them with defaults
    domain: tuple[float, float]     # the interval regression_1d samples by default


TARGETS: dict[str, _Target] = {
    "sin": _Target(_sin, lambda freq=1.0: {"freq": _real(freq, "freq")}, (-1.0, 1.0)),
    "step": _Target(_step, lambda at=0.0: {"at": _real(at, "at")}, (-1.0, 1.0)),
    "abs": _Target(_abs, lambda: {}, (-1.0, 1.0)),
    "gaussian_bump": _Target(
        _gaussian_bump,
        lambda center=0.0, width=0.25: {"center": _real(center, "center"),
                                        "width": _positive(width, "width")},
        (-1.0, 1.0)),
    "sawtooth": _Target(_sawtooth, lambda k=3: {"k": positive_int(k, "k")}, (0.0, 1.0)),
}


def target(name: str, **params) -> Callable[[np.ndarray], np.ndarray]:
    """The 1-D target function ``name`` with ``params`` bound, as a vectorised callable.

    The callable takes an array (any shape, any real dtype) and returns float64 values of the same
    shape.  Targets (parameters and defaults in brackets):

    - ``"sin"`` (``freq=1``): ``sin(pi * freq * x)``;
    - ``"step"`` (``at=0``): ``1 if x >= at else 0``;
    - ``"abs"``: ``|x|``;
    - ``"gaussian_bump"`` (``center=0``, ``width=0.25``): ``exp(-(x - center)^2 / (2 width^2))``;
    - ``"sawtooth"`` (``k=3``): ``tent^k(x)``, ``tent(x) = 2x`` for ``x < 1/2`` and ``2(1 - x)``
      otherwise (Telgarsky 2016); ``2^k`` linear pieces; defined on [0, 1] only (ValueError outside).

    The result is a ``functools.partial`` of a module-level function, so it pickles.
    """
    entry = lookup(TARGETS, name, "target")
    accepted = inspect.signature(entry.params).parameters
    unexpected = sorted(set(params) - set(accepted))
    if unexpected:
        takes = ", ".join(accepted) or "no parameters"
        raise TypeError(f"target {name!r} takes {takes}; got unexpected {', '.join(unexpected)}")
    return functools.partial(entry.fn, **entry.params(**params))


_SAMPLINGS = {
    "uniform": lambda rng, n, lo, hi: rng.uniform(lo, hi, n),
    "grid": lambda rng, n, lo, hi: np.linspace(lo, hi, n),
}


def regression_1d(name: str, n: int, *, interval=None, sampling: str = "uniform", noise: float = 0.0,
                  seed=0, dtype=np.float64, **params):
    """A 1-D regression set ``y = f(x) + noise * eps`` for the target ``f = target(name, **params)``.

    ``x`` lies in ``interval`` (default: [0, 1] for ``"sawtooth"``, [-1, 1] for the others), drawn
    uniformly (``sampling="uniform"``) or evenly spaced with both ends included (``"grid"``, as
    ``np.linspace``); ``eps ~ N(0, 1)``.  Draw order: ``x`` (uniform sampling only), then ``eps``
    (only when ``noise > 0``).

    Returns ``X`` of shape ``(n, 1)`` and ``y`` of shape ``(n, 1)``, both ``dtype``.
    """
    entry = lookup(TARGETS, name, "target")
    f = target(name, **params)
    n = positive_int(n, "n")
    noise = _nonnegative(noise, "noise")
    dtype = _float_dtype(dtype)
    lo, hi = entry.domain if interval is None else _interval(interval)
    draw = lookup(_SAMPLINGS, sampling, "sampling")
    rng = as_rng(seed)
    x = draw(rng, n, lo, hi)
    y = f(x)
    if noise > 0:
        y = y + noise * rng.standard_normal(n)
    return _finish(x[:, None], y[:, None], dtype)


# --------------------------------------------------------------------------------------------------
# classification sets

_XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_LABELS = np.array([0, 1, 1, 0], dtype=np.int64)


def xor(n_per_corner: int = 1, noise: float = 0.0, seed=0, dtype=np.float64):
    """The XOR problem: the corners of the unit square, label ``x1 XOR x2``.

    Each corner (0, 0), (0, 1), (1, 0), (1, 1) (labels 0, 1, 1, 0) is repeated ``n_per_corner``
    times, corner by corner, and gaussian noise of standard deviation ``noise`` is added to every
    coordinate.  The defaults give the exact four-point truth table.  No line separates the
    classes: a linear classifier gets at most 3 of the 4 corners right.

    Returns ``X`` of shape ``(4 * n_per_corner, 2)`` (``dtype``) and ``y`` of shape
    ``(4 * n_per_corner,)`` (int64).
    """
    n_per_corner = positive_int(n_per_corner, "n_per_corner")
    noise = _nonnegative(noise, "noise")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    X = np.repeat(_XOR_CORNERS, n_per_corner, axis=0)
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return _finish(X, np.repeat(_XOR_LABELS, n_per_corner), dtype)


def two_spirals(n: int = 200, noise: float = 0.0, turns: float = 1.5, seed=0, dtype=np.float64):
    """Two interleaved spirals (after Lang & Witbrock 1988), ``n / 2`` points each.

    Class 0 is ``t (cos(2 pi turns t), sin(2 pi turns t))`` with ``t = sqrt(u)``, ``u ~ U[0, 1)``
    (points roughly evenly spread along the arc, radius at most 1); class 1 is the same curve turned
    by pi, i.e. its points negated.  Gaussian noise of standard deviation ``noise`` is added to every
    coordinate.  Draw order: ``u`` for class 0, ``u`` for class 1, then the noise.

    ``n`` must be even (the classes are balanced).  Returns ``X`` of shape ``(n, 2)`` (``dtype``),
    first class 0 then class 1, and ``y`` of shape ``(n,)`` (int64).
    """
    n = positive_int(n, "n")
    if n % 2:
        raise ValueError(f"n must be even so that the two spirals have equal size, got {n}")
    noise = _nonnegative(noise, "noise")
    turns = _positive(turns, "turns")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    half = n // 2
    t = np.sqrt(rng.uniform(0.0, 1.0, (2, half)))
    angle = 2.0 * np.pi * turns * t
    arms = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=-1)   # (2, half, 2)
    X = np.concatenate([arms[0], -arms[1]])
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return _finish(X, np.repeat(np.arange(2, dtype=np.int64), half), dtype)


def blobs(n: int = 300, centers=3, dim: int | None = None, std: float = 1.0, box: float = 5.0, seed=0,
          dtype=np.float64):
    """Isotropic gaussian blobs: ``x = c_label + std * eps``, ``eps ~ N(0, I)``.

    ``centers`` is either the number of classes (centres drawn uniformly in ``[-box, box]^dim``,
    ``dim`` default 2) or a ``(classes, dim)`` array of centres (``dim`` then defaults to, and must
    equal, its width).  The ``n`` points are split as evenly as possible, the first ``n % classes``
    classes getting one extra.  Draw order: the centres (when drawn), then ``eps``.

    Returns ``X`` of shape ``(n, dim)`` (``dtype``), class by class, and ``y`` of shape ``(n,)``
    (int64 in ``[0, classes)``).
    """
    n = positive_int(n, "n")
    std = _nonnegative(std, "std")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, (bool, np.bool_)):
        classes = positive_int(centers, "centers")
        dim = 2 if dim is None else positive_int(dim, "dim")
        box = _positive(box, "box")
        means = rng.uniform(-box, box, (classes, dim))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"centers must be an int or a (classes, dim) array, got shape {means.shape}")
        if not np.all(np.isfinite(means)):
            raise ValueError("centers must be finite")
        classes = means.shape[0]
        if dim is not None and positive_int(dim, "dim") != means.shape[1]:
            raise ValueError(f"dim={dim} but centers has shape {means.shape} ({means.shape[1]} columns)")
        dim = means.shape[1]
    counts = np.full(classes, n // classes)
    counts[: n % classes] += 1
    y = np.repeat(np.arange(classes, dtype=np.int64), counts)
    X = means[y] + std * rng.standard_normal((n, dim))
    return _finish(X, y, dtype)


# --------------------------------------------------------------------------------------------------
# teacher networks

# The activations whose gain torch.nn.init.calculate_gain defines; f (its NumPy twin) and the gain come from
# their registry entries (ffbench.activations).
TEACHER_ACTIVATIONS = {name: get_activation(name) for name in ("relu", "tanh", "sigmoid", "identity")}


def teacher(n: int, sizes, activation: str = "tanh", seed=0, teacher_seed=None, noise: float = 0.0,
            bias_std: float = 0.0, classify: bool = False, dtype=np.float64):
    """Inputs ``x ~ N(0, I)`` labelled by a random "teacher" MLP.

    The teacher has layer sizes ``sizes = [d_in, h1, ..., d_out]`` and computes, in float64 NumPy,
    ``h_0 = x``, ``h_l = f(h_{l-1} W_l + b_l)`` for the hidden layers and a linear last layer
    ``out = h_{L-1} W_L + b_L``, with ``W_l ~ N(0, gain^2 / fan_in)`` (He-normal for relu, the
    ``torch.nn.init.calculate_gain`` gain of ``f`` otherwise, so activations keep an O(1) scale) and
    ``b_l ~ N(0, bias_std^2)``.  ``f`` is one of ``TEACHER_ACTIVATIONS``: relu, tanh, sigmoid,
    identity.

    Regression (default): ``y = out + noise * eps``, ``eps ~ N(0, 1)``, shape ``(n, d_out)``,
    ``dtype``.  ``classify=True``: ``y = argmax(out + noise * eps)`` over ``d_out >= 2`` classes,
    shape ``(n,)``, int64.

    Weights come from ``teacher_seed`` when given, otherwise from ``seed`` before anything else, so
    ``teacher_seed`` fixed and ``seed`` varied gives fresh inputs for the same teacher (a test set).
    Draw order: ``W_1, b_1, ..., W_L, b_L`` (biases only when ``bias_std > 0``), then ``x``, then
    ``eps`` (only when ``noise > 0``).  Returns ``X`` of shape ``(n, d_in)`` (``dtype``) and ``y``.
    """
    n = positive_int(n, "n")
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
        raise ValueError(f"sizes must be a list [d_in, ..., d_out] of at least 2 widths, got {sizes!r}")
    sizes = [positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    act = lookup(TEACHER_ACTIVATIONS, activation, "teacher activation")
    noise = _nonnegative(noise, "noise")
    bias_std = _nonnegative(bias_std, "bias_std")
    if classify and sizes[-1] < 2:
        raise ValueError(f"classify=True needs at least 2 outputs, got sizes[-1] = {sizes[-1]}")
    dtype = _float_dtype(dtype)
    rng = as_rng(seed)
    weight_rng = rng if teacher_seed is None else as_rng(teacher_seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = weight_rng.normal(0.0, act.gain / math.sqrt(fan_in), (fan_in, fan_out))
        b = weight_rng.normal(0.0, bias_std, fan_out) if bias_std > 0 else np.zeros(fan_out)
        layers.append((W, b))
    X = rng.standard_normal((n, sizes[0]))
    h = X
    for W, b in layers[:-1]:
        h = act.numpy_forward(h @ W + b)
    W, b = layers[-1]
    out = h @ W + b
    if noise > 0:
        out = out + noise * rng.standard_normal(out.shape)
    y = np.argmax(out, axis=1).astype(np.int64) if classify else out
    return _finish(X, y, dtype)
