"""Initialisers: shapes, dtypes, seeding, the statistics of large draws, and torch.nn.init on the same shapes.

Statistical tolerances.  A draw of N = 600 * 500 = 300,000 iid entries with variance s^2 has a sample mean
with standard error s / sqrt(N) and a sample variance with standard error s^2 sqrt((kurtosis - 1) / N)
(kurtosis 3 for a normal, 9/5 for a uniform).  We allow 5 standard errors: a correct initialiser fails at a
random seed with probability ~6e-7, while a formula off by 1% in the variance is already ~4 standard errors
away for a normal and ~8 for a uniform.  The seeds are fixed, so the tests are deterministic; the KS tests
(p > 0.01) hold at these seeds.
"""
import math

import numpy as np
import pytest
from scipy import stats

from ffbench import init
from ffbench.init import INITIALIZERS, init_weights, initializer

from helpers import oracle

FAN_IN, FAN_OUT = 600, 500          # non-square on purpose: fan_in/fan_out mix-ups change the variance by 20%
N = FAN_IN * FAN_OUT
SEED = 2024


def _expected(name, fan_in, fan_out, params):
    """(kind, scale) straight from the papers / torch.nn.init docs: 'uniform' -> U[-scale, scale],
    'normal' -> N(0, scale^2), 'orthogonal' -> gain * Haar, scale = gain."""
    gain = params.get("gain", 1.0)
    if name in ("he_uniform", "he_normal"):
        fan = fan_in if params.get("mode", "fan_in") == "fan_in" else fan_out
        std = math.sqrt(2.0 / ((1.0 + params.get("a", 0.0) ** 2) * fan))
        return ("uniform", math.sqrt(3.0) * std) if name == "he_uniform" else ("normal", std)
    return {
        "standard_uniform": ("uniform", 1.0 / math.sqrt(fan_in)),
        "xavier_uniform": ("uniform", gain * math.sqrt(6.0 / (fan_in + fan_out))),
        "xavier_normal": ("normal", gain * math.sqrt(2.0 / (fan_in + fan_out))),
        "lecun_normal": ("normal", gain / math.sqrt(fan_in)),
        "orthogonal": ("orthogonal", gain),
    }[name]


def _reference(kind, scale, fan_in, fan_out):
    """The exact marginal distribution of one entry, as a frozen scipy distribution."""
    if kind == "uniform":
        return stats.uniform(loc=-scale, scale=2 * scale)
    if kind == "normal":
        return stats.norm(scale=scale)
    # Each column (tall) or row (wide) of a Haar orthogonal matrix is uniform on the unit sphere in R^n,
    # n = max(fan_in, fan_out); one coordinate x of it has (x + 1) / 2 ~ Beta((n-1)/2, (n-1)/2).
    half = (max(fan_in, fan_out) - 1) / 2
    return stats.beta(half, half, loc=-scale, scale=2 * scale)


CASES = [
    ("standard_uniform", {}),
    ("xavier_uniform", {}),
    ("xavier_uniform", {"gain": 5 / 3}),
    ("xavier_normal", {}),
    ("xavier_normal", {"gain": math.sqrt(2.0)}),
    ("he_uniform", {}),
    ("he_uniform", {"mode": "fan_out", "a": 0.2}),
    ("he_normal", {}),
    ("he_normal", {"mode": "fan_out"}),
    ("he_normal", {"mode": "fan_in", "a": 0.3}),
    ("lecun_normal", {}),
    ("lecun_normal", {"gain": 0.5}),
    ("orthogonal", {}),
    ("orthogonal", {"gain": 2.0}),
]
IDS = [name + "".join(f"-{k}={v:.3g}" if isinstance(v, float) else f"-{k}={v}" for k, v in p.items())
       for name, p in CASES]


