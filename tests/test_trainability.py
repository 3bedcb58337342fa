"""ffbench.theory.depth_scale against independent quadrature and its limits; the trainability study end to end
(quick), its measurements on known cases, and claims that can fail."""
import math

import mpmath as mp
import numpy as np
import pytest

from ffbench import theory
from ffbench.studies import framework as fw
from ffbench.studies import trainability as tr
from ffbench.studies.trainability import analysis, experiment

SIGMA_B2 = 0.05


# --------------------------------------------------------------------------------- independent numbers

def _gauss_mean(f):
    """E[f(z)], z ~ N(0, 1), by mpmath's tanh-sinh quadrature (not Gauss-Hermite)."""
    return mp.quad(lambda z: f(z) * mp.exp(-z * z / 2), [-mp.inf, 0, mp.inf]) / mp.sqrt(2 * mp.pi)


def _q_star(s2, b2):
    return mp.findroot(lambda q: s2 * _gauss_mean(lambda z: mp.tanh(mp.sqrt(q) * z) ** 2) + b2 - q, 1)


def _chi_1(s2, b2):
    q = _q_star(s2, b2)
    return s2 * _gauss_mean(lambda z: mp.sech(mp.sqrt(q) * z) ** 4)


def _pair_mean(f, g, q, c, half_width=10.0, step=0.02):
    """E[f(u1) g(u2)] by the trapezoidal rule on a square grid (spectrally accurate for these analytic,
    Gaussian-weighted integrands, and independent of Gauss-Hermite)."""
    z = np.arange(-half_width, half_width + step / 2, step)
    w = np.exp(-z * z / 2) * step / math.sqrt(2 * math.pi)
    r, s = math.sqrt(q), math.sqrt(1 - c * c)
    return float(w @ (f(r * z)[:, None] * g(r * (c * z[:, None] + s * z[None, :]))) @ w)


def _sech2(u):
    return 1.0 / np.cosh(np.clip(u, -300, 300)) ** 2


def test_issue_numbers_by_independent_quadrature():
    """tanh, sigma_b^2 = 0.05: critical sigma_w^2 1.7610, chi_1 = 0.9386 at 1.5 (issue 16), by mpmath."""
    mp.mp.dps = 20
    critical = mp.findroot(lambda s2: _chi_1(s2, SIGMA_B2) - 1, 1.7)
    assert abs(float(critical) - 1.7610) < 5e-5
    assert theory.critical_sigma_w2("tanh", SIGMA_B2) == pytest.approx(float(critical), rel=1e-10)
    assert abs(float(_chi_1(1.5, SIGMA_B2)) - 0.9386) < 5e-5
    ds = theory.depth_scale("tanh", 1.5, SIGMA_B2)
    assert ds.chi_1 == pytest.approx(float(_chi_1(1.5, SIGMA_B2)), rel=1e-12)
    assert ds.q_star == pytest.approx(float(_q_star(1.5, SIGMA_B2)), rel=1e-12)
    assert (ds.c_star, ds.chi_c, ds.xi_c) == (1.0, ds.chi_1, -1 / math.log(ds.chi_1))  # ordered phase


def test_chaotic_fixed_point_by_independent_quadrature():
    """c* = 0.2993 at sigma_w^2 = 3.0 (issue 16): the trapezoidal correlation map has its fixed point there,
    and chi_c is the slope of that map."""
    ds = theory.depth_scale("tanh", 3.0, SIGMA_B2)
    mp.mp.dps = 20
    q = float(_q_star(3.0, SIGMA_B2))
    assert ds.q_star == pytest.approx(q, rel=1e-10)  # 160-node Gauss-Hermite: ~1e-12 at this q (tanh's poles)

    def c_map(c):
        return (3.0 * _pair_mean(np.tanh, np.tanh, q, c) + SIGMA_B2) / q

    c = 0.2993  # one Newton step from the issue's value with the independent map and slope
    slope = 3.0 * _pair_mean(_sech2, _sech2, q, c)
    c_indep = c - (c_map(c) - c) / (slope - 1)
    assert abs(c_indep - 0.2993) < 5e-5
    assert ds.c_star == pytest.approx(c_indep, abs=1e-9)
    assert ds.chi_c == pytest.approx(3.0 * _pair_mean(_sech2, _sech2, q, ds.c_star), rel=1e-9)
    assert ds.chi_c == pytest.approx((c_map(ds.c_star + 1e-4) - c_map(ds.c_star - 1e-4)) / 2e-4, rel=1e-6)
    assert ds.xi_c == pytest.approx(-1 / math.log(ds.chi_c))


def test_xi_q_is_the_slope_of_the_length_map():
    for s2 in (0.5, 1.5, 3.0):
        ds = theory.depth_scale("tanh", s2, SIGMA_B2)
        h = 1e-5 * ds.q_star
        slope = (theory.q_map("tanh", ds.q_star + h, s2, SIGMA_B2)
                 - theory.q_map("tanh", ds.q_star - h, s2, SIGMA_B2)) / (2 * h)
        assert ds.chi_q == pytest.approx(slope, rel=1e-7)
        assert ds.xi_q == pytest.approx(-1 / math.log(slope), rel=1e-6)


