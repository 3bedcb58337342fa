"""The ffbench paper style: one visual language for every figure, and byte-stable files.

- Fonts: DejaVu Serif (it ships with matplotlib, so no LaTeX and no system font is needed, and every machine
  draws the same glyphs), mathtext in the matching serif, 8 pt text, 7 pt ticks and legends.  Figure modules set
  no font size of their own; where a dense legend needs less, they pass a relative size (``fontsize="small"``).
- Sizes: ``SINGLE`` = 3.5 in (one column), ``DOUBLE`` = 7 in (full width), height 0.75 x width by default.
- One colour per meaning, the same in every figure: ``color(name)`` for an activation, an initialiser, an
  architecture name or a benchmark peer (``series(name)``: colour, marker and label together).  Activations take
  ``ACTIVATION_PALETTE`` in the order of ``ffbench.ACTIVATIONS`` and initialisers ``INIT_PALETTE`` in the order of
  ``ffbench.init.INITIALIZERS`` (so a new registry entry gets the next free colour, and one past the palette a
  fixed colour from a hash of its name); the two palettes share no colour, so a figure may show both.
  Ordered quantities (width, depth, learning rate) take ``ordered(values)``: a sequential map, in log steps.
  Neutral colours: ``INK`` (data in black), ``MUTED`` (secondary marks), ``SHADE`` (bands), ``THEORY_COLOR``;
  ``ACCENT`` (one highlight), ``CLASS_FACES`` and ``CLASS_REGIONS`` (two classes and their predicted regions).
  Verdicts: ``VERDICT_COLORS`` (holds / FAILS / not judged).  Figure modules write no colour literal.
- Theory is drawn one way everywhere: ``theory(ax, x, y)``, ``theory_hline(ax, y)``, ``theory_vline(ax, x)``: a thin
  dashed line under the measurements (dark gray, or the colour of the series it belongs to when several theories
  share a panel).
- Panels are lettered with ``panel_letters(axes)``: a bold **a**, **b**, ... just outside each panel's top left.
- Symbols: ``PM`` (±), ``TIMES`` (×), ``LEQ`` (≤), ``GEQ`` (≥), ``MINUS`` (−), ``APPROX`` (≈) for plain text;
  mathtext (``$\\pm$``) inside formulas.  Never ASCII "+-", "x" or "<=".
- Labels: ``label(name)`` turns an activation, initialiser, architecture, peer or 1-D target name into the words a
  reader expects (``label("leaky_relu")`` -> "LeakyReLU", ``label("he_normal")`` -> "He", ``label("plain_bn")`` ->
  "plain + BatchNorm").  Activation and initialiser labels live with their registry entries; this is the one
  lookup over all of them.  No figure shows a raw key.

Use::

    with paper_style():
        fig, axes = figure("double", ncols=2)
        for act in ("relu", "tanh"):
            axes[0].loglog(depth, norm[act], **series(act))
        theory(axes[0], depth, predicted, label="theory")
        panel_letters(axes)
        paths = save_figure(fig, out_dir, "vanishing_norms", ["png"])

``save_figure`` writes the same bytes for the same figure: it strips the dates and tool versions from the
metadata (PNG ``Software``, SVG ``Date`` and ``Creator``, PDF ``CreationDate``, ``Creator`` and ``Producer``)
and fixes ``svg.hashsalt``.  If ``SOURCE_DATE_EPOCH`` is set, the SVG and PDF dates are kept and matplotlib
stamps that fixed time instead of stripping it.  Files are written atomically.  ``DEFAULT_FORMATS`` is PNG only:
SVG and PDF are written on request (``--format png,svg``), as they cost as much again to draw.
"""
from __future__ import annotations

import contextlib
import io
import os
import zlib
from pathlib import Path

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.figure import Figure

from . import activations, data, init
from ._checks import lookup, positive_int
from ._io import atomic_write_bytes

SINGLE = 3.5  # inches: one column of a two-column paper
DOUBLE = 7.0  # inches: full text width
WIDTHS = {"single": SINGLE, "double": DOUBLE}
ASPECT = 0.75  # default height / width

#: The default cycle, for series that have no name of their own (targets, dimensions, ...).
COLORS = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "<", ">", "h"]
LINESTYLES = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 2))]

