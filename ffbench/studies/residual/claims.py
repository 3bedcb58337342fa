"""The residual study's claims: the module docstring of ``ffbench.studies.residual`` against the summarised
measurements (training, the typical gradient at initialisation, shattered gradients), with sources and spreads."""
from __future__ import annotations

import math

import numpy as np

from ffbench.studies.claims import claim_close, claim_greater, claim_less, observation, se_tolerance, spread_of
from ffbench.style import label

HE2016 = "He, Zhang, Ren & Sun 2016, Deep Residual Learning (CVPR), Sec. 4.1, Fig. 4"
BALDUZZI = "Balduzzi et al. 2017, The Shattered Gradients Problem (ICML)"
HANIN = ("Hanin 2018, Which neural net architectures give rise to exploding and vanishing gradients? (NeurIPS); "
         "Hanin & Rolnick 2018, How to start training (NeurIPS), failure mode FM2; the -5/(2n) drift: this study, "
         "module docstring")
COACTIVE_ACCURACY = 0.05  # the hypothesis P(co-active) = 1/4 "holds" when the ratio is within 10% of 1/2
MIN_SPREAD = 3  # a tolerance from the spread needs at least this many seeds or networks


def _few(n: int, what: str) -> str:
    return f"{n} {what}: at least {MIN_SPREAD} are needed for a tolerance from their spread" if n < MIN_SPREAD else ""


def _train_claims(tr):
    depths = tr["depths"]
    deep = depths[-1]
    moderate = max([d for d in depths if d <= 8] or [depths[0]])
    k_mod = depths.index(moderate)
    runs_ = tr["best"]["accuracy_runs"]
    spread = {(a, k): spread_of(runs_[a][k]) for a in tr["archs"] for k in (k_mod, len(depths) - 1)
              if len(runs_[a][k]) > 1 and all(v is not None for v in runs_[a][k])}
    acc = {a: np.asarray(tr["best"]["accuracy"][a], dtype=float) for a in tr["archs"]}
    small = (_few(len(runs_["plain"][-1]), "seeds") if deep >= 32
             else f"deepest net {deep} layers: too shallow to degrade")
    note = ("0.95 separates a fit (two spirals are learnt to ~100%) from a failure (0.5-0.7, near chance); mean over "
            "seeds at the learning rate with the best mean")
    return [
        claim_greater("residual_trains_deep", f"residual (s = 1/sqrt(L)), {deep} hidden layers: training accuracy at "
                      "the best learning rate (residual nets stay trainable)", acc["residual"][-1], 0.95,
                      source=HE2016, kind="empirical", spread=spread.get(("residual", len(depths) - 1)), note=note,
                      not_judged=small),
        claim_less("plain_fails_deep", f"plain, {deep} hidden layers: training accuracy at the best learning rate "
                   "(the degradation problem: deep plain nets train worse)", acc["plain"][-1], 0.95, source=HE2016,
                   kind="empirical", spread=spread.get(("plain", len(depths) - 1)), note=note, not_judged=small),
        claim_greater("plain_trains_moderate", f"plain, {moderate} hidden layers, Adam: training accuracy at the best "
                      "learning rate (moderate depth trains)", acc["plain"][k_mod], 0.95, source=HE2016,
                      kind="empirical", spread=spread.get(("plain", k_mod)), note=note,
                      not_judged=_few(len(runs_["plain"][k_mod]), "seeds")),
    ]


def _drift_claims(init):
    depths, width = init["depths"], init["width"]
    layers = depths[-1] - depths[0]
    se = math.hypot(init["log10_grad_se"][0], init["log10_grad_se"][-1])
    leading, exact = init["drift_leading"][-1], init["drift_exact"][-1]
    measured = init["log10_grad"][-1] - init["log10_grad"][0]
    higher = abs(exact - leading)
    spread = {"n": init["networks"], "se": se}
    return [claim_close(
        "plain_grad_drift", f"plain ReLU, He init, width {width}: log10 of the typical first-layer gradient norm at "
        f"{depths[-1]} over {depths[0]} hidden layers, at initialisation (-(5/4)(dL/n)/ln 10: He keeps the mean "
        "square, the typical value drifts)", measured, leading,
        atol=(se_tolerance(spread) if init["networks"] >= MIN_SPREAD else 0.0) + higher, source=HANIN,
        kind="theorem", spread=spread,
        note=f"tolerance: 3 standard errors over {init['networks']} networks per depth plus the O(1/n^2) terms "
             f"({higher:.3f}: the exact per-layer drift predicts {exact:.3f})",
        not_judged=_few(init["networks"], "networks"))]


