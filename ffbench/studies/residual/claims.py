"""The residual study's claims: the module docstring of ``ffbench.studies.residual`` against the summarised
measurements (training, the typical gradient at initialisation, shattered gradients), with sources and spreads."""
from __future__ import annotations

import math

import numpy as np

from ffbench.studies.claims import claim_effect, claim_equivalent, claim_mean, observation, spread_of
from ffbench.style import label

HE2016 = "He, Zhang, Ren & Sun 2016, Deep Residual Learning (CVPR), Sec. 4.1, Fig. 4"
BALDUZZI = "Balduzzi et al. 2017, The Shattered Gradients Problem (ICML)"
NOTES_000 = ('notes "feed-forward neural network" (2024-12-14), vanishing gradient: "solution:" ... "- residual '
             'network"')
HANIN = ("Hanin 2018, Which neural net architectures give rise to exploding and vanishing gradients? (NeurIPS); "
         "Hanin & Rolnick 2018, How to start training (NeurIPS), failure mode FM2; the -5/(2n) drift: this study, "
         "module docstring")
COACTIVE_MARGIN = 0.05  # the hypothesis P(co-active) = 1/4 "holds" when the ratio is shown within 10% of 1/2
# "white noise" is shown when the slope and rho_1 are within a tenth of the way from white noise to brown noise
WHITE_MARGIN = {"spectral_slope": 0.2, "rho1": 0.1}  # brown noise: slope -2, rho_1 -> 1
MIN_SPREAD = 2  # a Student t tolerance from the spread needs at least this many seeds or networks
FIT = 0.95  # training accuracy that separates a fit (two spirals learnt to ~100%) from a failure (0.5-0.7)


def _few(n: int, what: str) -> str:
    return f"{n} {what}: at least {MIN_SPREAD} are needed for a tolerance from their spread" if n < MIN_SPREAD else ""


def _train_claims(tr):
    depths = tr["depths"]
    deep = depths[-1]
    moderate = max([d for d in depths if d <= 8] or [depths[0]])
    k_mod = depths.index(moderate)
    runs_ = tr["best"]["accuracy_runs"]
    small = (_few(len(runs_["plain"][-1]), "seeds") if deep >= 32
             else f"deepest net {deep} layers: too shallow to degrade")
    note = (f"{FIT} separates a fit (two spirals are learnt to ~100%) from a failure (0.5-0.7, near chance); the "
            "seeds' accuracies at the learning rate with the best mean; the side of 0.95 must be shown")
    return [
        claim_effect("residual_trains_deep", f"residual (s = 1/sqrt(L)), {deep} hidden layers: training accuracy at "
                     f"the best learning rate above {FIT} (residual nets stay trainable)", runs_["residual"][-1], FIT,
                     source=f"{HE2016}; {NOTES_000}", note=note, not_judged=small),
        claim_effect("plain_fails_deep", f"plain, {deep} hidden layers: training accuracy at the best learning rate "
                     f"below {FIT} (the degradation problem: deep plain nets train worse)", runs_["plain"][-1], FIT,
                     "less", source=HE2016, note=note, not_judged=small),
        claim_effect("plain_trains_moderate", f"plain, {moderate} hidden layers, Adam: training accuracy at the best "
                     f"learning rate above {FIT} (moderate depth trains)", runs_["plain"][k_mod], FIT,
                     source=HE2016, note=note, not_judged=_few(len(runs_["plain"][k_mod]), "seeds")),
    ]


def _drift_claims(init):
    depths, width = init["depths"], init["width"]
    layers = depths[-1] - depths[0]
    se = math.hypot(init["log10_grad_se"][0], init["log10_grad_se"][-1])
    leading, exact = init["drift_leading"][-1], init["drift_exact"][-1]
    measured = init["log10_grad"][-1] - init["log10_grad"][0]
    higher = abs(exact - leading)
    spread = {"n": init["networks"], "mean": measured, "se": se}
    return [claim_mean(
        "plain_grad_drift", f"plain ReLU, He init, width {width}: log10 of the typical first-layer gradient norm at "
        f"{depths[-1]} over {depths[0]} hidden layers, at initialisation (-(5/4)(dL/n)/ln 10: He keeps the mean "
        "square, the typical value drifts)", spread, leading, allowance=higher, source=HANIN, kind="theorem",
        note=f"tolerance: Student t on the standard error of the difference over {init['networks']} networks per "
             f"depth (n - 1 df: conservative for two independent groups) plus the O(1/n^2) terms ({higher:.3f}: the "
             f"exact per-layer drift predicts {exact:.3f})",
        not_judged=_few(init["networks"], "networks"))]


