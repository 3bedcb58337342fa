"""Plan, execute and record a benchmark run: every peer's work in its own process, peers taking turns.

``plan`` cuts the work into jobs: the ceilings (a NumPy process) before the first and after the last
block, then one block of the step grid (one dtype x activation) per peer in turn, each in a fresh process
(the first peer rotates from block to block), so that a change in the machine's load during the run hits
every peer alike; then one activation job per peer.  ``execute`` runs each job in a fresh interpreter
(``ffbench.bench.worker``) and collects its JSON lines; ``record`` joins them (``ffbench.bench.summary``),
adds thread counts, methodology and provenance, writes ``OUT/bench.json`` and draws the figure from the
bytes written (so ``python -m ffbench.figures`` redraws it byte-identically).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from importlib.util import find_spec
from pathlib import Path

from . import grid, summary, timing
from .peers import LR, MODULES, PEERS

# The worker's modules load as a stand-in package ``_ffbench_bench`` whose path is this directory, so
# ``ffbench/__init__.py`` (which imports Numba) never runs in a NumPy, PyTorch or JAX worker.
BOOT = ("import importlib, sys, types; p = types.ModuleType('_ffbench_bench'); p.__path__ = [sys.argv[1]]; "
        "sys.modules[p.__name__] = p; sys.exit(importlib.import_module('_ffbench_bench.worker').main(sys.argv[2:]))")
ACT_DTYPES, QUICK_ACT_DTYPES = ("float32", "float64"), ("float32",)


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def unavailable(peer) -> str | None:
    """None if the peer can run here, else why not."""
    module = MODULES[peer]
    return f"{module} is not installed" if find_spec(module) is None else None


def plan(steps, active) -> list[dict]:
    """The jobs of a run, in order: ``{"peer", "what": "ceilings" | "steps" | "activations", "steps"}``."""
    blocks = {}
    for cfg in steps:
        blocks.setdefault((cfg["dtype"], cfg["activation"]), []).append(cfg)
    jobs = [{"peer": "numpy", "what": "ceilings", "steps": []}]
    for k, block in enumerate(blocks.values() if active else ()):
        order = active[k % len(active):] + active[:k % len(active)]
        jobs += [{"peer": peer, "what": "steps", "steps": block} for peer in order]
    jobs += [{"peer": peer, "what": "activations", "steps": []} for peer in active]
    return jobs + [{"peer": "numpy", "what": "ceilings", "steps": []}]


def run_worker(peer, spec, timeout_s, cold_cache=False) -> tuple[list[dict], str | None]:
    """Run one worker in a fresh interpreter; return its records and an error (or None).

    ``cold_cache``: give the worker an empty Numba cache, so ffbench's first calls include compiling."""
    with tempfile.TemporaryDirectory(prefix="ffbench-bench-") as tmp:
        spec_path, result_path = Path(tmp, "spec.json"), Path(tmp, "result.jsonl")
        spec_path.write_text(json.dumps(spec))
        result_path.touch()
        here = Path(__file__).resolve().parent
        # The ffbench worker imports the same ffbench as this process, wherever the current directory is.
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(here.parents[1]), os.environ.get("PYTHONPATH")])))
        if cold_cache:
            env["NUMBA_CACHE_DIR"] = str(Path(tmp, "numba-cache"))
        cmd = [sys.executable, "-c", BOOT, str(here), peer, str(spec_path), str(result_path)]
        error = None
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, env=env)
            if proc.returncode != 0:
                error = f"worker exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"
        except subprocess.TimeoutExpired:
            error = f"worker timed out after {timeout_s} s (partial results kept)"
        records = [json.loads(line) for line in result_path.read_text().splitlines() if line.strip()]
    return records, error


