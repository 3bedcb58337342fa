"""Redraw figures from saved records, without recomputing anything.

``python -m ffbench.figures [--out figures/] [--format png,svg] [--study NAME ...] [--workers N]``: for each
registered study (or each ``--study``, a registered name or the module path of a study outside ffbench) whose
record ``OUT/NAME.json`` exists, draw its figures into ``OUT`` from that record alone (its claims plot
``NAME_claims`` included); then every other record with a redraw function in ``REDRAWERS`` (the benchmark's
``bench.json``); then, without ``--study``, ``claims.png``, the forest plot of every study's claims
(``ffbench.claims_plot``).  The figures are byte-identical to those the run wrote (``ffbench.style.save_figure``).
The default ``OUT`` is the committed ``figures/``: redrawing them from the committed records changes no byte.

The records are drawn in parallel, one process per core (``--workers``, default: the usable cores): each figure
is drawn by one process from its record alone, so the bytes do not depend on the number of workers.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import importlib
import multiprocessing
import os
import sys
from pathlib import Path

from . import claims_plot
from .options import Parser, output_options, positive_argument
from .pinning import reexec_pinned
from .studies import STUDIES, get_study
from .studies.framework import StudyError, render_record
from .style import DEFAULT_FORMATS, paper_style

#: Records that are not study records: ``{record stem: "module:function"}``, where
#: ``function(record_path, out_dir, formats)`` draws that record's figures and returns the paths written.
REDRAWERS: dict[str, str] = {"bench": "ffbench.bench.figure:redraw"}
SUMMARY = "claims"  # the stem of the forest plot of every study's claims


def _redraw_other(stem: str, out_dir: Path, formats) -> list[Path]:
    module, _, function = REDRAWERS[stem].partition(":")
    return [Path(p) for p in getattr(importlib.import_module(module), function)(out_dir / f"{stem}.json",
                                                                                out_dir, formats)]


def _summary(out_dir: Path, formats) -> list[Path]:
    with paper_style():
        return claims_plot.render_summary(out_dir, list(STUDIES), out_dir, formats)


def _redraw_one(name: str, out_dir: Path, formats, named: bool) -> tuple[list[Path], list[str]]:
    """Draw one record's figures: (paths written, error messages).  ``named``: the user asked for it."""
    try:
        if name == SUMMARY and not named:
            return _summary(out_dir, formats), []
        # A registered study without a record is skipped before importing it (it may not exist yet).
        if name in STUDIES or name in REDRAWERS:
            if not (out_dir / f"{name}.json").is_file():
                return [], ([f"{name}: no record {out_dir / f'{name}.json'}"] if named else [])
            if name in REDRAWERS:
                return _redraw_other(name, out_dir, formats), []
        study = get_study(name)
        record_path = out_dir / f"{study.NAME}.json"
        if not record_path.is_file():
            return [], ([f"{name}: no record {record_path}"] if named else [])
        return render_record(study, record_path, out_dir, formats), []
    except (StudyError, ValueError) as exc:
        return [], [f"{name}: {exc}"]
    except Exception as exc:  # a renderer that cannot read its record: the other records are still drawn
        return [], [f"{name}: {type(exc).__name__}: {exc} (is the record older than the code? rerun the study)"]


def _cost(out_dir: Path, name: str) -> int:
    """A guess at a record's drawing time, to start the longest first: the size of its record."""
    path = out_dir / f"{name}.json"
    return path.stat().st_size if path.is_file() else 0


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def redraw(out_dir, formats=DEFAULT_FORMATS, studies=None, workers=None) -> tuple[list[Path], list[str]]:
    """Render the studies named in ``studies`` (default: every registered one, then every ``REDRAWERS`` entry,
    then the claims summary) that have a record in ``out_dir``, on ``workers`` processes (default: the usable
    cores; 1 draws in this process).  Returns (paths written, error messages), in the order of the names."""
    out_dir = Path(out_dir)
    names = list(STUDIES) + list(REDRAWERS) + [SUMMARY] if studies is None else list(studies)
    workers = min(len(names), usable_cores() if workers is None else workers)
    jobs = [(name, out_dir, formats, studies is not None) for name in names]
    if workers <= 1:
        results = [_redraw_one(*job) for job in jobs]
    else:
        # fork: the workers inherit the pinned environment and the imports; nothing here has started a thread pool
        context = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            order = sorted(range(len(jobs)), key=lambda i: -_cost(out_dir, names[i]))
            futures = {i: pool.submit(_redraw_one, *jobs[i]) for i in order}
            results = [futures[i].result() for i in range(len(jobs))]
    written = [p for paths, _ in results for p in paths]
    errors = [e for _, messages in results for e in messages]
    return written, errors


def main(argv=None) -> int:
    parser = Parser(prog="python -m ffbench.figures", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     parents=[output_options("figures/, the committed records and figures",
                                                             what="the records are read and the figures")])
    parser.add_argument("--study", action="append", metavar="NAME",
                        help="only this study (repeatable); a registered name or a study module path")
    parser.add_argument("--workers", type=positive_argument, default=None, metavar="N",
                        help="drawing processes (default: the usable cores)")
    args = parser.parse_args(argv)
    if argv is None:  # a command, not a call: the committed figures were drawn on the pinned code path (NumPy's
        reexec_pinned("ffbench.figures", sys.argv[1:])  # SIMD loops move pixels), so draw on it too
    out = Path("figures") if args.out is None else args.out
    written, errors = redraw(out, args.format, args.study, args.workers)
    for path in written:
        print(path)
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    if not written and not errors:  # a wrong --out: a user error
        print(f"error: no study records in {out}; run a study first "
              "(python -m ffbench.studies.NAME --out DIR)", file=sys.stderr)
        return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
