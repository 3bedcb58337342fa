"""Run a study's sweep on a Dask distributed cluster: ``python -m ffbench.studies.NAME --scheduler ADDRESS``.

Dask is an optional extra (``pip install 'ffbench[dask]'``); this module imports it only when an executor
is made.  ``DaskExecutor`` submits the runs through ``Client.get_executor(pure=False)`` (``pure=False``: a
retried run is a new task, never the failed one again) and is a ``FuturesExecutor``, so the sweep behaves as
with ``--workers``: cached runs are never submitted, results stream into the cache as they finish, a failed
run is retried once (a run lost with its worker, ``KilledWorker``, one at a time) and then reported.

Each task sets its worker's Numba threads (``threads``, default 1) and BLAS threads (ffbench's
``BLAS_THREADS`` of *this* process, so workers compute like the client) before the run, and reports them;
the record's ``provenance.executor`` lists what the workers reported.  Workers must import the same
ffbench (and the study's module).  Start them with ``--nthreads 1``: a worker with more threads runs that
many runs at once in one process, where they compete for its cores (and Numba's ``workqueue`` threading
layer, used where neither OpenMP nor TBB is available, cannot launch parallel kernels from two threads at
once).

The scheduler address is not recorded (records are shared; it names a host).
"""
from __future__ import annotations

import asyncio
import warnings

from .executors import FuturesExecutor
from .records import StudyError

CONNECT_TIMEOUT_S = 30


class DaskExecutor(FuturesExecutor):
    """Runs a sweep on the Dask cluster at ``scheduler`` (an address such as ``"tcp://host:8786"``, or a
    connected ``distributed.Client``, which is then left open).  Waits up to ``timeout`` seconds for the
    scheduler and for at least one worker; a StudyError (before any work) if there is none."""

    def __init__(self, scheduler, threads: int = 1, timeout: float = CONNECT_TIMEOUT_S):
        try:
            from distributed import Client
            from distributed.scheduler import KilledWorker
        except ImportError:
            raise StudyError("--scheduler needs Dask: pip install 'ffbench[dask]'") from None
        self._owned = not isinstance(scheduler, Client)
        if self._owned:
            try:
                client = Client(scheduler, timeout=timeout, set_as_default=False)
            except (OSError, ValueError, TypeError) as exc:
                raise StudyError(f"cannot connect to the Dask scheduler at {scheduler!r}: {exc}") from None
        else:
            client = scheduler
        self.client = client
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError, asyncio.TimeoutError):  # the latter differs on Python 3.10
            self.close()
            raise StudyError(f"the Dask scheduler at {scheduler!r} has no workers after {timeout:g} s; start "
                             "some with: dask worker ADDRESS --nthreads 1") from None
        nthreads = sorted(client.nthreads().values())
        if nthreads and nthreads[-1] > 1:
            warnings.warn(f"Dask workers with {nthreads[-1]} threads run several ffbench runs at once in one "
                          "process; start them with --nthreads 1", stacklevel=2)
        super().__init__(lambda: client.get_executor(pure=False),
                         {"kind": "dask", "workers": len(nthreads), "worker_nthreads": nthreads},
                         threads=threads)
        self.lost_errors = (*self.lost_errors, KilledWorker)

    def close(self) -> None:
        if self._owned:
            self.client.close()
