"""Redraw every study's figures from its saved record, without recomputing anything.

``python -m ffbench.figures [--out figures/] [--format png,svg] [--study NAME ...]``: for each registered
study (or each ``--study``, a registered name or the module path of a study outside ffbench) whose record
``OUT/NAME.json`` exists, draw its figures into ``OUT`` from that record alone.  The figures are
byte-identical to those the study wrote (``ffbench.style.save_figure``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .studies import STUDIES, get_study
from .studies.framework import StudyError, formats_argument, render_record


def redraw(out_dir, formats=("png", "svg"), studies=None) -> tuple[list[Path], list[str]]:
    """Render the studies named in ``studies`` (default: every registered one) that have a record in
    ``out_dir``.  Returns (paths written, error messages)."""
    out_dir = Path(out_dir)
    written, errors = [], []
    for name in (list(STUDIES) if studies is None else studies):
        try:
            # A registered study without a record is skipped before importing it (it may not exist yet).
            if name in STUDIES and not (out_dir / f"{name}.json").is_file():
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
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("figures"), metavar="DIR",
                        help="directory holding the records; figures are written there (default: figures/)")
    parser.add_argument("--format", type=formats_argument, default=["png", "svg"], metavar="png,svg,pdf",
                        help="figure formats (default: png,svg)")
    parser.add_argument("--study", action="append", metavar="NAME",
                        help="only this study (repeatable); a registered name or a study module path")
    args = parser.parse_args(argv)
    written, errors = redraw(args.out, args.format, args.study)
    for path in written:
        print(path)
    for message in errors:
        print(f"error: {message}", file=sys.stderr)
    if not written and not errors:
        print(f"error: no study records in {args.out}; run a study first "
              "(python -m ffbench.studies.NAME)", file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
