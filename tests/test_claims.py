"""The claim record: verdicts are computed, every judged relation can fail, tables show the judged bound."""
import math

import numpy as np
import pytest

from ffbench.studies.claims import (Claim, claim_close, claim_greater, claim_less, format_claims, judged_against,
                                    markdown_claims, observation, se_tolerance, spread_of, summary_line)

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
    assert se_tolerance(s) == pytest.approx(3 * s["se"]) and se_tolerance(s, k=2) == pytest.approx(2 * s["se"])
    with pytest.raises(ValueError):
        spread_of([1.0, float("nan")])
    with pytest.raises(ValueError):
        se_tolerance(spread_of([1.0]))


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
