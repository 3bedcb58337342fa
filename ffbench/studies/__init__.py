"""The study registry: name -> module, imported only when a study is used.

``STUDIES`` maps each study's name to its module path.  A registered module that does not exist yet
does not break anything: ``ffbench list`` shows it as missing and only ``get_study`` complains.
``get_study`` also accepts the dotted path of any importable module that follows the study contract
(see ``ffbench.studies.framework``), so a study outside ffbench runs with ``ffbench run mypkg.mystudy``.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util

from .._checks import lookup

STUDIES = {
    "vanishing": "ffbench.studies.vanishing",
    "approximation": "ffbench.studies.approximation",
    "depth": "ffbench.studies.depth",
    "xor": "ffbench.studies.xor",
    "dead_relu": "ffbench.studies.dead_relu",
    "residual": "ffbench.studies.residual",
    "trainability": "ffbench.studies.trainability",
    "pitfalls": "ffbench.studies.pitfalls",
    "initialisation": "ffbench.studies.initialisation",
}


def _find(module_path: str):
    try:
        return importlib.util.find_spec(module_path)
    except (ImportError, ValueError):  # a missing parent package, or an empty/relative name
        return None


def is_available(name: str) -> bool:
    """Whether the registered study ``name`` has a module to import."""
    return _find(lookup(STUDIES, name, "study")) is not None


def summary(name: str) -> str | None:
    """First line of a registered study's docstring, read from its source without importing it
    (importing a study loads Numba and its kernels); None if the module does not exist yet."""
    spec = _find(lookup(STUDIES, name, "study"))
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    with open(spec.origin, encoding="utf-8") as f:
        doc = ast.get_docstring(ast.parse(f.read())) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def get_study(name: str):
    """The study module for a registered name or an importable module path, checked against the contract."""
    from .framework.contract import check_study

    if isinstance(name, str) and name in STUDIES:
        path = STUDIES[name]
        if _find(path) is None:
            raise ValueError(f"study {name!r} is registered but its module {path} does not exist yet")
    elif isinstance(name, str) and _find(name) is not None:
        path = name
    else:
        lookup(STUDIES, name, "study")  # raises, listing the registered names
    return check_study(importlib.import_module(path))
