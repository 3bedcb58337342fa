"""Compare two study records: their data and claims, bit for bit, or the first places they differ.

``ffbench compare A.json B.json [--limit N]``: exit 0 when the two records hold the same config, data and claims
(provenance, dates and wall times may differ: they describe the run, not its numbers), 1 with the first ``N``
differences otherwise, each as a JSON path and the two values (floats in full, with their difference in units in the
last place), 2 on a file that is not a record.  Use it on a reproduction (``ffbench refresh NAME --out DIR``) and
the committed record: a difference in the last bits points at the code path, which both records' provenance name
(``provenance.instruction_set``).
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from .options import Parser
from .studies.framework.records import StudyError, load_record

COMPARED = ("study", "config", "data", "claims")  # the numbers; the rest describes the run


def _ulps(a: float, b: float) -> float:
    """How many float64 steps apart ``a`` and ``b`` are (inf when the signs or finiteness differ)."""
    if not (math.isfinite(a) and math.isfinite(b)) or (a < 0) != (b < 0):
        return math.inf
    return float(abs(int(np.float64(a).view(np.int64)) - int(np.float64(b).view(np.int64))))


def differences(a, b, path="", limit=10) -> list[str]:
    """Up to ``limit`` lines naming where the JSON values ``a`` and ``b`` differ (depth first, in key order)."""
    out: list[str] = []

    def walk(x, y, where):
        if len(out) >= limit:
            return
        if isinstance(x, dict) and isinstance(y, dict):
            for key in sorted(set(x) | set(y), key=str):
                if key not in x or key not in y:
                    out.append(f"{where}/{key}: only in {'B' if key not in x else 'A'}")
                else:
                    walk(x[key], y[key], f"{where}/{key}")
        elif isinstance(x, list) and isinstance(y, list):
            if len(x) != len(y):
                out.append(f"{where}: length {len(x)} vs {len(y)}")
            for i, (u, v) in enumerate(zip(x, y)):
                walk(u, v, f"{where}[{i}]")
        elif isinstance(x, float) and isinstance(y, float) and not (x == y or (x != x and y != y)):
            out.append(f"{where}: {x!r} vs {y!r} ({_ulps(x, y):.0f} ulp)")
        elif type(x) is not type(y) or (x != y and not isinstance(x, float)):
            out.append(f"{where}: {x!r} vs {y!r}")

    walk(a, b, path)
    return out


def compare(path_a, path_b, limit=10) -> list[str]:
    """The first ``limit`` differences between the numbers of two records (empty: identical)."""
    a, b = load_record(path_a), load_record(path_b)
    return differences({k: a.get(k) for k in COMPARED}, {k: b.get(k) for k in COMPARED}, limit=limit)


def main(argv=None) -> int:
    parser = Parser(prog="ffbench compare", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a", type=Path, metavar="A.json")
    parser.add_argument("b", type=Path, metavar="B.json")
    parser.add_argument("--limit", type=int, default=10, metavar="N", help="differences to show (default 10)")
    args = parser.parse_args(argv)
    try:
        found = compare(args.a, args.b, args.limit)
    except (StudyError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not found:
        print(f"identical: {', '.join(COMPARED)} of {args.a} and {args.b}")
        return 0
    print(f"{args.a} and {args.b} differ (first {len(found)}):")
    print("\n".join(f"  {line}" for line in found))
    return 1


if __name__ == "__main__":
    sys.exit(main())