def test_registry_covers_every_initialiser():
    assert {name for name, _ in CASES} == set(INITIALIZERS)
    assert initializer("kaiming_normal") is init.he_normal
    assert initializer("glorot_uniform") is init.xavier_uniform
    assert set(init.LABELS) == set(INITIALIZERS) and all(init.LABELS.values())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_shape_dtype_and_seeding(name, params, dtype):
    w = init_weights(name, 7, 5, rng=3, dtype=dtype, **params)
    assert w.shape == (7, 5) and w.dtype == dtype and w.flags.c_contiguous
    assert np.array_equal(w, init_weights(name, 7, 5, rng=3, dtype=dtype, **params))
    # an int seed is np.random.default_rng(seed); a Generator is used as given
    assert np.array_equal(w, init_weights(name, 7, 5, rng=np.random.default_rng(3), dtype=dtype, **params))
    assert not np.array_equal(w, init_weights(name, 7, 5, rng=4, dtype=dtype, **params))
    gen = np.random.default_rng(3)
    first, second = (init_weights(name, 7, 5, rng=gen, dtype=dtype, **params) for _ in range(2))
    assert not np.array_equal(first, second)          # a shared Generator advances
    # drawn in float64, rounded once: float32 and float64 nets from one seed hold the same weights
    w64 = init_weights(name, 7, 5, rng=3, dtype=np.float64, **params)
    assert np.array_equal(w, w64.astype(dtype))
    assert init_weights(name, 3, 8, rng=0, **params).shape == (3, 8)   # wide works too


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_statistics_of_a_large_draw(name, params, dtype):
    w = init_weights(name, FAN_IN, FAN_OUT, rng=SEED, dtype=dtype, **params).astype(np.float64).ravel()
    kind, scale = _expected(name, FAN_IN, FAN_OUT, params)
    ref = _reference(kind, scale, FAN_IN, FAN_OUT)
    var = ref.var()
    # mean within 5 standard errors (see the module docstring; for an orthogonal matrix the sum of all
    # entries, 1^T W 1, also has variance N * var, so the same error applies)
    assert abs(w.mean()) <= 5 * math.sqrt(var / N)
    if kind == "orthogonal":
        # the squares of an orthogonal matrix sum to gain^2 * min(fans) exactly
        assert np.mean(w * w) == pytest.approx(scale ** 2 / max(FAN_IN, FAN_OUT),
                                               rel=1e-12 if dtype == np.float64 else 1e-6)
    else:
        kurtosis = 9 / 5 if kind == "uniform" else 3.0
        assert abs(w.var() - var) <= 5 * var * math.sqrt((kurtosis - 1) / N)
    if kind == "uniform":
        assert np.abs(w).max() <= scale
    assert stats.kstest(w, ref.cdf).pvalue > 0.01


def test_statistics_detect_a_wrong_fan():
    """The tests above have power: swapping the fans (a 20% variance error) fails both checks."""
    w = init.he_normal(FAN_IN, FAN_OUT, rng=SEED, mode="fan_out").ravel()
    std_if_fan_in = math.sqrt(2.0 / FAN_IN)
    assert abs(w.var() - std_if_fan_in ** 2) > 50 * std_if_fan_in ** 2 * math.sqrt(2 / N)
    assert stats.kstest(w, stats.norm(scale=std_if_fan_in).cdf).pvalue < 1e-10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("gain", [1.0, 0.5])
@pytest.mark.parametrize("shape", [(600, 500), (200, 300), (64, 64)])
def test_orthogonal_is_orthogonal(shape, gain, dtype):
    w = init.orthogonal(*shape, rng=1, dtype=dtype, gain=gain).astype(np.float64)
    fan_in, fan_out = shape
    gram = w.T @ w if fan_in >= fan_out else w @ w.T      # columns (tall) or rows (wide) orthonormal
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert np.abs(gram - gain ** 2 * np.eye(min(shape))).max() <= tol
    # Haar, not just orthogonal: QR without the sign correction puts a bias of ~10 standard errors on
    # the diagonal (LAPACK's R has a fixed-sign diagonal); Haar entries are symmetric about 0.
    k = min(shape)
    assert abs(np.diag(w)[:k].mean()) <= 5 * gain * math.sqrt(1.0 / max(shape) / k)


# --- torch.nn.init on the same shapes ------------------------------------------------------------

