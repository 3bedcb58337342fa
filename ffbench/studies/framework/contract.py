"""The study contract: what a study module defines, checked by ``check_study``.

``ffbench/studies/_template.py`` is the worked example to copy when writing a new study.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Protocol

from ..._checks import lookup
from .records import StudyError


class Study(Protocol):
    """A study: a module under ``ffbench/studies/`` (registered in ``ffbench.studies.STUDIES``), or any
    importable module, that defines the names below.  Copy ``ffbench/studies/_template.py`` to start one.

    ``__doc__``: the claim the study tests, the papers it follows (exact theorem/equation/figure), and any
    derivation its claims cite as "this study: ...".

    ``NAME``: the study's name (records are ``OUT/NAME.json``, figures ``OUT/NAME_*.png``).
    ``VERSION`` (optional str): bump it when ``run`` changes, so cached runs are recomputed.
    ``DEFAULTS``: the full-scale config, plain JSON-able, with an int ``"seed"``; sections are nested dicts.
    ``studies/NAME.toml`` mirrors it key for key (a test keeps them equal).
    ``QUICK``: overrides applied by ``--quick``: a smaller grid through the same code paths.
    ``CONSTRAINTS`` (optional): per-key constraints of the config beyond what is inferred from ``DEFAULTS``
    (see ``ffbench.studies.framework.schema``), keyed by dotted name (``"init.inits"``).
    ``KINDS``: ``{kind: function}``, one function per kind of run; every spec has a ``"kind"`` key.

    ``runs(config)``: the independent run specs, JSON-able dicts holding everything a run depends on,
    its seed included: ``{"kind": "probe", "depth": d, "seed": derive_seed(config["seed"], "probe", d)}``.
    ``run(spec)``: one run, a pure function of ``spec``: ``return KINDS[spec["kind"]](spec)``.  Returns a
    dict of JSON-able numbers (numpy arrays and scalars are fine).
    ``summarize(config, pairs)``: ``pairs`` is ``[(spec, result), ...]`` in the order of ``runs(config)``,
    both as read back from JSON (a fresh run and a cached one summarize identically); ``group(pairs,
    "kind", KINDS)`` splits them.  Returns ``{"data": {...every number behind every figure...}, "rows":
    [flat dicts, one CSV row each], "claims": [Claim, ...], "table": "short text table" (optional)}``.
    Claims come from ``ffbench.studies.claims`` (``claim_close``, ``claim_less``, ``claim_greater``,
    ``observation``), each with its exact ``source`` and ``kind``.
    ``render(record, out_dir, formats)``: draws the figures from the record alone (``record["data"]``,
    ``record["config"]``), inside ``ffbench.style.paper_style()``, saving them with
    ``ffbench.style.save_figure``; returns the paths written.

    A study module ends with::

        if __name__ == "__main__":
            from ffbench.studies.framework import main
            main(__name__)
    """

    NAME: str
    DEFAULTS: dict
    QUICK: dict
    KINDS: dict

    def runs(self, config: dict) -> list[dict]: ...

    def run(self, spec: dict) -> dict: ...

    def summarize(self, config: dict, pairs: list[tuple[dict, dict]]) -> dict: ...

    def render(self, record: dict, out_dir: Path, formats: list[str]) -> list[Path]: ...


def group(pairs, key: str = "kind", values=()) -> dict:
    """``{spec[key]: [(spec, result), ...]}`` of ``summarize``'s pairs, each group in run order.

    ``values``: keys that must be present (in this order, first), with an empty list when no run has
    them, e.g. ``group(pairs, "kind", KINDS)``; any other value found is a ValueError."""
    groups = {v: [] for v in values}
    for spec, result in pairs:
        value = spec[key]
        if values and value not in groups:
            lookup(groups, value, f"spec[{key!r}]")
        groups.setdefault(value, []).append((spec, result))
    return groups


def check_study(study):
    """``study`` if it follows the study contract (``Study``), else a StudyError naming what is missing."""
    problems = [f"{attr} ({kind.__name__})" for attr, kind in (("NAME", str), ("DEFAULTS", dict), ("QUICK", dict),
                                                                ("KINDS", dict))
                if not isinstance(getattr(study, attr, None), kind)]
    problems += [f"{fn}()" for fn in ("runs", "run", "summarize", "render")
                 if not callable(getattr(study, fn, None))]
    defaults = getattr(study, "DEFAULTS", None)
    if isinstance(defaults, dict) and (isinstance(defaults.get("seed"), bool)
                                       or not isinstance(defaults.get("seed"), int)):
        problems.append("DEFAULTS['seed'] (int)")
    if not isinstance(getattr(study, "VERSION", ""), str):
        problems.append("VERSION (str, optional)")
    if not isinstance(getattr(study, "CONSTRAINTS", {}), dict):
        problems.append("CONSTRAINTS (dict, optional)")
    if problems:
        name = getattr(study, "__name__", repr(study))
        raise StudyError(f"{name} is not an ffbench study: missing or wrong {', '.join(problems)} "
                         "(see ffbench.studies.framework.contract.Study)")
    return study


def resolve_module(study):
    """A study module from a module, a module name, or ``"__main__"`` (``python -m ffbench.studies.X``).

    A study run as ``__main__`` is imported again under its real name, so worker processes can find its
    ``run`` by name."""
    if isinstance(study, str):
        study = sys.modules[study] if study == "__main__" else importlib.import_module(study)
    spec = getattr(study, "__spec__", None)
    if getattr(study, "__name__", None) == "__main__" and spec is not None and spec.name:
        study = importlib.import_module(spec.name)
    return check_study(study)

