"""Claims: a paper's statement, checked against a measurement, with its exact source, its kind and its rule.

A claim is science, so it carries what a reader needs to sign it:

- ``source`` (required): the exact place it comes from: authors, year, short title and the theorem, equation,
  figure or section; or ``"this study: <which derivation in the module docstring>"``.
- ``kind`` (required): ``"theorem"`` (follows from a stated result under stated assumptions), ``"bound"`` (an
  inequality a theorem guarantees), ``"empirical"`` (a paper's reported experimental finding, reproduced), or
  ``"observation"`` (a measured fact reported and not judged: its verdict is ``"observed"``).
- ``spread``: for a random quantity, the numbers behind its uncertainty (``spread_of(values)``: n, mean, sd, se;
  an interval or a margin where the rule uses one).
- ``alpha`` and ``rule``: the false-verdict rate the verdict was judged at and the rule as a short text, e.g.
  ``"Student t, n-1=3 df, two-sided, alpha 0.01"``; a deterministic claim (no sampling error) has alpha 0.
- ``not_judged``: a reason, when the data cannot decide the claim (a ``--quick`` grid too narrow, fewer than 2
  values, or an effect neither shown nor refuted at alpha, with the n that would decide it): the verdict is then
  ``"not judged"`` instead of a holds/FAILS nobody should believe.

The record convention (the claim table and the forest plot of every claim rely on it): "close" holds iff
``|measured - predicted| <= tolerance``; "less" iff ``measured - predicted < tolerance``; "greater" iff
``measured - predicted > -tolerance``.  The builders below put each statistical rule into that form:

- ``claim_mean``: a predicted value, two-sided: tolerance ``t_{1-alpha/2, n-1} se`` (+ a stated allowance for the
  prediction's own error).  A correct prediction FAILS with probability alpha.
- ``claim_bound``: a bound ("<= 1/4 per layer"), one-sided: tolerance ``t_{1-alpha, n-1} se`` (+ allowance).  A
  mean on the bound FAILS with probability alpha.
- ``claim_effect``: an effect ("> 0", "more coherent"): holds only when shown (the one-sided t limit clears the
  bound, so no effect is called holds with probability <= alpha), FAILS when the opposite is shown, and is not
  judged in between, with the n that would decide it (``n_to_decide``).  Stored as "greater"/"less" against
  ``bound +- t se`` with tolerance 0.
- ``claim_equivalent``: "no effect", "unchanged", "always": TOST against a stated margin M, i.e. "close" with
  tolerance ``M - t_{1-alpha, n-1} se``; a difference on the margin is called holds with probability <= alpha;
  FAILS when the difference is shown beyond M, not judged in between (with the n that would decide it).
- ``claim_fraction``: a success rate k/n against a stated expectation (a value or an interval [a, b]): holds
  unless the exact Clopper-Pearson interval excludes it; ``shown=True`` asks the rate to be shown above a (the
  one-sided lower limit above a), with not judged in between, as ``claim_effect``.

The rates, for every builder: a correct claim is called FAILS with probability at most alpha.  The claims that
must be shown (``claim_effect``, ``claim_equivalent``, ``claim_fraction(shown=True)``) are also called holds with
probability at most alpha when false (the effect absent; the difference on the margin); between the two the data
decide nothing, and the claim is not judged, with the n that would decide it.  What alpha covers (independent
normal values; exact binomial counts) and what it does not: ``ffbench.studies.stats``.
The verdict is computed, never given: ``"holds"`` or ``"FAILS"`` for a judged claim, ``"observed"`` or
``"not judged"`` otherwise.  A claim that fails is a result, not an error: the study still writes its record.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as _scipy_stats

from .._checks import lookup
from .stats import ALPHA, dof, fraction_interval, power_note, spread_of, t_rule, t_tolerance, tost_tolerance

__all__ = ["ALPHA", "Claim", "claim_bound", "claim_close", "claim_effect", "claim_equivalent", "claim_fraction",
           "claim_greater", "claim_less", "claim_mean", "format_claims", "judged_against", "markdown_claims",
           "observation", "spread_of", "summary_line", "verdict_of"]

KINDS = ("theorem", "bound", "empirical", "observation")
RELATIONS = {"close": "~=", "less": "<", "greater": ">", "observed": ""}
EXACT_RULE = "exact: a deterministic computation, no sampling error"


@dataclass(frozen=True)
class Claim:
    """A claim checked against a measurement.

    ``relation``: "close" holds when ``|measured - predicted| <= tolerance`` (two-sided); "less" when
    ``measured - predicted < tolerance``; "greater" when ``measured - predicted > -tolerance``; "observed" is never
    judged.  ``tolerance`` is absolute.  A NaN measurement never holds.  ``holds`` is None when the claim is not
    judged (an observation, or ``not_judged`` given).  ``alpha``/``rule``: the rate and rule it is judged by.
    ``scale``: for a claim with tolerance 0 whose ``predicted`` is already the critical value an effect had to clear
    (``claim_effect``, ``claim_fraction(shown=True)``), the half-width that separates that value from the bound (t se,
    or the rate minus its lower limit): the unit in which the forest plot (``ffbench.claims_plot``) draws it.
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
    alpha: float | None = None
    rule: str = ""
    scale: float | None = None
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
        if self.alpha is not None and not 0 <= self.alpha < 1:
            raise ValueError(f"claim {self.name!r}: alpha must be in [0, 1), got {self.alpha!r}")
        m, p, tol = (float("nan") if v is None else float(v)
                     for v in (self.measured, self.predicted, self.tolerance))
        if not tol >= 0:
            raise ValueError(f"claim {self.name!r}: tolerance must be >= 0, got {self.tolerance!r}")
        if self.relation == "observed" or self.not_judged:
            holds, verdict = None, "observed" if self.relation == "observed" else "not judged"
        else:
            holds = bool({"close": abs(m - p) <= tol, "less": m - p < tol, "greater": m - p > -tol}[self.relation])
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
                "not_judged": self.not_judged, "alpha": self.alpha, "rule": self.rule, "scale": self.scale,
                "holds": self.holds, "verdict": self.verdict}


