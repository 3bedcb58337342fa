"""Redraw figures from saved records, without recomputing anything.

``python -m ffbench.figures [--out figures/] [--format png,svg] [--study NAME ...]``: for each registered
study (or each ``--study``, a registered name or the module path of a study outside ffbench) whose record
``OUT/NAME.json`` exists, draw its figures into ``OUT`` from that record alone; then every other record with a
redraw function in ``REDRAWERS`` (the benchmark's ``bench.json``).  The figures are byte-identical to those
the run wrote (``ffbench.style.save_figure``).  The default ``OUT`` is the committed ``figures/``: redrawing
them from the committed records changes no byte.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .options import output_options
from .pinning import reexec_pinned
from .studies import STUDIES, get_study
from .studies.framework import StudyError, render_record

#: Records that are not study records: ``{record stem: "module:function"}``, where
#: ``function(record_path, out_dir, formats)`` draws that record's figures and returns the paths written.
REDRAWERS: dict[str, str] = {"bench": "ffbench.bench.report:redraw"}


def _redraw_other(stem: str, out_dir: Path, formats) -> list[Path]:
    module, _, function = REDRAWERS[stem].partition(":")
    return [Path(p) for p in getattr(importlib.import_module(module), function)(out_dir / f"{stem}.json",
                                                                                out_dir, formats)]


def redraw(out_dir, formats=("png", "svg"), studies=None) -> tuple[list[Path], list[str]]:
    """Render the studies named in ``studies`` (default: every registered one, then every ``REDRAWERS`` entry)
    that have a record in ``out_dir``.  Returns (paths written, error messages)."""
    out_dir = Path(out_dir)
    written, errors = [], []
    for name in (list(STUDIES) + list(REDRAWERS) if studies is None else studies):
        try:
            # A registered study without a record is skipped before importing it (it may not exist yet).
            if name in STUDIES or name in REDRAWERS:
                if not (out_dir / f"{name}.json").is_file():
                    continue
                if name in REDRAWERS:
                    written += _redraw_other(name, out_dir, formats)
                    continue
            study = get_study(name)
            record_path = out_dir / f"{study.NAME}.json"
            if not record_path.is_file():
                if studies is not None:
                    errors.append(f"{name}: no record {record_path}")
                continue
            written += render_record(study, record_path, out_dir, formats)
        except (StudyError, ValueError) as exc:
            errors.append(f"{name}: {exc}")
    return written, errors


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ffbench.figures", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     parents=[output_options("figures/, the committed records and figures",
                                                             what="the records are read and the figures")])
    parser.add_argument("--study", action="append", metavar="NAME",
                        help="only this study (repeatable); a registered name or a study module path")
    args = parser.parse_args(argv)
    # The committed figures were drawn on the pinned code path (NumPy's SIMD loops move pixels): draw on it too.
    reexec_pinned("ffbench.figures", sys.argv[1:] if argv is None else argv)
    out = Path("figures") if args.out is None else args.out
    written, errors = redraw(out, args.format, args.study)
    for path in written:
        print(path)
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    if not written and not errors:
        print(f"error: no study records in {out}; run a study first "
              "(python -m ffbench.studies.NAME --out DIR)", file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
