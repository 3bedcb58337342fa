"""The ``ffbench`` command.

``ffbench list``: the studies and the claim each tests.
``ffbench run NAME [options]``: ``python -m ffbench.studies.NAME [options]`` (``ffbench run NAME --help``);
results go to ``results/NAME/`` unless ``--out`` says otherwise.
``ffbench figures [options]``: ``python -m ffbench.figures``, redraw figures from saved records.
``ffbench refresh [NAME ...] [--out DIR] [study options]``: rerun studies at full scale on the pinned code path
(``ffbench.pinning``) into the committed ``figures/`` and regenerate the README claim tables, or into ``DIR``, a
reproduction to compare (see ``ffbench.studies.reference``).
``ffbench compare A.json B.json``: whether two records hold the same numbers, or where they first differ.
``ffbench claims [--records DIR] [--write README.md | --check README.md]``: the claim tables of the records, as
Markdown; ``--write`` puts them between the README's ``<!-- claims:NAME -->`` markers.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

from .options import Parser
from .pinning import reexec_pinned
from .studies import STUDIES, get_study, summary


def _list() -> int:
    width = max(map(len, STUDIES))
    for name in STUDIES:
        line = summary(name)
        print(f"{name:<{width}}  {'(not written yet)' if line is None else line}")
    return 0


def _claims(args) -> int:
    from .options import reference_dir
    from .studies import reference

    records = args.records if args.records is not None else reference_dir()
    if records is None:
        print("error: no checkout figures/ here; give --records DIR", file=sys.stderr)
        return 2
    if not any(Path(records).glob("*.json")):
        print(f"error: no study records in {records}", file=sys.stderr)
        return 2
    if args.write or args.check:
        return reference.write_claims(args.write or args.check, records, check=args.check is not None)
    for name, table in reference.claim_tables(records).items():
        print(f"## {name}\n\n{table}")
    return 0


def main(argv=None) -> int:
    parser = Parser(prog="ffbench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="{list,run,figures,refresh,compare,claims}")
    commands.add_parser("list", help="the studies and the claim each tests")
    run = commands.add_parser("run", help="run a study (options: ffbench run NAME --help)", add_help=False)
    run.add_argument("name", help=f"one of {', '.join(STUDIES)} (or a study module path)")
    commands.add_parser("figures", help="redraw figures from saved records (ffbench figures --help)",
                        add_help=False)
    commands.add_parser("refresh", help="rerun studies at full scale into the committed figures/ "
                                        "(ffbench refresh [NAME ...] [--out DIR] [study options])", add_help=False)
    commands.add_parser("compare", help="do two records hold the same numbers? (ffbench compare A.json B.json)",
                        add_help=False)
    claims = commands.add_parser("claims", help="the records' claim tables as Markdown (or into the README)")
    claims.add_argument("--records", type=Path, metavar="DIR", help="directory of the records (default: figures/)")
    where = claims.add_mutually_exclusive_group()
    where.add_argument("--write", type=Path, metavar="README.md", help="regenerate the tables between its markers")
    where.add_argument("--check", type=Path, metavar="README.md", help="exit 1 if its tables are out of date")
    args, rest = parser.parse_known_args(argv)
    if args.command in ("list", "claims") and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "list":
        return _list()
    if args.command == "claims":
        return _claims(args)
    if args.command == "refresh":
        from .studies.reference import refresh as refresh_studies

        # The names come first, the study options after: ``ffbench refresh xor --workers 2``.
        names = list(itertools.takewhile(lambda a: not a.startswith("-"), rest))
        unknown = [n for n in names if n not in STUDIES]
        if unknown:
            parser.error(f"unknown study {unknown[0]!r} to refresh; registered: {', '.join(STUDIES)}")
        options, out = rest[len(names):], None
        if options[:1] == ["--out"]:
            if len(options) < 2:
                parser.error("refresh --out needs a directory")
            options, out = options[2:], Path(options[1])
        return refresh_studies(names, options, out)
    if args.command == "compare":
        from .compare import main as compare_main

        return compare_main(rest)
    if args.command == "figures":
        from .figures import main as figures_main

        if argv is None:  # from the shell: draw on the pinned code path, as python -m ffbench.figures does
            reexec_pinned("ffbench.figures", rest)
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