def _exact(spread, alpha, rule) -> tuple:
    """(alpha, rule) of a claim built with a fixed tolerance: the exact rule for a deterministic quantity (no
    spread), else what the caller states."""
    if spread is None:
        return (0.0 if alpha is None else alpha), (EXACT_RULE if rule is None else rule)
    return alpha, rule or ""


def claim_close(name, description, measured, predicted, rtol=None, atol=None, *, source="", kind="",
                spread=None, note="", not_judged="", alpha=None, rule=None) -> Claim:
    """``measured`` within ``atol + rtol * |predicted|`` of ``predicted``, on either side (give rtol, atol or both).
    For a deterministic quantity (without ``spread``: alpha 0 and the exact rule); a random one uses ``claim_mean``."""
    if rtol is None and atol is None:
        raise ValueError(f"claim {name!r}: claim_close needs rtol or atol")
    # A missing (None) prediction keeps atol alone.
    tolerance = (atol or 0.0) + (rtol * abs(float(predicted)) if rtol else 0.0)
    return Claim(name, description, measured, predicted, tolerance, "close", source, kind, note, spread, not_judged,
                 *_exact(spread, alpha, rule))


def claim_less(name, description, measured, bound, tolerance=0.0, *, source="", kind="", spread=None, note="",
               not_judged="", alpha=None, rule=None) -> Claim:
    """``measured < bound + tolerance`` for a deterministic quantity (a random one uses ``claim_bound``)."""
    return Claim(name, description, measured, bound, tolerance, "less", source, kind, note, spread, not_judged,
                 *_exact(spread, alpha, rule))


def claim_greater(name, description, measured, bound, tolerance=0.0, *, source="", kind="", spread=None, note="",
                  not_judged="", alpha=None, rule=None) -> Claim:
    """``measured > bound - tolerance`` for a deterministic quantity (a random one: ``claim_bound``/``_effect``)."""
    return Claim(name, description, measured, bound, tolerance, "greater", source, kind, note, spread, not_judged,
                 *_exact(spread, alpha, rule))


def observation(name, description, measured, *, source="this study", note="", spread=None) -> Claim:
    """A measured fact reported, not judged (verdict "observed"): e.g. what gradient training happens to find,
    which no theorem predicts."""
    return Claim(name, description, measured, None, 0.0, "observed", source, "observation", note, spread)


# ------------------------------------------------------------------------------ statistical claims