#: One colour per activation, in the order of ``ffbench.ACTIVATIONS`` (identity, sigmoid, tanh, relu,
#: leaky_relu, elu, gelu, gelu_tanh, silu, softplus, softsign, then spares for the next ones): Okabe-Ito first
#: (colour-blind safe), then Tol's muted.
ACTIVATION_PALETTE = ["#000000", "#0072B2", "#009E73", "#D55E00", "#E69F00", "#882255", "#CC79A7", "#AA4499",
                      "#56B4E9", "#999933", "#DDCC77", "#661100", "#6699CC", "#888888"]
#: One colour per initialiser, in the order of ``ffbench.init.INITIALIZERS`` (standard_uniform, xavier_uniform,
#: xavier_normal, he_uniform, he_normal, lecun_normal, orthogonal); none is an activation's colour.
INIT_PALETTE = ["#8C564B", "#332288", "#6C6CC4", "#C8A600", "#A50F15", "#2CA6A4", "#5F5F5F"]

#: Architecture names of the studies (``ffbench.studies.residual.ARCHS``, the depth study's deep and shallow
#: nets) -> (label, colour).
ARCHITECTURES = {"plain": ("plain", "#000000"), "residual": ("residual", "#4477AA"),
                 "plain_bn": ("plain + BatchNorm", "#EE6677"), "residual_bn": ("residual + BatchNorm", "#228833"),
                 "deep": ("deep", "#AA3377"), "shallow": ("shallow", "#4477AA")}

#: Labels of the 1-D targets of ``ffbench.data.TARGETS`` (a target not listed reads as its name in words).
TARGETS = {"sin": "sine", "step": "step", "abs": "$|x|$", "gaussian_bump": "Gaussian bump", "sawtooth": "sawtooth"}

#: The benchmark's peers (``ffbench.bench.peers``) -> (label, colour).
PEERS = {"ffbench": ("ffbench", "#000000"), "numpy": ("NumPy", "#4477AA"), "torch": ("PyTorch eager", "#EE6677"),
         "jax": ("JAX jit", "#228833")}

INK = "#000000"  # measurements without a name of their own
MUTED = "0.55"  # secondary marks: guides, individual seeds, reference lines that are not theory
SHADE = "0.88"  # bands: an acceptance region, an allowance
ACCENT = "#AA3377"  # one highlight that means "look here" and nothing else (XOR's hidden-unit lines)
#: Two classes: marker faces (hollow, filled) and the regions a classifier assigns to them (light, darker gray).
CLASS_FACES = ("#FFFFFF", INK)
CLASS_REGIONS = ("0.97", "0.78")
THEORY_COLOR = "0.3"
THEORY = {"color": THEORY_COLOR, "linewidth": 0.8, "linestyle": (0, (4, 2)), "marker": "", "zorder": 1.5}
#: Verdicts of claims (``ffbench.studies.claims``): holds, FAILS, and not judged (drawn hollow).
VERDICT_COLORS = {"holds": "#1B7837", "FAILS": "#B2182B", "not judged": "0.5"}
#: The sequential map for ordered quantities (``ordered``): viridis without its palest yellow.
SEQUENTIAL = "viridis"
_SEQUENTIAL_RANGE = (0.0, 0.85)

PM, TIMES, LEQ, GEQ, MINUS, APPROX = "\u00b1", "\u00d7", "\u2264", "\u2265", "\u2212", "\u2248"

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
    "axes.prop_cycle": cycler(color=COLORS) + cycler(marker=MARKERS[:7]) + cycler(linestyle=LINESTYLES),
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
DEFAULT_FORMATS = ("png",)  # SVG and PDF on request: each costs about as much again as the PNG


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


def _canonical(name: str) -> tuple[str, str]:
    """(kind, registry name) of an activation, initialiser or architecture name, aliases resolved."""
    name = activations.ALIASES.get(name, name)
    if name in activations.ACTIVATIONS:
        return "activation", name
    name = init.ALIASES.get(name, name)
    if name in init.INITIALIZERS:
        return "init", name
    if name in ARCHITECTURES:
        return "architecture", name
    if name in PEERS:
        return "peer", name
    return "", name


def _labels() -> dict[str, str]:
    """Every name ``label`` knows (aliases included) -> its label."""
    table = {name: activations.activation(name).label for name in (*activations.ACTIVATIONS, *activations.ALIASES)}
    table.update({name: init.LABELS[init.initializer(name).__name__] for name in (*init.INITIALIZERS, *init.ALIASES)})
    table.update({name: text for name, (text, _) in (*ARCHITECTURES.items(), *PEERS.items())})
    table.update({name: TARGETS.get(name, name.replace("_", " ")) for name in data.TARGETS})
    return table


