"""One SGD training step (forward, MSE loss, backward, update) on one row of each regime of the grid of
``python -m ffbench.bench`` (which measures the whole grid).

Each row is a process of its own (an import of Numba and ffbench, about 2 CPU seconds), so asv times a row
per regime, enough to tell a regression: the studies' tiny net (call overhead), a deep narrow net (per-layer
overhead), a mid-sized net, a wide net (the large GEMM split over two threads), the transformer FFN block and
float64."""
import importlib.util
from pathlib import Path

from .common import sized_mlp_and_batch


def _load_grid():
    """``ffbench/bench/grid.py`` of this checkout, loaded by path (it imports nothing).

    Not ``import ffbench.bench.grid``: asv takes the benchmarks from the checkout but ffbench from the
    commit it times, and the parameters must be the same for every commit (older ones predate the grid)."""
    spec = importlib.util.spec_from_file_location(
        "_ffbench_grid", Path(__file__).resolve().parents[1] / "ffbench" / "bench" / "grid.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_grid = _load_grid()
_ALL = {_grid.key(cfg): cfg for cfg in _grid.configs()}
REGIMES = ("float32 tanh 32x[2-16-16-1]", "float32 relu 64x64x32", "float32 relu 512x256x8",
           "float32 gelu 512x1024x2", "float32 gelu 512x[768-3072-768]", "float64 tanh 512x256x8")
GRID = {k: _ALL[k] for k in REGIMES}  # a KeyError here: the grid lost a row this suite times


class TrainStep:
    params = (list(GRID),)
    param_names = ("config",)
    timeout = 300

    def setup(self, config):
        cfg = GRID[config]
        self.model, self.opt, self.X, self.Y = sized_mlp_and_batch(cfg["batch"], cfg["sizes"], cfg["activation"],
                                                                   cfg["dtype"])

    def time_step(self, config):
        self.model.train_step(self.X, self.Y, "mse", self.opt)
