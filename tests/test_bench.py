"""Smoke tests of ``python -m ffbench.bench`` at a tiny grid and of the asv benchmark classes.

No timing assertions: these check that every code path runs, that the record holds what the README
promises (times, ratios, GFLOP/s, ceilings, thread counts, first-call times) and that peers agree on
the work done (the same first-step loss).  The asv classes are called directly (setup, then each timed
method) at their smallest parameters, and ``asv check`` imports the whole suite.
"""
import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ffbench import bench

ROOT = Path(__file__).resolve().parents[1]
TINY = [{"batch": 8, "width": 16, "depth": 2, "activation": "tanh", "dtype": "float64"},
        {"batch": 8, "width": 16, "depth": 3, "activation": "relu", "dtype": "float32"}]


def _run(tmp_path, peers, **kw):
    return bench.run(peers=peers, threads=1, out_dir=tmp_path, steps=TINY, activations=["relu", "tanh"],
                     act_dtypes=["float32"], budget_s=0.005, gemm_n=64, act_elements=4096, verbose=False, **kw)


def test_grid_matches_issue():
    full = bench.grid(quick=False)
    assert len(full) == 2 * 3 * 3 * 3 * 2
    assert {c["width"] for c in full} == {64, 256, 1024} and {c["dtype"] for c in full} == {"float32", "float64"}
    quick = bench.grid(quick=True)
    assert 0 < len(quick) < len(full) and all(c in full for c in quick)


def test_measure_and_helpers():
    calls = []
    t = bench.measure(lambda: calls.append(1), budget_s=0.001)
    assert t["samples"] >= bench.MIN_SAMPLES and t["median_s"] > 0 and t["first_s"] > 0
    assert len(calls) == 2 + t["samples"] * t["calls_per_sample"]
    assert bench.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert bench.geomean([None, 0.0]) is None
    assert bench.step_flops(2, 3, 4) == 6 * 2 * 3 * 3 * 4


def test_bench_ffbench_and_numpy(tmp_path):
    result = _run(tmp_path, ("ffbench", "numpy"), plot=True)
    assert result["peers_run"] == ["ffbench", "numpy"] and not result["errors"]
    assert result["ceilings"]["gemm"]["float32/1"] > 0 and result["ceilings"]["copy_gbps"]["float64"] > 0
    assert result["thread_counts"]["ffbench"]["numba"] == 1
    assert len(result["steps"]) == len(TINY)
    for row in result["steps"]:
        assert row["ffbench"]["median_s"] > 0 and row["ffbench"]["first_s"] > 0
        assert row["ratio"]["numpy"] > 0 and row["ffbench_gflops"] > 0 and row["ceiling_fraction"] > 0
        tol = 1e-4 if row["dtype"] == "float32" else 1e-10
        assert row["first_loss_spread"] < tol  # the same weights and data: the same work
    acts = {(r["activation"], r["direction"]): r for r in result["activations"]}
    assert set(acts) == {(a, d) for a in ("relu", "tanh") for d in ("forward", "backward")}
    assert all(r["ffbench"]["gbps"] > 0 and r["copy_fraction"]["ffbench"] > 0 for r in acts.values())
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["steps"] == json.loads(json.dumps(result["steps"]))
    assert (tmp_path / "bench.png").stat().st_size > 0 and (tmp_path / "bench.svg").stat().st_size > 0
    text = bench.format_tables(result)
    assert "GEMM ceiling" in text and "tanh" in text and "/numpy" in text and "first-call overhead" in text


def test_bench_torch_peer_isolated(tmp_path):
    pytest.importorskip("torch")
    result = _run(tmp_path, ("numpy", "torch"), plot=False)
    assert result["peers_run"] == ["numpy", "torch"] and not result["errors"]
    assert result["thread_counts"]["torch"]["intra_op"] == 1
    assert all(row["torch"]["median_s"] > 0 for row in result["steps"])
    assert all(row["first_loss_spread"] < 1e-4 for row in result["steps"])


def test_missing_peer_is_reported_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "_peer_available", lambda peer: "jax is not installed" if peer == "jax" else None)
    result = _run(tmp_path, ("numpy", "jax"), plot=False)
    assert result["skipped"] == {"jax": "jax is not installed"}
    assert "skipped jax" in bench.format_tables(result)


def test_cli_rejects_unknown_peer(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--peers", "ffbench,mxnet"])
    assert "mxnet" in capsys.readouterr().err


# --- the asv suite -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def asv_benchmarks():
    sys.path.insert(0, str(ROOT))
    try:
        yield __import__("benchmarks.common").common
    finally:
        sys.path.remove(str(ROOT))


def _smallest(cls):
    return [values[0] for values in cls.params] if hasattr(cls, "params") else []


@pytest.mark.parametrize("module, cls", [("bench_activations", "Activations"), ("bench_step", "TrainStep"),
                                         ("bench_memory", "PeakMemory")])
def test_asv_classes_run(asv_benchmarks, module, cls):
    bench_cls = getattr(importlib.import_module(f"benchmarks.{module}"), cls)
    args = _smallest(bench_cls)
    obj = bench_cls()
    obj.setup(*args)
    methods = [m for m in dir(obj) if m.startswith(("time_", "peakmem_", "track_"))]
    assert methods
    for name in methods:
        getattr(obj, name)(*args)


def test_asv_study_benchmark_skips_or_runs(asv_benchmarks):
    from benchmarks.bench_study import StudyQuick
    from ffbench.studies import is_available
    if not is_available("vanishing"):
        with pytest.raises(NotImplementedError):
            StudyQuick().setup("vanishing")
    else:
        assert StudyQuick.params == (["vanishing"],)


def test_asv_compile_helper(asv_benchmarks):
    # The session's (warm) cache: a cold compile in a test would cost tens of seconds on 2 busy cores.
    seconds = asv_benchmarks.first_step_seconds(os.environ["NUMBA_CACHE_DIR"])
    assert 0 < seconds < 600 and math.isfinite(seconds)


def test_asv_check():  # asv is in the test extra: no skip, a missing asv is a broken install
    proc = subprocess.run([sys.executable, "-m", "asv", "check", "--python=same"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No problems found" in proc.stdout
