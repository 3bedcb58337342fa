"""Property-based tests of the public API: any input either gives the right answer or a clear error.

Hypothesis draws shapes (including 0 rows and 1 column), dtypes (float16/32/64, ints, bools, complex,
object), layouts (C, Fortran, strided views, read-only) and values (NaN, +-inf, subnormals, +-1e308,
large logits).  Each call must either match a float64 NumPy reference (for an activation: its registry
entry's NumPy twin) or raise a ValueError/TypeError whose message names the problem -- never crash, leak
a Numba typing error, or return a wrong number.
"""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ffbench import ACTIVATIONS, MLP, activation, losses
from ffbench.linear import linear_act_backward, linear_act_forward

from helpers import oracle
from references import numpy_tolerance

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALL_DTYPES = [np.float16, np.float32, np.float64, np.int32, np.int64, np.bool_, np.complex128, object]
EXTREMES = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 2.2e-308, 1e308, -1e308, 1e4, -1e4, 1.0]

def _layouts(draw, a):
    """The same values in another memory layout."""
    kind = draw(st.sampled_from(["c", "fortran", "strided", "readonly"]))
    if kind == "fortran":
        return np.asfortranarray(a)
    if kind == "strided":
        big = np.repeat(a, 2, axis=-1) if a.ndim else a
        return big[..., ::2] if a.ndim else big
    if kind == "readonly":
        a = a.copy()
        a.flags.writeable = False
    return a


@st.composite
def float_arrays(draw, min_dims=1, max_dims=2):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=6))
    elements = st.one_of(st.sampled_from(EXTREMES), st.floats(-50, 50))
    with np.errstate(over="ignore"):  # 1e308 becomes inf in float32, which is one of the values we want
        a = draw(hnp.arrays(np.float64, shape, elements=elements)).astype(dtype)
    return _layouts(draw, a)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(ACTIVATIONS))
def test_activations_match_reference_or_raise(data, name):
    """Against each entry's NumPy twin, evaluated in float64 (tests/references.py: how closely)."""
    z = data.draw(float_arrays())
    act = activation(name)
    with np.errstate(all="ignore"):
        ours = act.forward(z)
        ref = act.numpy_forward(z.astype(np.float64)).astype(z.dtype)
    assert ours.dtype == z.dtype and ours.shape == z.shape
    np.testing.assert_allclose(ours, ref, equal_nan=True, **numpy_tolerance(name, z.dtype))


@SETTINGS
@given(dtype=st.sampled_from(ALL_DTYPES), ndim=st.integers(0, 4), name=st.sampled_from(ACTIVATIONS))
def test_bad_arrays_raise_clear_errors(dtype, ndim, name):
    z = np.zeros((2,) * ndim, dtype=dtype)
    ok = dtype in (np.float32, np.float64) and ndim in (1, 2)
    act = activation(name)
    if ok:
        assert act.forward(z).shape == z.shape
        return
    with pytest.raises((TypeError, ValueError)) as info:
        act.forward(z)
    message = str(info.value)
    assert ("dtype" in message and str(np.dtype(dtype)) in message) or f"{ndim}-D" in message


@SETTINGS
@given(data=st.data())
def test_backward_consistent_for_any_layout_and_value(data):
    z = data.draw(float_arrays())
    name = data.draw(st.sampled_from(ACTIVATIONS))
    g = np.ones_like(np.ascontiguousarray(z))
    act = activation(name)
    a = act.backward(z, g)
    b = act.backward(np.ascontiguousarray(z).copy(), g)
    np.testing.assert_array_equal(a, b)
    finite = np.isfinite(np.ascontiguousarray(z))
    assert np.all(np.isfinite(a[finite])), "a finite input gave a non-finite derivative"


