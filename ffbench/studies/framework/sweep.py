"""The sweep: run (or resume) a study's runs, cache each as it finishes, summarize, write the record, render.

``run_study`` loads each run's result from the cache if present and valid, runs the others through an
executor, and writes each result to the cache as soon as it finishes, so an interrupted sweep (Ctrl-C,
SIGTERM, a crash) resumes where it stopped.  A run that fails is retried once (runs lost with a dead worker
one at a time, so a run that kills its worker every time takes no other run down with it); if it fails again
the study reports it (spec and traceback) after the others finish, without writing a record.  Then
``summarize(config, pairs)`` and ``OUT/NAME.json`` (the record) and ``OUT/NAME.csv`` (the rows), the printed
tables and claim checks, and the figures drawn from the saved record.
"""
from __future__ import annotations

import contextlib
import copy
import functools
import json
import signal
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

from tqdm import tqdm

from ...options import check_output
from ...provenance import collect, peak_rss_mib
from ... import claims_plot
from ...style import DEFAULT_FORMATS, paper_style, parse_formats
from ..claims import Claim, format_claims
from .cache import ensure_writable, read_cache, spec_key, write_cache
from .contract import check_study
from .drawn import render_unless_unchanged
from .executors import SerialExecutor, run_spec
from .records import (RECORD_SCHEMA, StudyError, atomic_write_text, canonical, csv_text, format_json,
                      load_record, roundtrip, to_jsonable)


class Terminated(KeyboardInterrupt):
    """SIGTERM, turned into a clean stop like Ctrl-C (finished runs are saved)."""


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


class _LogProgress:
    """Progress for a log file (stderr not a terminal): a line every tenth of the runs and for each run that ends
    ``every_s`` seconds or more after the last line, with runs done / total, elapsed time and an estimate of the
    time left, instead of a bar that prints nothing until it is finished."""

    def __init__(self, name, total, initial, every_s=10.0):
        self.name, self.total, self.done, self.every_s = name, total, initial, every_s
        self.start = self.last = time.perf_counter()
        self.initial, self.step = initial, max(1, (total - initial) // 10)

    def update(self, n=1):
        self.done += n
        now = time.perf_counter()
        if now - self.last >= self.every_s or (self.done - self.initial) % self.step == 0 or self.done == self.total:
            self.last = now
            elapsed, computed = now - self.start, self.done - self.initial
            left = elapsed / computed * (self.total - self.done) if computed else float("nan")
            _say(f"{self.name}: {self.done}/{self.total} runs, {elapsed:.0f} s elapsed, ~{left:.0f} s left")

    def close(self):
        pass


def _format_failure(spec: dict, exc: BaseException) -> str:
    # A worker's exception carries the remote traceback as its __cause__, which format_exception prints.
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return f"spec {canonical(spec)}\n{trace.rstrip()}"


def _compute(study, specs, keys, results, cache_dir, executor, progress) -> dict:
    """Fill ``results[i]`` for every missing run, caching each; return {index: failure text}."""
    index = {canonical(spec): i for i, (spec, r) in enumerate(zip(specs, results)) if r is None}
    pending = [specs[i] for i in index.values()]
    fn = functools.partial(run_spec, study.__name__)
    terminal = sys.stderr.isatty() if progress is None else bool(progress)
    if pending:
        _say(f"{study.NAME}: {len(pending)} of {len(specs)} runs to compute ({len(specs) - len(pending)} cached); "
             "the first ones also compile ffbench's Numba kernels that are not cached yet (NUMBA_CACHE_DIR)")
    bar = (tqdm(total=len(specs), initial=len(specs) - len(pending), desc=study.NAME, unit="run", file=sys.stderr,
                dynamic_ncols=True) if terminal else _LogProgress(study.NAME, len(specs), len(specs) - len(pending)))
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
                # outcome: the result's canonical JSON text, made in the worker; cached as is.
                write_cache(cache_dir / f"{keys[i]}.json", study, keys[i], specs[i], outcome)
                results[i] = json.loads(outcome)
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


def run_study(study, config: dict, out_dir, force=False, executor=None, progress=None, plot=True,
              formats=DEFAULT_FORMATS, quick=False) -> dict:
    """Run (or resume) the sweep of ``study`` at ``config``, write ``out_dir/NAME.json`` and ``.csv``,
    print the tables, render the figures (if ``plot``) and return the record.

    ``force``: recompute cached runs.  ``executor``: default ``SerialExecutor()``.  ``progress``: a
    progress bar (True; default when stderr is a terminal) or a log line per tenth of the runs and
    after 10 s without one (False).  ``quick`` is recorded in the record, and a quick run
    never writes into the committed figures/ (``ffbench.options.check_output``).
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
    try:
        out_dir = check_output(out_dir, quick)
    except ValueError as exc:
        raise StudyError(str(exc)) from None
    cache_dir = out_dir / ".cache" / study.NAME
    ensure_writable(out_dir, cache_dir)
    config = roundtrip(config, f"{study.NAME} config")
    specs = [roundtrip(s, f"{study.NAME} run spec #{i}") for i, s in enumerate(study.runs(config))]
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
    provenance["peak_rss_mib"] = peak_rss_mib()
    record = {"schema": RECORD_SCHEMA, "study": study.NAME, "version": getattr(study, "VERSION", None),
              "quick": bool(quick), "config": config, "claims": summary["claims"], "data": summary["data"],
              "table": summary["table"], "provenance": to_jsonable(provenance),
              "wall_time_s": round(time.perf_counter() - started, 3), "runs": len(specs), "cached_runs": cached}
    record_path, csv_path = out_dir / f"{study.NAME}.json", out_dir / f"{study.NAME}.csv"
    atomic_write_text(record_path, format_json(record) + "\n")
    atomic_write_text(csv_path, csv_text(summary["rows"]))
    if summary["table"]:
        print(summary["table"].rstrip())
        print()
    if quick:
        print("QUICK RUN: the verdicts below come from a smoke-test grid (too small, too few seeds); they check "
              "that the code runs, not the claims. Full-scale verdicts: figures/NAME.json or a run without "
              "--quick.".replace("NAME", study.NAME))
    print(format_claims(record["claims"]))
    print(f"\n{study.NAME}: {len(specs)} runs ({cached} from cache) in {record['wall_time_s']:.1f} s")
    written = [record_path, csv_path]
    if plot:
        # unchanged figures are not drawn again (drawn.py); --force draws them like the runs
        written += render_unless_unchanged(render_record, study, record_path, out_dir, formats,
                                           cache_dir / "figures.json", force)
    print("wrote " + ", ".join(str(p) for p in written))
    return record



def render_record(study, record_path, out_dir=None, formats=DEFAULT_FORMATS) -> list[Path]:
    """Draw ``study``'s figures from the record at ``record_path`` alone (default ``out_dir``: the record's
    directory), then ``NAME_claims``, the forest plot of its judged claims (``ffbench.claims_plot``; none when it
    judges no claim).  Returns the paths written."""
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
    formats = parse_formats(formats)
    with paper_style():
        paths = [Path(p) for p in study.render(record, out_dir, formats)]
        return paths + claims_plot.render_study(record, out_dir, formats)

