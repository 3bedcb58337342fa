"""Smoke tests of ``python -m ffbench.bench`` at a tiny grid and of the asv benchmark classes.

No timing assertions: these check that every code path runs, that the record holds what the README
promises (times, ratios, GFLOP/s, ceilings, thread counts, first-call times), that peers agree on the
work done (the same first-step loss), that the workers never import ffbench, and that the committed
figure redraws byte-identically from its record.  The asv classes are called directly (setup, then each timed
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
from ffbench.bench import __main__ as cli
from ffbench.bench import orchestrate, summary, timing
from ffbench.bench.grid import arrays_moved, configs, key, label, step_flops

ROOT = Path(__file__).resolve().parents[1]
TINY = [{"name": "mlp", "batch": 8, "sizes": [16, 16, 16], "activation": "tanh", "dtype": "float64"},
        {"name": "tiny", "batch": 8, "sizes": [2, 16, 16, 1], "activation": "relu", "dtype": "float32"}]


def _run(tmp_path, peers, **kw):
    result, paths = bench.run(peers=peers, threads=1, out_dir=tmp_path, steps=TINY, activations=["identity", "tanh"],
                              act_dtypes=["float32"], budget_s=0.005, gemm_n=64, act_elements=4096, verbose=False,
                              **kw)
    return result, paths


def test_grid_has_the_issue_rows():
    full, quick = configs(quick=False), configs(quick=True)
    keys = [key(c) for c in full]
    assert len(keys) == len(set(keys))
    assert len([c for c in full if c["name"] == "mlp" and c["dtype"] == "float32"]) == 2 * 3 * 3 * 3
    assert "float32 gelu 512x[768-3072-768]" in keys and "float32 tanh 32x[2-16-16-1]" in keys
    f64 = [label(c) for c in full if c["dtype"] == "float64"]  # one float64 row per network size
    assert sorted(f64) == sorted({label(c) for c in full})
    assert 0 < len(quick) < len(full) and all(c in full for c in quick)


def test_flops_and_traffic_model():
    # [2, 16, 16, 1] at batch 32: forward and weight gradient of all three layers, input gradient of the last two.
    assert step_flops(32, [2, 16, 16, 1]) == 2 * 32 * (2 * (32 + 256 + 16) + (256 + 16))
    assert arrays_moved("relu", "forward") == 2 and arrays_moved("relu", "backward") == 3
    assert arrays_moved("identity", "backward") == 2  # f' = 1 never reads z: a copy of g


def test_measure_and_geomean():
    calls = []
    t = bench.measure(lambda: calls.append(1), budget_s=0.001)
    assert t["samples"] >= timing.MIN_SAMPLES and t["median_s"] > 0 and t["first_s"] > 0
    assert len(calls) == 2 + t["samples"] * t["calls_per_sample"]
    assert summary.geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert summary.geomean([None, 0.0]) is None


def test_plan_interleaves_peers_and_brackets_with_ceilings():
    jobs = orchestrate.plan(TINY, ["ffbench", "numpy"])
    assert jobs[0]["what"] == jobs[-1]["what"] == "ceilings"
    steps = [(j["peer"], j["steps"][0]["dtype"]) for j in jobs if j["what"] == "steps"]
    assert steps == [("ffbench", "float64"), ("numpy", "float64"), ("numpy", "float32"), ("ffbench", "float32")]
    assert [j["peer"] for j in jobs if j["what"] == "activations"] == ["ffbench", "numpy"]


def test_worker_never_imports_ffbench(tmp_path):
    """The NumPy worker loads only the worker modules: no ffbench, no Numba in its process."""
    spec = {"threads": 1, "budget_s": 0.001, "steps": TINY[:1], "act_dtypes": [], "activations": [],
            "act_elements": 16, "gemm_n": 8}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    probe = orchestrate.BOOT.replace("sys.exit(", "rc = (") + \
        "; print(sorted(m for m in sys.modules if m.split('.')[0] in ('ffbench', 'numba')))"
    proc = subprocess.run([sys.executable, "-c", probe, str(ROOT / "ffbench" / "bench"), "numpy",
                           str(tmp_path / "spec.json"), str(tmp_path / "out.jsonl")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert kinds == ["threads", "step"]


def test_bench_ffbench_and_numpy(tmp_path):
    result, paths = _run(tmp_path, ("ffbench", "numpy"))
    assert result["peers_run"] == ["ffbench", "numpy"] and not result["errors"]
    assert sorted(p.name for p in paths) == ["bench.json", "bench.png", "bench.svg"]
    assert all(p.stat().st_size > 0 for p in paths)
    assert result["ceilings"]["gemm"]["float32/1"] > 0 and result["ceilings"]["gemm"]["float64/1"] > 0
    assert result["thread_counts"]["ffbench"]["numba"] == 1
    assert [r["label"] for r in result["steps"]] == ["8x[2-16-16-1]", "8x16x2"]  # float32 rows first
    for row in result["steps"]:
        assert row["ffbench"]["median_s"] > 0 and row["ffbench"]["first_s"] > 0
        assert row["ratio"]["numpy"] > 0 and row["gflops"]["numpy"] > 0 and row["ceiling_fraction"]["ffbench"] > 0
        tol = 1e-4 if row["dtype"] == "float32" else 1e-10
        assert row["first_loss_spread"] < tol  # the same weights and data: the same work
    assert set(result["summary"]) == {"float32", "float64"}
    assert result["summary"]["float32"]["numpy"]["n"] == 1
    acts = {(r["activation"], r["direction"]): r for r in result["activations"]}
    assert set(acts) == {(a, d) for a in ("identity", "tanh") for d in ("forward", "backward")}
    assert acts["identity", "backward"]["bytes"] == 2 * 4096 * 4 and acts["tanh", "backward"]["bytes"] == 3 * 4096 * 4
    assert all(r["ffbench"]["gbps"] > 0 for r in acts.values())
    assert json.loads((tmp_path / "bench.json").read_text()) == result
    text = bench.format_tables(result)
    assert "GEMM ceiling" in text and "8x[2-16-16-1]" in text and "/numpy" in text and "first-call overhead" in text
    assert "worst" in text and "geomean" in text


@pytest.mark.parametrize("peer, threads_key", [("torch", "intra_op"), ("jax", "xla_cpus")])
def test_bench_framework_peer_isolated(tmp_path, peer, threads_key):
    pytest.importorskip(peer)
    result, _ = _run(tmp_path, ("numpy", peer), formats=())
    assert result["peers_run"] == ["numpy", peer] and not result["errors"]
    assert result["thread_counts"][peer][threads_key] == 1
    assert all(row[peer]["median_s"] > 0 for row in result["steps"])
    tol = {"float32": 1e-4, "float64": 1e-10}
    assert all(row["first_loss_spread"] < tol[row["dtype"]] for row in result["steps"])


def test_missing_peer_is_reported_not_fatal(tmp_path, monkeypatch):
    monkeypatch.setattr(orchestrate, "unavailable", lambda peer: "jax is not installed" if peer == "jax" else None)
    result, _ = _run(tmp_path, ("numpy", "jax"), formats=())
    assert result["skipped"] == {"jax": "jax is not installed"}
    assert "skipped jax" in bench.format_tables(result)


def test_cli_rejects_unknown_peer_and_quick_into_reference_figures(capsys, monkeypatch):
    monkeypatch.setattr(orchestrate, "run", lambda *a, **k: pytest.fail("must refuse before running"))
    with pytest.raises(SystemExit) as exc:
        cli.main(["--peers", "ffbench,mxnet"])
    assert exc.value.code == 2 and "mxnet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["--quick", "--out", str(ROOT / "figures")])
    assert exc.value.code == 2 and "reference" in capsys.readouterr().err
    monkeypatch.setattr(orchestrate, "run", lambda *a, **k: pytest.fail("--report runs nothing"))
    assert cli.main(["--report", str(ROOT / "nonexistent.json")]) == 2  # one line, exit 2
    assert capsys.readouterr().err.count("\n") == 1


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


@pytest.mark.parametrize("module, cls", [("bench_activations", "Activations"),
                                         ("bench_activations", "ActivationRegimes"),
                                         ("bench_step", "TrainStep"), ("bench_memory", "PeakMemory"),
                                         ("bench_memory", "VanishingProbe"), ("bench_gemm", "GemmTiles")])
def test_asv_classes_run(asv_benchmarks, module, cls, monkeypatch):
    bench_module = importlib.import_module(f"benchmarks.{module}")
    if cls == "VanishingProbe":
        monkeypatch.setattr(bench_module, "PROBE_DEPTH", 2)  # a smoke test: 2 of the probe's layers
    if cls == "GemmTiles":
        monkeypatch.setattr(bench_module, "CEILING_N", 256)  # a smoke test: a small ceiling product
    bench_cls = getattr(bench_module, cls)
    args = _smallest(bench_cls)
    obj = bench_cls()
    if hasattr(obj, "setup_cache"):
        obj.setup_cache()
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
    # PYTHONPATH: the benchmarks import this checkout's ffbench, whichever ffbench the environment installed.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run([sys.executable, "-m", "asv", "check", "--python=same", "--config", "asv.conf.json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No problems found" in proc.stdout
