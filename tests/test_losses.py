"""Losses: finite differences, the PyTorch oracle, stability at extreme logits, threads, bad input.

Error metrics against PyTorch: the loss (a scalar) by its relative error; the gradient by
max_ij |ours - torch| / max_ij |torch|.  Gradient entries are differences (pred - target,
softmax - onehot, sigmoid - target) that cancel where a prediction is nearly right, so there an entry
has only absolute accuracy ~ eps / N in either implementation and elementwise relative error is
meaningless; relative to the largest entry it is a fair measure.  Where no cancellation happens (the
non-label entries of the cross-entropy gradient), test_softmax_ce_per_sample_accuracy checks elementwise.
"""
import re
import warnings

import numpy as np
import pytest

from ffbench.losses import LOSSES, bce_with_logits, loss_function, mse, softmax_cross_entropy
from ffbench.threads import threads

from helpers import central_difference, norm_rel_err, oracle

TOL = {np.float64: 1e-12, np.float32: 1e-5}
SCALES = (0.1, 1.0, 10.0, 100.0, 1e3, 1e4)


def max_norm_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    diff = np.abs(a - b).max()
    return 0.0 if diff == 0 else float(diff / np.abs(b).max())


def _inputs(rng, name, shape, dtype=np.float64, scale=1.0):
    """(input, target) for loss ``name``: targets in [0, 1] for BCE (with some exact 0s and 1s),
    integer labels for cross-entropy, a normal target for MSE."""
    x = (rng.normal(size=shape) * scale).astype(dtype)
    if name == "softmax_cross_entropy":
        return x, rng.integers(0, shape[1], size=shape[0])
    if name == "bce_with_logits":
        t = rng.uniform(size=shape)
        t.flat[::5] = np.round(t.flat[::5])
        return x, t.astype(dtype)
    return x, (rng.normal(size=shape) * scale).astype(dtype)


SHAPES = {"mse": [(13,), (9, 4)], "softmax_cross_entropy": [(9, 4), (1, 7)], "bce_with_logits": [(13,), (9, 4)]}


def test_registry():
    assert set(LOSSES) == set(SHAPES)
    assert loss_function("cross_entropy") is softmax_cross_entropy
    assert loss_function("bce") is bce_with_logits
    with pytest.raises(ValueError, match=r"unknown loss 'mae'; valid names: bce_with_logits, mse, "
                                         r"softmax_cross_entropy"):
        loss_function("mae")


# --- finite differences (float64) ---------------------------------------------------------------

@pytest.mark.parametrize("name", list(LOSSES))
def test_gradient_matches_finite_differences(name, rng):
    loss = LOSSES[name]
    for shape in SHAPES[name]:
        for scale in (0.5, 3.0):
            x, t = _inputs(rng, name, shape, scale=scale)
            value, grad = loss(x, t)
            assert isinstance(value, float) and grad.shape == x.shape
            fd = central_difference(lambda z: loss(z, t)[0], x.copy())
            assert norm_rel_err(grad, fd) <= 1e-6, (shape, scale)


# --- PyTorch oracle -----------------------------------------------------------------------------

def _torch_loss(torch, F, name, x, t):
    tx = torch.tensor(x, requires_grad=True)
    tt = torch.tensor(t)
    out = {"mse": F.mse_loss, "softmax_cross_entropy": F.cross_entropy,
           "bce_with_logits": F.binary_cross_entropy_with_logits}[name](tx, tt)
    out.backward()
    return out.item(), tx.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(LOSSES))
def test_matches_pytorch(name, dtype, rng):
    torch = oracle("torch")
    import torch.nn.functional as F
    worst_loss = worst_grad = 0.0
    for shape in [(64, 10), (300, 3), (1, 5)] + ([(257,)] if name != "softmax_cross_entropy" else []):
        for scale in SCALES:
            x, t = _inputs(rng, name, shape, dtype, scale)
            value, grad = LOSSES[name](x, t)
            ref_value, ref_grad = _torch_loss(torch, F, name, x, t)
            assert grad.dtype == dtype and grad.shape == x.shape
            loss_err = 0.0 if value == ref_value else abs(value - ref_value) / abs(ref_value)
            grad_err = max_norm_err(grad, ref_grad)
            assert loss_err <= TOL[dtype], f"loss, shape {shape}, scale {scale}: {loss_err:.3g}"
            assert grad_err <= TOL[dtype], f"grad, shape {shape}, scale {scale}: {grad_err:.3g}"
            worst_loss, worst_grad = max(worst_loss, loss_err), max(worst_grad, grad_err)
    print(f"{name} {np.dtype(dtype).name}: worst relative error vs torch: loss {worst_loss:.2e}, "
          f"grad (max-normalised) {worst_grad:.2e}")


