"""The initialisation study: quick end to end, rendering from the record alone, every judged claim fails on a
measurement that contradicts it, the Jacobian and its spectrum against independent computations."""
import json
import math

import numpy as np
import pytest

from ffbench import MLP
from ffbench.studies import framework as fw
from ffbench.studies import initialisation as study
from ffbench.studies.initialisation import glorot, he, isometry

FIGURES = ["initialisation_he", "initialisation_glorot", "initialisation_histograms", "initialisation_isometry"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("initialisation")
    return out, fw.main(study, ["--quick", "--threads", "1", "--out", str(out)])


def test_quick_end_to_end(quick):
    out, record = quick
    assert record["quick"] is True and record["runs"] == len(study.runs(record["config"]))
    assert json.loads((out / "initialisation.json").read_text()) == record
    for stem in FIGURES:
        assert (out / f"{stem}.png").stat().st_size > 0
    for c in record["claims"]:
        assert c["source"] and c["kind"] and c["measured"] is not None, c["name"]
        assert c["verdict"] != "FAILS" or c["kind"] == "empirical", c  # a theorem failing at quick scale is a bug


def test_render_from_record_alone(quick, tmp_path):
    out, _ = quick
    paths = fw.render_record(study, out / "initialisation.json", tmp_path, ["png"])
    assert {p.name for p in paths} >= {f"{s}.png" for s in FIGURES}
    for p in paths:
        assert p.read_bytes() == (out / p.name).read_bytes()


# ------------------------------------------------------------------ every judged claim can fail

def _judged(claims):
    return [c for c in claims if c.kind != "observation"]


def test_he_claims_fail_when_the_one_over_n_net_learns_first():
    c = study.DEFAULTS["he"]
    rng = np.random.default_rng(0)
    loss = lambda level: (level + 0.01 * rng.standard_normal((6, 5))).tolist()  # noqa: E731
    curves = {"lecun_normal": {"start": [100.0, 150, 100, 120, 100, 110], "loss": loss(0.5),
                               "log2_signal": [[-20.0, -5.0]] * 6},
              "he_normal": {"start": [2050.0] * 6, "loss": loss(2.3), "log2_signal": [[0.5, 0.0]] * 6}}
    claims = _judged(he._claims(c, 30, curves))
    assert len(claims) == 2 and all(cl.verdict == "FAILS" for cl in claims), claims
    curves["lecun_normal"], curves["he_normal"] = curves["he_normal"], curves["lecun_normal"]
    assert all(cl.verdict == "holds" for cl in _judged(he._claims(c, 30, curves)))


def _glorot_cells(reverse):
    """Cells where every Glorot & Bengio statement holds (or, reversed, is contradicted)."""
    sign = -1.0 if reverse else 1.0
    noise = np.array([0.0, 0.01, -0.01, 0.005])
    cell = lambda **kw: {k: (np.asarray(v) + noise).tolist() for k, v in kw.items()}  # noqa: E731
    top = [[0.5, 0.5 - sign * 0.3]] * 4
    err = {"sigmoid": (80.0, 80.0), "tanh": (50.0, 50.0 - sign * 15), "softsign": (45.0, 45.0 - sign * 1 + 0)}
    if reverse:
        err["sigmoid"], err["softsign"] = (20.0, 20.0), (60.0, 30.0)
    cells = {}
    for act in ("sigmoid", "tanh", "softsign"):
        std = cell(act_slope=[-0.55 * sign] * 4, grad_slope=[0.6 * sign] * 4, test_error=[err[act][0]] * 4)
        norm = cell(act_slope=[0.0 if not reverse else -0.6] * 4, grad_slope=[0.0 if not reverse else 0.6] * 4,
                    test_error=[err[act][1]] * 4)
        std["top_mean"] = norm["top_mean"] = top
        cells[act] = {"standard_uniform": std, "xavier_uniform": norm}
    return cells


def test_glorot_claims_hold_on_the_papers_picture_and_fail_on_its_reverse():
    c = study.DEFAULTS["glorot"]
    holding = _judged(glorot._claims(c, _glorot_cells(False)))
    assert holding and all(cl.verdict == "holds" for cl in holding), [cl for cl in holding if not cl.holds]
    failing = _judged(glorot._claims(c, _glorot_cells(True)))
    assert {cl.name for cl in failing} == {cl.name for cl in holding}
    assert all(cl.verdict == "FAILS" for cl in failing), [cl for cl in failing if cl.verdict != "FAILS"]


def test_isometry_claims_fail_on_a_wrong_spread_and_reversed_speeds():
    c = study.DEFAULTS["isometry"]
    crit = isometry.critical_point(c["sigma_b2"])
    depths = np.array(c["depths"], float)
    spectra = {w: {"depth": c["depths"], "var": (np.outer(depths, [1.0, 1.02, 0.98, 1.01]) * k).tolist()}
               for w, k in (("gaussian", 0.5), ("orthogonal", 1.3))}  # the slopes swapped
    t = c["training"]
    fast, slow = [[100.0, 110, 105, 100]] * 3, [[100.0, 110, 105, 100], [300.0, 320, 310, 290], [900.0, 950, 920, 980]]
    speed = {"gaussian": {"steps": fast}, "orthogonal": {"steps": slow}}
    claims = _judged(isometry._claims(c, crit, spectra, speed))
    assert len(claims) == 4 and all(cl.verdict == "FAILS" for cl in claims), claims
    right = {w: {"depth": c["depths"], "var": (np.outer(depths, [1.0, 1.01, 0.99, 1.0]) * crit["slope"][w]).tolist()}
             for w in ("gaussian", "orthogonal")}
    speed = {"gaussian": {"steps": slow}, "orthogonal": {"steps": fast}}
    assert all(cl.verdict == "holds" for cl in _judged(isometry._claims(c, crit, right, speed)))


# ------------------------------------------------------------------ the Jacobian and its spectrum

def _net(weights, n=12, depth=4, seed=3):
    crit = isometry.critical_point(0.05)
    rng = np.random.default_rng(seed)
    layers = isometry._layers(weights, n, n, depth, crit["sigma_w2"], 0.05, rng)
    return layers, np.tanh(rng.standard_normal(n) * math.sqrt(crit["q_star"]))


@pytest.mark.parametrize("weights", ["gaussian", "orthogonal"])
def test_jacobian_matches_finite_differences_and_the_mlp_backward_pass(weights):
    layers, h0 = _net(weights)

    def forward(h):
        for W, b in layers:
            h = np.tanh(h @ W + b)
        return h

    J = isometry.jacobian(layers, h0)
    eps = 1e-6
    fd = np.array([(forward(h0 + eps * e) - forward(h0 - eps * e)) / (2 * eps) for e in np.eye(len(h0))])
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-9)
    # ffbench's own backward pass: a last linear layer W = I, b = 0 outputs h_L; one-hot output gradients give J^T
    n = len(h0)
    model = MLP([n] * (len(layers) + 2), activation="tanh", init="orthogonal", seed=0)
    for l, (W, b) in enumerate(layers):
        model.weights[l][:], model.biases[l][:] = W, b
    model.weights[-1][:], model.biases[-1][:] = np.eye(n), 0.0
    model.forward(np.repeat(h0[None], n, axis=0))
    np.testing.assert_allclose(model.backward(np.eye(n)), J.T, rtol=1e-10, atol=1e-13)


