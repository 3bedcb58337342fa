"""``python -m ffbench.bench``: the command line of the benchmark (see ``ffbench.bench``)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ffbench.options import Parser, check_output, output_options, results_dir, run_options

from . import __doc__ as DOC
from .orchestrate import run
from .peers import PEERS
from .report import format_tables
from .timing import BUDGET_S



def parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m ffbench.bench", description=DOC,
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                parents=[output_options("results/bench/, or results/bench-quick/ with --quick; "
                                                        "--out figures refreshes the reference figures",
                                                        what="bench.json and the figures"),
                                         run_options("threads for every peer: Numba, NumPy's BLAS, PyTorch, XLA "
                                                     "(default: every usable core)")])
    p.add_argument("--peers", default=",".join(PEERS), help=f"comma-separated subset of {','.join(PEERS)}")
    p.add_argument("--budget", type=float, default=None, help=f"seconds of timing per step config ({BUDGET_S})")
    p.add_argument("--statistic", choices=("median", "min"), default="median",
                   help="per-configuration statistic of the samples (min is steadier on a busy machine)")
    p.add_argument("--cold-cache", action="store_true",
                   help="start ffbench with an empty Numba cache (first-call times then include compiling)")
    p.add_argument("--report", type=Path, metavar="BENCH.json",
                   help="print the tables of a saved record (e.g. figures/bench.json) and exit; runs nothing")
    return p


def main(argv=None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if args.report:
        try:
            print(format_tables(json.loads(args.report.read_text())))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"error: --report {args.report}: not a readable bench record ({exc})", file=sys.stderr)
            return 2
        return 0
    peers = [s.strip() for s in args.peers.split(",") if s.strip()]
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        p.error(f"unknown peer {unknown[0]!r}; valid: {', '.join(PEERS)}")
    try:
        out = check_output(results_dir("bench", args.quick) if args.out is None else args.out, args.quick)
    except ValueError as exc:
        p.error(str(exc))
    result, paths = run(quick=args.quick, peers=peers, threads=args.threads, out_dir=out,
                        formats=[] if args.no_plot else args.format, budget_s=args.budget,
                        statistic=args.statistic, cold_cache=args.cold_cache)
    print(format_tables(result))
    print(f"\nwall time {result['wall_time_s']:.1f} s; wrote " + ", ".join(map(str, paths)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
