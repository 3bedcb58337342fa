"""Linear layers: finite differences, the PyTorch oracle, dtypes, threads, bad input.

Error metric against PyTorch: per array, max_ij |ours - torch| / max_ij |torch|.  Every output here is a
matrix product (or a function of one); a dot product whose terms cancel has only absolute accuracy
~ eps * sum |terms|, so elementwise relative error is meaningless near cancellation, while the error
relative to the array's largest entry measures the BLAS and the kernels fairly.
"""
import numpy as np
import pytest

from ffbench.linear import (column_sums, linear_act_backward, linear_act_forward, linear_backward,
                            linear_forward)
from ffbench.threads import threads

from helpers import central_difference, norm_rel_err, oracle

# (name, params, torch function); leaky_relu with a non-default slope to check the parameter is passed
ACTS = {
    "tanh": ({}, lambda F, t: F.tanh(t)),
    "gelu": ({}, lambda F, t: F.gelu(t)),
    "silu": ({}, lambda F, t: F.silu(t)),
    "relu": ({}, lambda F, t: F.relu(t)),
    "leaky_relu": ({"negative_slope": 0.2}, lambda F, t: F.leaky_relu(t, 0.2)),
}
KINKED = {"relu", "leaky_relu"}


def max_norm_err(a, b):
    """max |a - b| / max |b| (see the module docstring)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff = np.abs(a - b).max()
    return 0.0 if diff == 0 else float(diff / np.abs(b).max())


def _layer(rng, n, fan_in, fan_out, dtype=np.float64, scale=1.0):
    X = (rng.normal(size=(n, fan_in)) * scale).astype(dtype)
    W = (rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in)).astype(dtype)
    b = rng.normal(size=fan_out).astype(dtype)
    return X, W, b


# --- finite differences (float64) ---------------------------------------------------------------

def test_linear_backward_matches_finite_differences(rng):
    X, W, b = _layer(rng, 6, 5, 4)
    G = rng.normal(size=(6, 4))
    loss = lambda X, W, b: float(np.sum(G * linear_forward(X, W, b)))  # noqa: E731
    dX, dW, db = linear_backward(X, W, G)
    assert norm_rel_err(dX, central_difference(lambda x: loss(x, W, b), X.copy())) <= 1e-6
    assert norm_rel_err(dW, central_difference(lambda w: loss(X, w, b), W.copy())) <= 1e-6
    assert norm_rel_err(db, central_difference(lambda c: loss(X, W, c), b.copy())) <= 1e-6


@pytest.mark.parametrize("name", list(ACTS))
def test_fused_layer_matches_finite_differences(name, rng):
    params, _ = ACTS[name]
    X, W, b = _layer(rng, 6, 5, 4)
    G = rng.normal(size=(6, 4))
    Z, A = linear_act_forward(X, W, b, name, **params)
    if name in KINKED:
        # central differences with h = 1e-6 move Z by < 1e-5; keep every Z that far from the kink
        assert np.abs(Z).min() > 1e-4
    loss = lambda X, W, b: float(np.sum(G * linear_act_forward(X, W, b, name, **params)[1]))  # noqa: E731
    dX, dW, db, dZ = linear_act_backward(X, W, Z, G, name, **params)
    assert norm_rel_err(dX, central_difference(lambda x: loss(x, W, b), X.copy())) <= 1e-6
    assert norm_rel_err(dW, central_difference(lambda w: loss(X, w, b), W.copy())) <= 1e-6
    assert norm_rel_err(db, central_difference(lambda c: loss(X, W, c), b.copy())) <= 1e-6
    # dX = dZ W^T with W of full column rank, so a correct dX pins dZ down; check the contract too
    assert norm_rel_err(dZ @ W.T, dX) <= 1e-15


# --- PyTorch oracle -----------------------------------------------------------------------------

TOL = {np.float64: 1e-12, np.float32: 1e-5}
PIECEWISE_LINEAR = {"identity", "relu", "leaky_relu"}


def _oracle_cases(name):
    """(batch, fan_in, fan_out, input scale).  Large magnitudes (|Z| ~ 1e3) only where f' is exact:
    once tanh/gelu/silu saturate, f'(Z) is far below PyTorch's own absolute accuracy (it forms
    1 - tanh^2, 1 + erf), so a layer whose every unit saturates has no relative accuracy to compare;
    test_activations compares f' elementwise there with a tolerance that says so."""
    cases = [(64, 33, 17, 1.0), (7, 100, 3, 3.0), (300, 2, 40, 2.0)]
    if name in PIECEWISE_LINEAR:
        cases += [(7, 100, 3, 30.0), (1, 5, 9, 1e3), (50, 400, 20, 1e3)]
    return cases


