"""Claims: a paper's statement, checked against a measurement, with its exact source and its kind.

A claim is science, so it carries what a reader needs to sign it:

- ``source`` (required): the exact place it comes from: authors, year, short title and the theorem, equation,
  figure or section; or ``"this study: <which derivation in the module docstring>"``.
- ``kind`` (required): ``"theorem"`` (follows from a stated result under stated assumptions), ``"bound"`` (an
  inequality a theorem guarantees), ``"empirical"`` (a paper's reported experimental finding, reproduced), or
  ``"observation"``
  (a measured fact reported and not judged: its verdict is ``"observed"``).
- ``spread``: for a random quantity, the numbers behind its uncertainty (``spread_of(values)``: n, mean, sd, se).
  The tolerance of such a claim is derived from it, by default three standard errors of the mean
  (``se_tolerance``), plus the stated accuracy of the prediction itself; ``note`` says how.
- ``not_judged``: a reason, when the configuration is too small to decide the claim (a ``--quick`` grid too narrow
  or with too few seeds): the verdict is then ``"not judged"`` instead of a holds/FAILS nobody should believe.

The verdict is computed, never given: ``"holds"`` or ``"FAILS"`` for a judged claim, ``"observed"`` or
``"not judged"`` otherwise.  A claim that fails is a result, not an error: the study still writes its record.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._checks import lookup

KINDS = ("theorem", "bound", "empirical", "observation")
RELATIONS = {"close": "~=", "less": "<", "greater": ">", "observed": ""}


def spread_of(values) -> dict:
    """The spread of repeated measurements (one per seed or network): ``{"n", "mean", "sd", "se"}``, with the
    sample standard deviation (ddof=1) and the standard error of the mean; NaN values are an error, since a
    lost measurement would shrink the spread silently."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"spread_of needs finite values, got {x.tolist()!r}")
    sd = float(np.std(x, ddof=1)) if x.size > 1 else float("nan")
    return {"n": int(x.size), "mean": float(x.mean()), "sd": sd, "se": sd / math.sqrt(x.size)}


def se_tolerance(spread: dict, k: float = 3.0) -> float:
    """``k`` standard errors of the mean (default 3: a correct claim fails about 0.3% of the time)."""
    se = float(spread["se"])
    if not se >= 0:
        raise ValueError(f"se_tolerance needs a spread over at least 2 values, got {spread!r}")
    return k * se


@dataclass(frozen=True)
class Claim:
    """A claim checked against a measurement.

    ``relation``: "close" holds when ``|measured - predicted| <= tolerance`` (two-sided); "less" when
    ``measured < predicted + tolerance``; "greater" when ``measured > predicted - tolerance``; "observed" is never
    judged.  ``tolerance`` is absolute.  A NaN measurement never holds.  ``holds`` is None when the claim is not
    judged (an observation, or ``not_judged`` given).
    """

    name: str
    description: str
    measured: float
    predicted: float | None
    tolerance: float
    relation: str
    source: str = ""
    kind: str = ""
    note: str = ""
    spread: dict | None = None
    not_judged: str = ""
    holds: bool | None = field(init=False)
    verdict: str = field(init=False)

    def __post_init__(self):
        lookup(RELATIONS, self.relation, "claim relation")
        if self.kind:
            lookup(dict.fromkeys(KINDS), self.kind, "claim kind")
        if not self.source or self.kind not in KINDS:
            raise ValueError(f"claim {self.name!r}: every claim names its source (paper and theorem, equation, "
                             f"figure or section, or 'this study: ...') and its kind ({', '.join(KINDS)}); got "
                             f"source={self.source!r}, kind={self.kind!r}")
        if (self.kind == "observation") != (self.relation == "observed"):
            raise ValueError(f"claim {self.name!r}: an observation (and only one) has relation 'observed'; "
                             "build it with observation()")
        m, p, tol = (float("nan") if v is None else float(v)
                     for v in (self.measured, self.predicted, self.tolerance))
        if not tol >= 0:
            raise ValueError(f"claim {self.name!r}: tolerance must be >= 0, got {self.tolerance!r}")
        if self.relation == "observed" or self.not_judged:
            holds, verdict = None, "observed" if self.relation == "observed" else "not judged"
        else:
            holds = bool({"close": abs(m - p) <= tol, "less": m < p + tol, "greater": m > p - tol}[self.relation])
            verdict = "holds" if holds else "FAILS"
        object.__setattr__(self, "measured", m)
        object.__setattr__(self, "predicted", None if self.predicted is None else p)
        object.__setattr__(self, "tolerance", tol)
        object.__setattr__(self, "holds", holds)
        object.__setattr__(self, "verdict", verdict)

    def to_dict(self) -> dict:
        """The claim as JSON-able plain types (NaN as None), as written in a record."""
        def clean(v):
            return None if isinstance(v, float) and math.isnan(v) else v

        return {"name": self.name, "description": self.description, "measured": clean(self.measured),
                "predicted": self.predicted, "tolerance": self.tolerance, "relation": self.relation,
                "source": self.source, "kind": self.kind, "note": self.note,
                "spread": None if self.spread is None else {k: clean(float(v)) if k != "n" else int(v)
                                                            for k, v in self.spread.items()},
                "not_judged": self.not_judged, "holds": self.holds, "verdict": self.verdict}


