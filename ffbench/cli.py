"""The ``ffbench`` command: ``ffbench list``, ``ffbench run NAME [options]``, ``ffbench figures [options]``.

``ffbench run NAME ...`` is ``python -m ffbench.studies.NAME ...`` (``ffbench run NAME --help`` lists the
options); ``ffbench figures ...`` is ``python -m ffbench.figures ...``.
"""
from __future__ import annotations

import argparse
import sys

from .studies import STUDIES, get_study, summary


def _list() -> int:
    width = max(map(len, STUDIES))
    for name in STUDIES:
        line = summary(name)
        print(f"{name:<{width}}  {'(not written yet)' if line is None else line}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="ffbench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,run,figures}")
    commands.add_parser("list", help="the studies and the claim each tests")
    run = commands.add_parser("run", help="run a study (options: ffbench run NAME --help)", add_help=False)
    run.add_argument("name", help=f"one of {', '.join(STUDIES)} (or a study module path)")
    commands.add_parser("figures", help="redraw figures from saved records (ffbench figures --help)",
                        add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "list":
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return _list()
    if args.command == "figures":
        from .figures import main as figures_main

        return figures_main(rest)
    try:
        study = get_study(args.name)
    except ValueError as exc:
        parser.error(str(exc))
    from .studies.framework import main as study_main

    study_main(study, rest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
