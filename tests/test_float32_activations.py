"""float32 activation kernels against 40-digit mpmath: the ulp bounds of ``activations.FLOAT32_ULPS``."""
import numpy as np
import pytest

from ffbench.activations import ACTIVATIONS, FLOAT32_ULPS, activation

from helpers import oracle
from references import MPMATH


def _around(z0, ulps=8):
    """The float32 numbers within ``ulps`` of z0 (z0 included, rounded to float32)."""
    z = np.float32(z0)
    return z + np.arange(-ulps, ulps + 1, dtype=np.float32) * np.spacing(z)


# Where the float32 GELUs and SiLU are hardest (see the float32 section of ffbench/activations.py): each
# derivative around its zero (and the float32 numbers nearest to it), the left tails down to where the
# result underflows (GELU: the rounded exponent magnified ~z^2 times; SiLU: sigma(z) subnormal below -87).
_ROOTS = {"gelu": -0.75179152469, "gelu_tanh": -0.75246142207, "silu": -1.27846454276}
HARD = {name: np.concatenate([np.linspace(z0 - 0.6, z0 + 0.6, 97), _around(z0), z0 + np.geomspace(1e-6, 0.3, 24),
                              z0 - np.geomspace(1e-6, 0.3, 24)]) for name, z0 in _ROOTS.items()}
HARD["gelu"] = np.concatenate([HARD["gelu"], np.linspace(-14.0, -6.0, 81)])
HARD["gelu_tanh"] = np.concatenate([HARD["gelu_tanh"], np.linspace(-10.5, -3.0, 61)])
HARD["silu"] = np.concatenate([HARD["silu"], np.linspace(-93.0, -80.0, 53)])


def test_every_activation_states_a_float32_bound():
    assert set(FLOAT32_ULPS) == set(ACTIVATIONS)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_float32_kernels_stay_within_their_ulp_bound(name):
    mp = oracle("mpmath")
    mp.mp.dps = 40
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.normal(size=300) * s for s in (0.05, 0.5, 2.0, 8.0, 40.0)] + [HARD.get(name, [])])
    z = z.astype(np.float32)
    z = z[z != 0]  # the kinks: their one-sided conventions are tested in test_activations
    act = activation(name)
    f = lambda v: MPMATH[name](mp, v, **act.params)  # noqa: E731
    ours = {"forward": act.forward(z), "derivative": act.backward(z, np.ones_like(z))}
    exact = {"forward": np.array([float(f(mp.mpf(float(v)))) for v in z]),
             "derivative": np.array([float(mp.diff(f, mp.mpf(float(v)))) for v in z])}
    for which, bound in zip(("forward", "derivative"), FLOAT32_ULPS[name]):
        assert ours[which].dtype == np.float32
        ref = exact[which]
        normal = np.abs(ref) >= np.finfo(np.float32).tiny
        ulps = np.abs(ours[which].astype(np.float64) - ref) / np.spacing(np.abs(ref).astype(np.float32))
        worst = np.argmax(np.where(normal, ulps, 0.0))
        assert ulps[normal].max() <= bound, (which, z[worst], ulps[worst])