def _at(sh, key, arch, depth):
    values = sh[f"{key}_runs"][arch][sh["depths"].index(depth)]
    return float(np.mean(values)), spread_of(values) if len(values) > 1 else None


def _shatter_claims(sh):
    depths, n = sh["depths"], sh["networks"]
    deepest = depths[-1]
    judge = sh["judge_depth"]
    few = _few(n, "networks") or (f"the deepest net has {deepest} < {judge} hidden layers: plain + BatchNorm "
                                  f"decorrelates neighbours by about {judge}" if deepest < judge else "")
    claims = []
    if "plain_bn" in sh["archs"]:
        judge = judge if judge in depths else deepest
        m, spread = _at(sh, "coactive", "plain_bn", judge)
        claims.append(claim_close(
            "coactivation_plain_bn", f"plain + BatchNorm, {judge} hidden layers: co-activation ratio P(both "
            "active) / P(active) of grid neighbours, last hidden layer (Thms 1-3 assume independent patterns: 1/2)",
            m, 0.5, atol=COACTIVE_ACCURACY, source=f"{BALDUZZI}, hypothesis of Thms 1-3", kind="theorem",
            spread=spread, note=f"within {COACTIVE_ACCURACY:g} = 10% of 1/2: neighbours decorrelate only "
                                "asymptotically; ratios per depth are in the record", not_judged=few))
    for key, what in (("spectral_slope", "spectral slope of the gradient (white noise: 0)"),
                      ("rho1", "lag-1 autocorrelation of the gradient (white noise: 0)")):
        if "plain_bn" in sh["archs"]:
            m, spread = _at(sh, key, "plain_bn", deepest)
            claims.append(claim_close(
                f"plain_bn_white_noise_{'slope' if key == 'spectral_slope' else 'rho1'}",
                f"plain + BatchNorm, {deepest} hidden layers: {what}", m, 0.0,
                atol=se_tolerance(spread) if spread and n >= MIN_SPREAD else 0.0,
                source=f"{BALDUZZI}, Fig. 1 (feedforward gradients shatter to white noise)", kind="empirical",
                spread=spread, note="two-sided, 3 standard errors over networks", not_judged=few))
    if "residual_bn" in sh["archs"]:
        m, spread = _at(sh, "spectral_slope", "residual_bn", deepest)
        margin = se_tolerance(spread) if spread and n >= MIN_SPREAD else 0.0
        claims.append(claim_close(
            "residual_bn_between_brown_and_white", f"residual + BatchNorm, {deepest} hidden layers: spectral slope "
            "of the gradient strictly between brown noise (-2) and white noise (0)", m, -1.0, atol=max(1.0 - margin, 0),
            source=f"{BALDUZZI}, Fig. 1 ('between brown and white')", kind="empirical", spread=spread,
            note="holds when the slope is at least 3 standard errors above -2 and below 0", not_judged=few))
    for res, plain in (("residual", "plain"), ("residual_bn", "plain_bn")):
        if res in sh["archs"] and plain in sh["archs"]:
            k = depths.index(deepest)
            # the same seeds draw the networks of every architecture: paired differences per network
            diff = np.asarray(sh["rho1_runs"][res][k]) - np.asarray(sh["rho1_runs"][plain][k])
            claims.append(claim_greater(
                f"{res}_more_coherent", f"{deepest} hidden layers: lag-1 autocorrelation of {label(res)} minus "
                f"{label(plain)} (skip connections keep gradients coherent)", float(diff.mean()), 0.0,
                source=f"{BALDUZZI}, Fig. 1", kind="empirical",
                spread=spread_of(diff) if diff.size > 1 else None, note="paired over networks, no tolerance"))
    if "plain" in sh["archs"]:
        m, spread = _at(sh, "rho1", "plain", deepest)
        co, _ = _at(sh, "coactive", "plain", deepest)
        claims.append(observation(
            "plain_relu_1d_does_not_shatter", f"plain ReLU without BatchNorm, {deepest} hidden layers: lag-1 "
            f"autocorrelation of the 1-D gradient (co-activation ratio of neighbours: {co:.3f})", m,
            source=f"this study; against the hypothesis of {BALDUZZI}, Thm 1", spread=spread,
            note="with the uniform biases used here its units stop kinking along the line (neighbours share their "
                 "patterns, ratio near 1), so Thm 1's independence assumption fails and the gradient stays correlated"))
    return claims


def study_claims(tr, init, sh) -> list:
    """Every claim of the study, in table order."""
    return _train_claims(tr) + _drift_claims(init) + _shatter_claims(sh)
