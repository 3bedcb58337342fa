"""The test half of the activation registry: one independent reference per activation name.

- ``TORCH``: name -> ``f(F, t, **params)``, F = ``torch.nn.functional``: the float64/float32 oracle of values
  and gradients (autograd), elementwise in tests/test_activations.py and inside a network in tests/test_model.py.
- ``MPMATH``: name -> ``f(mp, z, **params)`` of an mpmath number (``mp`` the mpmath module): 50-digit values.
- NumPy: each registry entry carries its own NumPy twin (``activation(name).numpy_forward`` and
  ``numpy_derivative``, written with independent formulas), because ``ffbench.bench`` times it as the NumPy peer
  and ``ffbench.data.teacher`` computes with it; tests/test_properties.py and tests/test_vanishing.py read it there.

Adding an activation: its entry in ``ffbench/activations.py``, then one line in each table here;
``test_activations.test_every_activation_has_its_references`` fails until both are complete.
Every function takes the activation's parameters by name, so a test passes ``**activation(name).params``.
"""

# How closely each NumPy twin matches the kernels in float64 where it is not to 4 ulps: (ulps, absolute floor).
# Measured over 5.3M draws in [-50, 50] (the kernels themselves are checked against mpmath): GELU to 7.8 ulps
# (two erfc implementations, fastmath's within 4 ulps of libm); in both GELUs' far left tails (z < -37, resp.
# z < -21) the intermediate erfc or sigma(2u) turns subnormal and keeps fewer bits in one evaluation than in
# the other: results there differ by up to 1.2e-307 absolutely.
NUMPY_ACCURACY = {"gelu": (16, 1e-306), "gelu_tanh": (4, 1e-306)}
# float32 (against the twin's float64 value rounded to float32): within 3.7 eps relatively (measured over every 7th
# float32 in [-110, 110]), but the float32 GELUs and SiLU compute a subnormal result as (normal product) * 2^-64,
# a second rounding: up to 2 subnormal spacings (2^-149) away, measured over 3M points in each tail.
NUMPY_ACCURACY_32 = {"gelu": (4, 2.0 ** -147), "gelu_tanh": (4, 2.0 ** -147), "silu": (4, 2.0 ** -147)}


def numpy_tolerance(name, dtype) -> dict:
    """``rtol``/``atol`` for comparing the kernels of ``name`` with its NumPy twin evaluated in float64."""
    import numpy as np
    table = NUMPY_ACCURACY if np.dtype(dtype) == np.float64 else NUMPY_ACCURACY_32
    ulps, floor = table.get(name, (4, 0.0))
    return {"rtol": ulps * np.finfo(dtype).eps, "atol": floor}


TORCH = {
    "identity": lambda F, t: t,
    "sigmoid": lambda F, t: F.sigmoid(t),
    "tanh": lambda F, t: F.tanh(t),
    "relu": lambda F, t: F.relu(t),
    "leaky_relu": lambda F, t, negative_slope: F.leaky_relu(t, negative_slope),
    "elu": lambda F, t, alpha: F.elu(t, alpha),
    "gelu": lambda F, t: F.gelu(t),
    "gelu_tanh": lambda F, t: F.gelu(t, approximate="tanh"),
    "silu": lambda F, t: F.silu(t),
    "softplus": lambda F, t, beta, threshold: F.softplus(t, beta=beta, threshold=threshold),
    "softsign": lambda F, t: F.softsign(t),
}


def _sigmoid(mp, z):
    return 1 / (1 + mp.exp(-z))


def _gelu_tanh(mp, z):
    """z sigma(2u) = z/2 (1 + tanh u): 1 + tanh u cancels even at 50 digits."""
    u = mp.sqrt(2 / mp.pi) * (z + mp.mpf("0.044715") * z ** 3)
    return z * _sigmoid(mp, 2 * u)


MPMATH = {
    "identity": lambda mp, z: z,
    "sigmoid": _sigmoid,
    "tanh": lambda mp, z: mp.tanh(z),
    "relu": lambda mp, z: max(z, 0),
    "leaky_relu": lambda mp, z, negative_slope: z if z > 0 else mp.mpf(negative_slope) * z,
    "elu": lambda mp, z, alpha: z if z > 0 else mp.mpf(alpha) * mp.expm1(z),
    "gelu": lambda mp, z: z * mp.ncdf(z),
    "gelu_tanh": _gelu_tanh,
    "silu": lambda mp, z: z * _sigmoid(mp, z),
    "softplus": lambda mp, z, beta, threshold: z if beta * z > threshold else mp.log1p(mp.exp(beta * z)) / beta,
    "softsign": lambda mp, z: z / (1 + abs(z)),
}
