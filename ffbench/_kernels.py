"""Per-activation kernels from one template.

Numba can neither cache a closure over a jitted function across processes (the closure's hash
includes the dispatcher's per-process uuid) nor inline a jitted function passed as an argument.  So a
kernel that applies "some activation" is written once, as a template that calls global names
(``_F``, ``_DF``), and ``specialise`` re-binds those names to one activation's scalar functions,
under a name of its own so that each specialisation gets its own cache file.  The result is an
ordinary cached ``@njit`` kernel with the activation inlined by LLVM, as fast as a hand-written one.
"""
from __future__ import annotations

import types

import numba
import numpy as np


def specialise(template, name: str, parallel: bool = True, **bindings):
    """``@njit(cache=True)`` copy of ``template`` whose global names ``bindings`` are fixed.

    ``template`` is a plain Python function defined at module level; ``name`` must be unique per
    (template, bindings) because Numba's on-disk cache is keyed by the function's qualified name.
    """
    env = {"np": np, "prange": numba.prange, "numba": numba}
    env.update(bindings)
    fn = types.FunctionType(template.__code__, env, name, template.__defaults__)
    fn.__qualname__ = name
    fn.__module__ = template.__module__
    fn.__doc__ = template.__doc__
    return numba.njit(parallel=parallel, cache=True)(fn)