def _torch_layer(torch, F, X, W, b, G, fn):
    """torch's forward and gradients; torch's weight is (out, in), ours (in, out)."""
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (X, W.T.copy(), b))
    z = F.linear(tx, tw, tb)
    z.retain_grad()
    a = fn(F, z)
    a.backward(torch.tensor(G))
    return {"Z": z, "A": a, "dX": tx.grad, "dW": tw.grad.T, "db": tb.grad, "dZ": z.grad}


# float32 on a subset: every (activation, dtype) pair is a separate compilation of the fused kernels
ORACLE = ([(name, np.float64) for name in ["identity", *ACTS]]
          + [(name, np.float32) for name in ["identity", "relu", "tanh", "gelu"]])


@pytest.mark.parametrize("name,dtype", ORACLE, ids=[f"{n}-{np.dtype(d).name}" for n, d in ORACLE])
def test_fused_layer_matches_pytorch(name, dtype, rng):
    torch = oracle("torch")
    import torch.nn.functional as F
    params, fn = ACTS.get(name, ({}, lambda F, t: t))
    worst = 0.0
    for n, fan_in, fan_out, scale in _oracle_cases(name):
        X, W, b = _layer(rng, n, fan_in, fan_out, dtype, scale)
        G = rng.normal(size=(n, fan_out)).astype(dtype)
        ref = _torch_layer(torch, F, X, W, b, G, fn)
        if name == "identity":
            Z = linear_forward(X, W, b)
            A = Z
            dX, dW, db = linear_backward(X, W, G)
            dZ = G
        else:
            Z, A = linear_act_forward(X, W, b, name, **params)
            dX, dW, db, dZ = linear_act_backward(X, W, Z, G, name, **params)
        ours = {"Z": Z, "A": A, "dX": dX, "dW": dW, "db": db, "dZ": dZ}
        for key, value in ours.items():
            assert value.dtype == dtype and value.shape == tuple(ref[key].shape), key
            err = max_norm_err(value, ref[key].detach().numpy())
            assert err <= TOL[dtype], f"{key} at n={n}, scale={scale}: {err:.3g}"
            worst = max(worst, err)
    print(f"linear+{name} {np.dtype(dtype).name}: worst max-normalised error vs torch {worst:.2e}")


