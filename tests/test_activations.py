"""Activations: finite differences, PyTorch and mpmath oracles, stability, dtypes, threads, bad input."""
import math
import warnings

import numpy as np
import pytest

import ffbench
from ffbench import ACTIVATIONS, activation
from ffbench.threads import threads

from helpers import norm_rel_err, oracle
from references import MPMATH, TORCH

KINKED = {"relu", "leaky_relu", "elu"}   # derivative discontinuous (or not smooth) at 0



def test_every_activation_has_its_references():
    """Adding an activation = its registry entry + its references (tests/references.py); this keeps both."""
    assert set(ACTIVATIONS) == set(TORCH) == set(MPMATH)
    for name in ACTIVATIONS:
        act = activation(name)
        z = np.linspace(-3, 3, 7)
        assert act.numpy_forward(z).shape == act.numpy_derivative(z).shape == z.shape, name
    assert activation("swish").name == "silu"


def test_every_name_has_one_label():
    from ffbench import init
    from ffbench.style import label
    assert [label(n) for n in ("leaky_relu", "gelu_tanh", "swish", "he_normal", "he", "plain_bn")] == [
        "LeakyReLU", "GELU (tanh approx.)", "SiLU", "He", "He", "plain + BatchNorm"]
    for name in (*ACTIVATIONS, *init.INITIALIZERS):
        assert label(name)
    with pytest.raises(ValueError, match=r"unknown name to label 'rleu'.*Did you mean 'relu'"):
        label("rleu")


def _grid(rng, n=400):
    z = np.concatenate([rng.normal(size=n) * s for s in (0.3, 1.0, 3.0, 10.0)])
    return z[np.abs(z) > 1e-3]  # finite differences straddle no kink


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_backward_matches_finite_differences(name, rng):
    act = activation(name)
    z = _grid(rng)
    h = 1e-6
    fd = (act.forward(z + h) - act.forward(z - h)) / (2 * h)
    g = rng.normal(size=z.size)
    assert norm_rel_err(act.backward(z, g), g * fd) <= 1e-6
    assert norm_rel_err(act.backward(z, np.ones_like(z)), fd) <= 1e-6


def _oracle_inputs(rng):
    scales = (0.1, 1.0, 3.0, 10.0, 100.0, 1000.0)
    special = [0.0, -0.0, 1e-8, -1e-8, 19.99, 20.0, 20.01, -20.0, 88.0, -88.0, 1000.0, -1000.0]
    return np.concatenate([rng.normal(size=500) * s for s in scales] + [np.array(special)])


def _oracle_tolerance(dtype):
    """Mixed tolerance for comparing with PyTorch: relative ``rtol`` plus a few ulps of the input scale.

    PyTorch evaluates some formulas with cancellation (``1 + erf(z/sqrt2)`` for z << 0 in gelu,
    ``1 - tanh^2`` in tanh's backward, ``s * (1 - s)`` in float32 sigmoid's): there its own result
    has only absolute accuracy ~eps * max(1, |z|), not relative accuracy.  Our formulas avoid the
    cancellation (see test_matches_mpmath, which checks relative accuracy against 50-digit values),
    so against PyTorch an element passes if it is within rtol relatively OR within 4 ulps of
    max(1, |z|) absolutely."""
    return (1e-12, 4 * np.finfo(np.float64).eps) if dtype == np.float64 else (1e-5, 4 * np.finfo(np.float32).eps)


# every activation at its defaults, and each parameter away from its default
ORACLE_CASES = [(name, {}) for name in ACTIVATIONS] + [
    ("leaky_relu", {"negative_slope": 0.2}), ("elu", {"alpha": 0.5}), ("softplus", {"beta": 2.0, "threshold": 5.0})]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, params", ORACLE_CASES, ids=[f"{n}{p or ''}" for n, p in ORACLE_CASES])
def test_matches_pytorch(name, params, dtype, rng):
    torch = oracle("torch")
    import torch.nn.functional as F
    z = _oracle_inputs(rng).astype(dtype)
    g = rng.normal(size=z.size).astype(dtype)
    t = torch.tensor(z, requires_grad=True)
    act = activation(name, **params)
    y = TORCH[name](F, t, **act.params)
    y.backward(torch.tensor(g))
    rtol, ulps = _oracle_tolerance(dtype)
    scale = np.maximum(1.0, np.abs(z.astype(np.float64)))
    for ours, ref, weight in ((act.forward(z), y.detach().numpy(), 1.0),
                              (act.backward(z, g), t.grad.numpy(), np.abs(g))):
        assert ours.dtype == dtype
        err = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
        bound = rtol * np.abs(ref.astype(np.float64)) + ulps * scale * weight
        worst = int(np.argmax(err - bound))
        assert np.all(err <= bound), f"z={z[worst]!r}: ours {ours[worst]!r}, torch {ref[worst]!r}"