def execute(jobs, spec, timeout_s, cold_cache, verbose) -> tuple[dict, list[dict], dict, dict]:
    """Run the jobs; return (records by peer, ceiling records, errors by peer, wall seconds by peer)."""
    records, ceilings, errors, wall = {}, [], {}, {}
    for n, job in enumerate(jobs, 1):
        peer, what = job["peer"], job["what"]
        if verbose:
            count = f"{len(job['steps'])} step configurations" if what == "steps" else what
            print(f"[bench] {n}/{len(jobs)} {peer}: {count}", file=sys.stderr, flush=True)
        part = {**spec, "steps": job["steps"], "ceilings": what == "ceilings",
                "act_dtypes": spec["act_dtypes"] if what == "activations" else []}
        t0 = time.perf_counter()
        recs, error = run_worker(peer, part, timeout_s, cold_cache)
        if what == "ceilings":
            ceilings += [r for r in recs if r["kind"] == "ceilings"]
        else:
            wall[peer] = wall.get(peer, 0.0) + time.perf_counter() - t0
            records.setdefault(peer, []).extend(recs)
        if error:
            errors[peer] = (errors[peer] + "\n" if peer in errors else "") + error
    return records, ceilings, errors, wall


def record(records, ceilings, spec, meta, out_dir, formats) -> tuple[dict, list[Path]]:
    """Join the records into the result, write ``OUT/bench.json`` and the figure in ``formats`` (none if empty);
    return (result, paths)."""
    from ffbench._io import atomic_write_bytes
    from ffbench.provenance import collect

    from .figure import render
    peers_run = [p for p in PEERS if records.get(p)]
    result = summary.build(records, summary.best_ceilings(ceilings), peers_run, spec["threads"], meta["statistic"])
    result.update(meta, peers_run=peers_run, provenance=collect(threads=spec["threads"]),
                  thread_counts={p: next((r["threads"] for r in records[p] if r["kind"] == "threads"), None)
                                 for p in peers_run})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = json.dumps(result, indent=1, sort_keys=True, default=str).encode()
    atomic_write_bytes(out / "bench.json", data)
    paths = [out / "bench.json"]
    result = json.loads(data)  # what the figure is drawn from is what a redraw reads
    if formats:
        paths += render(result, out, formats)
    return result, paths


def run(quick=False, peers=PEERS, threads=None, out_dir="results/bench", formats=("png", "svg"), steps=None,
        activations=None, act_dtypes=None, budget_s=None, gemm_n=timing.GEMM_N,
        act_elements=timing.ACT_ELEMENTS, statistic="median", cold_cache=False, timeout_s=1800,
        verbose=True) -> tuple[dict, list[Path]]:
    """Run the benchmark; return the result (as saved in ``OUT/bench.json``) and the paths written.

    ``formats``: the figure's formats (empty: no figure)."""
    if activations is None:
        from ffbench.activations import ACTIVATIONS
        activations = list(ACTIVATIONS)
    spec = {"threads": threads or usable_cores(), "budget_s": budget_s or timing.BUDGET_S,
            "activations": list(activations), "gemm_n": int(gemm_n), "act_elements": int(act_elements),
            "act_dtypes": list(act_dtypes or (QUICK_ACT_DTYPES if quick else ACT_DTYPES))}
    t_start = time.perf_counter()
    load_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    skipped = {p: why for p in peers if (why := unavailable(p))}
    active = [p for p in peers if p not in skipped]
    jobs = plan(grid.configs(quick) if steps is None else steps, active)
    records, ceilings, errors, wall = execute(jobs, spec, timeout_s, cold_cache, verbose)
    meta = {
        "quick": quick, "threads": spec["threads"], "statistic": {"median": "median_s", "min": "min_s"}[statistic],
        "cold_cache": cold_cache, "skipped": skipped, "errors": errors, "peer_wall_s": wall,
        "methodology": {"sample_s": timing.SAMPLE_S, "budget_s": spec["budget_s"], "min_samples": timing.MIN_SAMPLES,
                        "max_samples": timing.MAX_SAMPLES, "statistic": statistic, "lr": LR,
                        "act_elements": spec["act_elements"], "flops_per_step": grid.step_flops.__doc__.split("\n")[0],
                        "isolation": "one subprocess per peer and block"},
        "wall_time_s": time.perf_counter() - t_start,
        # Other processes on the machine slow every peer (parallel ones most): record how busy it was.
        "load_average": {"start": load_start, "end": os.getloadavg() if hasattr(os, "getloadavg") else None},
    }
    return record(records, ceilings, spec, meta, out_dir, formats)
