"""Records on disk: JSON normalisation, canonical text and hashes, seeds, the record file and its CSV.

JSON: records and caches never contain NaN or infinity (``allow_nan=False``).  ``to_jsonable`` writes NaN as
``null`` and +-infinity as the strings ``"inf"``/``"-inf"``; ``np.asarray(values, dtype=float)`` turns such a
list back into the original floats.  Floats are written with ``repr`` (shortest round trip), keys sorted, so
the same numbers give the same bytes.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from pathlib import Path

import numpy as np

from ..._io import atomic_write_bytes

RECORD_SCHEMA = "ffbench-record/1"
RECORD_KEYS = ("study", "version", "quick", "config", "claims", "data", "provenance", "wall_time_s", "runs",
               "cached_runs")


class StudyError(RuntimeError):
    """A study cannot run or finish: bad config, unwritable output, failed runs, a corrupt record."""


def to_jsonable(obj, where="value"):
    """``obj`` as plain JSON types: numpy arrays/scalars to lists/Python scalars, tuples to lists,
    NaN to None, +-inf to "inf"/"-inf".  Anything else raises a TypeError naming where it sits."""
    if isinstance(obj, np.generic):
        obj = obj.item()
    if obj is None or isinstance(obj, (bool, str, int)):
        return obj
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist(), where)
    if isinstance(obj, dict):
        return {_json_key(k, where): to_jsonable(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    raise TypeError(f"{where} has type {type(obj).__name__}, which is not JSON-able "
                    "(use numbers, strings, bools, None, lists, dicts or numpy arrays)")


def _json_key(key, where):
    if isinstance(key, str):
        return key
    if isinstance(key, (int, np.integer)) and not isinstance(key, (bool, np.bool_)):
        return str(int(key))
    raise TypeError(f"{where} has a key {key!r} of type {type(key).__name__}; JSON keys are strings")


def canonical(obj, where="value") -> str:
    """Compact JSON with sorted keys: the same value always gives the same text (hashes, caches)."""
    return json.dumps(to_jsonable(obj, where), sort_keys=True, separators=(",", ":"), allow_nan=False)


def sha256(obj) -> str:
    return hashlib.sha256(canonical(obj).encode()).hexdigest()


def format_json(obj, indent: int = 0) -> str:
    """Readable JSON for records: one key per line, sorted, and lists of numbers kept on one line."""
    pad = " " * (indent + 1)
    if isinstance(obj, dict) and obj:
        items = (f"{pad}{json.dumps(k)}: {format_json(v, indent + 1)}" for k, v in sorted(obj.items()))
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list) and any(isinstance(v, (dict, list)) and v for v in obj):
        return "[\n" + ",\n".join(pad + format_json(v, indent + 1) for v in obj) + "\n" + " " * indent + "]"
    return json.dumps(obj, sort_keys=True, allow_nan=False)


def derive_seed(seed: int, *keys) -> int:
    """A run's seed from the study seed and the run's parameters.

    The first 63 bits of sha256 of the canonical JSON of ``[seed, *keys]`` (``keys``: strings, numbers,
    lists...; Python's ``hash()`` is salted per process and would not do).  Independent of the order in which
    runs are listed or scheduled: ``derive_seed(0, "relu", "he", 10)`` is the same everywhere.
    """
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {seed!r}")
    digest = hashlib.sha256(canonical([int(seed), *keys]).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def roundtrip(obj, where):
    """``obj`` exactly as it reads back from JSON (tuples become lists, NaN None, ...)."""
    try:
        return json.loads(canonical(obj))
    except (TypeError, ValueError) as exc:
        raise StudyError(f"{where} is not JSON-able: {exc}") from None


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(Path(path), text.encode("utf-8"))


def csv_text(rows: list[dict]) -> str:
    """The rows as CSV: columns in first-seen order, None as an empty cell."""
    buf = io.StringIO()
    columns = list(dict.fromkeys(k for row in rows for k in row))
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    if columns:
        writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return buf.getvalue()


def load_record(path) -> dict:
    """The study record at ``path``; a StudyError that says what to do if it is missing or corrupt."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudyError(f"no study record at {path}; run the study first "
                         f"(python -m ffbench.studies.{path.stem} --out {path.parent})") from None
    except (OSError, ValueError) as exc:
        raise StudyError(f"study record {path} is unreadable or corrupt ({exc}); rerun the study to "
                         "write it again") from None
    missing = [k for k in RECORD_KEYS if k not in record] if isinstance(record, dict) else list(RECORD_KEYS)
    if missing:
        raise StudyError(f"{path} is not an ffbench study record (missing {', '.join(missing)})")
    return record

