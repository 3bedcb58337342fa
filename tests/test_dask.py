"""Sweeps on a Dask cluster (``--scheduler``): a LocalCluster of 2 single-threaded worker processes on loopback.

The toy study (tests/toy_study.py) runs on it: the workers import it by name, as the spawned processes
inherit this process's ``sys.path``.  The scheduler allows no failures, so a run on a killed worker comes
back as ``KilledWorker`` and the framework's own retry has to save the sweep.
"""
import logging
import os
import signal
import threading
import time

import pytest

distributed = pytest.importorskip("distributed")

import dask  # noqa: E402

import toy_study as toy  # noqa: E402
from ffbench.studies import framework as fw  # noqa: E402
from ffbench.studies.framework.dask import DaskExecutor  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None, silence_logs=logging.CRITICAL) as cluster:
            with distributed.Client(cluster, set_as_default=False) as client:
                yield cluster, client


@pytest.fixture
def scheduler(cluster):
    """The address of the cluster, with both workers up (a killed worker is restarted by its nanny)."""
    cluster, client = cluster
    client.wait_for_workers(2, timeout=60)
    return cluster.scheduler_address


@pytest.fixture(autouse=True)
def fresh_toy(monkeypatch):
    monkeypatch.setattr(toy, "CALLS", [])
    monkeypatch.setattr(toy, "HOOK", None)


def run_toy(out, *extra):
    return fw.main(toy, ["--out", str(out), "--no-plot", *extra])


def numbers(record):
    return {k: record[k] for k in ("config", "claims", "data", "table", "runs")}


def cache_entries(out):
    return {p.name: p.read_bytes() for p in (out / ".cache" / "toy").glob("*.json")}


def write_config(path, sizes, repeats):
    path.write_text(f"seed = 5\nsizes = {sizes}\nrepeats = {repeats}\n")
    return str(path)


def test_dask_gives_the_same_numbers_as_serial(scheduler, tmp_path, monkeypatch):
    serial = run_toy(tmp_path / "serial", "--quick")
    on_dask = run_toy(tmp_path / "dask", "--quick", "--scheduler", scheduler)
    assert numbers(on_dask) == numbers(serial)
    assert cache_entries(tmp_path / "dask") == cache_entries(tmp_path / "serial")  # byte for byte
    assert len(toy.CALLS) == 6  # the serial runs: the Dask ones ran in the workers

    executor = on_dask["provenance"]["executor"]
    assert {k: v for k, v in executor.items() if k != "worker_threads"} == {
        "kind": "dask", "workers": 2, "worker_nthreads": [1, 1], "threads_per_worker": 1,
        "blas_threads_per_worker": 1}
    assert [(t["numba_threads"], t["blas_threads"]) for t in executor["worker_threads"]] == [(1, 1)]
    assert "127.0.0.1" not in str(on_dask["provenance"])  # no host names in shared records

    # Cached runs are never submitted: drop two cache files, and only those two go to the cluster.
    submitted = []
    original = fw.FuturesExecutor.map_unordered

    def spy(self, fn, specs, window=None):
        submitted.extend(specs)
        return original(self, fn, specs, window)

    monkeypatch.setattr(fw.FuturesExecutor, "map_unordered", spy)
    dropped = sorted((tmp_path / "dask" / ".cache" / "toy").glob("*.json"))[:2]
    for path in dropped:
        path.unlink()
    again = run_toy(tmp_path / "dask", "--quick", "--scheduler", scheduler, "--threads", "2")
    assert len(submitted) == 2 and again["cached_runs"] == 4 and numbers(again) == numbers(serial)
    assert [t["numba_threads"] for t in again["provenance"]["executor"]["worker_threads"]] == [2]


def test_progress_bar_counts_runs_from_workers(cluster, scheduler, tmp_path, capsys):
    _, client = cluster
    config = fw.resolve_config(toy, quick=True)
    with DaskExecutor(client) as executor:  # a connected Client: used, and left open
        fw.run_study(toy, config, tmp_path, executor=executor, progress=True, plot=False)
    err = capsys.readouterr().err
    assert "toy: 100%" in err and "6/6" in err
    assert client.status == "running"


def test_killed_worker_mid_sweep_is_retried_and_nothing_finished_is_recomputed(cluster, scheduler, tmp_path,
                                                                               capsys):
    _, client = cluster
    pids = client.run(os.getpid)
    config = write_config(tmp_path / "slow.toml", [3_000_000 + i for i in range(4)], 3)  # 12 runs of ~0.1 s
    out = tmp_path / "out"
    killed = []

    def kill_a_busy_worker_after_two_runs():
        deadline = time.monotonic() + 60
        while len(cache_entries(out)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        busy = [addr for addr, keys in client.processing().items() if keys]
        if busy:
            os.kill(pids[busy[0]], signal.SIGKILL)
            killed.append(busy[0])

    killer = threading.Thread(target=kill_a_busy_worker_after_two_runs)
    killer.start()
    try:
        record = run_toy(out, "--config", config, "--scheduler", scheduler)
    finally:
        killer.join()
    err = capsys.readouterr().err
    assert killed, "no worker was busy to kill"
    assert "KilledWorker" in err and "will retry" in err  # the framework's retry saved the sweep
    assert record["runs"] == 12 and record["cached_runs"] == 0 and len(cache_entries(out)) == 12

    rerun = run_toy(out, "--config", config)  # in this process: any recomputed run would show in CALLS
    assert toy.CALLS == [] and rerun["cached_runs"] == 12
    assert numbers(rerun) == numbers(record) == numbers(run_toy(tmp_path / "serial", "--config", config))


def test_run_that_raises_in_a_worker_is_reported_and_the_others_complete(scheduler, tmp_path, capsys):
    # n = -1: NumPy raises in run().  The command line refuses that config before any run (exit 2), so the
    # sweep is started directly, as a program using run_study would.
    config = {"seed": 5, "sizes": [200, -1, 2000], "repeats": 1}
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exc:
        run_toy(out, "--config", write_config(tmp_path / "bad.toml", config["sizes"], 1))
    assert exc.value.code == fw.EXIT_CONFIG and "config key sizes" in capsys.readouterr().err
    with DaskExecutor(scheduler) as executor, pytest.raises(fw.StudyError) as exc:
        fw.run_study(toy, config, out, executor=executor, plot=False)
    err = str(exc.value)
    bad = next(s for s in toy.runs({"seed": 5, "sizes": [-1], "repeats": 1}))
    assert "1 of 3 runs failed twice" in err and fw.canonical(bad) in err  # its configuration
    assert "Traceback" in err and "toy_study.py" in err and "negative dimensions" in err  # the worker's traceback
    assert len(cache_entries(out)) == 2 and not (out / "toy.json").exists()


def test_no_scheduler_or_both_options_are_clear_errors(tmp_path, capsys):
    with pytest.raises(fw.StudyError, match="cannot connect to the Dask scheduler"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=1)
    with pytest.raises(SystemExit) as exc:
        run_toy(tmp_path, "--quick", "--workers", "2", "--scheduler", "tcp://127.0.0.1:9")
    assert exc.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
