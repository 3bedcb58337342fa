"""The command line of a study: ``python -m ffbench.studies.NAME [options]`` (also ``ffbench run NAME``).

``python -m ffbench.studies.NAME [--quick] [--seed N] [--out DIR] [--threads N] [--workers N | --scheduler
ADDRESS] [--force] [--format png,svg,pdf] [--no-plot] [--config FILE]``: resolves and validates the config
(``config``), checks that ``OUT`` (default ``results/NAME/``) is writable, then runs the sweep (``sweep``).

Exit status: 0 when the record is written (whether or not the claims hold), 1 on an error or on runs that
failed twice, 2 on a bad command line or config (before any run), 130 on Ctrl-C, 143 on SIGTERM.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...options import Parser, check_output, output_options, positive_argument, results_dir, run_options
from .config import default_config_path, resolve_config
from .contract import resolve_module
from .dask import DaskExecutor
from .executors import ProcessExecutor, SerialExecutor
from .records import StudyError
from .schema import ConfigError
from .sweep import Terminated, run_study

EXIT_FAILED, EXIT_CONFIG, EXIT_INTERRUPTED, EXIT_TERMINATED = 1, 2, 130, 143


def make_executor(workers=None, scheduler=None, threads=None):
    """The executor for the CLI options: ``SerialExecutor`` (neither given), ``ProcessExecutor(workers)``
    or a Dask ``DaskExecutor(scheduler)``; ``threads``: Numba threads per worker (default 1)."""
    if workers is not None and scheduler is not None:
        raise StudyError("give --workers or --scheduler, not both")
    if scheduler is not None:
        return DaskExecutor(scheduler, threads=threads or 1)
    if workers is not None:
        return ProcessExecutor(workers, threads=threads or 1)
    return SerialExecutor()


def build_parser(study) -> argparse.ArgumentParser:
    config = default_config_path(study)
    parser = Parser(
        prog=f"python -m {study.__name__}", description=study.__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[output_options(f"results/{study.NAME}/, or results/{study.NAME}-quick/ with --quick; the "
                                "committed figures/ only with --out figures or ffbench refresh"), run_options()],
        epilog=f"Full-scale config: {config if config else 'the DEFAULTS in the module'}.  Results are cached in "
               f"OUT/.cache/{study.NAME}/, so an interrupted run resumes where it stopped.")
    parser.add_argument("--seed", type=int, help=f"study seed (default {study.DEFAULTS['seed']}, or the config's)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_argument, metavar="N",
                       help="run the sweep on N single-threaded worker processes (default: in this process)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the sweep on the Dask cluster at ADDRESS, e.g. tcp://host:8786 "
                            "(needs pip install 'ffbench[dask]'; start workers with --nthreads 1)")
    parser.add_argument("--force", action="store_true", help="recompute runs that are already cached")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help=f"TOML config to use instead of studies/{study.NAME}.toml")
    return parser


def main(study, argv=None) -> dict:
    """The command line of a study; returns the record.  Exits (SystemExit) with 1 on an error or failed
    runs, 2 on a bad config or output directory (before any run), 130 on Ctrl-C and 143 on SIGTERM (after
    saving every finished run)."""
    try:
        study = resolve_module(study)
    except StudyError as exc:
        raise SystemExit(f"error: {exc}") from None
    parser = build_parser(study)
    args = parser.parse_args(argv)
    remote = args.workers is not None or args.scheduler is not None
    if args.threads is not None and not remote:
        from ...threads import set_threads

        try:
            set_threads(args.threads)
        except ValueError as exc:
            parser.error(str(exc))
    try:
        out = check_output(results_dir(study.NAME, args.quick) if args.out is None else args.out, args.quick)
        config = resolve_config(study, quick=args.quick, config_file=args.config, seed=args.seed)
    except (ValueError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None
    try:
        with make_executor(args.workers, args.scheduler, args.threads if remote else None) as executor:
            return run_study(study, config, out, force=args.force, executor=executor,
                             plot=not args.no_plot, formats=args.format, quick=args.quick)
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_FAILED) from None
    except Terminated:
        raise SystemExit(EXIT_TERMINATED) from None
    except KeyboardInterrupt:
        raise SystemExit(EXIT_INTERRUPTED) from None