def test_softmax_ce_per_sample_accuracy(rng):
    """One sample at a time (the batch mean would hide a per-sample error), logits up to 1e4 with several
    classes near the maximum.  The loss log(sum exp(x - m)) + (m - x_y) must not lose the small log-sum
    to the rounding of m + log(sum): PyTorch keeps it to ~eps absolute, so must we (rtol 1e-12 plus
    4 ulps absolute, the accuracy of a log near 0).  Non-label gradient entries p_j / n involve no
    cancellation and are compared elementwise (p_j = exp(logp_j) carries ~eps * |logp_j| <= 745 eps)."""
    torch = oracle("torch")
    import torch.nn.functional as F
    eps = np.finfo(np.float64).eps
    for scale in (1e2, 1e3, 1e4):
        for _ in range(100):
            x = rng.normal(size=(1, 5)) * scale
            x[0, :3] = x[0, 0] + rng.normal(size=3)
            y = rng.integers(0, 5, size=1)
            value, grad = softmax_cross_entropy(x, y)
            ref_value, ref_grad = _torch_loss(torch, F, "softmax_cross_entropy", x, y)
            assert abs(value - ref_value) <= 1e-12 * abs(ref_value) + 4 * eps, (x, y)
            other = (np.arange(5) != y[0]) & (np.abs(ref_grad[0]) >= np.finfo(np.float64).tiny)
            rel = np.abs(grad[0] - ref_grad[0])[other] / np.abs(ref_grad[0])[other]
            assert rel.max(initial=0.0) <= 1e-12, (x, y)


# --- stability, NaN and inf -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_at_extreme_logits(dtype):
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        x = np.array([[1e4, 0.0]], dtype)
        assert softmax_cross_entropy(x, np.array([0])) == (0.0, pytest.approx(np.zeros((1, 2))))
        value, grad = softmax_cross_entropy(x, np.array([1]))
        assert value == 1e4 and grad.tolist() == [[1.0, -1.0]]
        value, grad = softmax_cross_entropy(np.array([[-1e4, 1e4, 1e4]], dtype), np.array([1]))
        assert value == pytest.approx(np.log(2.0), rel=1e-15) and grad.tolist() == [[0.0, -0.5, 0.5]]
        for logit, target, loss, slope in [(1e4, 0.0, 1e4, 1.0), (1e4, 1.0, 0.0, 0.0),
                                           (-1e4, 0.0, 0.0, 0.0), (-1e4, 1.0, 1e4, -1.0), (1e4, 0.5, 5e3, 0.5)]:
            value, grad = bce_with_logits(np.array([logit], dtype), np.array([target], dtype))
            assert value == loss and grad.tolist() == [slope], (logit, target)
        value, grad = mse(np.array([1e4], dtype), np.array([-1e4], dtype))
        assert value == 4e8 and grad.tolist() == [4e4]


def test_nan_propagates_as_in_pytorch():
    torch = oracle("torch")
    import torch.nn.functional as F
    x = np.array([[0.5, np.nan, 1.0], [0.1, 0.2, 0.3]])
    value, grad = softmax_cross_entropy(x, np.array([0, 2]))
    ref_value, ref_grad = _torch_loss(torch, F, "softmax_cross_entropy", x, np.array([0, 2]))
    assert np.isnan(value) and np.isnan(ref_value)
    np.testing.assert_array_equal(np.isnan(grad), np.isnan(ref_grad))   # only the NaN row
    for name in ("mse", "bce_with_logits"):
        t = np.full_like(x, 0.5)
        value, grad = LOSSES[name](x, t)
        ref_value, ref_grad = _torch_loss(torch, F, name, x, t)
        assert np.isnan(value) and np.isnan(ref_value)
        np.testing.assert_array_equal(np.isnan(grad), np.isnan(ref_grad))


def test_inf_propagates():
    """An infinite logit gives a non-finite loss (as in PyTorch; which of inf and nan can differ, since
    inf - inf and 0 * inf are indeterminate in both formulas) and PyTorch's gradient, the exact limit."""
    torch = oracle("torch")
    import torch.nn.functional as F
    for logit in (np.inf, -np.inf):
        for target in (0.0, 0.5, 1.0):
            x, t = np.array([logit, 0.3]), np.array([target, 0.5])
            value, grad = bce_with_logits(x, t)
            ref_value, ref_grad = _torch_loss(torch, F, "bce_with_logits", x, t)
            assert not np.isfinite(value) and not np.isfinite(ref_value)
            np.testing.assert_array_equal(grad, ref_grad)
    for row, label in [([np.inf, 0.0], 0), ([-np.inf, 0.0], 0), ([-np.inf, 0.0], 1)]:
        x = np.array([row])
        value, grad = softmax_cross_entropy(x, np.array([label]))
        ref_value, ref_grad = _torch_loss(torch, F, "softmax_cross_entropy", x, np.array([label]))
        np.testing.assert_array_equal([value], [ref_value])
        np.testing.assert_array_equal(grad, ref_grad)