def test_spectrum_moments_match_the_eigenvalues_of_j_jt():
    layers, h0 = _net("gaussian")
    J = isometry.jacobian(layers, h0)
    lam = np.linalg.eigvalsh(J @ J.T)
    m1, var = isometry.spectrum_moments(J)
    assert m1 == pytest.approx(lam.mean(), rel=1e-10)
    assert var == pytest.approx(np.mean((lam - lam.mean()) ** 2) / lam.mean() ** 2, rel=1e-8)


def test_critical_point_and_the_predicted_slopes():
    crit = isometry.critical_point(0.05)
    assert crit["sigma_w2"] * crit["mu1"] == pytest.approx(1.0, abs=1e-9)  # chi_1 = 1
    assert crit["slope"]["gaussian"] - crit["slope"]["orthogonal"] == pytest.approx(1.0)  # s_1: -1 against 0
    assert 1.0 < crit["mu2"] / crit["mu1"] ** 2 < 2.0


def test_fitted_slope_is_least_squares_through_the_origin():
    depths = [2, 8, 32]
    var = np.outer(depths, [1.0, 2.0])
    np.testing.assert_allclose(isometry.fitted_slopes(depths, var), [1.0, 2.0])


def test_config_file_equals_defaults():
    from pathlib import Path
    assert fw.load_toml(Path(__file__).parents[1] / "studies" / "initialisation.toml") == study.DEFAULTS
