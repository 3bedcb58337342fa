"""The claims forest plot: every judged claim as its measured value against its prediction, in tolerances.

A claim (``ffbench.studies.claims``) holds when its measured value sits in its acceptance region:
``close``: |measured - predicted| <= tolerance; ``less``: measured - predicted < tolerance; ``greater``:
measured - predicted > -tolerance.  Dividing by the tolerance puts every claim on one scale,
``z = (measured - predicted) / tolerance``, on which the region is the same band for all: [-1, 1] for ``close``,
below 1 for ``less``, above -1 for ``greater``.  One row per claim, grouped by study; holds, FAILS and not judged
each drawn their own way; observations (``verdict == "observed"``) are left out, as they predict nothing.

The x axis is linear within the band and logarithmic beyond (``symlog``), so a claim that misses by a thousand
tolerances and one that holds by a tenth both stay readable; past ``LIMIT`` a claim is drawn at the edge as an
arrow with its value written next to it.  A claim without a value (None or NaN) is marked "no value".  An effect
that had to be shown (tolerance 0, ``predicted`` the critical value it had to clear, ``scale`` that value's distance
from the bound: t se, or a rate minus its lower limit) is drawn at ``(measured - predicted) / scale -+ 1``, so that
the band's edge is its critical value too.  Any other zero-tolerance claim sits at 0 when it hits its prediction
exactly, else at the edge with its difference (in its own units, as it has no tolerance to divide by).

``python -m ffbench.figures`` draws ``claims.png`` (every record in the directory, ``render_summary``) and each
study's ``NAME_claims.png`` (``render_study``), from the records alone.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from .style import DOUBLE, INK, MINUS, MUTED, SHADE, VERDICT_COLORS, figure, save_figure

LIMIT = 1000.0  # |z| drawn to this many tolerances; beyond, an arrow at the edge
ROW = 0.13  # inches per row: 6.7-pt labels, one line each
LABEL_CHARS = 68  # longest row label (the claim's description, cut at a word)
JUDGED = ("holds", "FAILS", "not judged")
# how each verdict is drawn: filled circle, filled square, hollow circle (grayscale tells them apart too)
MARKS = {"holds": {"marker": "o", "markerfacecolor": VERDICT_COLORS["holds"]},
         "FAILS": {"marker": "s", "markerfacecolor": VERDICT_COLORS["FAILS"]},
         "not judged": {"marker": "o", "markerfacecolor": "none"}}


def _number(value) -> float | None:
    """A finite float, or None for anything else a record may hold there (None, NaN, inf, a string, a list)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def position(claim: dict) -> float | None:
    """``(measured - predicted) / tolerance`` of a claim; None without a value; +-inf when a zero (or missing)
    tolerance is missed (so the claim is drawn at the edge, on the side it misses)."""
    measured, predicted = _number(claim.get("measured")), _number(claim.get("predicted"))
    if measured is None or predicted is None:
        return None
    diff = measured - predicted
    tol = abs(_number(claim.get("tolerance")) or 0.0)
    scale = _number(claim.get("scale"))
    if tol == 0.0 and scale and claim.get("relation") in ("greater", "less"):
        # An effect that had to be shown: ``predicted`` is the critical value, ``scale`` its distance from the
        # bound; shifted by one unit so that the band's edge is the critical value (holds inside, as for all).
        return diff / scale + (-1.0 if claim["relation"] == "greater" else 1.0)
    if tol == 0.0:
        return 0.0 if diff == 0.0 else math.copysign(math.inf, diff)
    return diff / tol


def _difference(claim: dict) -> float:
    return float(claim["measured"]) - float(claim["predicted"])


