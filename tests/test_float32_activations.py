"""float32 activation kernels against 40-digit mpmath: the ulp bound each registry entry states (``float32_ulps``)."""
import dataclasses

import numpy as np
import pytest
from numba import njit

from ffbench import fastmath as fm
from ffbench.activations import ACTIVATIONS, activation

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


REMEDY = ("a float32 evaluation that loses accuracy (cancellation, or a rounded argument magnified in a tail) "
          "needs a better formula or a float32 evaluation of its own, as ffbench/activations_f32.py does for the "
          "GELUs and SiLU (see 'float32 at float32 speed' and 'Adding an activation' in ffbench/activations.py); "
          "raise the entry's float32_ulps only to a measured worst error plus a margin")


def test_every_activation_states_a_float32_bound():
    missing = [name for name in ACTIVATIONS if activation(name).float32_ulps is None]
    assert not missing, (f"{missing}: state float32_ulps=(forward, derivative) in the registry entry, the worst "
                         "error this test measures plus a margin")


def check_float32_ulps(act, z, reference=None):
    """Assert that ``act``'s float32 forward and derivative at ``z`` (float32, nonzero) stay within
    ``act.float32_ulps`` of 40-digit mpmath (``MPMATH[reference or act.name]``); the message names the worst point
    and the remedy."""
    mp = oracle("mpmath")
    mp.mp.dps = 40
    f = lambda v: MPMATH[reference or act.name](mp, v, **act.params)  # noqa: E731
    ours = {"forward": act.forward(z), "derivative": act.backward(z, np.ones_like(z))}
    exact = {"forward": np.array([float(f(mp.mpf(float(v)))) for v in z]),
             "derivative": np.array([float(mp.diff(f, mp.mpf(float(v)))) for v in z])}
    for which, bound in zip(("forward", "derivative"), act.float32_ulps):
        assert ours[which].dtype == np.float32
        ref = exact[which]
        normal = np.abs(ref) >= np.finfo(np.float32).tiny
        ulps = np.abs(ours[which].astype(np.float64) - ref) / np.spacing(np.abs(ref).astype(np.float32))
        worst = np.argmax(np.where(normal, ulps, 0.0))
        assert ulps[normal].max() <= bound, (f"{act.name} float32 {which}: {ulps[worst]:.3g} ulps at z = {z[worst]!r}"
                                             f", above its stated bound {bound}: {REMEDY}")


def _points(name):
    rng = np.random.default_rng(1)
    z = np.concatenate([rng.normal(size=300) * s for s in (0.05, 0.5, 2.0, 8.0, 40.0)] + [HARD.get(name, [])])
    z = z.astype(np.float32)
    return z[z != 0]  # the kinks: their one-sided conventions are tested in test_activations


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_float32_kernels_stay_within_their_ulp_bound(name):
    check_float32_ulps(activation(name), _points(name))


@njit(error_model="numpy", forceinline=True)
def _naive_softsign_d(z, p):
    """softsign' as (1 - |f|)^2: cancels where |f| nears 1 (a relative error growing like |z| ulps)."""
    one = fm.like(1.0, z)
    s = abs(z) / (one + abs(z))
    return (one - s) * (one - s)


def test_a_naive_float32_derivative_fails_with_the_remedy():
    naive = dataclasses.replace(activation("softsign"), name="softsign_naive", df=_naive_softsign_d)
    with pytest.raises(AssertionError, match="activations_f32.py"):
        check_float32_ulps(naive, _points("softsign"), reference="softsign")