# --------------------------------------------------------------------------------- limits

@pytest.mark.parametrize("side", [-1, 1])
def test_xi_c_diverges_at_the_critical_line(side):
    """From either side xi_c grows without bound, as 1 / |chi_1 - 1| (the slope at the fixed point moves away
    from 1 linearly on both sides of a transcritical bifurcation)."""
    s_c = theory.critical_sigma_w2("tanh", SIGMA_B2)
    xis = []
    for k in (2, 3, 4):
        ds = theory.depth_scale("tanh", s_c + side * 10.0 ** -k, SIGMA_B2)
        assert (ds.c_star == 1.0) == (side < 0)
        assert ds.xi_c * abs(ds.chi_1 - 1) == pytest.approx(1.0, abs=0.02)
        xis.append(ds.xi_c)
    assert xis[0] > 100 and xis[1] > 9 * xis[0] and xis[2] > 9 * xis[1]


def test_no_bias_limits_are_exact():
    """sigma_b = 0: q* = 0 and xi_c = -1 / ln sigma_w^2 in the ordered linear regime; c* = 0 beyond, where the
    two inputs are independent and chi_c = sigma_w^2 E[phi'(u)]^2."""
    for s2 in (0.3, 0.6, 0.9):
        ds = theory.depth_scale("tanh", s2, 0.0)
        assert ds.q_star == 0.0 and ds.c_star == 1.0
        assert ds.xi_c == pytest.approx(-1 / math.log(s2), rel=1e-12)
    ds = theory.depth_scale("tanh", 2.0, 0.0)
    mp.mp.dps = 20
    q = float(_q_star(2.0, 0.0))
    assert ds.c_star == 0.0
    assert ds.chi_c == pytest.approx(2.0 * float(_gauss_mean(lambda z: mp.sech(mp.sqrt(q) * z) ** 2)) ** 2,
                                     rel=1e-10)


def test_relu_without_fixed_point_gives_nan():
    ds = theory.depth_scale("relu", 2.5, SIGMA_B2)
    assert math.isinf(ds.q_star) and math.isnan(ds.xi_c)
    ordered = theory.depth_scale("relu", 1.5, SIGMA_B2)  # a linear length map: chi_q = chi_1 = sigma_w^2 / 2
    assert ordered.chi_1 == pytest.approx(0.75) and ordered.chi_q == pytest.approx(0.75)


def test_critical_sigma_w2_rejects_a_bracket_without_crossing():
    with pytest.raises(ValueError, match="does not cross"):
        theory.critical_sigma_w2("tanh", SIGMA_B2, lo=0.1, hi=1.0)


# --------------------------------------------------------------------------------- the study's measurements

def test_decay_fit_recovers_an_exponential():
    layers = np.arange(200)
    assert experiment._decay_xi(0.5 * np.exp(-layers / 7.0)) == pytest.approx(7.0)
    assert math.isnan(experiment._decay_xi(0.5 * np.exp(-layers / 500.0)))  # never falls to 1/1000: not measured


def test_slope_fit_recovers_a_known_map():
    rng = np.random.default_rng(0)
    c = [rng.uniform(0.1, 0.5, 64)]
    for _ in range(8):  # c' - c* = 0.9 (c - c*) + 0.3 (c - c*)^2 plus a shift common to every pair
        c.append(0.3 + 0.9 * (c[-1] - 0.3) + 0.3 * (c[-1] - 0.3) ** 2 + rng.normal(0, 0.05))
    assert experiment._slope_xi(np.array(c), 0.3) == pytest.approx(-1 / math.log(0.9), rel=1e-9)


@pytest.mark.parametrize("sigma_w2", [1.0, 3.0])
def test_probe_measures_xi_c_at_init(sigma_w2):
    """A width-300 probe measures xi_c within 25% in either phase (one network)."""
    spec = {"sigma_w2": sigma_w2, "sigma_b2": SIGMA_B2, "width": 300, "depth": 120, "pairs": 64, "start": 0.5,
            "slope_layers": 8, "seed": 1}
    xi = experiment.measured_xi(fw.roundtrip(experiment._probe(spec), "result"))
    assert xi == pytest.approx(theory.depth_scale("tanh", sigma_w2, SIGMA_B2).xi_c, rel=0.25)


# --------------------------------------------------------------------------------- the study end to end

@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("trainability")
    record = fw.main(tr, ["--quick", "--threads", "1", "--out", str(out), "--format", "png"])
    return out, record