def _at(sh, key, arch, depth):
    """The per-network values of ``key`` for ``arch`` at ``depth`` (a list of floats)."""
    return sh[f"{key}_runs"][arch][sh["depths"].index(depth)]


def _shatter_claims(sh):
    depths, n = sh["depths"], sh["networks"]
    deepest = depths[-1]
    judge = sh["judge_depth"]
    few = _few(n, "networks") or (f"the deepest net has {deepest} < {judge} hidden layers: plain + BatchNorm "
                                  f"decorrelates neighbours by about {judge}" if deepest < judge else "")
    claims = []
    if "plain_bn" in sh["archs"]:
        judge = judge if judge in depths else deepest
        claims.append(claim_equivalent(
            "coactivation_plain_bn", f"plain + BatchNorm, {judge} hidden layers: co-activation ratio P(both "
            "active) / P(active) of grid neighbours, last hidden layer (Thms 1-3 assume independent patterns: 1/2)",
            _at(sh, "coactive", "plain_bn", judge), COACTIVE_MARGIN, predicted=0.5,
            source=f"{BALDUZZI}, hypothesis of Thms 1-3", kind="theorem", not_judged=few,
            note=f"{COACTIVE_MARGIN:g} = 10% of 1/2, the accuracy at which the theorems' independence is read as "
                 "holding: neighbours decorrelate only asymptotically; ratios per depth are in the record"))
    for key, what in (("spectral_slope", "spectral slope of the gradient (white noise: 0, brown noise: -2)"),
                      ("rho1", "lag-1 autocorrelation of the gradient (white noise: 0, brown noise: ~1)")):
        if "plain_bn" in sh["archs"]:
            claims.append(claim_equivalent(
                f"plain_bn_white_noise_{'slope' if key == 'spectral_slope' else 'rho1'}",
                f"plain + BatchNorm, {deepest} hidden layers: {what}", _at(sh, key, "plain_bn", deepest),
                WHITE_MARGIN[key], source=f"{BALDUZZI}, Fig. 1 (feedforward gradients shatter to white noise)",
                kind="empirical", not_judged=few,
                note="a tenth of the way from white noise to brown noise: closer than that is white for this claim"))
    if "residual_bn" in sh["archs"]:
        claims.append(claim_equivalent(
            "residual_bn_between_brown_and_white", f"residual + BatchNorm, {deepest} hidden layers: spectral slope "
            "of the gradient strictly between brown noise (-2) and white noise (0)",
            _at(sh, "spectral_slope", "residual_bn", deepest), 1.0, predicted=-1.0,
            source=f"{BALDUZZI}, Fig. 1 ('between brown and white')", kind="empirical", not_judged=few,
            note="within 1 of -1 = strictly inside (-2, 0): each end shown by a one-sided t test at alpha"))
    for res, plain in (("residual", "plain"), ("residual_bn", "plain_bn")):
        if res in sh["archs"] and plain in sh["archs"]:
            k = depths.index(deepest)
            # the same seeds draw the networks of every architecture: paired differences per network
            diff = np.asarray(sh["rho1_runs"][res][k]) - np.asarray(sh["rho1_runs"][plain][k])
            claims.append(claim_effect(
                f"{res}_more_coherent", f"{deepest} hidden layers: lag-1 autocorrelation of {label(res)} minus "
                f"{label(plain)} > 0 (skip connections keep gradients coherent)", diff, 0.0,
                source=f"{BALDUZZI}, Fig. 1", note="paired over networks (the same seeds draw both architectures)"))
    if "plain" in sh["archs"]:
        rho = _at(sh, "rho1", "plain", deepest)
        co = float(np.mean(_at(sh, "coactive", "plain", deepest)))
        claims.append(observation(
            "plain_relu_1d_does_not_shatter", f"plain ReLU without BatchNorm, {deepest} hidden layers: lag-1 "
            f"autocorrelation of the 1-D gradient (co-activation ratio of neighbours: {co:.3f})", float(np.mean(rho)),
            source=f"this study; against the hypothesis of {BALDUZZI}, Thm 1",
            spread=spread_of(rho) if len(rho) > 1 else None,
            note="with the uniform biases used here its units stop kinking along the line (neighbours share their "
                 "patterns, ratio near 1), so Thm 1's independence assumption fails and the gradient stays correlated"))
    return claims


def study_claims(tr, init, sh) -> list:
    """Every claim of the study, in table order."""
    return _train_claims(tr) + _drift_claims(init) + _shatter_claims(sh)