def judged(claims) -> list[dict]:
    """The claims that make a prediction: every verdict but "observed"."""
    return [c for c in claims if c.get("verdict") in JUDGED]


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    if len(text) <= LABEL_CHARS:
        return text
    return text[:LABEL_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


def _title(name: str) -> str:
    """A study's group heading: its name in words."""
    return name.replace("_", " ")


def _region(relation: str) -> tuple[float, float]:
    """The acceptance region of a relation on the z scale."""
    return {"less": (-math.inf, 1.0), "greater": (-1.0, math.inf)}.get(relation, (-1.0, 1.0))


def _rows(groups) -> list[tuple]:
    """(y label, claim or None for a heading, study) top to bottom."""
    rows = []
    for study, claims in groups:
        shown = judged(claims)
        if shown:
            rows.append((_title(study), None, study))
            rows += [(_short(c.get("description") or c.get("name", "")), c, study) for c in shown]
    return rows


def _draw_row(ax, y, claim):
    """One claim: its acceptance region as a gray bar, its z as a marker (an arrow and its value past LIMIT)."""
    lo, hi = _region(claim.get("relation", "close"))
    ax.plot([max(lo, -LIMIT), min(hi, LIMIT)], [y, y], color=SHADE, linewidth=4.5, linestyle="-",
            solid_capstyle="butt", marker="", zorder=1)
    verdict = claim["verdict"]
    color = VERDICT_COLORS[verdict]
    z = position(claim)
    if z is None:
        ax.text(0.0, y, "no value", color=color, ha="center", va="center", fontsize="x-small", zorder=3)
        return
    style = {"color": color, "markeredgecolor": color, "linestyle": "", "zorder": 3, **MARKS[verdict]}
    if abs(z) <= LIMIT:
        ax.plot([z], [y], markersize=3.5, **style)
        return
    edge = math.copysign(LIMIT, z)
    ax.plot([edge], [y], markersize=4.5, clip_on=False, **{**style, "marker": ">" if z > 0 else "<"})
    # a missed zero tolerance has no scale: say by how much it misses, in the claim's own units
    text = f"\u0394 = {_difference(claim):.2g}" if math.isinf(z) else f"{z:.3g}"
    text = text.replace("-", MINUS)
    ax.annotate(text, (edge, y), xytext=(-5 if z > 0 else 5, 0), textcoords="offset points", color=color,
                ha="right" if z > 0 else "left", va="center", fontsize="x-small")


def _verdict_text(ax, y, claim):
    verdict = claim["verdict"]
    ax.annotate(verdict, (1.0, y), xycoords=("axes fraction", "data"), xytext=(4, 0), textcoords="offset points",
                va="center", color=VERDICT_COLORS[verdict], fontsize="small",
                fontweight="bold" if verdict == "FAILS" else "normal")


def draw_claims(ax, groups):
    """Draw the forest plot of ``groups`` (a list of (study name, claims)) into ``ax``; return the rows drawn."""
    rows = _rows(groups)
    ys = np.arange(len(rows))
    for y, (_, claim, _) in zip(ys, rows):
        if claim is None:
            if y:
                ax.axhline(y - 0.5, color=MUTED, linewidth=0.4)
            continue
        _draw_row(ax, y, claim)
        _verdict_text(ax, y, claim)
    for x in (-1.0, 1.0):
        ax.axvline(x, color=MUTED, linewidth=0.5, linestyle=(0, (3, 2)), zorder=0)
    ax.axvline(0.0, color=INK, linewidth=0.6, zorder=0)
    ax.set_xscale("symlog", linthresh=1.0, linscale=1.5)
    ax.set_xlim(-LIMIT, LIMIT)
    ticks = [-1000, -100, -10, -1, 0, 1, 10, 100, 1000]
    ax.set_xticks(ticks, [f"{t:d}".replace("-", MINUS) for t in ticks])
    ax.minorticks_off()
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_yticks(ys, [text for text, _, _ in rows], fontsize="small")
    for tick, (_, claim, _) in zip(ax.get_yticklabels(), rows):
        if claim is None:
            tick.set_fontweight("bold")
            tick.set_fontsize("medium")
    ax.tick_params(axis="y", length=0)
    ax.tick_params(axis="x", top=False)
    ax.set_xlabel(f"(measured {MINUS} predicted) / tolerance: holds inside the gray bar")
    return rows


def _legend(fig, counts):
    """Markers of the verdicts, each with how many claims have it, and the acceptance band."""
    shown = [v for v in JUDGED if counts[v]]
    handles = [Line2D([], [], color=VERDICT_COLORS[v], markeredgecolor=VERDICT_COLORS[v], linestyle="",
                      markersize=4, **MARKS[v]) for v in shown]
    handles.append(Line2D([], [], color=SHADE, linewidth=4.5, linestyle="-", marker=""))
    fig.legend(handles, [f"{v} ({counts[v]})" for v in shown] + ["acceptance region"], loc="outside upper center",
               ncols=len(handles))


def _draw(groups, out_dir, stem, formats):
    rows = _rows(groups)
    if not rows:
        return []
    fig, ax = figure(DOUBLE, height=0.75 + ROW * len(rows))
    draw_claims(ax, groups)
    _legend(fig, {v: sum(1 for _, c, _ in rows if c is not None and c["verdict"] == v) for v in JUDGED})
    return save_figure(fig, out_dir, stem, formats)


def render_study(record: dict, out_dir, formats) -> list[Path]:
    """``NAME_claims``: the forest plot of one study's record (nothing when it judges no claim)."""
    return _draw([(record["study"], record.get("claims") or [])], out_dir, f"{record['study']}_claims", formats)


def load_groups(records_dir, names) -> list[tuple[str, list]]:
    """(study, claims) of every record ``records_dir/NAME.json`` among ``names`` that has claims, in that order."""
    groups = []
    for name in names:
        path = Path(records_dir) / f"{name}.json"
        if path.is_file():
            record = json.loads(path.read_text())
            if isinstance(record, dict) and record.get("claims"):
                groups.append((record.get("study", name), record["claims"]))
    return groups


def render_summary(records_dir, names, out_dir, formats) -> list[Path]:
    """``claims``: the forest plot of every study record among ``names`` in ``records_dir``, grouped by study."""
    return _draw(load_groups(records_dir, names), out_dir, "claims", formats)