def _torch_draw(torch, name, params, fan_in, fan_out):
    """torch's draw for our (fan_in, fan_out), transposed to our layout.

    torch stores a weight as (out, in) and computes fan_in = in = size(1), fan_out = out = size(0), so
    drawing on a (fan_out, fan_in) tensor gives the same fans under the same mode names; the transpose
    only changes the layout."""
    nn_init = torch.nn.init
    gain = params.get("gain", 1.0)
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)
    if name == "standard_uniform":
        w = torch.nn.Linear(fan_in, fan_out, dtype=torch.float64).weight.detach()   # the real default
    elif name == "xavier_uniform":
        nn_init.xavier_uniform_(w, gain=gain)
    elif name == "xavier_normal":
        nn_init.xavier_normal_(w, gain=gain)
    elif name in ("he_uniform", "he_normal"):
        draw = nn_init.kaiming_uniform_ if name == "he_uniform" else nn_init.kaiming_normal_
        draw(w, a=params.get("a", 0.0), mode=params.get("mode", "fan_in"), nonlinearity="leaky_relu")
    elif name == "lecun_normal":
        # torch has no LeCun init; it is kaiming_normal_ with the linear gain (1), scaled by our gain
        nn_init.kaiming_normal_(w, mode="fan_in", nonlinearity="linear")
        w = w * gain
    elif name == "orthogonal":
        nn_init.orthogonal_(w, gain=gain)
    return w.numpy().T


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_matches_torch_nn_init(name, params):
    """Two-sample KS test of our draw against torch's on the same shape, and torch's sample variance
    against our formula (5 standard errors, as above)."""
    torch = oracle("torch")
    torch.manual_seed(SEED)
    theirs = _torch_draw(torch, name, params, FAN_IN, FAN_OUT)
    assert theirs.shape == (FAN_IN, FAN_OUT)
    ours = init_weights(name, FAN_IN, FAN_OUT, rng=SEED, **params)
    kind, scale = _expected(name, FAN_IN, FAN_OUT, params)
    var = _reference(kind, scale, FAN_IN, FAN_OUT).var()
    kurtosis = {"uniform": 9 / 5, "normal": 3.0, "orthogonal": 3.0}[kind]
    assert abs(theirs.var() - var) <= 5 * var * math.sqrt((kurtosis - 1) / N)
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).pvalue > 0.01
    if kind == "orthogonal":
        assert np.abs(theirs.T @ theirs - scale ** 2 * np.eye(FAN_OUT)).max() <= 1e-12


def test_torch_comparison_detects_swapped_modes():
    """The oracle has power: torch's fan_out draw is distinguishable from our fan_in draw."""
    torch = oracle("torch")
    torch.manual_seed(SEED)
    theirs = _torch_draw(torch, "he_normal", {"mode": "fan_out"}, FAN_IN, FAN_OUT)
    ours = init.he_normal(FAN_IN, FAN_OUT, rng=SEED, mode="fan_in")
    assert stats.ks_2samp(ours.ravel(), theirs.ravel()).pvalue < 1e-10


# --- bad input ----------------------------------------------------------------------------------

def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown initializer 'xavir_normal'; valid names: "
                                         r"he_normal, he_uniform, lecun_normal, orthogonal, standard_uniform, "
                                         r"xavier_normal, xavier_uniform\. Did you mean 'xavier_normal'\?"):
        init_weights("xavir_normal", 3, 4)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_bad_fans(name):
    for bad in (0, -3, 2.5, 3.0, True, "3", None):
        with pytest.raises(ValueError, match=r"fan_in must be a positive integer, got"):
            init_weights(name, bad, 4)
        with pytest.raises(ValueError, match=r"fan_out must be a positive integer, got"):
            init_weights(name, 4, bad)
    assert init_weights(name, np.int64(3), np.int32(4)).shape == (3, 4)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_bad_dtype_and_rng(name):
    for bad in (np.float16, np.int64, np.complex128, bool, object):
        with pytest.raises(TypeError, match="dtype must be float32 or float64"):
            init_weights(name, 3, 4, dtype=bad)
    for bad in (1.5, "0", None, True):
        with pytest.raises(TypeError, match="rng must be a numpy Generator or an int seed"):
            init_weights(name, 3, 4, rng=bad)


def test_bad_mode():
    for name in ("he_uniform", "he_normal"):
        with pytest.raises(ValueError, match=r"mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
            init_weights(name, 3, 4, mode="fan_avg")
