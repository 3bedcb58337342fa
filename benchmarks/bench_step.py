"""One SGD training step (forward, MSE loss, backward, update) over the grid of ``python -m ffbench.bench``."""
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
GRID = {_grid.key(cfg): cfg for cfg in _grid.configs()}


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