def _spread(values_or_spread, not_judged: str = "") -> dict:
    """A ``spread_of`` dict from values (array-like) or a given spread dict (with at least "n" and "se").  A claim
    already not judged may have no (finite) values: its spread is then NaN."""
    if isinstance(values_or_spread, dict):
        return dict(values_or_spread)
    x = np.asarray(values_or_spread, dtype=float).ravel()
    if not_judged and (x.size == 0 or not np.all(np.isfinite(x))):
        return {"n": int(x.size), "mean": float("nan"), "sd": float("nan"), "se": float("nan")}
    return spread_of(x)


def _too_few(spread: dict, not_judged: str) -> str:
    return not_judged or ("" if dof(spread) >= 1 else
                          f"n = {spread['n']} value: a tolerance from the spread needs at least 2")


def claim_mean(name, description, values, predicted, *, allowance=0.0, alpha=ALPHA, source="", kind="", note="",
               not_judged="") -> Claim:
    """The mean of ``values`` (or a spread dict) equals ``predicted``: two-sided Student t at alpha, tolerance
    ``t_{1-alpha/2, n-1} se + allowance`` (the allowance: the prediction's own stated error, named in the note)."""
    s = _spread(values, not_judged)
    nj = _too_few(s, not_judged)
    tol = (0.0 if nj else t_tolerance(s, alpha, 2)) + allowance
    rule = t_rule(s["n"], alpha, 2, dof(s)) + (f", + allowance {allowance:.3g}" if allowance else "")
    return Claim(name, description, s["mean"], predicted, tol, "close", source, kind, note, s, nj, alpha, rule)


def claim_bound(name, description, values, bound, relation="less", *, allowance=0.0, alpha=ALPHA, source="",
                kind="bound", note="", not_judged="") -> Claim:
    """The mean of ``values`` respects a bound (relation "less": <= bound; "greater": >= bound): it FAILS only when
    the one-sided t test at alpha puts the mean beyond the bound; tolerance ``t_{1-alpha, n-1} se + allowance``."""
    s = _spread(values, not_judged)
    nj = _too_few(s, not_judged)
    tol = (0.0 if nj else t_tolerance(s, alpha, 1)) + allowance
    rule = t_rule(s["n"], alpha, 1, dof(s)) + (f", + allowance {allowance:.3g}" if allowance else "")
    return Claim(name, description, s["mean"], bound, tol, relation, source, kind, note, s, nj, alpha, rule)


def claim_effect(name, description, values, bound=0.0, relation="greater", *, alpha=ALPHA, source="",
                 kind="empirical", note="", not_judged="") -> Claim:
    """An effect: the mean of ``values`` (paired differences where the design is paired) lies beyond ``bound``.
    Holds when the one-sided t limit at alpha clears the bound (``mean - t se > bound`` for "greater"), FAILS
    when the opposite limit is on the wrong side (``mean + t se < bound``), and is not judged in between, with
    the n that would decide it at the observed effect and sd."""
    s = _spread(values, not_judged)
    nj = _too_few(s, not_judged)
    sign = 1.0 if relation == "greater" else -1.0
    half = 0.0 if dof(s) < 1 else t_tolerance(s, alpha, 1)
    if not nj and abs(s["mean"] - bound) <= half:
        nj = "neither shown nor refuted at alpha: " + power_note(s["mean"] - bound, s["sd"], alpha, sides=1)
    critical = bound + sign * half  # what the mean had to clear: holds beyond it, FAILS short of bound - sign * half
    return Claim(name, description, s["mean"], critical, 0.0, relation, source, kind, note, s, nj, alpha,
                 t_rule(s["n"], alpha, 1, dof(s)) + ": the effect must be shown", scale=half)


def claim_equivalent(name, description, values_or_differences, margin, *, alpha=ALPHA, source="", kind="empirical",
                     note="", predicted=0.0, not_judged="") -> Claim:
    """No practical effect: the mean of ``values_or_differences`` is within ``margin`` of ``predicted``, shown by
    two one-sided t tests at alpha (TOST): "close" with tolerance ``margin - t_{1-alpha, n-1} se``.  FAILS when
    the difference is shown beyond the margin (``|mean - predicted| - t se > margin``); not judged in between, or
    when the tolerance is <= 0 (or n < 2), with the n that would decide it at the observed effect."""
    s = {**_spread(values_or_differences, not_judged), "margin": float(margin)}
    nj = _too_few(s, not_judged)
    tol = tost_tolerance(s, margin, alpha) if dof(s) >= 1 else 0.0
    off = abs(s["mean"] - predicted)
    if not nj and tol <= 0:
        nj = (f"margin {margin:g} <= t se = {margin - tol:.3g}: equivalence cannot be shown at n = {s['n']}; "
              + power_note(s["mean"] - predicted, s["sd"], alpha, margin=margin))
    elif not nj and tol < off <= 2 * margin - tol:  # off - t se <= margin: not shown beyond the margin either
        nj = (f"neither shown within nor beyond the margin {margin:g} at alpha; "
              + power_note(s["mean"] - predicted, s["sd"], alpha, margin=margin))
    return Claim(name, description, s["mean"], predicted, max(tol, 0.0), "close", source, kind,
                 f"TOST margin {margin:g}" + (f": {note}" if note else ""), s, nj, alpha,
                 f"TOST: two one-sided Student t, {dof(s)} df, alpha {alpha:g} each, margin {margin:g}")


