"""The ffbench paper style: one look for every figure, and byte-stable files.

- Fonts: DejaVu Serif (it ships with matplotlib, so no LaTeX and no system font is needed, and every machine
  draws the same glyphs), mathtext in the matching serif, 8 pt text, 7 pt ticks and legends.
- Sizes: ``SINGLE`` = 3.5 in (one column), ``DOUBLE`` = 7 in (full width), height 0.75 x width by default.
- Cycles: colour (Okabe-Ito, colour-blind safe, distinct in luminance), marker and line style change together,
  so every series stays distinct when printed in grayscale.
- Theory is drawn with ``theory(ax, x, y)``: a thin dashed dark-gray line under the measurements.
- Labels: ``label(name)`` turns an activation, initialiser or architecture name into the words a reader expects
  (``label("leaky_relu")`` -> "LeakyReLU", ``label("he_normal")`` -> "He", ``label("plain_bn")`` -> "plain +
  BatchNorm").  Each label lives with its registry entry; this is the one lookup over all of them.

Use::

    with paper_style():
        fig, ax = figure("single")
        ax.loglog(depth, norm, label=label("relu"))
        theory(ax, depth, predicted, label="theory")
        paths = save_figure(fig, out_dir, "vanishing_norms", ["png", "svg"])

``save_figure`` writes the same bytes for the same figure: it strips the dates and tool versions from the
metadata (PNG ``Software``, SVG ``Date`` and ``Creator``, PDF ``CreationDate``, ``Creator`` and ``Producer``)
and fixes ``svg.hashsalt``.  If ``SOURCE_DATE_EPOCH`` is set, the SVG and PDF dates are kept and matplotlib
stamps that fixed time instead of stripping it.  Files are written atomically.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import matplotlib
from cycler import cycler
from matplotlib.figure import Figure

from . import init
from ._checks import lookup, positive_int
from ._io import atomic_write_bytes
from . import activations

SINGLE = 3.5  # inches: one column of a two-column paper
DOUBLE = 7.0  # inches: full text width
WIDTHS = {"single": SINGLE, "double": DOUBLE}
ASPECT = 0.75  # default height / width

COLORS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
LINESTYLES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 2))]

#: Architecture names of the studies (see ``ffbench.studies.residual.ARCHS``) -> labels.
ARCHITECTURES = {"plain": "plain", "residual": "residual", "plain_bn": "plain + BatchNorm",
                 "residual_bn": "residual + BatchNorm"}

THEORY = {"color": "0.35", "linewidth": 0.7, "linestyle": (0, (4, 2)), "marker": "", "zorder": 1.5}

RC = {
    "font.family": "serif",
    "font.serif": ["DejaVu Serif"],
    "mathtext.fontset": "dejavuserif",
    "font.size": 8,
    "axes.labelsize": 8,
    "axes.titlesize": 8,
    "legend.fontsize": 7,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.linewidth": 0.6,
    "axes.prop_cycle": cycler(color=COLORS) + cycler(marker=MARKERS) + cycler(linestyle=LINESTYLES),
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "grid.linewidth": 0.4,
    "grid.color": "0.85",
    "legend.frameon": False,
    "legend.handlelength": 2.5,  # long enough to show the line style, not just the marker
    "image.cmap": "cividis",  # monotone in luminance: survives grayscale
    "figure.figsize": (SINGLE, SINGLE * ASPECT),
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,
    "savefig.dpi": 300,
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the font installed
    "svg.hashsalt": "ffbench",  # fixed ids in the SVG instead of random ones
    "pdf.fonttype": 42,
}

# Metadata that would make two saves of the same figure differ.
_STRIP = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Creator": None, "Producer": None},
}
_DATES = ("Date", "CreationDate")
FORMATS = tuple(_STRIP)


@contextlib.contextmanager
def paper_style():
    """Apply the ffbench rcParams for a ``with`` block (figures made and saved inside it)."""
    with matplotlib.rc_context(RC):
        yield


def figure(width="single", height=None, nrows=1, ncols=1, **subplots):
    """A new ``(fig, axes)`` of a paper width: ``"single"`` (3.5 in), ``"double"`` (7 in) or inches.

    ``height`` in inches (default 0.75 x width, times ``nrows / ncols`` for a grid).  ``axes`` is one Axes
    for a 1 x 1 grid, else an array (``squeeze`` as in ``Figure.subplots``).  The figure is not registered
    with pyplot, so nothing needs closing.  Call inside ``paper_style()`` (study ``render`` functions
    already run inside it).
    """
    w = lookup(WIDTHS, width, "figure width") if isinstance(width, str) else float(width)
    nrows, ncols = positive_int(nrows, "nrows"), positive_int(ncols, "ncols")
    h = height if height is not None else min(w * ASPECT * nrows / ncols, 9.0)
    fig = Figure(figsize=(float(w), float(h)), layout="constrained")
    return fig, fig.subplots(nrows, ncols, **subplots)


def _labels() -> dict[str, str]:
    """Every name ``label`` knows (aliases included) -> its label."""
    table = {name: activations.activation(name).label for name in (*activations.ACTIVATIONS, *activations.ALIASES)}
    table.update({name: init.LABELS[init.initializer(name).__name__] for name in (*init.INITIALIZERS, *init.ALIASES)})
    table.update(ARCHITECTURES)
    return table


def label(name: str) -> str:
    """The human-readable label of an activation, initialiser or architecture name (aliases too).

    ``label("gelu_tanh")`` -> "GELU (tanh approx.)", ``label("xavier_uniform")`` -> "Xavier",
    ``label("residual_bn")`` -> "residual + BatchNorm"; an unknown name raises a ValueError listing the known ones.
    """
    return lookup(_labels(), name, "name to label")


def theory(ax, x, y, label=None, **kwargs):
    """Draw a theoretical prediction: a thin dashed dark-gray line below the measurements."""
    return ax.plot(x, y, label=label, **{**THEORY, **kwargs})


def theory_hline(ax, y, label=None, **kwargs):
    """A horizontal theory line across the axes (a bound or a limit)."""
    style = {k: v for k, v in THEORY.items() if k != "marker"}
    return ax.axhline(y, label=label, **{**style, **kwargs})


def parse_formats(text) -> list[str]:
    """``"png,svg"`` (or a list) -> ``["png", "svg"]``, checking each name."""
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip().lower() for n in names if n.strip()]
    if not names:
        raise ValueError(f"no figure format given; valid formats: {', '.join(FORMATS)}")
    for n in names:
        lookup(_STRIP, n, "figure format")
    return list(dict.fromkeys(names))


def _metadata(fmt: str) -> dict:
    meta = dict(_STRIP[fmt])
    if os.environ.get("SOURCE_DATE_EPOCH"):
        for key in _DATES:  # matplotlib stamps SOURCE_DATE_EPOCH itself when the date is left in
            meta.pop(key, None)
    return meta


def save_figure(fig, out_dir, stem: str, formats=("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``out_dir/stem.<fmt>`` for each format; return the paths.

    Byte-stable: the same figure gives the same bytes (see the module docstring).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with paper_style():
        for fmt in parse_formats(formats):
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, metadata=_metadata(fmt))
            path = out_dir / f"{stem}.{fmt}"
            atomic_write_bytes(path, buf.getvalue())
            paths.append(path)
    return paths
