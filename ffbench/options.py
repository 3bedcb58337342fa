"""Options shared by every ffbench command (studies, ``ffbench.figures``, ``ffbench.bench``), and where output goes.

Runs write to ``results/NAME/`` under the current directory (git ignores ``results/``), a ``--quick`` run to
``results/NAME-quick/`` so that it never replaces a full run's results, unless ``--out DIR`` says otherwise.  The checkout's ``figures/`` holds the committed reference records and figures the README embeds; it
changes only when asked for explicitly (``--out figures``, or ``ffbench refresh``), and never from a ``--quick``
run: ``check_output`` refuses that with one line.

``Parser`` is the argparse parser of every command: a usage error is one line on stderr and exit status 2.
``output_options(default)`` and ``run_options()`` are argparse parents: ``Parser(parents=[...])``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._checks import positive_int
from .provenance import repo_root
from .style import DEFAULT_FORMATS, parse_formats

RESULTS = Path("results")


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose usage errors are one line (``PROG: error: ...; see --help``), exit 2."""

    def error(self, message):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def results_dir(name: str, quick: bool = False) -> Path:
    """The default output directory of a run called ``name``: ``results/NAME`` under the current directory, or
    ``results/NAME-quick`` for a ``--quick`` run."""
    return RESULTS / (f"{name}-quick" if quick else name)


def reference_dir() -> Path | None:
    """The checkout's ``figures/`` (the committed reference records and figures), or None outside a checkout."""
    root = repo_root()
    return None if root is None else root / "figures"


def is_reference(out_dir) -> bool:
    """Whether ``out_dir`` is the committed ``figures/`` of the checkout."""
    ref = reference_dir()
    return ref is not None and Path(out_dir).resolve() == ref.resolve()


def check_output(out_dir, quick: bool) -> Path:
    """``out_dir`` as a Path; a ValueError if it names a file, or if a ``--quick`` run would write into the
    committed figures/."""
    if Path(out_dir).exists() and not Path(out_dir).is_dir():
        raise ValueError(f"--out {out_dir} is a file, not a directory; give a directory for the results")
    if quick and is_reference(out_dir):
        raise ValueError(f"--quick never writes into the committed reference directory {out_dir}; leave out --out "
                         "(results go to results/NAME/) or pick another directory")
    return Path(out_dir)


def formats_argument(text):
    """argparse type for ``--format png,svg,pdf``."""
    try:
        return parse_formats(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_argument(text):
    """argparse type for a positive integer."""
    try:
        return positive_int(int(text), "value")
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None


def output_options(default: str, what: str = "the record, CSV and figures") -> argparse.ArgumentParser:
    """Parent parser: ``--out DIR`` (None when not given: the command applies ``default``, described here; ``what``
    says what goes there) and ``--format``."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help=f"where {what} go (default: {default})")
    parent.add_argument("--format", type=formats_argument, default=list(DEFAULT_FORMATS), metavar="png,svg,pdf",
                        help="figure formats (default: png; SVG and PDF on request)")
    return parent


def run_options(threads_help="Numba threads (per worker with --workers or --scheduler; default there: 1)"
                ) -> argparse.ArgumentParser:
    """Parent parser of commands that compute: ``--quick``, ``--no-plot``, ``--threads N`` (``threads_help``)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--quick", action="store_true",
                        help="smaller grid through the same code paths (never into the committed figures/)")
    parent.add_argument("--no-plot", action="store_true", help="write the record and CSV, draw no figures")
    parent.add_argument("--threads", type=positive_argument, metavar="N", help=threads_help)
    return parent