def test_quick_run_through_the_framework(quick):
    out, record = quick
    assert (out / "trainability.json").exists() and (out / "trainability.png").exists()
    data = record["data"]
    s_c = theory.critical_sigma_w2("tanh", SIGMA_B2)
    assert data["critical_sigma_w2"] == s_c and s_c in data["sigma_w2"]
    acc = np.asarray(data["accuracy"], dtype=float)
    assert acc.shape == (len(data["sigma_w2"]), len(data["depths"]))
    assert np.all((acc >= 0) & (acc <= 1))
    names = {c["name"] for c in record["claims"]}
    assert {"xi_c_follows_theory", "boundary_6_xi_c", "deep_trains_only_near_criticality",
            "critical_trains_at_every_depth"} <= names
    lrs = record["config"]["training"]["lrs"]
    assert np.asarray(data["accuracy_by_lr"]).shape == acc.shape + (len(lrs),)
    assert {lr for row in data["chosen_lr"] for lr in row} <= set(lrs)
    assert all(c["source"] and c["kind"] for c in record["claims"])


def test_render_from_record_alone(quick, tmp_path):
    out, _ = quick
    paths = fw.render_record(tr, out / "trainability.json", tmp_path, ["png"])
    assert [p.name for p in paths] == ["trainability.png", "trainability_claims.png"]


def _claims(accuracy, xi_measured, config=None):
    """The study's claims for a synthetic grid: per-seed accuracies (sigma, depth, seed) and measured xi_c."""
    config = config or fw.resolve_config(tr, quick=True)
    sigmas = tr.grid(config)
    rows = {s2: theory.depth_scale("tanh", s2, config["sigma_b2"])._asdict() for s2 in sigmas}
    bound = np.array([6 * rows[s2]["xi_c"] for s2 in sigmas])
    xi = {s2: list(x) for s2, x in zip(sigmas, xi_measured)}
    claims = analysis._claims(config, sigmas, config["depths"], np.asarray(accuracy, dtype=float), bound, 0.2, xi,
                        rows, tr.critical(config))
    return {c.name: c for c in claims}, config, sigmas, bound


def test_claims_can_fail():
    """Every judged claim holds on a grid that follows the paper and FAILS on one that contradicts it."""
    config = fw.resolve_config(tr, quick=True)
    config["depths"] = [2, 4, 8, 16, 32, 64, 128, 256, 512]
    sigmas = tr.grid(config)
    depths = np.array(config["depths"])
    rows = [theory.depth_scale("tanh", s2, config["sigma_b2"]).xi_c for s2 in sigmas]
    seeds = config["seeds"]
    follows = np.array([[0.5 if d < 6 * xi else 0.1 for d in depths] for xi in rows])[:, :, None].repeat(seeds, 2)
    follows += np.random.default_rng(0).normal(0, 0.01, follows.shape)
    exact = [[xi * (1 + 0.01 * (-1) ** k) for k in range(config["probe"]["seeds"])] for xi in rows]
    good, *_ = _claims(follows, exact, config)
    judged = {"boundary_6_xi_c", "deep_trains_only_near_criticality", "critical_trains_at_every_depth",
              "xi_c_follows_theory"}
    assert {name for name, c in good.items() if c.kind != "observation"} == judged
    assert all(good[name].verdict == "holds" for name in judged), {n: good[n].verdict for n in judged}
    inverted = 0.6 - follows  # trains exactly where it should not
    doubled = [[2 * x for x in row] for row in exact]
    bad, *_ = _claims(inverted, doubled, config)
    assert all(bad[name].verdict == "FAILS" for name in judged), {n: bad[n].verdict for n in judged}
    # one deep network far from criticality that trains refutes "only near criticality", and nothing else
    one = follows.copy()
    one[0, -1, :] = 0.5
    single, *_ = _claims(one, exact, config)
    assert single["deep_trains_only_near_criticality"].verdict == "FAILS"
    assert single["boundary_6_xi_c"].verdict == "holds"


def test_each_cell_takes_the_lr_of_lowest_training_loss():
    """(sigma, depth, lr, seed) losses: the mean over seeds decides, a diverged (NaN) run never wins, ties go to
    the smaller lr."""
    loss = np.array([[[[1.0, 3.0], [1.5, 1.5], [np.nan, 0.1]]]])
    assert analysis.choose_lr(loss).tolist() == [[1]]
    assert analysis.choose_lr(np.ones((1, 1, 3, 2))).tolist() == [[0]]


def test_boundary_errors_name_the_misclassified_cells():
    bound = np.array([12.0, 600.0])         # 6 xi_c of two sigma_w^2
    acc = np.array([[0.5, 0.5, 0.5],        # L = 64 trains at 6 xi_c = 12: wrong (factor 5.3 beyond)
                    [0.5, 0.1, 0.5]])       # L = 16 at chance with 6 xi_c = 600: wrong
    errors = analysis.boundary_errors([1.0, 1.7], [2, 16, 64], acc, bound, 0.2, 2.0)
    assert [(e["sigma_w2"], e["depth"], e["trains"]) for e in errors] == [(1.0, 64, True), (1.7, 16, False)]
