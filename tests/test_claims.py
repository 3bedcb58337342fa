"""The claim record: verdicts are computed, every judged relation can fail, tables show the judged bound."""
import math

import numpy as np
import pytest

from ffbench.studies.claims import (Claim, claim_bound, claim_close, claim_effect, claim_equivalent, claim_fraction,
                                    claim_greater, claim_less, claim_mean, format_claims, judged_against,
                                    markdown_claims, observation, spread_of, summary_line)
from ffbench.studies.stats import (ALPHA, fraction_interval, n_to_decide, power_t, t_quantile, t_rule, t_tolerance,
                                   tost_tolerance)

SRC = dict(source="Glorot & Bengio (2010), Sec. 4.2.1", kind="theorem")


@pytest.mark.parametrize("make, passing, failing", [
    (lambda m: claim_close("c", "d", m, 1.0, rtol=0.05, **SRC), 1.04, 1.06),
    (lambda m: claim_close("c", "d", m, 1.0, rtol=0.05, **SRC), 0.96, 0.94),  # two-sided
    (lambda m: claim_less("l", "d", m, 0.25, **SRC), 0.2, 0.3),
    (lambda m: claim_greater("g", "d", m, 1.0, 0.1, **SRC), 0.95, 0.85),
])
def test_every_judged_relation_can_fail(make, passing, failing):
    assert make(passing).verdict == "holds" and make(passing).holds is True
    assert make(failing).verdict == "FAILS" and make(failing).holds is False
    assert make(float("nan")).verdict == "FAILS"


def test_observation_and_not_judged_have_no_truth_value():
    obs = observation("o", "deep nets collapse", 0.8, source="this study", note="no theorem predicts it")
    assert obs.verdict == "observed" and obs.holds is None and obs.kind == "observation"
    unjudged = claim_close("c", "d", 5.0, 1.0, rtol=0.01, not_judged="width 64 < 1024", **SRC)
    assert unjudged.verdict == "not judged" and unjudged.holds is None
    with pytest.raises(ValueError, match="observation"):
        Claim("x", "d", 1.0, 1.0, 0.0, "close", source="s", kind="observation")
    with pytest.raises(ValueError, match="claim kind"):
        claim_less("x", "d", 1.0, 2.0, source="s", kind="folklore")
    with pytest.raises(ValueError, match="names its source"):
        claim_less("x", "d", 1.0, 2.0, kind="bound")
    with pytest.raises(ValueError, match="names its source"):
        claim_less("x", "d", 1.0, 2.0, source="Barron 1993, Thm. 1")
    with pytest.raises(ValueError, match="tolerance"):
        claim_less("x", "d", 1.0, 2.0, -1.0, **SRC)


def test_spread_and_tolerance_from_it():
    values = [0.50, 0.52, 0.49, 0.51]
    s = spread_of(values)
    assert s["n"] == 4 and s["mean"] == pytest.approx(np.mean(values))
    assert s["sd"] == pytest.approx(np.std(values, ddof=1)) and s["se"] == pytest.approx(s["sd"] / 2)
    assert t_tolerance(s) == pytest.approx(5.840909 * s["se"])  # t_{0.995, 3}
    assert t_tolerance(s, alpha=0.05, sides=1) == pytest.approx(2.353363 * s["se"])  # t_{0.95, 3}
    with pytest.raises(ValueError):
        spread_of([1.0, float("nan")])
    with pytest.raises(ValueError):
        t_tolerance(spread_of([1.0]))


def test_textbook_values():
    assert ALPHA == 0.01
    assert t_quantile(4) == pytest.approx(5.841, abs=5e-4) and t_quantile(2) == pytest.approx(63.657, abs=5e-3)
    assert t_quantile(31, 0.05) == pytest.approx(2.042, abs=5e-4) and t_quantile(11, 0.05, 1) == pytest.approx(1.812,
                                                                                                               abs=5e-4)
    assert t_rule(4) == "Student t, n-1=3 df, two-sided, alpha 0.01"
    # Clopper-Pearson: 0/10 -> [0, 1 - 0.025^(1/10)] at 95%; 10/10 mirrors it; 5/10 -> [0.187, 0.813]
    assert fraction_interval(0, 10, 0.05) == pytest.approx((0.0, 0.308497), abs=1e-6)
    assert fraction_interval(10, 10, 0.05) == pytest.approx((0.691503, 1.0), abs=1e-6)
    assert fraction_interval(5, 10, 0.05) == pytest.approx((0.187086, 0.812914), abs=1e-6)
    assert fraction_interval(0, 10, 0.05, sides=1)[1] == pytest.approx(1 - 0.05 ** 0.1)
    # power of a two-sided one-sample t test, effect 0.5 sd, n 20, alpha 0.05 (G*Power: 0.5645)
    assert float(power_t(0.5, 1.0, 20, alpha=0.05)) == pytest.approx(0.5645, abs=5e-4)
    assert n_to_decide(0.5, 1.0, alpha=0.05) == 34  # G*Power: n 34 for 80% at d 0.5, alpha 0.05, two-sided
    assert n_to_decide(0.0, 1.0) is None and n_to_decide(0.6, 1.0, margin=0.5) is None
    assert tost_tolerance({"n": 4, "se": 0.01}, 0.1) == pytest.approx(0.1 - 4.540703 * 0.01)


