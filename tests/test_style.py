"""The one visual language (``ffbench.style``) and the claims forest plot (``ffbench.claims_plot``): a fixed
colour per name from the registries, figure modules without colour literals or font sizes of their own, and a
forest plot that draws any claim a record can hold."""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from ffbench import activations, claims_plot, init, style

REPO = Path(__file__).resolve().parent.parent
# every module that draws figures; style.py itself is where the colours and sizes live
FIGURE_MODULES = sorted({*REPO.glob("ffbench/studies/*/figures.py"), *REPO.glob("ffbench/studies/*_figures.py"),
                         REPO / "ffbench/bench/figure.py", REPO / "ffbench/claims_plot.py"})
COLOUR_LITERAL = re.compile(r"\b(?:colou?rs?|facecolors?|edgecolors?|markerfacecolor|markeredgecolor|labelcolor|"
                            r"mfc|mec)\s*=\s*(?:\[\s*)?f?([\"'])(?!none\1)")
FONT_SIZE_NUMBER = re.compile(r"\b(?:fontsize|title_fontsize|labelsize|size)\s*=\s*[\d.]")


@pytest.mark.parametrize("path", FIGURE_MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_figure_modules_take_colours_and_sizes_from_style(path):
    text = path.read_text()
    colours = [m.group(0) for m in COLOUR_LITERAL.finditer(text)]
    sizes = [m.group(0) for m in FONT_SIZE_NUMBER.finditer(text)]
    assert not colours, f"{path.name}: colour literals {colours}; use ffbench.style (color, ordered, INK, ...)"
    assert not sizes, f"{path.name}: font sizes {sizes}; use the style's sizes or a relative one ('small')"
    assert re.search(r"from (ffbench|\.+)\.?style import", text), f"{path.name} does not draw with ffbench.style"


def test_every_registered_name_has_one_colour_and_the_palettes_do_not_meet():
    acts = [style.color(a) for a in activations.ACTIVATIONS]
    inits = [style.color(i) for i in init.INITIALIZERS]
    assert len(set(acts)) == len(acts) and len(set(inits)) == len(inits)
    assert not set(acts) & set(inits)  # a figure may show both, so no colour means both
    assert style.color("swish") == style.color("silu") and style.color("he") == style.color("he_normal")
    assert style.series("relu") == {"color": style.color("relu"), "marker": style.marker("relu"), "label": "ReLU"}
    for name in ("plain_bn", "deep", "numpy", "gaussian_bump"):
        assert style.label(name)
    with pytest.raises(ValueError, match="name to label"):
        style.color("no_such_name")


def test_a_new_activation_gets_a_colour_without_an_edit_here(monkeypatch):
    known = {a: style.color(a) for a in activations.ACTIVATIONS}
    new = [f"new_{i}" for i in range(len(style.ACTIVATION_PALETTE))]  # more than the spare colours
    monkeypatch.setattr(activations, "ACTIVATIONS", (*activations.ACTIVATIONS, *new))
    assert style.color(new[0]) not in known.values()  # the next spare
    past = style.color(new[-1])  # past the palette: a colour fixed by its name
    assert past in style.ACTIVATION_PALETTE and past == style.color(new[-1])
    assert {a: style.color(a) for a in known} == known  # the others keep theirs


def test_ordered_colours_follow_the_values():
    widths = [2, 4, 8, 16, 2]
    shades = style.ordered(widths)
    assert shades[0] == shades[-1] and len(set(shades)) == 4
    assert style.ordered([1e-3, 1e-2, 1e-1]) == style.ordered([1e-3, 1e-2, 1e-1])
    assert style.ordered([5.0]) == style.ordered([7.0])  # one value: the middle colour


def _claim(measured, predicted=1.0, tolerance=0.1, relation="close", verdict="holds"):
    return {"name": "c", "description": "a claim", "measured": measured, "predicted": predicted,
            "tolerance": tolerance, "relation": relation, "verdict": verdict}


def test_position_is_the_distance_in_tolerances():
    assert claims_plot.position(_claim(1.05)) == pytest.approx(0.5)
    assert claims_plot.position(_claim(0.7)) == pytest.approx(-3.0)
    assert claims_plot.position(_claim(1.0, tolerance=0.0)) == 0.0
    assert claims_plot.position(_claim(2.0, tolerance=0.0)) == math.inf
    assert claims_plot.position(_claim(0.0, tolerance=None)) == -math.inf
    assert claims_plot.position(_claim(None)) is None and claims_plot.position(_claim(float("nan"))) is None
    assert claims_plot.position(_claim([1.0, 2.0])) is None and claims_plot.position(_claim(1.0, "x")) is None
    claims = [_claim(1.0), _claim(1.0, verdict="observed"), _claim(None, verdict="not judged")]
    assert [c["verdict"] for c in claims_plot.judged(claims)] == ["holds", "not judged"]


def test_the_forest_plot_draws_any_record_byte_stably(tmp_path):
    claims = [_claim(1.05), _claim(3.0, verdict="FAILS"), _claim(1e9, relation="less", verdict="FAILS"),
              _claim(-1e9, relation="greater", verdict="FAILS"), _claim(2.0, tolerance=0.0, relation="greater"),
              _claim(None, verdict="not judged"), _claim(0.5, verdict="not judged"),
              _claim(1.0, verdict="observed"), {**_claim(1.0), "description": "word " * 40}]
    record = {"study": "toy", "claims": claims}
    with style.paper_style():
        first = claims_plot.render_study(record, tmp_path / "a", ["png"])
        again = claims_plot.render_study(record, tmp_path / "b", ["png"])
        assert [p.name for p in first] == ["toy_claims.png"]
        assert first[0].read_bytes() == again[0].read_bytes()
        assert claims_plot.render_study({"study": "toy", "claims": [_claim(1.0, verdict="observed")]},
                                        tmp_path, ["png"]) == []  # nothing judged: no figure
    rows = claims_plot._rows([("toy", claims)])
    assert len(rows) == 1 + 8 and rows[0][1] is None and all(len(text) <= claims_plot.LABEL_CHARS
                                                              for text, _, _ in rows)


def test_panel_letters_run_in_order():
    with style.paper_style():
        fig, axes = style.figure("double", ncols=3)
        style.panel_letters(axes)
        assert [ax.texts[-1].get_text() for ax in np.ravel(axes)] == ["a", "b", "c"]


def test_an_effect_that_must_be_shown_sits_in_the_band_exactly_when_it_holds():
    from ffbench import claims_plot
    from ffbench.studies.claims import claim_effect, claim_fraction

    kw = {"source": "this study: test", "kind": "empirical"}
    cases = [claim_effect("e", "d", values, bound=0.0, **kw).to_dict()
             for values in ([1.0, 1.1, 0.9, 1.05], [0.1, -0.2, 0.3, 0.0], [-1.0, -1.1, -0.9, -1.05])]
    cases += [claim_fraction("f", "d", k, 30, 0.5, shown=True, **kw).to_dict() for k in (29, 16, 3)]
    for c in cases:
        z = claims_plot.position(c)
        assert (z > -1) == (c["verdict"] == "holds"), (c["verdict"], z)
    assert [c["verdict"] for c in cases] == ["holds", "not judged", "FAILS"] * 2