def claim_close(name, description, measured, predicted, rtol=None, atol=None, *, source="", kind="",
                spread=None, note="", not_judged="") -> Claim:
    """``measured`` within ``atol + rtol * |predicted|`` of ``predicted``, on either side (give rtol, atol or both)."""
    if rtol is None and atol is None:
        raise ValueError(f"claim {name!r}: claim_close needs rtol or atol")
    # A missing (None) prediction keeps atol alone.
    tolerance = (atol or 0.0) + (rtol * abs(float(predicted)) if rtol else 0.0)
    return Claim(name, description, measured, predicted, tolerance, "close", source, kind, note, spread, not_judged)


def claim_less(name, description, measured, bound, tolerance=0.0, *, source="", kind="", spread=None, note="",
               not_judged="") -> Claim:
    """``measured < bound + tolerance`` (an upper bound, e.g. "decays at least as fast as 1/4 per layer")."""
    return Claim(name, description, measured, bound, tolerance, "less", source, kind, note, spread, not_judged)


def claim_greater(name, description, measured, bound, tolerance=0.0, *, source="", kind="", spread=None, note="",
                  not_judged="") -> Claim:
    """``measured > bound - tolerance`` (a lower bound)."""
    return Claim(name, description, measured, bound, tolerance, "greater", source, kind, note, spread, not_judged)


def observation(name, description, measured, *, source="this study", note="", spread=None) -> Claim:
    """A measured fact reported, not judged (verdict "observed"): e.g. what gradient training happens to find,
    which no theorem predicts."""
    return Claim(name, description, measured, None, 0.0, "observed", source, "observation", note, spread)


# --------------------------------------------------------------------------------------------- tables

def _num(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return "nan" if math.isnan(x) else f"{x:.4g}"


def judged_against(c: dict) -> str:
    """The bound a claim dict is judged against, as text: ``< 0.25``, ``> 0.9``, ``0.5135 +- 0.02``."""
    p, tol, rel = c["predicted"], c["tolerance"], c["relation"]
    if rel == "observed" or p is None:
        return "-"
    if rel == "close":
        return f"{_num(p)} +- {_num(tol)}"
    return f"{RELATIONS[rel]} {_num(p + tol if rel == 'less' else p - tol)}"


def _spread_text(c: dict) -> str:
    s = c.get("spread")
    if not s:
        return ""
    if "se" in s and s.get("n"):
        return f"n={s['n']}, se {_num(s['se'])}"
    return ", ".join(f"{k} {_num(v)}" for k, v in s.items())


def verdict_of(c: dict) -> str:
    """A claim dict's verdict (records written before verdicts existed only have ``holds``)."""
    return c.get("verdict") or ("holds" if c["holds"] else "FAILS")


def summary_line(claims: list[dict]) -> str:
    """``"9 of 10 judged claims hold; 2 observed; 1 not judged"``."""
    verdicts = [verdict_of(c) for c in claims]
    judged = sum(v in ("holds", "FAILS") for v in verdicts)
    parts = [f"{verdicts.count('holds')} of {judged} judged claims hold"]
    parts += [f"{verdicts.count(v)} {v}" for v in ("observed", "not judged") if v in verdicts]
    return "; ".join(parts)


def format_claims(claims: list[dict]) -> str:
    """The claim checks of a record as a text table, then each claim's description, source, note."""
    if not claims:
        return "No claims."
    header = ("verdict", "claim", "kind", "measured", "judged against", "spread")
    rows = [(verdict_of(c), c["name"], c.get("kind") or "?", _num(c["measured"]), judged_against(c), _spread_text(c))
            for c in claims]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = []
    for c in claims:
        notes.append(f"  {c['name']}: {c['description']}")
        notes.append(f"      source: {c.get('source') or '(none given)'}")
        for key in ("note", "not_judged"):
            if c.get(key):
                notes.append(f"      {'not judged: ' if key == 'not_judged' else ''}{c[key]}")
    return "\n".join([f"Claims: {summary_line(claims)}", *lines, *notes])


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def markdown_claims(claims: list[dict]) -> str:
    """The claims of a record as a Markdown table (the README's claim tables are generated with this)."""
    lines = ["| claim | kind | source | measured | judged against | verdict |", "|---|---|---|---|---|---|"]
    for c in claims:
        verdict = verdict_of(c)
        shown = f"**{verdict}**" if verdict == "FAILS" else verdict
        spread = _spread_text(c)
        measured = _num(c["measured"]) + (f" ({spread})" if spread else "")
        lines.append(f"| {_md(c['description'])} | {c.get('kind') or '?'} | {_md(c.get('source') or '')} | "
                     f"{_md(measured)} | {_md(judged_against(c))} | {shown} |")
    return "\n".join(lines)