# --- dtypes and threads ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(LOSSES))
def test_dtype_preserved(name, dtype, rng):
    for shape in SHAPES[name]:
        x, t = _inputs(rng, name, shape, dtype)
        value, grad = LOSSES[name](x, t)
        assert isinstance(value, float) and grad.dtype == dtype and grad.shape == shape


@pytest.mark.parametrize("name", list(LOSSES))
def test_bit_identical_on_one_and_two_threads(name, rng):
    x, t = _inputs(rng, name, (1001, 37), scale=5.0)
    with threads(1):
        one = LOSSES[name](x, t)
    with threads(2):
        two = LOSSES[name](x, t)
    assert one[0] == two[0] and np.array_equal(one[1], two[1])


def test_non_contiguous_inputs_are_copied(rng):
    for name in LOSSES:
        x, t = _inputs(rng, name, (6, 8))
        xs = np.asfortranarray(x)
        ts = t[::-1].copy()[::-1] if t.ndim == 1 else np.asfortranarray(t)
        value, grad = LOSSES[name](xs, ts)
        ref_value, ref_grad = LOSSES[name](x, t)
        assert value == ref_value and np.array_equal(grad, ref_grad)


# --- bad input ----------------------------------------------------------------------------------

def test_cross_entropy_label_errors():
    x = np.zeros((3, 4))
    for bad, shown in [([0, 4, 1], "4"), ([0, -1, 1], "-1")]:
        with pytest.raises(ValueError, match=rf"label {shown} out of range for 4 classes \(valid: 0\.\.3\)"):
            softmax_cross_entropy(x, np.array(bad))
    for bad, kind in [(np.array([0.0, 1.0, 2.0]), "float64"), (np.array([True, False, True]), "bool"),
                      (np.array(["0", "1", "2"]), "<U1")]:
        with pytest.raises(TypeError, match=f"labels must be an integer array, got dtype {kind}"):
            softmax_cross_entropy(x, bad)
    for bad in (np.zeros(2, int), np.zeros((3, 1), int), np.zeros((3, 4), int)):
        with pytest.raises(ValueError, match=re.escape(f"labels has shape {bad.shape} but logits has shape (3, 4); "
                                                       "labels must have shape (3,)")):
            softmax_cross_entropy(x, bad)
    # any integer dtype and a plain list are accepted
    assert softmax_cross_entropy(x, np.array([0, 1, 3], np.uint8))[0] == pytest.approx(np.log(4.0))
    assert softmax_cross_entropy(x, [0, 1, 3])[0] == pytest.approx(np.log(4.0))


def test_shape_and_dtype_mismatch():
    for name, a, b in [("mse", "pred", "target"), ("bce_with_logits", "logits", "target")]:
        with pytest.raises(ValueError, match=rf"{a} has shape \(3, 2\) but {b} has shape \(2, 3\)"):
            LOSSES[name](np.zeros((3, 2)), np.zeros((2, 3)))
        with pytest.raises(ValueError, match=rf"{a} has shape \(3,\) but {b} has shape \(3, 1\)"):
            LOSSES[name](np.zeros(3), np.zeros((3, 1)))
        with pytest.raises(TypeError, match=f"{a} has dtype float64 but {b} has dtype float32"):
            LOSSES[name](np.zeros(3), np.zeros(3, np.float32))
        with pytest.raises(TypeError, match=f"{b} must have dtype float32 or float64, got int64"):
            LOSSES[name](np.zeros(3), np.zeros(3, np.int64))
        with pytest.raises(ValueError, match=rf"{a} must be 1-D or 2-D, got a 3-D array of shape \(1, 2, 3\)"):
            LOSSES[name](np.zeros((1, 2, 3)), np.zeros((1, 2, 3)))
    for bad, kind in [(np.zeros((3, 2), np.int64), "int64"), (np.zeros((3, 2), bool), "bool"),
                      (np.zeros((3, 2), object), "object"), (np.zeros((3, 2), np.float16), "float16")]:
        with pytest.raises(TypeError, match=f"logits must have dtype float32 or float64, got {kind}"):
            softmax_cross_entropy(bad, np.zeros(3, int))
    with pytest.raises(ValueError, match=r"logits must be 2-D, got a 1-D array of shape \(3,\)"):
        softmax_cross_entropy(np.zeros(3), np.zeros(3, int))
    with pytest.raises(TypeError, match="pred must be a numpy array, got list"):
        mse([1.0], np.zeros(1))


def test_empty_batch():
    for name, a in [("mse", "pred"), ("bce_with_logits", "logits")]:
        for shape in [(0,), (0, 3), (3, 0)]:
            with pytest.raises(ValueError, match=rf"{a} has shape \({shape[0]},.*0 elements.*empty batch"):
                LOSSES[name](np.zeros(shape), np.zeros(shape))
    for shape in [(0, 3), (3, 0)]:
        with pytest.raises(ValueError, match=r"logits has shape .*0 elements.*empty batch"):
            softmax_cross_entropy(np.zeros(shape), np.zeros(shape[0], int))
