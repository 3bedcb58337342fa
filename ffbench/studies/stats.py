"""The statistics behind every judged claim: Student t tolerances, exact binomial intervals, TOST, power.

Everything a verdict depends on is here, in closed form a reader can check against a textbook:

- ``ALPHA = 0.01``: the default false-verdict rate of a judged claim.
- ``spread_of(values)``: n, mean, sample sd (ddof 1) and the standard error of the mean of repeated measurements
  (one per seed, network or paired difference).
- ``t_tolerance(spread, alpha, sides)``: :math:`t_{1-\\alpha/s,\\,n-1}\\cdot se` (Student's t with n - 1 degrees
  of freedom, s = 2 for a two-sided claim, 1 for a bound); ``t_rule`` is the same rule as a short text.
- ``fraction_interval(k, n, alpha, sides)``: the exact Clopper-Pearson interval of a success fraction k/n (from
  the beta quantiles; it covers the true rate with probability >= 1 - alpha for every rate and n).
- ``tost_tolerance(spread, margin, alpha)``: two one-sided t tests (TOST) at level alpha against a practical
  margin M are the single rule ``|mean| <= M - t_{1-alpha, n-1} se``.
- ``power_t``, ``power_tost``, ``n_to_decide``: the probability that a test at level alpha decides a claim at a
  given true effect and sd (noncentral t), and the smallest n that reaches a target power (80% by default).

What alpha means, and what it does not cover: with independent, normally distributed measurements, a claim whose
prediction is exactly true is called FAILS with probability alpha (two-sided claims: alpha split over both sides;
bounds: alpha on the one side that can refute them), and an equivalence claim (TOST) or an effect claim is called
"holds" with probability at most alpha when the truth sits on its margin.  The rate is exact for normal data at
every n >= 2 and only asymptotic otherwise: for skewed data at small n the t rule is not exact (the calibration
test, ``tests/test_claims_calibration.py``, measures it: for a centred exponential, skewness 2, a two-sided rule at
alpha 0.01 fails a correct claim 1.9% of the time at n = 2, 4.7% at n = 4, 4.9% at n = 8 and 2.8% at n = 30).
Exact binomial intervals are conservative (at most alpha) for every n.  Alpha does not cover a wrong model (a
bias in the prediction itself, e.g. a finite-width correction not in the tolerance), dependence between the
measurements, the choice of which claims to make, or the many claims of a study together: with k independent
correct claims, about k * alpha of them are expected to fail (a claim over K cells at once splits alpha over
them, Bonferroni, and says so in its rule).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import integrate, stats

ALPHA = 0.01


def spread_of(values) -> dict:
    """The spread of repeated measurements (one per seed or network): ``{"n", "mean", "sd", "se"}``, with the
    sample standard deviation (ddof=1) and the standard error of the mean; NaN values are an error, since a
    lost measurement would shrink the spread silently.  ``values``: any array-like of floats, flattened."""
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"spread_of needs finite values, got {x.tolist()!r}")
    sd = float(np.std(x, ddof=1)) if x.size > 1 else float("nan")
    return {"n": int(x.size), "mean": float(x.mean()), "sd": sd, "se": sd / math.sqrt(x.size)}


def _check_alpha(alpha: float, sides: int) -> None:
    if not 0 < alpha < 1 or sides not in (1, 2):
        raise ValueError(f"need 0 < alpha < 1 and sides 1 or 2, got alpha={alpha!r}, sides={sides!r}")


def t_quantile(n: int, alpha: float = ALPHA, sides: int = 2) -> float:
    """:math:`t_{1-\\alpha/\\mathrm{sides},\\,n-1}`, the critical value of a t test on n values (n >= 2)."""
    _check_alpha(alpha, sides)
    if n < 2:
        raise ValueError(f"a t quantile needs n >= 2 values, got n={n}")
    return float(stats.t.ppf(1.0 - alpha / sides, n - 1))


def dof(spread: dict) -> int:
    """The degrees of freedom of a spread's standard error: ``spread["df"]`` where given (e.g. a regression
    slope: points - parameters), else n - 1 (a mean)."""
    return int(spread.get("df", int(spread["n"]) - 1))


def t_tolerance(spread: dict, alpha: float = ALPHA, sides: int = 2) -> float:
    """``t_{1-alpha/sides, df} * se`` for a ``spread_of`` dict (df = n - 1 >= 1, or its "df"): the half-width
    that a correct prediction exceeds with probability alpha (normal, independent values)."""
    df, se = dof(spread), float(spread["se"])
    if df < 1 or not se >= 0:
        raise ValueError(f"t_tolerance needs a spread over at least 2 values, got {spread!r}")
    return t_quantile(df + 1, alpha, sides) * se


def t_rule(n: int, alpha: float = ALPHA, sides: int = 2, df: int | None = None) -> str:
    """The rule as a claim records it: ``"Student t, n-1=3 df, two-sided, alpha 0.01"`` (``df`` other than n - 1,
    e.g. a regression slope's: ``"Student t, 6 df, ..."``)."""
    dfs = f"n-1={n - 1}" if df is None or df == n - 1 else f"{df}"
    return f"Student t, {dfs} df, {'two' if sides == 2 else 'one'}-sided, alpha {alpha:g}"


def fraction_interval(k: int, n: int, alpha: float = ALPHA, sides: int = 2) -> tuple[float, float]:
    """The exact (Clopper-Pearson) interval of a success rate from k successes in n trials: ``(lower, upper)``
    with P(lower <= rate) >= 1 - alpha/sides and P(rate <= upper) >= 1 - alpha/sides for every true rate.
    ``sides=1`` gives the one-sided limits at alpha (use the one that can refute the claim)."""
    _check_alpha(alpha, sides)
    if not 0 <= k <= n or n < 1:
        raise ValueError(f"fraction_interval needs 0 <= k <= n, n >= 1, got k={k}, n={n}")
    a = alpha / sides
    lower = 0.0 if k == 0 else float(stats.beta.ppf(a, k, n - k + 1))
    upper = 1.0 if k == n else float(stats.beta.ppf(1.0 - a, k + 1, n - k))
    return lower, upper


def tost_tolerance(spread: dict, margin: float, alpha: float = ALPHA) -> float:
    """TOST at level alpha as one tolerance: ``margin - t_{1-alpha, n-1} * se``.  ``|mean - predicted|`` within
    it shows both one-sided nulls (difference <= -margin, difference >= margin) false at alpha each.  Zero or
    less: no measurement at this n can show equivalence."""
    return float(margin) - t_tolerance(spread, alpha, sides=1)


def nct_sf(x: float, df: int, nc: float) -> float:
    """P(T > x) for the noncentral t with df degrees of freedom and noncentrality nc: T = (Z + nc) / (U / sqrt df),
    U ~ chi(df), integrated over U (``scipy.stats.nct`` returns NaN at some moderate nc, e.g. df 1, nc 42)."""
    lo, hi = stats.chi.ppf(1e-15, df), stats.chi.isf(1e-15, df)  # a finite range, so quad sees the peak
    return integrate.quad(lambda u: stats.chi.pdf(u, df) * stats.norm.sf(x * u / math.sqrt(df) - nc),
                          lo, hi, epsabs=1e-13, limit=200)[0]


_nct_sf = np.vectorize(nct_sf, otypes=[float])


def power_t(effect: float, sd: float, n, alpha: float = ALPHA, sides: int = 2):
    """Probability that a t test at level alpha on n values rejects "mean = 0" (sides=2) or "mean <= 0" (sides=1,
    in the direction of the effect) when the true mean is ``effect`` and the sd is ``sd`` (normal values):
    the noncentral t with noncentrality effect / (sd / sqrt n).  ``n``: int or int array."""
    n = np.asarray(n)
    df, nc = n - 1, abs(effect) / sd * np.sqrt(n)
    t = stats.t.ppf(1.0 - alpha / sides, df)
    return _nct_sf(t, df, nc) + (1.0 - _nct_sf(-t, df, nc) if sides == 2 else 0.0)


def power_tost(effect: float, sd: float, n, margin: float, alpha: float = ALPHA):
    """A lower bound on the probability that TOST at level alpha with margin M shows equivalence on n values when
    the true difference is ``effect``: P(T_upper < -t) - P(T_lower <= t), each a noncentral t (Bonferroni:
    P(A and B) >= P(A) + P(B) - 1; tight when |effect| is near M, where one side decides)."""
    n = np.asarray(n)
    df, scale = n - 1, np.sqrt(n) / sd
    t = stats.t.ppf(1.0 - alpha, df)
    e = abs(effect)
    return np.maximum(_nct_sf(t, df, (e + margin) * scale) - _nct_sf(-t, df, (e - margin) * scale), 0.0)


def n_to_decide(effect: float, sd: float, alpha: float = ALPHA, power: float = 0.8, sides: int = 2,
                margin: float | None = None, n_max: int = 1_000_000) -> int | None:
    """The smallest n >= 2 at which the test reaches ``power`` at this true effect and sd: ``power_t`` (a t
    test of the effect against 0) or, with ``margin``, ``power_tost``.  None when no n up to n_max does (a zero
    effect for a t test; |effect| >= margin for TOST).  Paired designs pass the mean and sd of the differences."""
    if not sd > 0:
        return 2 if (effect != 0 if margin is None else abs(effect) < margin) else None

    def reached(n):
        p = power_t(effect, sd, n, alpha, sides) if margin is None else power_tost(effect, sd, n, margin, alpha)
        return bool(p >= power)

    hi = 2
    while not reached(hi):
        if hi >= n_max:
            return None
        hi = min(2 * hi, n_max)
    lo = max(hi // 2, 2)  # reached(hi); the power grows with n, so bisect the first n that reaches it
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if reached(mid) else (mid + 1, hi)
    return hi


def power_note(effect: float, sd: float, alpha: float = ALPHA, sides: int = 2, margin: float | None = None,
               what: str = "values") -> str:
    """``"at the observed effect 0.03 and sd 0.1, n = 74 values would decide it with 80% power"``."""
    n = n_to_decide(effect, sd, alpha, sides=sides, margin=margin)
    at = f"at the observed effect {effect:.3g} and sd {sd:.3g}"
    if n is None:
        return f"{at} no n decides it" + (f" (|effect| >= margin {margin:g})" if margin is not None else "")
    return f"{at}, n = {n} {what} would decide it with 80% power"