# --- dtypes, threads, layouts ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype, rng):
    X, W, b = _layer(rng, 5, 4, 3, dtype)
    G = rng.normal(size=(5, 3)).astype(dtype)
    Z, A = linear_act_forward(X, W, b, "tanh")
    outs = [linear_forward(X, W, b), *linear_backward(X, W, G), Z, A, *linear_act_backward(X, W, Z, G, "tanh")]
    assert all(o.dtype == dtype for o in outs)
    assert [o.shape for o in outs] == [(5, 3), (5, 4), (4, 3), (3,), (5, 3), (5, 3), (5, 4), (4, 3), (3,), (5, 3)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bit_identical_on_one_and_two_threads(dtype, rng):
    X, W, b = _layer(rng, 300, 200, 150, dtype)
    G = rng.normal(size=(300, 150)).astype(dtype)

    def run():
        Z, A = linear_act_forward(X, W, b, "gelu")
        return (linear_forward(X, W, b), *linear_backward(X, W, G), Z, A, *linear_act_backward(X, W, Z, G, "gelu"))

    with threads(1):
        one = run()
    with threads(2):
        two = run()
    for a, c in zip(one, two):
        assert np.array_equal(a, c)


def test_non_contiguous_inputs_are_copied(rng):
    X, W, b = _layer(rng, 8, 6, 5)
    G = rng.normal(size=(8, 5))
    Xf, Wf = np.asfortranarray(X), np.asfortranarray(W)
    bs = np.repeat(b, 2)[::2]
    Gs = np.repeat(G, 3, axis=1)[:, ::3]
    Xr = X.copy()
    Xr.flags.writeable = False
    assert not (Xf.flags.c_contiguous or Wf.flags.c_contiguous or bs.flags.c_contiguous or Gs.flags.c_contiguous)
    Z, A = linear_act_forward(X, W, b, "tanh")
    for x, w, bb, g in [(Xf, Wf, bs, Gs), (Xr, W, b, G)]:
        np.testing.assert_array_equal(linear_forward(x, w, bb), linear_forward(X, W, b))
        for ours, ref in zip(linear_backward(x, w, g), linear_backward(X, W, G)):
            np.testing.assert_array_equal(ours, ref)
        zz, aa = linear_act_forward(x, w, bb, "tanh")
        np.testing.assert_array_equal(zz, Z)
        np.testing.assert_array_equal(aa, A)
        for ours, ref in zip(linear_act_backward(x, w, np.asfortranarray(Z), g, "tanh"),
                             linear_act_backward(X, W, Z, G, "tanh")):
            np.testing.assert_array_equal(ours, ref)
    assert X.flags.writeable and np.array_equal(Xf, X)      # inputs are not modified


def test_nan_and_inf_propagate_as_in_pytorch(rng):
    torch = oracle("torch")
    import torch.nn.functional as F
    X, W, b = _layer(rng, 4, 6, 5)
    X[1, 2], X[2, 0], X[3, 4] = np.nan, np.inf, -np.inf
    G = rng.normal(size=(4, 5))
    ref = _torch_layer(torch, F, X, W, b, G, ACTS["relu"][1])
    with np.errstate(invalid="ignore"):      # NumPy's matmul warns on inf * 0 = nan; torch does not
        Z, A = linear_act_forward(X, W, b, "relu")
        dX, dW, db, dZ = linear_act_backward(X, W, Z, G, "relu")
    for key, value in {"Z": Z, "A": A, "dX": dX, "dW": dW, "db": db, "dZ": dZ}.items():
        theirs = ref[key].detach().numpy()
        np.testing.assert_array_equal(np.isfinite(value), np.isfinite(theirs), err_msg=key)
        np.testing.assert_array_equal(value[~np.isfinite(value)], theirs[~np.isfinite(theirs)], err_msg=key)
    assert np.isnan(Z[1]).all() and np.isinf(Z[2]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 3), (32, 16), (512, 64), (100, 65), (512, 256), (7, 1000)])
def test_bias_gradient_sums_each_column_in_row_order(shape, dtype):
    """db is each column summed serially from the first row down: the bits of a plain running sum."""
    dz = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    running = np.zeros(shape[1], dtype)
    for row in dz:
        running = running + row
    out = np.full(shape[1], np.nan, dtype)
    column_sums(dz, out)
    np.testing.assert_array_equal(out, running)


# --- bad input ----------------------------------------------------------------------------------

