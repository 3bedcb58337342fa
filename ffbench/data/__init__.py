"""Datasets: deterministic synthetic problems, MNIST, and two small real sets that work offline.

Every loader returns ``(X, y)``:

- ``X``: C-contiguous ``(n, d)`` array of ``dtype`` (float32 or float64);
- ``y``: ``(n, k)`` array of ``dtype`` for regression, or ``(n,)`` int64 class labels.

- ``synthetic``: 1-D regression targets, XOR, two spirals, blobs, teacher networks.  Every generator
  takes ``seed`` (an int or an ``np.random.Generator``); numbers are drawn and computed in float64
  and rounded to ``dtype`` at the end, so the float32 and float64 versions of a set hold the same
  points up to rounding.  The same seed gives the same arrays; the draw order of each generator is
  stated in its docstring and is part of that promise.  Sets are ordered by class (or by corner, for
  XOR), not shuffled: ``ffbench.train`` shuffles each epoch, and a fixed order makes the sets easy
  to inspect.
- ``idx``: MNIST from the IDX files of LeCun, Cortes and Burges (``load_idx``/``write_idx`` handle
  the format, gzipped or not), from a local directory or downloaded once into a cache directory.
- ``real``: MNIST-1D (Greydanus 2020), generated locally and cached, and scikit-learn's 8x8 digits;
  both need the ``data`` extra.

Cached files live under ``$FFBENCH_DATA`` when that environment variable is set, else
``~/.cache/ffbench``.
"""
from .idx import MNIST_SHA256, MNIST_URL, load_idx, mnist, write_idx
from .real import digits, mnist1d
from .synthetic import (TARGETS, TEACHER_ACTIVATIONS, blobs, regression_1d, target, teacher,
                        two_spirals, xor)

__all__ = [
    "TARGETS", "TEACHER_ACTIVATIONS", "MNIST_SHA256", "MNIST_URL",
    "target", "regression_1d", "xor", "two_spirals", "blobs", "teacher",
    "load_idx", "write_idx", "mnist", "mnist1d", "digits",
]
