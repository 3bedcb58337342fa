"""The run cache: one file per finished run, so an interrupted sweep resumes where it stopped.

``OUT/.cache/NAME/<key>.json`` holds two lines: a header (canonical JSON: schema, study, version, key, spec and
the sha256 of the second line) and the run's result as the canonical JSON text its worker produced.  The bytes
hashed are the bytes written, so a result is serialised once, in the worker, and never re-encoded on its way
to disk.  A file that is truncated, altered, or holds another run is reported with a ``CacheWarning`` and its
run recomputed.  Files are replaced atomically and identical runs write identical bytes, so two processes
sharing one ``OUT`` stay consistent.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from pathlib import Path

from ..._io import atomic_write_bytes
from .records import StudyError, canonical, sha256

CACHE_SCHEMA = "ffbench-cache/2"
HEADER_KEYS = ("schema", "study", "version", "key", "spec", "sha256")
MIN_FREE_BYTES = 16 * 2**20  # refuse to start a sweep on a (nearly) full disk


class CacheWarning(UserWarning):
    """A cache file was unreadable or corrupt; its run is recomputed."""


def spec_key(study, spec: dict) -> str:
    """The cache key of a run: sha256 of the study's NAME, VERSION and the spec."""
    return sha256({"study": study.NAME, "version": getattr(study, "VERSION", None), "spec": spec})


def _header(study, key: str, spec: dict, body: bytes) -> dict:
    return {"schema": CACHE_SCHEMA, "study": study.NAME, "version": getattr(study, "VERSION", None), "key": key,
            "spec": spec, "sha256": hashlib.sha256(body).hexdigest()}


def _problem(data: bytes, study, key: str, spec: dict) -> tuple[str | None, bytes]:
    """(what is wrong with the cache file ``data``, or None; the result's bytes)."""
    head, newline, body = data.partition(b"\n")
    body = body.removesuffix(b"\n")
    if not newline:
        return "no result line (truncated?)", body
    header = json.loads(head.decode("utf-8"))
    if not isinstance(header, dict) or sorted(header) != sorted(HEADER_KEYS):
        return "not an ffbench cache header", body
    if header["schema"] != CACHE_SCHEMA:
        return f"schema {header['schema']!r}, expected {CACHE_SCHEMA!r}", body
    if header["key"] != key or header["study"] != study.NAME or canonical(header["spec"]) != canonical(spec):
        return "it holds another run", body
    if header["sha256"] != hashlib.sha256(body).hexdigest():
        return "checksum mismatch (altered or partly written)", body
    return None, body


def read_cache(path: Path, study, key: str, spec: dict) -> dict | None:
    """The cached result at ``path``, or None if absent; a corrupt file gives a CacheWarning and None."""
    try:
        problem, body = _problem(Path(path).read_bytes(), study, key, spec)
        result = json.loads(body.decode("utf-8")) if problem is None else None
        if problem is None and not isinstance(result, dict):
            problem = "its result is not a JSON object"
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # unreadable, not UTF-8, or not JSON
        problem = f"unreadable ({exc})"
    if problem is None:
        return result
    warnings.warn(f"ignoring corrupt cache file {path}: {problem}; recomputing that run", CacheWarning,
                  stacklevel=2)
    return None


def write_cache(path: Path, study, key: str, spec: dict, body: str) -> None:
    """Store ``body``, the canonical JSON text of a run's result, exactly as given."""
    data = body.encode("utf-8")
    header = canonical(_header(study, key, spec, data)).encode("utf-8")
    try:
        atomic_write_bytes(Path(path), header + b"\n" + data + b"\n")
    except OSError as exc:
        raise StudyError(f"cannot write cache file {path}: {exc}; finished runs are saved, rerun to "
                         "resume") from None


def ensure_writable(*dirs) -> None:
    """Create each directory and write a probe file in it; a StudyError (before any work) if that fails
    or the disk is nearly full."""
    for d in map(Path, dirs):
        try:
            d.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=d, prefix=".ffbench-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise StudyError(f"output directory {d} is not writable ({exc.strerror or exc}); "
                             "choose another with --out") from None
        free = shutil.disk_usage(d).free
        if free < MIN_FREE_BYTES:
            raise StudyError(f"only {free / 2**20:.1f} MiB free for {d}; free some space or choose "
                             "another --out")