def label(name: str) -> str:
    """The human-readable label of an activation, initialiser, architecture or 1-D target name (aliases too).

    ``label("gelu_tanh")`` -> "GELU (tanh approx.)", ``label("xavier_uniform")`` -> "Xavier",
    ``label("residual_bn")`` -> "residual + BatchNorm"; an unknown name raises a ValueError listing the known ones.
    """
    return lookup(_labels(), name, "name to label")


def _hashed(name: str, palette) -> str:
    """A colour for a name past the end of its palette: fixed by the name, not by when it was added."""
    return palette[zlib.crc32(name.encode()) % len(palette)]


def _position(kind: str, name: str) -> int:
    registry = list(activations.ACTIVATIONS) if kind == "activation" else list(init.INITIALIZERS)
    return registry.index(name)


def color(name: str) -> str:
    """The colour of an activation, initialiser or architecture name, the same in every figure.

    ``color("relu")`` is ReLU's vermillion wherever ReLU is drawn.  Activations and initialisers take their
    palette by registry position (a new entry gets the next colour, one past the palette a colour fixed by a
    hash of its name); an unknown name raises the ValueError of ``label``.
    """
    kind, key = _canonical(name)
    if kind in ("architecture", "peer"):
        return (ARCHITECTURES if kind == "architecture" else PEERS)[key][1]
    if not kind:
        label(name)  # raises, listing the known names
    palette = ACTIVATION_PALETTE if kind == "activation" else INIT_PALETTE
    i = _position(kind, key)
    return palette[i] if i < len(palette) else _hashed(key, palette)


def marker(name: str) -> str:
    """The marker of an activation, initialiser or architecture name (so series stay apart in grayscale)."""
    kind, key = _canonical(name)
    if kind in ("architecture", "peer"):
        names = list(ARCHITECTURES if kind == "architecture" else PEERS)
        return MARKERS[names.index(key) % len(MARKERS)]
    if not kind:
        label(name)
    return MARKERS[_position(kind, key) % len(MARKERS)]


def series(name: str, **overrides) -> dict:
    """``color``, ``marker`` and ``label`` of a name as plot keywords: ``ax.plot(x, y, **series("tanh"))``."""
    return {"color": color(name), "marker": marker(name), "label": label(name), **overrides}


def ordered(values, log=None) -> list[str]:
    """Colours of the sequential map for ordered values (widths, depths, learning rates), one per value.

    Positions are log-spaced between the smallest and largest value when all are positive and span a factor of
    four or more (``log=None``), else linear; equal values get equal colours, one value the middle colour.
    """
    v = np.asarray(values, dtype=float)
    if log is None:
        log = bool(v.size and np.all(v > 0) and v.max() >= 4 * v.min())
    v = np.log(v) if log else v
    span = v.max() - v.min() if v.size else 0.0
    t = (v - v.min()) / span if span > 0 else np.full(v.shape, 0.5)
    lo, hi = _SEQUENTIAL_RANGE
    cmap = matplotlib.colormaps[SEQUENTIAL]
    return [matplotlib.colors.to_hex(cmap(lo + (hi - lo) * x)) for x in t]


def panel_letters(axes, start: int = 0):
    """Letter each panel: a bold a, b, c, ... just outside its top-left corner (clear of a centred title), in the
    order given."""
    for i, ax in enumerate(np.ravel(axes)):
        ax.annotate(chr(ord("a") + start + i), (0.0, 1.0), xycoords="axes fraction", xytext=(-3, 3),
                    textcoords="offset points", ha="right", va="bottom", fontweight="bold", fontsize="large")


def theory(ax, x, y, label=None, **kwargs):
    """Draw a theoretical prediction: a thin dashed line (dark gray, or the ``color`` given) under the data."""
    return ax.plot(x, y, label=label, **{**THEORY, **kwargs})


def theory_hline(ax, y, label=None, **kwargs):
    """A horizontal theory line across the axes (a bound or a limit), in the theory style."""
    style = {k: v for k, v in THEORY.items() if k != "marker"}
    return ax.axhline(y, label=label, **{**style, **kwargs})


def theory_vline(ax, x, label=None, **kwargs):
    """A vertical theory line across the axes (a critical point), in the theory style."""
    style = {k: v for k, v in THEORY.items() if k != "marker"}
    return ax.axvline(x, label=label, **{**style, **kwargs})


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


def save_figure(fig, out_dir, stem: str, formats=DEFAULT_FORMATS) -> list[Path]:
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
