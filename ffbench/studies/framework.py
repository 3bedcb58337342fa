"""The study framework: one CLI, cache, record and claim check for every study.

A study is a module under ``ffbench/studies/`` (registered in ``ffbench.studies.STUDIES``) that defines::

    \"\"\"<the claim it tests, and the papers it follows>\"\"\"
    NAME = "vanishing"
    VERSION = "1"            # optional: bump it when run() changes, so cached runs are recomputed
    DEFAULTS = {"seed": 0, ...}   # full-scale config, plain JSON-able, with an int "seed";
                                  # mirrored by studies/NAME.toml at the repo root
    QUICK = {...}            # overrides applied by --quick: a smaller grid through the same code paths

    def runs(config) -> list[dict]:
        # Independent run specs, JSON-able, each holding everything its run depends on, its seed included:
        # {"depth": d, "seed": derive_seed(config["seed"], "depth", d), ...}
    def run(spec) -> dict:
        # One run: a pure function of spec.  Returns JSON-able numbers (numpy arrays and scalars are fine).
    def summarize(config, pairs) -> dict:
        # pairs: [(spec, result), ...] in the order of runs(config), both as stored in JSON;
        # group(pairs, "kind") splits them by a spec key.  Returns
        # {"data": {...every number behind every figure...}, "rows": [flat dicts for the CSV],
        #  "claims": [Claim, ...], "table": "short text table"}   ("table" optional)
    def render(record, out_dir, formats) -> list[Path]:
        # Draws the figures from the record alone (record["data"], record["config"], ...), inside
        # ffbench.style.paper_style(), saving them with ffbench.style.save_figure.

    if __name__ == "__main__":
        from ffbench.studies.framework import main
        main(__name__)

``python -m ffbench.studies.NAME [--quick] [--seed N] [--out DIR] [--threads N] [--workers N | --scheduler
ADDRESS] [--force] [--format png,svg,pdf] [--no-plot] [--config FILE]`` then:

1. resolves the config: ``DEFAULTS``, then ``studies/NAME.toml`` from the repo checkout if there is one
   (``--config FILE`` instead, if given), then ``QUICK`` if ``--quick``, then ``--seed``.  Config files may
   only set keys that ``DEFAULTS`` has (a typo is an error, not a silently ignored key);
2. checks that ``OUT`` is writable (before any work);
3. loads each run's result from ``OUT/.cache/NAME/<sha256 of NAME, VERSION and the spec>.json`` if present
   and valid (schema and an embedded sha256 checksum; a corrupt file is reported with a ``CacheWarning``
   and recomputed), runs the others through an executor, and writes each result to the cache atomically as
   soon as it finishes, so an interrupted sweep (Ctrl-C, SIGTERM, a crash) resumes where it stopped.
   A run that fails is retried once (runs lost with a dead worker one at a time, so a run that kills its
   worker every time takes no other run down with it); if it fails again the study reports it (spec and
   traceback) after the others finish and exits 1 without writing a record;
4. calls ``summarize`` and writes ``OUT/NAME.json`` (the record: study, version, quick, config, claims,
   data, table, provenance, wall_time_s, runs, cached_runs) and ``OUT/NAME.csv`` (the rows), prints the
   table and the claim checks, then renders the figures from the saved record (unless ``--no-plot``).

JSON: records and caches never contain NaN or infinity (``allow_nan=False``).  ``to_jsonable`` writes NaN as
``null`` and +-infinity as the strings ``"inf"``/``"-inf"``; ``np.asarray(values, dtype=float)`` turns
such a list back into the original floats.  Floats are written with ``repr`` (shortest round trip), keys
sorted, so the same numbers give the same bytes.  Results are passed through JSON before ``summarize``
sees them, so a fresh run and a cached one summarize identically.

Claims: ``claim_close``, ``claim_less`` and ``claim_greater`` build a ``Claim`` whose ``holds`` is
computed.  A claim that does not hold is a result, not an error: it is printed as FAILS and the study
still exits 0.

Figures: ``render`` runs inside ``ffbench.style.paper_style()``; ``figure("single" | "double")``,
``theory``/``theory_hline`` (thin dashed theory lines) and ``save_figure`` (byte-stable files) are in
``ffbench.style``.  ``python -m ffbench.figures`` calls ``render_record`` for every saved record.

Exit status of ``main``: 0 when the record is written (whether or not the claims hold), 1 on an error or
on runs that failed twice, 130 on Ctrl-C, 143 on SIGTERM.

Executors (``--workers``, ``--scheduler``): anything with ``map_unordered(fn, specs, window=None)`` yielding
``(spec, result or exception)`` as runs finish, and a JSON-able ``description`` (see ``Executor``).
``SerialExecutor`` (default) runs in this process with Numba's own threads (``--threads``);
``ProcessExecutor`` (``--workers N``) runs on N local worker processes; ``DaskExecutor``
(``--scheduler ADDRESS``, in ``ffbench.studies.dask_executor``; ``pip install 'ffbench[dask]'``) runs on an
existing Dask distributed cluster; ``FuturesExecutor`` wraps any ``concurrent.futures``-style executor.  A
worker sets its Numba threads (``--threads``, default 1) and BLAS threads (this process's
``ffbench.threads.BLAS_THREADS``, default 1) explicitly before each run and reports them; the record's
``provenance.executor`` lists what the workers reported.  Seeds come from ``derive_seed`` on the run's
parameters, never from scheduling order, so every executor gives the same numbers (and the same cache
entries, byte for byte).

Two processes writing the same study into one ``OUT`` stay consistent: every file is replaced atomically
and identical runs write identical cache entries.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import copy
import csv
import functools
import hashlib
import importlib
import io
import json
import math
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .._checks import lookup, positive_int
from ..provenance import collect, repo_root
from .._io import atomic_write_bytes
from ..style import paper_style, parse_formats
from .claims import (Claim, claim_close, claim_greater, claim_less, format_claims, observation,  # noqa: F401
                     se_tolerance, spread_of)

RECORD_SCHEMA = "ffbench-record/1"
CACHE_SCHEMA = "ffbench-cache/1"
RECORD_KEYS = ("study", "version", "quick", "config", "claims", "data", "provenance", "wall_time_s", "runs",
               "cached_runs")
CACHE_KEYS = ("schema", "study", "version", "key", "spec", "result", "sha256")
MIN_FREE_BYTES = 16 * 2**20  # refuse to start a sweep on a (nearly) full disk
EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 130, 143


class StudyError(RuntimeError):
    """A study cannot run or finish: bad config, unwritable output, failed runs, a corrupt record."""


class CacheWarning(UserWarning):
    """A cache file was unreadable or corrupt; its run is recomputed."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into a clean stop like Ctrl-C (finished runs are saved)."""


