"""The training-step grid of the benchmark, shared with the asv suite (``benchmarks/bench_step.py``).

Pure Python without imports: the worker processes load it without importing ffbench or Numba.

A configuration is a dict ``{"name", "batch", "sizes", "activation", "dtype"}``: one SGD step of an MLP
with layer sizes ``sizes`` (``[d_in, hidden..., d_out]``), the activation after every hidden layer (none
after the last), on ``batch`` rows.  The grid:

- ``mlp``: square networks, batch {64, 512} x width {64, 256, 1024} x depth {2, 8, 32} (depth = number of
  linear layers), every activation of ``ACTIVATIONS`` in float32;
- ``ffn``: the transformer position-wise feed-forward block, 512 tokens x [768 -> 3072 -> 768] with GELU
  (d_model 768, d_ff = 4 d_model: BERT-base, GPT-2 small);
- ``tiny``: the networks the studies train by the thousand, batch 32 x [2, 16, 16, 1] with tanh;
- float64: one row per network size (the ``mlp`` sizes with ``FLOAT64_ACTIVATION``, ``ffn`` and ``tiny`` with
  their own activation): float64 costs twice the memory traffic and half the SIMD width at every size
  alike, so one activation per size shows it.

``--quick`` takes batch {64, 512} x width {64, 256} x depth {2, 8} x {relu, tanh} and the same rules.
"""

SQUARE = {"batch": (64, 512), "width": (64, 256, 1024), "depth": (2, 8, 32)}
QUICK_SQUARE = {"batch": (64, 512), "width": (64, 256), "depth": (2, 8)}
ACTIVATIONS = ("relu", "tanh", "gelu")
QUICK_ACTIVATIONS = ("relu", "tanh")
FLOAT64_ACTIVATION = "tanh"
NAMED = (
    {"name": "ffn", "batch": 512, "sizes": [768, 3072, 768], "activation": "gelu"},
    {"name": "tiny", "batch": 32, "sizes": [2, 16, 16, 1], "activation": "tanh"},
)


def configs(quick=False) -> list[dict]:
    """Every configuration of the (``quick``) grid, float32 rows first, in a fixed order."""
    square, activations = (QUICK_SQUARE, QUICK_ACTIVATIONS) if quick else (SQUARE, ACTIVATIONS)
    sizes = [{"name": "mlp", "batch": b, "sizes": [w] * (d + 1)}
             for b in square["batch"] for w in square["width"] for d in square["depth"]]
    rows = [{**s, "activation": a, "dtype": "float32"} for a in activations for s in sizes]
    rows += [{**n, "dtype": "float32"} for n in NAMED]
    rows += [{**s, "activation": FLOAT64_ACTIVATION, "dtype": "float64"} for s in sizes]
    return rows + [{**n, "dtype": "float64"} for n in NAMED]


def label(cfg) -> str:
    """``"512x256x8"`` (batch x width x depth) for a square net, ``"32x[2-16-16-1]"`` otherwise."""
    sizes = cfg["sizes"]
    if len(set(sizes)) == 1:
        return f"{cfg['batch']}x{sizes[0]}x{len(sizes) - 1}"
    return f"{cfg['batch']}x[{'-'.join(map(str, sizes))}]"


def key(cfg) -> str:
    """A unique, readable name of a configuration (asv parameter, table row)."""
    return f"{cfg['dtype']} {cfg['activation']} {label(cfg)}"


def step_flops(batch, sizes) -> float:
    r"""FLOPs of one training step's GEMMs: :math:`2B\,(2\sum_l n_l n_{l+1} + \sum_{l\ge1} n_l n_{l+1})`.

    Forward and weight gradient for every layer, the input gradient for every layer but the first (no
    peer computes the gradient of the data)."""
    products = [m * n for m, n in zip(sizes[:-1], sizes[1:])]
    return 2.0 * batch * (2 * sum(products) + sum(products[1:]))


def arrays_moved(activation, direction) -> int:
    """Arrays of ``ACT_ELEMENTS`` that an activation kernel must read or write: the traffic model behind
    the GB/s of the activation benchmark.

    Forward reads z and writes f(z): 2.  Backward reads z and the incoming gradient g and writes
    g f'(z): 3, except for the identity, whose f' = 1 never reads z, so its backward is a copy of g: 2
    (counting 3 there would overstate its GB/s by half)."""
    if direction == "forward" or activation == "identity":
        return 2
    return 3