def _n_for_rate(rate: float, expected: float, alpha: float, power: float = 0.8) -> int | None:
    """Trials for a one-sided test of ``rate`` against ``expected`` at alpha to reach ``power`` (normal
    approximation to the binomial)."""
    if rate == expected or not 0 < rate < 1:
        return None
    z = _scipy_stats.norm.ppf
    num = z(1 - alpha) * math.sqrt(expected * (1 - expected)) + z(power) * math.sqrt(rate * (1 - rate))
    return math.ceil((num / (rate - expected)) ** 2)


def claim_fraction(name, description, k, n, expected, *, shown=False, alpha=ALPHA, source="", kind="empirical",
                   note="", not_judged="") -> Claim:
    """A success rate k/n against an expectation: a value, or an interval ``(a, b)`` (0 or 1 at one end: a
    one-sided claim, judged with the one-sided limit at alpha).  Holds unless the exact Clopper-Pearson interval
    misses the expectation.  ``shown=True`` (with ``expected`` a value a): the rate must be shown above a (lower
    one-sided limit > a), FAILS when shown below, not judged in between (with the n that would decide it)."""
    a, b = (float(expected), float(expected)) if np.ndim(expected) == 0 else map(float, expected)
    m = k / n
    sides = 1 if shown or a <= 0 or b >= 1 else 2
    lo, hi = fraction_interval(k, n, alpha, sides)
    s = {"n": n, "k": k, "lower": lo, "upper": hi}
    rule = f"exact Clopper-Pearson, {'one' if sides == 1 else 'two'}-sided, alpha {alpha:g}"
    if shown:
        nj = not_judged
        if not nj and lo <= a <= hi:
            needed = _n_for_rate(m, a, alpha)
            nj = (f"neither shown above nor below {a:g} at alpha (interval {lo:.3f}-{hi:.3f}); "
                  + (f"at the observed rate {m:.3g}, n = {needed} trials would decide it with 80% power"
                     if needed else "no n decides it at the observed rate"))
        critical = a + (m - lo)  # the rate whose lower limit would be a
        return Claim(name, description, m, critical, 0.0, "greater", source, kind, note, s, nj, alpha,
                     rule + ": the rate must be shown above the expectation", scale=m - lo)
    centre, half = (a + b) / 2, (b - a) / 2
    tol = half + (m - lo if m > centre else hi - m)
    return Claim(name, description, m, centre, tol, "close", source, kind, note, s, not_judged, alpha,
                 rule + (f", expectation {a:g}" if a == b else f", expectation [{a:g}, {b:g}]"))


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
    s = c.get("spread") or {}
    if rel == "greater" and "lower" in s and tol == 0 and c["measured"] is not None:  # a rate that must be shown
        return f"lower limit > {_num(p - c['measured'] + s['lower'])}"
    return f"{RELATIONS[rel]} {_num(p + tol if rel == 'less' else p - tol)}"


def _spread_text(c: dict) -> str:
    s = c.get("spread")
    if not s:
        return ""
    if "k" in s and "lower" in s:
        return f"{int(s['k'])}/{int(s['n'])}, interval {_num(s['lower'])}-{_num(s['upper'])}"
    if "se" in s and s.get("n"):
        return (f"n={s['n']}" + (f", {s['df']:.0f} df" if "df" in s else "") + f", se {_num(s['se'])}"
                + (f", margin {_num(s['margin'])}" if "margin" in s else ""))
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
        if c.get("rule"):
            notes.append(f"      rule: {c['rule']}")
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
