"""The committed reference records in ``figures/``: refreshing them, and the README claim tables made from them.

``ffbench refresh [NAME ...]`` reruns studies at full scale (their ``studies/NAME.toml``) into the checkout's
``figures/``, then regenerates the README claim tables; ``ffbench refresh NAME --out DIR`` writes a reproduction
into ``DIR`` instead and leaves the README alone (compare it with ``ffbench compare``).  Each study runs in a child
process on the pinned AVX2 code path (``ffbench.pinning``: OpenBLAS's Haswell kernels, NumPy's X86_V3 loops,
Numba's haswell target), so a refresh on an AVX2 or an AVX-512 machine with the same versions gives the same bytes
of data and claims.  A CPU without AVX2 and FMA (or not x86-64) runs its own code: the last bits may differ, and
the refresh says so.

``ffbench claims [--write README.md]`` prints the claim tables of the records in ``figures/`` as Markdown, or
writes each between the README's markers ``<!-- claims:NAME -->`` and ``<!-- /claims:NAME -->``.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ..options import reference_dir
from ..pinning import pinned_environment
from . import STUDIES
from .claims import markdown_claims, summary_line
from .framework.records import StudyError, atomic_write_text, load_record

MARKER = re.compile(r"(<!-- claims:(?P<name>[\w.]+) -->\n)(?P<body>.*?)(<!-- /claims:(?P=name) -->)", re.S)


def refresh(names=None, extra=(), out=None) -> int:
    """Rerun the studies ``names`` (default: every registered one) at full scale on the pinned code path into
    figures/ and then regenerate the README claim tables, or into ``out`` (a reproduction; the README is left
    alone).  ``extra``: more study options (``--workers 4``, ``--force``).  Returns an exit status."""
    figures = reference_dir() if out is None else Path(out)
    if figures is None:
        print("error: ffbench refresh rewrites the committed figures/ of a checkout; this ffbench is not "
              "running from one (give --out DIR for a reproduction elsewhere)", file=sys.stderr)
        return 2
    if "--quick" in extra or any(a.startswith("--out") for a in extra):
        print("error: ffbench refresh runs at full scale; it takes no --quick (and --out DIR once, after the "
              "study names)", file=sys.stderr)
        return 2
    env, note = pinned_environment()
    if note:
        print(f"note: {note}", file=sys.stderr)
    for name in names or list(STUDIES):
        module = STUDIES.get(name, name)
        done = subprocess.run([sys.executable, "-m", module, "--out", str(figures), *extra], env=env)
        if done.returncode:
            return done.returncode
    return write_claims(figures.parent / "README.md", figures) if out is None else 0


def claim_tables(records_dir, names=None) -> dict[str, str]:
    """``{study name: its Markdown claim table}`` for each record in ``records_dir`` (or each of ``names``)."""
    records_dir = Path(records_dir)
    names = names or [n for n in STUDIES if (records_dir / f"{n}.json").is_file()]
    tables = {}
    for name in names:
        record = load_record(records_dir / f"{name}.json")
        source = f"figures/{name}.json" if records_dir == reference_dir() else str(records_dir / f"{name}.json")
        tables[name] = (f"Generated from `{source}` by `ffbench claims --write README.md`; do not edit by hand. "
                        f"{summary_line(record['claims'])}.\n\n{markdown_claims(record['claims'])}\n")
    return tables


def update_text(text: str, tables: dict[str, str]) -> str:
    """``text`` with the claim table between each pair of markers replaced by ``tables[name]``."""
    return MARKER.sub(lambda m: f"{m[1]}{tables[m['name']]}{m[4]}", text)


def write_claims(readme, records_dir=None, check=False) -> int:
    """Regenerate the claim tables between the markers of ``readme`` from the records (default: figures/).
    ``check``: write nothing, return 1 if the file is out of date.  Returns an exit status."""
    readme = Path(readme)
    records_dir = reference_dir() if records_dir is None else Path(records_dir)
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    names = list(dict.fromkeys(m["name"] for m in MARKER.finditer(text)))
    missing = [n for n in names if not (records_dir / f"{n}.json").is_file()]
    if missing:
        print(f"error: {readme} has claim markers without a record in {records_dir}: {', '.join(missing)}",
              file=sys.stderr)
        return 1
    try:
        new = update_text(text, claim_tables(records_dir, names))
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if check:
        if new != text:
            print(f"{readme}: claim tables are out of date; run ffbench claims --write {readme}", file=sys.stderr)
            return 1
        return 0
    if new != text:
        atomic_write_text(readme, new)
        print(f"wrote the claim tables in {readme}")
    return 0
