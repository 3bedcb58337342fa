"""Skip drawing a run's figures when nothing they are drawn from has changed.

Drawing is most of a cached rerun (matplotlib lays out and rasterises every figure), and a cached rerun of an
unchanged study writes the same record, so it would draw the same bytes again.  ``render_unless_unchanged`` keeps a
stamp in the run cache (``OUT/.cache/NAME/figures.json``) with the SHA-256 of each figure written and a digest of
everything the figures depend on:

- the record without the fields that change on every run and that no figure shows (``VOLATILE``: wall time,
  cached-run count, provenance);
- the formats and matplotlib's version;
- the source of the drawing code: the study's own files (its package, or its module), the module of its ``render``
  and every ffbench module that module uses (style, lr_find, ...), and the claims plot.

When the digest matches and every figure on disk still has its hash, the figures are left as they are; otherwise
they are drawn and the stamp rewritten.  A change to a module the renderer reaches only indirectly is not seen:
``python -m ffbench.figures`` and ``--force`` always draw.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import sys
from pathlib import Path

import matplotlib

from ... import claims_plot
from .records import atomic_write_text

VOLATILE = ("wall_time_s", "cached_runs", "provenance")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inputs_digest(study, record_path: Path, formats) -> str:
    """The digest of what the figures of ``record_path`` are drawn from."""
    h = hashlib.sha256()
    record = json.loads(Path(record_path).read_text())
    h.update(json.dumps({k: v for k, v in record.items() if k not in VOLATILE}, sort_keys=True).encode())
    h.update(",".join(formats).encode())
    h.update(matplotlib.__version__.encode())
    for path in _sources(study):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _source(obj) -> Path | None:
    try:
        return Path(inspect.getsourcefile(obj)).resolve()
    except TypeError:  # a builtin
        return None


def _sources(study) -> list[Path]:
    """The files the figures are drawn by: the study's own, its renderer's module and what that module uses."""
    own = _source(study)
    files = set(own.parent.glob("*.py")) if own.name == "__init__.py" else {own}
    renderer = sys.modules[study.render.__module__]
    files |= {_source(renderer), _source(claims_plot)}
    for value in vars(renderer).values():  # the modules, functions and classes it imports
        module = value if inspect.ismodule(value) else sys.modules.get(getattr(value, "__module__", None) or "")
        if module is not None and module.__name__.split(".")[0] == "ffbench":
            files.add(_source(module))
    return sorted(p for p in files if p is not None)


def unchanged(stamp_path: Path, digest: str, out_dir: Path) -> list[Path] | None:
    """The figures of the stamp when its digest is ``digest`` and each is on disk with its hash; else None."""
    try:
        stamp = json.loads(Path(stamp_path).read_text())
        paths = [Path(out_dir) / name for name in stamp["files"]]
        if stamp["inputs"] == digest and all(p.is_file() and _sha256(p) == stamp["files"][p.name] for p in paths):
            return paths
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no stamp yet, or an unreadable one: draw
    return None


def render_unless_unchanged(render, study, record_path, out_dir, formats, stamp_path, force=False) -> list[Path]:
    """``render(study, record_path, out_dir, formats)`` unless the stamp says its figures are already there (or
    ``force``)."""
    digest = inputs_digest(study, record_path, formats)
    paths = None if force else unchanged(stamp_path, digest, out_dir)
    if paths is not None:
        print(f"figures unchanged since they were drawn ({len(paths)} files; python -m ffbench.figures redraws)")
        return paths
    paths = render(study, record_path, out_dir, formats)
    atomic_write_text(stamp_path, json.dumps({"inputs": digest, "files": {p.name: _sha256(p) for p in paths}},
                                             indent=1) + "\n")
    return paths