# --------------------------------------------------------------------------------------------- JSON

def to_jsonable(obj, where="value"):
    """``obj`` as plain JSON types: numpy arrays/scalars to lists/Python scalars, tuples to lists,
    NaN to None, +-inf to "inf"/"-inf".  Anything else raises a TypeError naming where it sits."""
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), where)
    if isinstance(obj, dict):
        return {_json_key(k, where): to_jsonable(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(f"{where} has type {type(obj).__name__}, which is not JSON-able "
                    "(use numbers, strings, bools, None, lists, dicts or numpy arrays)")


def _json_key(key, where):
    if isinstance(key, str):
        return key
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return str(int(key))
    raise TypeError(f"{where} has a key {key!r} of type {type(key).__name__}; JSON keys are strings")


def canonical(obj) -> str:
    """Compact JSON with sorted keys: the same value always gives the same text (hashes, caches)."""
    return json.dumps(to_jsonable(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256(obj) -> str:
    return hashlib.sha256(canonical(obj).encode()).hexdigest()


def format_json(obj, indent: int = 0) -> str:
    """Readable JSON for records: one key per line, sorted, and lists of numbers kept on one line."""
    pad = " " * (indent + 1)
    if isinstance(obj, dict) and obj:
        items = (f"{pad}{json.dumps(k)}: {format_json(v, indent + 1)}" for k, v in sorted(obj.items()))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) and v for v in obj):
        return "[\n" + ",\n".join(pad + format_json(v, indent + 1) for v in obj) + "\n" + " " * indent + "]"
    return json.dumps(obj, sort_keys=True, allow_nan=False)


def derive_seed(seed: int, *keys) -> int:
    """A run's seed from the study seed and the run's parameters.

    The first 63 bits of sha256 of the canonical JSON of ``[seed, *keys]`` (``keys``: strings, numbers,
    lists...; Python's ``hash()`` is salted per process and would not do).  Independent of the order in which
    runs are listed or scheduled: ``derive_seed(0, "relu", "he", 10)`` is the same everywhere.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    digest = hashlib.sha256(canonical([int(seed), *keys]).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def _roundtrip(obj, where):
    """``obj`` exactly as it reads back from JSON (tuples become lists, NaN None, ...)."""
    try:
        return json.loads(canonical(obj))
    except (TypeError, ValueError) as exc:
        raise StudyError(f"{where} is not JSON-able: {exc}") from None


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(Path(path), text.encode("utf-8"))


# ----------------------------------------------------------------------------------- study contract

def group(pairs, key: str = "kind", values=()) -> dict:
    """``{spec[key]: [(spec, result), ...]}`` of ``summarize``'s pairs, each group in run order.

    ``values``: keys that must be present (in this order, first), with an empty list when no run has
    them, e.g. ``group(pairs, "kind", KINDS)``; any other value found is a ValueError."""
    groups = {v: [] for v in values}
    for spec, result in pairs:
        value = spec[key]
        if values and value not in groups:
            lookup(groups, value, f"spec[{key!r}]")
        groups.setdefault(value, []).append((spec, result))
    return groups


def check_study(study):
    """``study`` if it follows the study contract (see the module docstring), else a StudyError."""
    problems = [f"{attr} ({kind.__name__})" for attr, kind in (("NAME", str), ("DEFAULTS", dict), ("QUICK", dict))
                if not isinstance(getattr(study, attr, None), kind)]
    problems += [f"{fn}()" for fn in ("runs", "run", "summarize", "render")
                 if not callable(getattr(study, fn, None))]
    defaults = getattr(study, "DEFAULTS", None)
    if isinstance(defaults, dict) and (isinstance(defaults.get("seed"), bool)
                                       or not isinstance(defaults.get("seed"), int)):
        problems.append("DEFAULTS['seed'] (int)")
    if not isinstance(getattr(study, "VERSION", ""), str):
        problems.append("VERSION (str, optional)")
    if problems:
        name = getattr(study, "__name__", repr(study))
        raise StudyError(f"{name} is not an ffbench study: missing or wrong {', '.join(problems)} "
                         "(see the contract in ffbench.studies.framework)")
    return study


def _resolve_module(study):
    """A study module from a module, a module name, or ``"__main__"`` (``python -m ffbench.studies.X``).

    A study run as ``__main__`` is imported again under its real name, so worker processes can find its
    ``run`` by name."""
    if isinstance(study, str):
        study = sys.modules[study] if study == "__main__" else importlib.import_module(study)
    spec = getattr(study, "__spec__", None)
    if getattr(study, "__name__", None) == "__main__" and spec is not None and spec.name:
        study = importlib.import_module(spec.name)
    return check_study(study)


def load_toml(path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise StudyError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StudyError(f"cannot read config file {path}: {exc}") from None


def _merge(base: dict, override: dict, source: str, prefix: str = "") -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            raise StudyError(f"{source}: unknown config key {prefix}{key!r}; valid keys: "
                             f"{', '.join(sorted(base))}")
        if isinstance(base[key], dict) != isinstance(value, dict):
            raise StudyError(f"{source}: config key {prefix}{key!r} must be "
                             f"{'a table' if isinstance(base[key], dict) else 'a value, not a table'}")
        out[key] = (_merge(base[key], value, source, f"{prefix}{key}.") if isinstance(value, dict)
                    else copy.deepcopy(value))
    return out


def default_config_path(study) -> Path | None:
    """``studies/NAME.toml`` of the repo checkout, if this ffbench runs from one and the file exists."""
    root = repo_root()
    path = None if root is None else root / "studies" / f"{study.NAME}.toml"
    return path if path is not None and path.is_file() else None


def resolve_config(study, quick=False, config_file=None, seed=None) -> dict:
    """DEFAULTS, then the TOML file (``config_file`` or the checkout's studies/NAME.toml), then QUICK if
    ``quick``, then ``seed``."""
    config = copy.deepcopy(study.DEFAULTS)
    path = Path(config_file) if config_file is not None else default_config_path(study)
    if path is not None:
        config = _merge(config, load_toml(path), str(path))
    if quick:
        config = _merge(config, study.QUICK, f"{study.NAME}.QUICK")
    if seed is not None:
        config["seed"] = int(seed)
    return config


# -------------------------------------------------------------------------------------------- cache

def spec_key(study, spec: dict) -> str:
    """The cache key of a run: sha256 of the study's NAME, VERSION and the spec."""
    return sha256({"study": study.NAME, "version": getattr(study, "VERSION", None), "spec": spec})


def _checksum(entry: dict) -> str:
    return sha256({k: entry[k] for k in CACHE_KEYS if k != "sha256"})


def _cache_problem(entry, study, key, spec) -> str | None:
    if not isinstance(entry, dict):
        return "not a JSON object"
    missing = [k for k in CACHE_KEYS if k not in entry]
    if missing:
        return f"missing {', '.join(missing)}"
    if entry["schema"] != CACHE_SCHEMA:
        return f"schema {entry['schema']!r}, expected {CACHE_SCHEMA!r}"
    if entry["sha256"] != _checksum(entry):
        return "checksum mismatch (altered or partly written)"
    if entry["key"] != key or entry["study"] != study.NAME or canonical(entry["spec"]) != canonical(spec):
        return "it holds another run"
    if not isinstance(entry["result"], dict):
        return "its result is not a JSON object"
    return None


def read_cache(path: Path, study, key: str, spec: dict) -> dict | None:
    """The cached result at ``path``, or None if absent; a corrupt file gives a CacheWarning and None."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        problem = _cache_problem(entry, study, key, spec)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, or not JSON (e.g. truncated)
        problem = f"unreadable ({exc})"
    if problem is None:
        return entry["result"]
    warnings.warn(f"ignoring corrupt cache file {path}: {problem}; recomputing that run", CacheWarning,
                  stacklevel=2)
    return None


def write_cache(path: Path, study, key: str, spec: dict, result: dict) -> None:
    entry = {"schema": CACHE_SCHEMA, "study": study.NAME, "version": getattr(study, "VERSION", None),
             "key": key, "spec": spec, "result": result}
    entry["sha256"] = _checksum(entry)
    try:
        atomic_write_text(path, canonical(entry) + "\n")
    except OSError as exc:
        raise StudyError(f"cannot write cache file {path}: {exc}; finished runs are saved, rerun to "
                         "resume") from None


def ensure_writable(*dirs) -> None:
    """Create each directory and write a probe file in it; a StudyError (before any work) if that fails
    or the disk is nearly full."""
    for d in map(Path, dirs):
        try:
            d.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=d, prefix=".ffbench-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise StudyError(f"output directory {d} is not writable ({exc.strerror or exc}); "
                             "choose another with --out") from None
        free = shutil.disk_usage(d).free
        if free < MIN_FREE_BYTES:
            raise StudyError(f"only {free / 2**20:.1f} MiB free for {d}; free some space or choose "
                             "another --out")


# ---------------------------------------------------------------------------------------- executors

def _run_spec(module_name: str, spec: dict) -> dict:
    """Run one spec of the study ``module_name`` (importable by name, so worker processes find it)."""
    result = importlib.import_module(module_name).run(spec)
    if not isinstance(result, dict):
        raise TypeError(f"run() must return a dict, got {type(result).__name__}")
    return to_jsonable(result, "run() result")


_WORKER_BLAS = {}  # BLAS limit applied in this worker process -> the BLAS thread count measured after it


def _in_worker(numba_threads: int, blas_threads: int, fn, spec):
    """``(fn(spec), threads)`` computed with ``numba_threads`` Numba and ``blas_threads`` BLAS threads.

    Runs in a worker.  Numba's count is per calling thread and a Dask worker may run each task on another
    thread, so it is set on every call; the BLAS limit is process-wide and set (and measured: threadpoolctl
    takes ~2 ms) once per process.  ``threads`` is what the run had: ``{"numba_threads", "blas_threads",
    "threading_layer"}``, recorded in the executor's description.
    """
    from threadpoolctl import threadpool_limits

    from ..threads import blas_threads as current_blas, get_threads, set_threads, threading_layer

    set_threads(numba_threads)
    if blas_threads not in _WORKER_BLAS:
        threadpool_limits(limits=blas_threads, user_api="blas")
        _WORKER_BLAS.clear()
        _WORKER_BLAS[blas_threads] = current_blas()
    result = fn(spec)
    return result, {"numba_threads": get_threads(), "blas_threads": _WORKER_BLAS[blas_threads],
                    "threading_layer": threading_layer()}


class Executor:
    """The executor protocol of ``run_study``: ``map_unordered(fn, specs, window=None)`` yields ``(spec,
    fn(spec) or the exception it raised)`` as runs finish (``window``: the most runs in flight at once);
    ``description`` is JSON-able and recorded in the provenance; an outcome that is an instance of
    ``lost_errors`` means the run was lost with its worker rather than raised by ``run()``.  An executor is
    a context manager: ``close()`` releases what it holds (a cluster connection)."""

    description: dict = {}
    lost_errors: tuple = ()

    def map_unordered(self, fn, specs, window=None):
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class SerialExecutor(Executor):
    """Runs specs one after another in this process (Numba's own threads inside each run)."""

    description = {"kind": "serial"}

    def map_unordered(self, fn, specs, window=None):
        for spec in specs:
            try:
                outcome = fn(spec)
            except Exception as exc:  # a failing run is reported by the caller, not fatal here
                outcome = exc
            yield spec, outcome


def _stop(pool) -> None:
    """Stop a pool now, dropping the runs in flight (their results would be lost anyway)."""
    terminate = getattr(pool, "terminate_workers", None)  # ProcessPoolExecutor, Python >= 3.14
    if terminate is not None:
        terminate()
        return
    # Older ProcessPoolExecutors only offer a shutdown that waits for the runs in flight; kill the workers.
    # A Dask ClientExecutor has no processes: its shutdown(wait=False) cancels its futures.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        process.terminate()
    pool.shutdown(wait=False)
    for process in processes:
        process.join(5)


class FuturesExecutor(Executor):
    """Runs specs on worker pools made by ``make_pool()`` (anything with ``submit`` and ``shutdown``: a
    ProcessPoolExecutor, a Dask ``Client.get_executor()``), each run with ``threads`` Numba threads and
    ffbench's BLAS thread count (``ffbench.threads.BLAS_THREADS``, 1 unless FFBENCH_BLAS_THREADS says
    otherwise) set explicitly in the worker.

    ``window``: the most runs in flight at once (default: all).  A pool that breaks (a worker process died)
    fails every run in flight with a ``BrokenExecutor``; it is replaced by a fresh one for the runs not yet
    submitted, so a crash loses at most ``window`` runs.  ``lost_errors``: the exception types meaning "lost
    with its worker", not "raised by run()"; the sweep retries those one at a time (``window=1``), so a run
    that kills its worker every time cannot take the retries of others down with it.

    ``description`` (JSON-able, recorded in the provenance) holds the requested settings and, under
    ``worker_threads``, every distinct thread setting the workers reported while running.
    """

    lost_errors = (concurrent.futures.BrokenExecutor, concurrent.futures.CancelledError)

    def __init__(self, make_pool, description: dict, threads: int = 1, window: int | None = None):
        from ..threads import BLAS_THREADS

        self.make_pool = make_pool
        self.threads = positive_int(threads, "threads")
        self.blas_threads = BLAS_THREADS
        self.window = None if window is None else positive_int(window, "window")
        self._description = dict(description)
        self._seen = set()

    @property
    def description(self) -> dict:
        seen = [dict(zip(("numba_threads", "blas_threads", "threading_layer"), s)) for s in sorted(self._seen)]
        return {**self._description, "threads_per_worker": self.threads,
                "blas_threads_per_worker": self.blas_threads, **({"worker_threads": seen} if seen else {})}

    def _outcome(self, future):
        try:
            exc = future.exception()
        except concurrent.futures.CancelledError as cancelled:  # cancelled on the cluster, not by us
            return cancelled
        if exc is not None:
            return exc
        result, threads = future.result()
        self._seen.add((threads["numba_threads"], threads["blas_threads"], threads["threading_layer"]))
        return result

    def map_unordered(self, fn, specs, window=None):
        job = functools.partial(_in_worker, self.threads, self.blas_threads, fn)
        todo = list(reversed(specs))
        window = window or self.window or max(len(todo), 1)
        pool, fresh, running = None, False, {}
        try:
            while todo or running:
                if pool is None:
                    pool, fresh = self.make_pool(), True
                while todo and len(running) < window:
                    try:
                        running[pool.submit(job, todo[-1])] = todo[-1]
                    except concurrent.futures.BrokenExecutor:
                        if fresh and not running:  # a new pool that cannot even start
                            raise
                        break  # it broke since: what runs fails below, then a fresh pool takes over
                    todo.pop()
                    fresh = False
                if not running:  # broke while idle
                    pool.shutdown(wait=False)
                    pool = None
                    continue
                if todo:  # wait for a free slot
                    done, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
                else:  # all submitted: drain as they finish (as_completed is linear in the runs, wait is not)
                    done = concurrent.futures.as_completed(list(running))
                broken = False
                for future in done:
                    outcome = self._outcome(future)
                    broken |= isinstance(outcome, concurrent.futures.BrokenExecutor)
                    yield running.pop(future), outcome
                if broken:  # every run still in flight fails with it; then a fresh pool takes the rest
                    for future in concurrent.futures.as_completed(list(running)):
                        yield running.pop(future), self._outcome(future)
                    pool.shutdown(wait=True)
                    pool = None
        except BaseException:  # Ctrl-C, SIGTERM, or the consumer stopped early
            for future in running:
                future.cancel()
            if pool is not None:
                _stop(pool)
            raise
        if pool is not None:
            pool.shutdown(wait=True)


def _init_worker() -> None:
    # The parent handles Ctrl-C (it stops the workers); a worker dying of SIGINT first would be
    # reported as a failed run.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor(FuturesExecutor):
    """``workers`` local processes (started with "spawn": no fork of a process running thread pools),
    each with ``threads`` Numba threads and ffbench's BLAS thread count.  At most ``2 * workers`` runs
    are in flight, so a run that kills its worker process loses few others."""

    def __init__(self, workers: int, threads: int = 1):
        import numba

        self.workers = positive_int(workers, "workers")
        threads = positive_int(threads, "threads")
        if threads > numba.config.NUMBA_NUM_THREADS:  # the workers start like this process
            raise StudyError(f"threads={threads} exceeds the {numba.config.NUMBA_NUM_THREADS} threads Numba "
                             "starts with here (set NUMBA_NUM_THREADS)")
        super().__init__(self._pool, {"kind": "process", "workers": self.workers}, threads=threads,
                         window=2 * self.workers)

    def _pool(self):
        return concurrent.futures.ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker)


def make_executor(workers=None, scheduler=None, threads=None):
    """The executor for the CLI options: ``SerialExecutor`` (neither given), ``ProcessExecutor(workers)``
    or a Dask ``DaskExecutor(scheduler)``; ``threads``: Numba threads per worker (default 1)."""
    if workers is not None and scheduler is not None:
        raise StudyError("give --workers or --scheduler, not both")
    if scheduler is not None:
        from .dask_executor import DaskExecutor

        return DaskExecutor(scheduler, threads=threads or 1)
    if workers is not None:
        return ProcessExecutor(workers, threads=threads or 1)
    return SerialExecutor()


# -------------------------------------------------------------------------------------------- sweep

def _say(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Within the block, SIGTERM raises ``Terminated`` (a KeyboardInterrupt) in the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _format_failure(spec: dict, exc: BaseException) -> str:
    # A worker's exception carries the remote traceback as its __cause__, which format_exception prints.
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"spec {canonical(spec)}\n{trace.rstrip()}"


def _compute(study, specs, keys, results, cache_dir, executor, progress) -> dict:
    """Fill ``results[i]`` for every missing run, caching each; return {index: failure text}."""
    index = {canonical(spec): i for i, (spec, r) in enumerate(zip(specs, results)) if r is None}
    pending = [specs[i] for i in index.values()]
    fn = functools.partial(_run_spec, study.__name__)
    enabled = sys.stderr.isatty() if progress is None else bool(progress)
    bar = tqdm(total=len(specs), initial=len(specs) - len(pending), desc=study.NAME, unit="run",
               file=sys.stderr, disable=not enabled, dynamic_ncols=True)
    failures = {}
    lost_errors = getattr(executor, "lost_errors", ())

    def sweep(batch, attempt, window=None):
        """Run ``batch``, caching each result as it arrives; return (raised, lost) failed specs."""
        raised, lost = [], []
        stream = (executor.map_unordered(fn, batch) if window is None
                  else executor.map_unordered(fn, batch, window=window))
        with contextlib.closing(stream):
            for spec, outcome in stream:
                i = index[canonical(spec)]
                if isinstance(outcome, BaseException):
                    if not isinstance(outcome, Exception):
                        raise outcome
                    failures[i] = _format_failure(spec, outcome)
                    (lost if isinstance(outcome, lost_errors) else raised).append(specs[i])
                    _say(f"{study.NAME}: run {i} failed ({'will retry' if attempt == 1 else 'again'}): "
                         f"{type(outcome).__name__}: {outcome}")
                    continue
                results[i] = _roundtrip(outcome, f"the result of run {i}")
                write_cache(cache_dir / f"{keys[i]}.json", study, keys[i], specs[i], results[i])
                failures.pop(i, None)
                bar.update()
        return raised, lost

    try:
        with _sigterm_as_interrupt():
            raised, lost = sweep(pending, 1) if pending else ([], [])
            # Retries: runs that raised, side by side; runs lost with their worker one at a time, so one
            # that kills its worker every time takes no other run down with it on its second attempt.
            if raised:
                sweep(raised, 2)
            if lost:
                sweep(lost, 2, window=1)
    except KeyboardInterrupt as exc:
        done = sum(r is not None for r in results)
        how = "terminated" if isinstance(exc, Terminated) else "interrupted"
        _say(f"{study.NAME}: {how}; {done} of {len(specs)} runs are saved in {cache_dir}; "
             "run the same command again to resume")
        raise
    finally:
        bar.close()
    return failures


def _check_summary(study, summary) -> dict:
    if not isinstance(summary, dict) or not {"data", "rows", "claims"} <= set(summary):
        raise StudyError(f"{study.NAME}.summarize() must return a dict with 'data', 'rows' and 'claims'")
    unknown = set(summary) - {"data", "rows", "claims", "table"}
    if unknown:
        raise StudyError(f"{study.NAME}.summarize() returned unknown keys {sorted(unknown)}")
    if not all(isinstance(c, Claim) for c in summary["claims"]):
        raise StudyError(f"{study.NAME}.summarize(): 'claims' must be a list of Claim "
                         "(use claim_close, claim_less, claim_greater)")
    rows = to_jsonable(summary["rows"], f"{study.NAME} rows")
    flat = isinstance(rows, list) and all(
        isinstance(r, dict) and not any(isinstance(v, (dict, list)) for v in r.values()) for r in rows)
    if not flat:
        raise StudyError(f"{study.NAME}.summarize(): 'rows' must be a list of flat dicts (one CSV row each)")
    return {"data": to_jsonable(summary["data"], f"{study.NAME} data"), "rows": rows,
            "claims": [c.to_dict() for c in summary["claims"]], "table": summary.get("table")}


def _csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    columns = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    if columns:
        writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return buf.getvalue()


def run_study(study, config: dict, out_dir, force=False, executor=None, progress=None, plot=True,
              formats=("png", "svg"), quick=False) -> dict:
    """Run (or resume) the sweep of ``study`` at ``config``, write ``out_dir/NAME.json`` and ``.csv``,
    print the tables, render the figures (if ``plot``) and return the record.

    ``force``: recompute cached runs.  ``executor``: default ``SerialExecutor()``.  ``progress``: show a
    progress bar (default: when stderr is a terminal).  ``quick`` is recorded in the record.
    Raises StudyError (nothing written) if runs still fail after a retry; KeyboardInterrupt (or
    ``Terminated`` on SIGTERM) after saving the finished runs.
    """
    started = time.perf_counter()
    study = check_study(study)
    executor = SerialExecutor() if executor is None else executor
    if study.__name__ == "__main__" and not isinstance(executor, SerialExecutor):
        raise StudyError(f"workers import a study by its module name, and {study.NAME} runs as a script; run "
                         "it as python -m MODULE")
    formats = parse_formats(formats)
    out_dir = Path(out_dir)
    cache_dir = out_dir / ".cache" / study.NAME
    ensure_writable(out_dir, cache_dir)
    config = _roundtrip(config, f"{study.NAME} config")
    specs = [_roundtrip(s, f"{study.NAME} run spec #{i}") for i, s in enumerate(study.runs(config))]
    if not all(isinstance(s, dict) for s in specs):
        raise StudyError(f"{study.NAME}.runs() must return a list of dicts")
    keys = [spec_key(study, s) for s in specs]
    if len(set(keys)) != len(keys):
        raise StudyError(f"{study.NAME}.runs() returned identical specs; give each run its own parameters "
                         "or seed (derive_seed)")
    results = [None if force else read_cache(cache_dir / f"{k}.json", study, k, s) for k, s in zip(keys, specs)]
    cached = sum(r is not None for r in results)
    failures = _compute(study, specs, keys, results, cache_dir, executor, progress)
    if failures:
        report = "\n\n".join(f"--- run {i}: {text}" for i, text in sorted(failures.items()))
        raise StudyError(f"{study.NAME}: {len(failures)} of {len(specs)} runs failed twice, so no record was "
                         f"written (the {len(specs) - len(failures)} finished runs are cached; rerun to retry "
                         f"only the failed ones):\n\n{report}")
    pairs = list(zip(specs, results))
    summary = _check_summary(study, study.summarize(copy.deepcopy(config), pairs))
    provenance = collect(seed=config.get("seed"))
    provenance["executor"] = executor.description
    record = {"schema": RECORD_SCHEMA, "study": study.NAME, "version": getattr(study, "VERSION", None),
              "quick": bool(quick), "config": config, "claims": summary["claims"], "data": summary["data"],
              "table": summary["table"], "provenance": to_jsonable(provenance),
              "wall_time_s": round(time.perf_counter() - started, 3), "runs": len(specs), "cached_runs": cached}
    record_path, csv_path = out_dir / f"{study.NAME}.json", out_dir / f"{study.NAME}.csv"
    atomic_write_text(record_path, format_json(record) + "\n")
    atomic_write_text(csv_path, _csv_text(summary["rows"]))
    if summary["table"]:
        print(summary["table"].rstrip())
        print()
    print(format_claims(record["claims"]))
    print(f"\n{study.NAME}: {len(specs)} runs ({cached} from cache) in {record['wall_time_s']:.1f} s")
    written = [record_path, csv_path]
    if plot:
        written += render_record(study, record_path, out_dir, formats)
    print("wrote " + ", ".join(str(p) for p in written))
    return record


# ---------------------------------------------------------------------------------------- rendering

def load_record(path) -> dict:
    """The study record at ``path``; a StudyError that says what to do if it is missing or corrupt."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudyError(f"no study record at {path}; run the study first "
                         f"(python -m ffbench.studies.{path.stem} --out {path.parent})") from None
    except (OSError, ValueError) as exc:
        raise StudyError(f"study record {path} is unreadable or corrupt ({exc}); rerun the study to "
                         "write it again") from None
    missing = [k for k in RECORD_KEYS if k not in record] if isinstance(record, dict) else list(RECORD_KEYS)
    if missing:
        raise StudyError(f"{path} is not an ffbench study record (missing {', '.join(missing)})")
    return record


def render_record(study, record_path, out_dir=None, formats=("png", "svg")) -> list[Path]:
    """Draw ``study``'s figures from the record at ``record_path`` alone (default ``out_dir``: the record's
    directory).  Returns the paths written."""
    study = check_study(study)
    record_path = Path(record_path)
    record = load_record(record_path)
    if record["study"] != study.NAME:
        raise StudyError(f"{record_path} is a record of study {record['study']!r}, not {study.NAME!r}")
    if record["version"] != getattr(study, "VERSION", None):
        warnings.warn(f"{record_path} was computed by {study.NAME} version {record['version']!r}; the code is "
                      f"version {getattr(study, 'VERSION', None)!r} (rerun the study to refresh it)",
                      stacklevel=2)
    out_dir = record_path.parent if out_dir is None else Path(out_dir)
    ensure_writable(out_dir)
    with paper_style():
        return [Path(p) for p in study.render(record, out_dir, parse_formats(formats))]


# ---------------------------------------------------------------------------------------------- CLI

def formats_argument(text):
    """argparse type for ``--format png,svg,pdf``."""
    try:
        return parse_formats(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_arg(text):
    try:
        return positive_int(int(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None


def build_parser(study) -> argparse.ArgumentParser:
    config = default_config_path(study)
    parser = argparse.ArgumentParser(
        prog=f"python -m {study.__name__}", description=study.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"Full-scale config: {config if config else 'the DEFAULTS in the module'}.  Results are cached in "
               f"OUT/.cache/{study.NAME}/, so an interrupted run resumes where it stopped.")
    parser.add_argument("--quick", action="store_true", help="smaller grid through the same code paths")
    parser.add_argument("--seed", type=int, help=f"study seed (default {study.DEFAULTS['seed']}, or the config's)")
    parser.add_argument("--out", type=Path, default=Path("figures"), metavar="DIR",
                        help="where the record, CSV and figures go (default: figures/)")
    parser.add_argument("--threads", type=_positive_arg, metavar="N",
                        help="Numba threads of each run: in this process, or per worker with --workers or "
                             "--scheduler (default there: 1)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_positive_arg, metavar="N",
                       help="run the sweep on N single-threaded worker processes (default: in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the sweep on the Dask cluster at ADDRESS, e.g. tcp://host:8786 "
                            "(needs pip install 'ffbench[dask]'; start workers with --nthreads 1)")
    parser.add_argument("--force", action="store_true", help="recompute runs that are already cached")
    parser.add_argument("--format", type=formats_argument, default=["png", "svg"], metavar="png,svg,pdf",
                        help="figure formats (default: png,svg)")
    parser.add_argument("--no-plot", action="store_true", help="write the record and CSV, draw no figures")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"TOML config to use instead of studies/{study.NAME}.toml")
    return parser


def main(study, argv=None) -> dict:
    """The command line of a study; returns the record.  Exits (SystemExit) with 1 on an error or failed
    runs, 130 on Ctrl-C and 143 on SIGTERM (after saving every finished run)."""
    try:
        study = _resolve_module(study)
    except StudyError as exc:
        raise SystemExit(f"error: {exc}") from None
    parser = build_parser(study)
    args = parser.parse_args(argv)
    remote = args.workers is not None or args.scheduler is not None
    if args.threads is not None and not remote:
        from ..threads import set_threads

        try:
            set_threads(args.threads)
        except ValueError as exc:
            parser.error(str(exc))
    try:
        config = resolve_config(study, quick=args.quick, config_file=args.config, seed=args.seed)
        with make_executor(args.workers, args.scheduler, args.threads if remote else None) as executor:
            return run_study(study, config, args.out, force=args.force, executor=executor,
                             plot=not args.no_plot, formats=args.format, quick=args.quick)
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
    except Terminated:
        raise SystemExit(EXIT_TERMINATED) from None
    except KeyboardInterrupt:
        raise SystemExit(EXIT_INTERRUPTED) from None