@SETTINGS
@given(n=st.integers(1, 6), k=st.integers(1, 5), scale=st.sampled_from([1.0, 1e2, 1e4, 1e300]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_cross_entropy_matches_log_softmax_reference(n, k, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    logits = np.clip(rng.normal(size=(n, k)) * scale, -np.finfo(dtype).max / 4, np.finfo(dtype).max / 4).astype(dtype)
    labels = rng.integers(0, k, size=n)
    loss, grad = losses.softmax_cross_entropy(logits, labels)
    x = logits.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    logp = x - m - np.log(np.exp(x - m).sum(axis=1, keepdims=True))
    ref = -logp[np.arange(n), labels].mean()
    assert np.isfinite(loss)
    assert loss == pytest.approx(ref, rel=1e-5 if dtype == np.float32 else 1e-12, abs=1e-300)
    assert grad.dtype == dtype and np.all(np.isfinite(grad))


@SETTINGS
@given(x=st.sampled_from([-1e308, -1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4, 1e308]), t=st.sampled_from([0.0, 0.5, 1.0]))
def test_bce_is_finite_and_exact_at_extremes(x, t):
    loss, grad = losses.bce_with_logits(np.array([x]), np.array([t]))
    ref = max(x, 0.0) - x * t + np.log1p(np.exp(-abs(x)))
    assert np.isfinite(loss) and loss == pytest.approx(ref, rel=1e-15)
    assert np.isfinite(grad).all()


@SETTINGS
@given(batch=st.integers(0, 5), fan_in=st.integers(1, 4), fan_out=st.integers(1, 4),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 1000),
       name=st.sampled_from(["relu", "tanh", "gelu"]))
def test_linear_layers_any_shape(batch, fan_in, fan_out, dtype, seed, name):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(batch, fan_in)).astype(dtype)
    W = rng.normal(size=(fan_in, fan_out)).astype(dtype)
    b = rng.normal(size=fan_out).astype(dtype)
    Z, A = linear_act_forward(X, W, b, name)
    np.testing.assert_allclose(Z, X.astype(np.float64) @ W + b, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-5 if dtype == np.float32 else 1e-12)
    dX, dW, db, dZ = linear_act_backward(X, W, Z, np.ones_like(A), name)
    assert dX.shape == X.shape and dW.shape == W.shape and db.shape == b.shape
    assert dX.dtype == dW.dtype == db.dtype == dtype
    np.testing.assert_allclose(db, dZ.sum(axis=0), rtol=1e-5 if dtype == np.float32 else 1e-12, atol=1e-6)


@SETTINGS
@given(rows=st.integers(1, 4), cols=st.integers(1, 4), want=st.integers(1, 4))
def test_model_rejects_wrong_widths_with_both_shapes(rows, cols, want):
    model = MLP([want, 3, 2])
    X = np.ones((rows, cols))
    if cols == want:
        assert model.forward(X).shape == (rows, 2)
    else:
        with pytest.raises(ValueError, match=rf"X has shape \({rows}, {cols}\) but the model expects {want}"):
            model.forward(X)


def test_huge_learning_rate_reports_divergence_cleanly():
    from ffbench.optim import SGD
    from ffbench.train import train
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)), rng.normal(size=(32, 1))
    model = MLP([4, 16, 16, 1], activation="tanh", seed=0)
    with np.errstate(all="ignore"):
        history = train(model, X, y, optimizer=SGD(model, lr=1e8), epochs=20, batch_size=8)
    assert history.diverged and history.diverged_at_step >= 1


def test_batchnorm_constant_batch_and_batch_of_one_as_pytorch():
    torch = oracle("torch")
    model = MLP([3, 4, 2], norm="batch", seed=0)
    X = np.ones((5, 3))                        # constant batch: zero variance, normalised to 0 (eps keeps it finite)
    out = model.forward(X, train=True)
    bn = torch.nn.BatchNorm1d(4, dtype=torch.float64)
    z = torch.tensor(X @ model.weights[0] + model.biases[0])
    np.testing.assert_allclose(model.preactivations[0], bn(z).detach().numpy(), atol=1e-12)
    assert np.all(np.isfinite(out))
    with pytest.raises(ValueError, match="more than 1 sample"):
        model.forward(np.ones((1, 3)), train=True)
    assert model.forward(np.ones((1, 3)), train=False).shape == (1, 2)   # evaluation mode is fine
