"""One peer's measurements, in its own process: ``worker PEER SPEC.json RESULT.jsonl``.

Started by ``ffbench.bench.execute`` as a module of a stand-in package (see ``execute.BOOT``), so that
only this module's siblings ``grid``, ``timing`` and ``peers`` load: the NumPy, PyTorch and JAX workers
never import ffbench or Numba (Numba's OpenMP layer loaded before PyTorch makes PyTorch's small ops ~60x
slower).  SPEC (JSON): ``threads``, ``budget_s``, ``steps`` (grid configurations), ``act_dtypes``,
``activations``, ``act_elements``, and ``ceilings`` (measure them too) with ``gemm_n``.  Every result is
appended to RESULT as one JSON line the moment it exists, so a crash or a timeout keeps what was done.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from . import grid, peers, timing


def _error(exc) -> str:
    return f"{type(exc).__name__}: {exc}"


def _steps(peer, spec, emit):
    for cfg in spec["steps"]:
        try:
            t = timing.measure(peers.STEPS[peer](cfg), budget_s=spec["budget_s"])
            loss = float(t.pop("first_value"))  # the first step's loss, from the shared initial weights
            emit(kind="step", peer=peer, config=cfg, first_loss=loss, **t)
        except Exception as exc:  # a peer that cannot do one configuration: record why, go on
            emit(kind="step", peer=peer, config=cfg, error=_error(exc))


def _activations(peer, spec, emit):
    n = spec["act_elements"]
    for dt in spec["act_dtypes"]:
        try:
            table = peers.ACTIVATIONS[peer](np.dtype(dt), n)
        except Exception as exc:
            emit(kind="act_error", peer=peer, dtype=dt, error=_error(exc))
            continue
        for name in (a for a in spec["activations"] if a in table):
            for direction, fn in zip(("forward", "backward"), table[name]):
                record = {"kind": "act", "peer": peer, "activation": name, "dtype": dt, "direction": direction,
                          "bytes": grid.arrays_moved(name, direction) * n * np.dtype(dt).itemsize}
                try:
                    t = timing.measure(fn, budget_s=timing.ACT_BUDGET_S)
                    t.pop("first_value")
                    emit(**record, **t)
                except Exception as exc:
                    emit(**record, error=_error(exc))


def main(argv) -> int:
    peer, spec_path, result_path = argv
    spec = json.loads(Path(spec_path).read_text())
    with open(result_path, "a") as out:
        def emit(**record):
            out.write(json.dumps(record) + "\n")
            out.flush()
        emit(kind="threads", peer=peer, threads=peers.SET_THREADS[peer](spec["threads"]))
        if spec.get("ceilings"):
            emit(kind="ceilings", **timing.ceilings(spec["threads"], peers.SEED, spec["gemm_n"]))
        _steps(peer, spec, emit)
        _activations(peer, spec, emit)
    return 0