@pytest.mark.parametrize("name, params", ORACLE_CASES, ids=[f"{n}{p or ''}" for n, p in ORACLE_CASES])
def test_matches_mpmath(name, params, rng):
    """Elementwise relative accuracy in float64 against 50-digit mpmath (outputs in the normal range).

    The bound is 4 ulps times (1 + kappa), kappa = |z f'(z) / f(z)| the condition number of f: a
    float64 evaluation must round its intermediate arguments (z/sqrt2 inside erfc, say), and f
    magnifies such a rounding by kappa (~z^2 in GELU's left tail).  That is the accuracy of an
    evaluation that is exact for an input within an ulp of z; anything worse is a bug."""
    mp = oracle("mpmath")
    mp.mp.dps = 50
    z = np.concatenate([rng.normal(size=150) * s for s in (0.1, 1.0, 5.0, 30.0)])
    act = activation(name, **params)
    ref = np.array([float(MPMATH[name](mp, mp.mpf(float(v)), **act.params)) for v in z])
    ours = act.forward(z)
    normal = np.abs(ref) >= np.finfo(np.float64).tiny * 1e10
    kappa = np.abs(z * act.backward(z, np.ones_like(z)) / np.where(ref == 0, 1.0, ref))
    rel = np.abs(ours - ref) / np.maximum(np.abs(ref), np.finfo(np.float64).tiny)
    bound = 4 * np.finfo(np.float64).eps * (1 + kappa)
    assert np.all(rel[normal] <= bound[normal]), z[normal][np.argmax(rel[normal] / bound[normal])]
    assert np.all(np.abs(ours[~normal]) <= np.finfo(np.float64).tiny * 1e10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_at_extremes(dtype):
    z = np.array([-1000.0, 1000.0], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        limits = {"sigmoid": ([0.0, 1.0], [0.0, 0.0]),
                  "softplus": ([0.0, 1000.0], [0.0, 1.0]),
                  "silu": ([0.0, 1000.0], [0.0, 1.0]),
                  "tanh": ([-1.0, 1.0], [0.0, 0.0]),
                  "gelu": ([0.0, 1000.0], [0.0, 1.0]),
                  "gelu_tanh": ([0.0, 1000.0], [0.0, 1.0])}
        for name, (value, slope) in limits.items():
            act = activation(name)
            np.testing.assert_array_equal(act.forward(z), np.array(value, dtype), err_msg=name)
            np.testing.assert_array_equal(act.backward(z, np.ones_like(z)), np.array(slope, dtype), err_msg=name)


def test_derivatives_at_kinks_follow_pytorch():
    zero = np.zeros(1)
    assert activation("relu").backward(zero, np.ones(1))[0] == 0.0
    assert activation("leaky_relu", negative_slope=0.2).backward(zero, np.ones(1))[0] == 0.2
    assert activation("elu", alpha=0.5).backward(zero, np.ones(1))[0] == 0.5


def test_nan_and_inf_propagate():
    z = np.array([np.nan, np.inf, -np.inf])
    for name in ACTIVATIONS:
        out = activation(name).forward(z)
        assert np.isnan(out[0]), name
    assert activation("relu").forward(z)[1:].tolist() == [np.inf, 0.0]
    assert activation("sigmoid").forward(z)[1:].tolist() == [1.0, 0.0]


@pytest.mark.parametrize("shape", [(7,), (3, 5)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_and_shape_preserved(shape, dtype, rng):
    z = rng.normal(size=shape).astype(dtype)
    for name in ACTIVATIONS:
        act = activation(name)
        for out in (act.forward(z), act.backward(z, z)):
            assert out.dtype == dtype and out.shape == shape, name


def test_gains_match_pytorch_and_quadrature():
    torch = oracle("torch")
    for name, torch_name, kw in [("identity", "linear", {}), ("sigmoid", "sigmoid", {}), ("tanh", "tanh", {}),
                                 ("relu", "relu", {}), ("leaky_relu", "leaky_relu", {"negative_slope": 0.2})]:
        param = kw.get("negative_slope")
        assert activation(name, **kw).gain == pytest.approx(torch.nn.init.calculate_gain(torch_name, param), rel=1e-15)
    # The second-moment rule used for gelu/silu/elu/softplus reproduces He's sqrt(2) for ReLU exactly.
    from ffbench.activations import second_moment_gain
    assert second_moment_gain(activation("relu")) == pytest.approx(math.sqrt(2.0), rel=1e-12)
    assert second_moment_gain(activation("leaky_relu", negative_slope=0.2)) == pytest.approx(
        activation("leaky_relu", negative_slope=0.2).gain, rel=1e-12)
    for name in ("gelu", "silu", "elu", "softplus"):
        assert 0.5 < activation(name).gain < 2.0


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_facts_hold(name, rng):
    """Each entry's facts: a known initialiser, a positive gain, and homogeneity with the slopes it states."""
    from ffbench.init import INITIALIZERS
    act = activation(name)
    assert act.init in INITIALIZERS and act.label and act.gain > 0
    z = rng.normal(size=100)
    if act.homogeneous:
        up, down = act.slopes
        np.testing.assert_array_equal(act.forward(z), np.where(z > 0, up * z, down * z))
        np.testing.assert_allclose(act.forward(2.5 * z), 2.5 * act.forward(z), rtol=1e-15)
    else:
        assert not np.allclose(act.forward(2.5 * z), 2.5 * act.forward(z)), "homogeneous but not marked so"


def test_bit_identical_on_one_and_two_threads(rng):
    z = rng.normal(size=(257, 129))
    g = rng.normal(size=z.shape)
    for name in ("gelu", "silu", "tanh"):
        act = activation(name)
        with threads(1):
            one = act.forward(z), act.backward(z, g)
        with threads(2):
            two = act.forward(z), act.backward(z, g)
        assert all(np.array_equal(a, b) for a, b in zip(one, two))


def test_parameters():
    z = np.array([-2.0, 2.0])
    assert activation("leaky_relu", negative_slope=0.1).forward(z).tolist() == [-0.2, 2.0]
    assert activation("softplus", beta=2.0).forward(z)[1] == pytest.approx(math.log1p(math.exp(4.0)) / 2)
    with pytest.raises(ValueError, match="no parameter 'alpha'"):
        activation("relu", alpha=1.0)
    with pytest.raises(ValueError, match="beta must be positive"):
        activation("softplus", beta=0.0)
    with pytest.raises(ValueError, match="threshold must be finite"):
        activation("softplus", threshold=np.inf)
    # softplus's threshold is a parameter: below it the curve, above it the identity
    assert activation("softplus", threshold=1.0).forward(z)[1] == 2.0
    rebound = activation(activation("softplus", beta=2.0), threshold=1.0)
    assert rebound.params == {"beta": 2.0, "threshold": 1.0} and str(rebound) == "softplus(beta=2, threshold=1)"


def test_bad_input_errors():
    with pytest.raises(ValueError, match=r"unknown activation 'rleu'.*relu.*Did you mean 'relu'"):
        activation("rleu")
    act = activation("relu")
    for bad, kind in [(np.arange(3), "int64"), (np.ones(3, bool), "bool"), (np.ones(3, complex), "complex"),
                      (np.array([1.0], dtype=object), "object"), (np.ones(3, np.float16), "float16")]:
        with pytest.raises(TypeError, match=f"dtype float32 or float64, got {kind}"):
            act.forward(bad)
    with pytest.raises(ValueError, match=r"1-D or 2-D, got a 3-D array of shape \(2, 2, 2\)"):
        act.forward(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match=r"z has shape \(3,\) but grad_out has shape \(4,\)"):
        act.backward(np.ones(3), np.ones(4))
    with pytest.raises(TypeError, match="z has dtype float64 but grad_out has dtype float32"):
        act.backward(np.ones(3), np.ones(3, np.float32))
    with pytest.raises(TypeError, match="numpy array"):
        act.forward([1.0, 2.0])


def test_non_contiguous_and_readonly_inputs_are_copied(rng):
    base = rng.normal(size=(6, 8))
    strided, fortran = base[:, ::2], np.asfortranarray(base)
    readonly = base.copy()
    readonly.flags.writeable = False
    act = ffbench.activation("tanh")
    for z in (strided, fortran, readonly):
        np.testing.assert_array_equal(act.forward(z), act.forward(np.ascontiguousarray(z).copy()))
