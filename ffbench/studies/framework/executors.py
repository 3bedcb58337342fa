"""Executors: where a sweep's runs execute.

An executor has ``map_unordered(fn, specs, window=None)`` yielding ``(spec, result or exception)`` as runs
finish, and a JSON-able ``description`` (see ``Executor``).  ``SerialExecutor`` (default) runs in this process
with Numba's own threads (``--threads``); ``ProcessExecutor`` (``--workers N``) runs on N local worker
processes; ``DaskExecutor`` (``--scheduler ADDRESS``, in ``.dask``; ``pip install 'ffbench[dask]'``) runs on an
existing Dask distributed cluster; ``FuturesExecutor`` wraps any ``concurrent.futures``-style executor.  A
worker sets its Numba threads (``--threads``, default 1) and BLAS threads (this process's
``ffbench.threads.BLAS_THREADS``, default 1) explicitly before each run and reports them; the record's
``provenance.executor`` lists what the workers reported.  Seeds come from ``derive_seed`` on the run's
parameters, never from scheduling order, so every executor gives the same numbers (and the same cache
entries, byte for byte).

A run's result leaves its worker as canonical JSON text (``run_spec``): serialised once, there, and written to
the cache as is.
"""
from __future__ import annotations

import concurrent.futures
import functools
import importlib
import multiprocessing
import signal

from ..._checks import positive_int
from .records import StudyError, canonical


def run_spec(module_name: str, spec: dict) -> str:
    """Run one spec of the study ``module_name`` (importable by name, so worker processes find it); the
    result as canonical JSON text."""
    result = importlib.import_module(module_name).run(spec)
    if not isinstance(result, dict):
        raise TypeError(f"run() must return a dict, got {type(result).__name__}")
    return canonical(result, "run() result")


_WORKER_BLAS = {}  # BLAS limit applied in this worker process -> the BLAS thread count measured after it


def _in_worker(numba_threads: int, blas_threads: int, fn, spec):
    """``(fn(spec), threads)`` computed with ``numba_threads`` Numba and ``blas_threads`` BLAS threads.

    Runs in a worker.  Numba's count is per calling thread and a Dask worker may run each task on another
    thread, so it is set on every call; the BLAS limit is process-wide and set (and measured: threadpoolctl
    takes ~2 ms) once per process.  ``threads`` is what the run had: ``{"numba_threads", "blas_threads",
    "threading_layer"}``, recorded in the executor's description.
    """
    from threadpoolctl import threadpool_limits

    from ...gemm import blas_threads as current_blas
    from ...threads import get_threads, set_threads, threading_layer

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
        from ...threads import BLAS_THREADS

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