def test_shape_mismatch_names_both_shapes():
    X, W, b = np.ones((4, 3)), np.ones((3, 2)), np.ones(2)
    with pytest.raises(ValueError, match=r"X has shape \(4, 5\) but W has shape \(3, 2\)"):
        linear_forward(np.ones((4, 5)), W, b)
    with pytest.raises(ValueError, match=r"X has shape \(4, 5\) but W has shape \(3, 2\)"):
        linear_backward(np.ones((4, 5)), W, np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"b has shape \(3,\) but W has shape \(3, 2\)"):
        linear_act_forward(X, W, np.ones(3), "relu")
    with pytest.raises(ValueError, match=r"dY has shape \(4, 3\) but X \(4, 3\) @ W \(3, 2\) gives \(4, 2\)"):
        linear_backward(X, W, np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"Z has shape \(5, 2\) but X \(4, 3\) @ W \(3, 2\) gives \(4, 2\)"):
        linear_act_backward(X, W, np.ones((5, 2)), np.ones((4, 2)), "relu")
    with pytest.raises(ValueError, match=r"dA has shape \(4, 1\) but X \(4, 3\) @ W \(3, 2\) gives \(4, 2\)"):
        linear_act_backward(X, W, np.ones((4, 2)), np.ones((4, 1)), "relu")


def test_dtype_mismatch():
    X, W, b = np.ones((4, 3)), np.ones((3, 2)), np.ones(2)
    f32 = np.float32
    with pytest.raises(TypeError, match="X has dtype float32 but W has dtype float64"):
        linear_forward(X.astype(f32), W, b)
    with pytest.raises(TypeError, match="W has dtype float64 but b has dtype float32"):
        linear_act_forward(X, W, b.astype(f32), "relu")
    with pytest.raises(TypeError, match="dY has dtype float32 but X has dtype float64"):
        linear_backward(X, W, np.ones((4, 2), f32))
    with pytest.raises(TypeError, match="dA has dtype float32 but X has dtype float64"):
        linear_act_backward(X, W, np.ones((4, 2)), np.ones((4, 2), f32), "relu")


def test_wrong_rank():
    X, W, b = np.ones((4, 3)), np.ones((3, 2)), np.ones(2)
    with pytest.raises(ValueError, match=r"X must be 2-D, got a 3-D array of shape \(2, 4, 3\)"):
        linear_forward(np.ones((2, 4, 3)), W, b)
    with pytest.raises(ValueError, match=r"W must be 2-D, got a 3-D array of shape \(1, 3, 2\)"):
        linear_backward(X, np.ones((1, 3, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"X must be 2-D, got a 1-D array of shape \(3,\)"):
        linear_forward(np.ones(3), W, b)
    with pytest.raises(ValueError, match=r"b must be 1-D, got a 2-D array of shape \(1, 2\)"):
        linear_forward(X, W, np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"dA must be 2-D, got a 3-D array"):
        linear_act_backward(X, W, np.ones((4, 2)), np.ones((4, 2, 1)), "relu")


def test_non_float_inputs():
    X, W, b = np.ones((4, 3)), np.ones((3, 2)), np.ones(2)
    for bad, kind in [(np.ones((4, 3), np.int64), "int64"), (np.ones((4, 3), bool), "bool"),
                      (np.ones((4, 3), object), "object"), (np.ones((4, 3), np.float16), "float16"),
                      (np.ones((4, 3), complex), "complex128")]:
        with pytest.raises(TypeError, match=f"X must have dtype float32 or float64, got {kind}"):
            linear_forward(bad, W, b)
    with pytest.raises(TypeError, match="W must have dtype float32 or float64, got int64"):
        linear_backward(X, np.ones((3, 2), np.int64), np.ones((4, 2)))
    with pytest.raises(TypeError, match="b must have dtype float32 or float64, got int64"):
        linear_act_forward(X, W, np.ones(2, np.int64), "relu")
    with pytest.raises(TypeError, match="X must be a numpy array, got list"):
        linear_forward([[1.0, 2.0, 3.0]], W, b)


def test_unknown_activation():
    X, W, b = np.ones((4, 3)), np.ones((3, 2)), np.ones(2)
    with pytest.raises(ValueError, match=r"unknown activation 'rlu'; valid names: .*relu.*Did you mean"):
        linear_act_forward(X, W, b, "rlu")
