r"""Side-by-side benchmark of ffbench against its peers: ``python -m ffbench.bench [--quick] [--out DIR]``.

The same work is timed in ffbench, a hand-written NumPy implementation, PyTorch eager and JAX ``jit``
(each peer only where it is installed; a missing one is reported, not an error):

- **training step**: one SGD step (forward, MSE loss, backward, update) over the grid of
  ``ffbench.bench.grid`` (square MLPs, the transformer FFN, the studies' tiny net; float32 and one float64
  row per size).  Every peer starts from the same weights; the first-step losses are compared as a check
  that all peers do the same work.  Per row: each peer's time, the ratio peer time / ffbench time (above 1:
  ffbench is faster), GFLOP/s of the step's GEMMs and the fraction of the GEMM ceiling that the bench
  measures itself (NumPy's sgemm/dgemm at n = 2048 on the run's thread count); geomean and worst ratio
  against each peer.
- **activations**: each activation's forward and backward on 4M elements, in GB/s under the traffic model
  of ``grid.arrays_moved``, against the peers' (no copy-bandwidth roof: ``timing`` says why).

Methodology (``timing``, ``orchestrate``): each peer runs in its **own process** (``worker``: NumPy,
PyTorch and JAX never import ffbench or Numba) on the same thread count (``--threads``, default every
usable core, for Numba, NumPy's BLAS, PyTorch and XLA; ffbench's BLAS runs on ``FFBENCH_BLAS_THREADS``);
peers take turns by blocks of the grid; the first call (compile or cache load) is timed apart and reported;
the reported time is the median of >= 3 samples (``--statistic min``: the fastest).

Modules: ``grid`` (what is timed; the asv suite imports it), ``timing`` and ``peers`` and ``worker`` (the
worker process, NumPy-only imports), ``orchestrate`` (plan / execute / record), ``summary`` (rows and
ratios), ``report`` (tables, figure), ``__main__`` (the command line).

Output: a text table on stdout, ``OUT/bench.json`` (every number, thread counts, provenance) and
``OUT/bench.png`` (more formats with ``--format``); ``OUT`` is ``results/bench/`` unless ``--out`` says
otherwise.  The reference figures are refreshed with ``python -m ffbench.bench --out figures`` (a full run;
``--quick`` refuses that directory).
"""
from .grid import configs, step_flops
from .orchestrate import run
from .figure import render
from .report import format_tables
from .timing import measure

__all__ = ["configs", "format_tables", "measure", "render", "run", "step_flops"]