SAMPLE = [0.50, 0.52, 0.49, 0.51]


def test_statistical_builders_follow_the_record_convention_and_can_fail():
    good, bad = claim_mean("m", "d", SAMPLE, 0.5, **SRC), claim_mean("m", "d", SAMPLE, 0.6, **SRC)
    assert good.verdict == "holds" and bad.verdict == "FAILS" and good.alpha == ALPHA
    assert good.rule == "Student t, n-1=3 df, two-sided, alpha 0.01"
    assert claim_mean("m", "d", [0.5], 0.5, **SRC).verdict == "not judged"
    assert claim_bound("b", "d", SAMPLE, 0.5, **SRC).verdict == "holds"  # 0.505 <= 0.5 within one-sided t
    assert claim_bound("b", "d", SAMPLE, 0.45, **SRC).verdict == "FAILS"
    assert claim_bound("b", "d", SAMPLE, 0.6, "greater", **SRC).verdict == "FAILS"
    shown = claim_effect("e", "d", SAMPLE, 0.0, **SRC)
    assert shown.verdict == "holds" and shown.predicted == pytest.approx(t_tolerance(spread_of(SAMPLE), sides=1))
    assert claim_effect("e", "d", [-0.5, -0.52, -0.49, -0.51], **SRC).verdict == "FAILS"
    unsure = claim_effect("e", "d", [0.1, -0.05, 0.2, 0.02], **SRC)
    assert unsure.verdict == "not judged" and "would decide it" in unsure.not_judged
    diffs = [0.01, -0.02, 0.0, 0.015]
    eq = claim_equivalent("q", "d", diffs, 0.1, **SRC)
    assert eq.verdict == "holds" and eq.spread["margin"] == 0.1 and "TOST" in eq.rule
    assert claim_equivalent("q", "d", [0.2, 0.21, 0.19, 0.2], 0.1, **SRC).verdict == "FAILS"
    wide = claim_equivalent("q", "d", [0.5, -0.5, 0.4, -0.4], 0.1, **SRC)
    assert wide.verdict == "not judged" and "cannot be shown" in wide.not_judged
    assert claim_fraction("f", "d", 7, 10, 0.5, **SRC).verdict == "holds"
    assert claim_fraction("f", "d", 0, 30, 0.5, **SRC).verdict == "FAILS"
    assert claim_fraction("f", "d", 3, 100, (0.05, 0.2), **SRC).verdict == "holds"
    assert claim_fraction("f", "d", 60, 100, (0.05, 0.2), **SRC).verdict == "FAILS"
    assert claim_fraction("f", "d", 20, 20, 0.5, shown=True, **SRC).verdict == "holds"
    assert claim_fraction("f", "d", 7, 10, 0.5, shown=True, **SRC).verdict == "not judged"
    assert claim_fraction("f", "d", 1, 20, 0.5, shown=True, **SRC).verdict == "FAILS"
    assert judged_against(claim_fraction("f", "d", 7, 10, 0.5, shown=True, **SRC).to_dict()) == "lower limit > 0.5"
    fit = claim_mean("r", "d", {"n": 9, "df": 6, "mean": -0.99, "se": 0.01}, -1.0, **SRC)  # a regression slope
    assert fit.rule == "Student t, 6 df, two-sided, alpha 0.01" and fit.tolerance == pytest.approx(3.707428 * 0.01)
    for c in (good, bad, shown, eq, fit, claim_fraction("f", "d", 3, 100, (0.05, 0.2), **SRC)):
        m, p, tol = c.measured, c.predicted, c.tolerance
        assert c.holds == {"close": abs(m - p) <= tol, "greater": m - p > -tol, "less": m - p < tol}[c.relation]
        assert {"alpha", "rule"} <= set(c.to_dict())


def test_record_dict_and_tables_show_the_judged_bound():
    claims = [claim_less("bound", "sigmoid factor <= 1/4", 0.2, 0.1, 0.0, **SRC).to_dict(),
              claim_less("b2", "drift", 0.73, 0.75, 0.02, spread={"n": 3, "se": 0.01}, **SRC).to_dict(),
              claim_close("c", "chi_1", 0.52, 0.5135, atol=0.02, **SRC).to_dict(),
              claim_greater("g", "g", 0.3, 0.5, **SRC).to_dict(),
              observation("o", "obs", math.nan).to_dict()]
    assert [judged_against(c) for c in claims] == ["< 0.1", "< 0.77", "0.5135 +- 0.02", "> 0.5", "-"]
    assert claims[0]["verdict"] == "FAILS" and claims[4]["measured"] is None
    assert {"source", "kind", "spread", "not_judged", "verdict"} <= set(claims[0])
    assert summary_line(claims) == "2 of 4 judged claims hold; 1 observed"
    text = format_claims(claims)
    assert "Glorot & Bengio (2010), Sec. 4.2.1" in text and "n=3, se 0.01" in text
    md = markdown_claims(claims).splitlines()
    assert len(md) == 2 + len(claims) and "**FAILS**" in md[2] and md[-1].endswith("| observed |")
