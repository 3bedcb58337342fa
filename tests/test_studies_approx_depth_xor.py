"""The approximation, depth and XOR studies: CLI end to end in quick mode, reproducibility, rendering from
the record alone, and the exact pieces each study rests on (piece counts, staircase rates, the linear XOR limit)."""
import csv
import json
from fractions import Fraction

import numpy as np
import pytest

from ffbench import data
from ffbench.studies import approximation, depth, xor
from ffbench.studies import framework as fw

STUDIES = {"xor": xor, "approximation": approximation, "depth": depth}
FIGURES = {
    "xor": ["xor_boundaries", "xor_accuracy", "xor_claims"],
    "approximation": ["approximation_staircase", "approximation_staircase_error", "approximation_trained",
                      "approximation_barron", "approximation_claims"],
    "depth": ["depth_sawtooth", "depth_shallow", "depth_compare", "depth_claims"],
}
CLAIMS = {
    "xor": {"separable_labelings", "linear_max_accuracy", "lstsq_constant", "logistic_accuracy",
            "noisy_linear_accuracy", "hidden_sigmoid", "hidden_tanh", "hidden_relu", "success_rate_widest"},
    "approximation": {"staircase_sin_sup_slope", "staircase_sin_l2_slope", "staircase_step_sup_slope",
                      "staircase_step_l2_slope", "staircase_l2_decreasing", "trained_relu_l2_slope",
                      "maurey_variance_d1", "maurey_variance_d5", "barron_dimension_free", "barron_bound_ratio"},
    "depth": {"pieces_k8", "crossings_k8", "pieces_all_k", "mlp_exact", "shallow_exact_2k", "shallow_above_bound",
              "deep2_vs_shallow", "deep8_vs_shallow", "deep_narrow_best_mse", "deep_narrow_collapse"},
}
# Claims that are exact facts: they hold at any scale, quick mode included.
EXACT = {
    "xor": {"separable_labelings", "linear_max_accuracy", "lstsq_constant"},
    "approximation": {"staircase_sin_sup_slope", "staircase_sin_l2_slope", "staircase_step_sup_slope",
                      "staircase_step_l2_slope", "staircase_l2_decreasing"},
    "depth": {"pieces_k8", "crossings_k8", "pieces_all_k", "mlp_exact", "shallow_exact_2k"},
}
# Tiny configs for the reproducibility test (the same code paths, a few runs each).
TINY = {
    "xor": {"activations": ["tanh"], "widths": [2], "repeats": 2, "epochs": 50, "grid": 5},
    "approximation": {"staircase_targets": ["sin"], "staircase_n": [4, 8], "eval_points": 101, "picture_target": "sin",
                      "trained_activations": ["tanh"], "trained_widths": [2, 4], "trained_points": 32, "epochs": 50,
                      "shown_widths": [2], "barron_dims": [2, 3], "barron_n": [10, 20], "barron_repeats": 2,
                      "barron_test_points": 100},
    "depth": {"max_k": 3, "shallow_k": [2], "shallow_widths": [2, 4], "points": 64, "epochs": 30, "compare_k": 2,
              "compare_widths": [2], "compare_repeats": 1, "picture_k": [1]},
}


def numbers(record):
    return {k: record[k] for k in ("config", "claims", "data", "table", "runs")}


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory):
    """Each study run once through its command line in quick mode: {name: (out dir, record)}."""
    out = {}
    for name, study in STUDIES.items():
        d = tmp_path_factory.mktemp(name)
        out[name] = (d, fw.main(study, ["--quick", "--out", str(d), "--format", "png,svg"]))
    return out


@pytest.mark.parametrize("name", list(STUDIES))
def test_cli_end_to_end_quick(quick_runs, name):
    out, record = quick_runs[name]
    study = STUDIES[name]
    assert record["study"] == name and record["quick"] is True
    assert json.loads((out / f"{name}.json").read_text()) == record
    assert record["config"] == fw.resolve_config(study, quick=True)
    for stem in FIGURES[name]:
        for fmt in ("png", "svg"):
            assert (out / f"{stem}.{fmt}").stat().st_size > 0, stem
    with open(out / f"{name}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows
    claims = {c["name"]: c for c in record["claims"]}
    assert CLAIMS[name] <= set(claims)
    for c in claims.values():
        assert {"measured", "predicted", "tolerance", "relation", "holds", "source", "kind"} <= set(c)
        assert c["source"] and c["kind"], c["name"]
    for key in EXACT[name]:
        assert claims[key]["holds"], claims[key]
    # quick mode never prints a verdict its grid cannot back
    assert [c["name"] for c in claims.values() if c["verdict"] == "FAILS"] == []


@pytest.mark.parametrize("name", list(STUDIES))
def test_render_from_record_alone(quick_runs, tmp_path, name):
    out, _ = quick_runs[name]
    written = {f"{stem}.{fmt}": (out / f"{stem}.{fmt}").read_bytes()
               for stem in FIGURES[name] for fmt in ("png", "svg")}
    # The same formats in the same order as the run: a PNG drawn first settles the layout the SVG gets.
    paths = fw.render_record(STUDIES[name], out / f"{name}.json", tmp_path, ["png", "svg"])
    assert {p.name: p.read_bytes() for p in paths} == written


@pytest.mark.parametrize("name", list(STUDIES))
def test_same_seed_same_numbers(tmp_path, name):
    study = STUDIES[name]
    config = {**study.DEFAULTS, **TINY[name]}
    a = fw.run_study(study, config, tmp_path / "a", plot=False)
    b = fw.run_study(study, config, tmp_path / "b", plot=False)
    assert numbers(a) == numbers(b)
    assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()
    c = fw.run_study(study, {**config, "seed": 1}, tmp_path / "c", plot=False)
    assert c["data"] != a["data"]


# ------------------------------------------------------------------------------------ exact pieces

@pytest.mark.parametrize("k", range(1, 8))
def test_tent_map_pieces_and_crossings_are_2_to_the_k(k):
    knots, values = depth.exact_pwl(*depth.tent_network(k))
    assert depth.count_pieces(knots, values) == 2 ** k
    assert depth.count_crossings(values) == 2 ** k
    xs = np.array([float(x) for x in knots])
    exact = np.array([float(v) for v in values])
    np.testing.assert_array_equal(depth.tent_mlp(k).forward(xs[:, None])[:, 0], exact)
    np.testing.assert_array_equal(data.target("sawtooth", k=k)(xs), exact)
    s_knots, s_values = depth.exact_pwl(*depth.shallow_exact(k))
    assert depth.count_pieces(s_knots, s_values) == 2 ** k
    assert s_values == [Fraction(float(v)) for v in data.target("sawtooth", k=k)(np.array([float(x) for x in s_knots]))]


def test_piece_counting_on_known_functions():
    # relu(x - 1/4) - relu(x - 3/4): three pieces, slopes 0, 1, 0, crossing 1/2 never (max 1/2 reached on a piece)
    w = [np.array([[1.0, 1.0]]), np.array([[1.0], [-1.0]])]
    b = [np.array([-0.25, -0.75]), np.array([0.0])]
    knots, values = depth.exact_pwl(w, b)
    assert knots == [0, Fraction(1, 4), Fraction(3, 4), 1]
    assert depth.count_pieces(knots, values) == 3
    assert depth.count_crossings(values, Fraction(1, 4)) == 1


def test_piece_lower_bound():
    assert depth.piece_lower_bound(3, 2) == 0            # 2^(k-1) - w - 2 = 0
    assert depth.piece_lower_bound(5, 10) == 4 / 128
    # a constant 1/2 (w = 0 units) has L1 error exactly 1/4 >= the bound, for every k
    for k in range(2, 9):
        assert depth.piece_lower_bound(k, 0) <= 0.25


def test_compare_architectures_have_equal_parameters():
    for k, width in ((5, 2), (4, 4)):
        deep, shallow = depth.compare_architectures(k, width)
        count = lambda sizes: sum((m + 1) * n for m, n in zip(sizes[:-1], sizes[1:]))  # noqa: E731
        assert 0 <= count(shallow) - count(deep) <= 2
    assert depth.compare_architectures(5, 2) == ([1, 2, 2, 2, 2, 2, 1], [1, 10, 1])


def test_staircase_error_decreases_like_one_over_n():
    f = data.target("sin")
    x = np.linspace(-1, 1, 4001)
    errs = [np.max(np.abs(approximation.staircase_eval(x, *approximation.staircase(f, n, 10.0)) - f(x)))
            for n in (8, 16, 32, 64, 128)]
    assert all(np.diff(errs) < 0)
    assert approximation.loglog_slope([8, 16, 32, 64, 128], errs) == pytest.approx(-1.0, abs=0.1)
    offset, weights, centres, _ = approximation.staircase(f, 4, 10.0)
    assert offset == f(np.array([-1.0]))[0] and len(weights) == len(centres) == 4
    assert centres.tolist() == [-0.75, -0.25, 0.25, 0.75]


def test_barron_constants_and_representation():
    assert approximation.barron_constant(1) == pytest.approx(np.sqrt(2 / np.pi))
    assert approximation.barron_constant(3) == pytest.approx(2 * np.sqrt(2 / np.pi))
    for d in (1, 3):
        assert approximation.total_variation(d, 1.0) <= 2 * approximation.barron_constant(d)
    assert approximation.cap_fraction(0.0, 4) == pytest.approx(0.5)
    assert approximation.cap_fraction(1.0, 4) == pytest.approx(0.0)
    # f(x) - f(0) = V E_p[sign H(u.x - r t)]: the Monte Carlo mean matches the target
    rng = np.random.default_rng(0)
    d, r = 2, 1.0
    x = approximation.ball_points(rng, 200, d, r)
    assert np.all(np.linalg.norm(x, axis=1) <= r)
    u, t, sign = approximation.sample_units(rng, 40_000, d, r)
    estimate = approximation.total_variation(d, r) * ((x @ u.T > r * t) * sign).mean(axis=1)
    assert np.abs(estimate - (np.exp(-0.5 * (x * x).sum(1)) - 1)).max() < 0.05


def test_linear_classifier_gets_at_most_three_xor_corners():
    corners, labels = data.xor()
    table = xor.separable_labelings(corners)
    separable = [lab for lab, ok in table if ok]
    assert len(table) == 16 and len(separable) == 14
    assert (0, 1, 1, 0) not in separable and (1, 0, 0, 1) not in separable
    assert max(np.mean(np.array(lab) == labels) for lab in separable) == 0.75
    assert xor.best_line(corners, labels)[0] <= 0.75
    X, y = data.xor(10, 0.1, seed=3)
    assert xor.best_line(X, y)[0] <= 0.75 + 0.05
    # a linearly separable set gets 100%
    assert xor.best_line(X, (X[:, 0] > 0.5).astype(np.int64))[0] == 1.0


def test_barron_radius_fixes_the_bound_and_maurey_variance_sits_under_it():
    for d in (1, 2, 5, 10, 20):
        r = approximation.barron_radius(1.0, d)
        assert (2 * r * approximation.barron_constant(d)) ** 2 == pytest.approx(4.0)
        # the variance is at most V^2 and V <= 2 r C_f: Barron's bound holds by construction
        assert approximation.total_variation(d, r) <= 2 * r * approximation.barron_constant(d)


def test_maurey_variance_matches_a_plain_step_sampler():
    # Independent of the sigmoids and of the study's summary: steps H(u.x - r t) drawn from p, the squared
    # error averaged over many draws, against V^2 E[mu(cap)] - ||f - f(0)||^2 by quadrature.
    rng = np.random.default_rng(1)
    d, n, repeats = 3, 50, 400
    r = approximation.barron_radius(1.0, d)
    V = approximation.total_variation(d, r)
    _, t_big, _ = approximation.sample_units(rng, 200_000, d, r)
    exact = V ** 2 * np.mean(approximation.cap_fraction(t_big, d)) - approximation.residual_norm2(d, r)
    x = approximation.ball_points(rng, 20_000, d, r)
    fx = np.exp(-0.5 * (x * x).sum(1))
    n_mse = []
    for _ in range(repeats):
        u, t, sign = approximation.sample_units(rng, n, d, r)
        approx = 1.0 + (V / n) * ((x @ u.T > r * t) * sign).sum(1)
        n_mse.append(n * np.mean((approx - fx) ** 2))
    assert abs(np.mean(n_mse) - exact) < 4 * np.std(n_mse) / np.sqrt(repeats)


def _verdicts(claims):
    return {c.name: c.verdict for c in claims}


def test_barron_claims_fail_when_the_error_grows_with_d():
    config = {**approximation.DEFAULTS, "barron_dims": [1, 5, 10], "barron_n": [10, 100], "barron_repeats": 4}
    specs = [s for s in approximation.runs(config) if s["kind"] == "barron"]

    def pairs(n_mse_of_d, variance_of_d):
        spread = [1 + 0.01 * (k - 1.5) for k in range(4)]  # mean exactly 1
        return [(s, {"n_mse": [[n_mse_of_d(s["dim"]) * f for f in spread] for _ in config["barron_n"]],
                     "V": 1.0, "C_f": 1.0, "radius": 1.0, "bound": 4.0, "maurey_variance": variance_of_d(s["dim"])})
                for s in specs]
    good = _verdicts(approximation._summarize_barron(config, pairs(lambda d: 0.1 / d, lambda d: 0.1 / d))[3])
    assert good == {"maurey_variance_d1": "holds", "maurey_variance_d5": "holds", "maurey_variance_d10": "holds",
                    "barron_dimension_free": "holds", "barron_bound_ratio": "observed"}
    # the curse of dimensionality: the error grows with d, and it misses the exact variance
    bad = _verdicts(approximation._summarize_barron(config, pairs(lambda d: 0.1 * d, lambda d: 0.1))[3])
    assert bad["barron_dimension_free"] == "FAILS" and bad["maurey_variance_d5"] == "FAILS"


def test_staircase_claims_fail_on_a_wrong_rate():
    config = {**approximation.DEFAULTS, "staircase_targets": ["sin", "step"], "staircase_n": [4, 8, 16, 32]}
    n = np.asarray(config["staircase_n"], float)
    specs = [s for s in approximation.runs(config) if s["kind"] == "staircase"]
    rates = {"sin": n ** -0.5, "step": n ** -0.5}  # sin decaying like a discontinuous function would
    pairs = [(s, {"sup": rates[s["target"]], "l2": rates[s["target"]]}) for s in specs]
    v = _verdicts(approximation._summarize_staircase(config, pairs)[4])
    assert v["staircase_sin_sup_slope"] == "FAILS" and v["staircase_step_sup_slope"] == "FAILS"
    assert v["staircase_step_l2_slope"] == "holds"


def test_depth_exact_claims_fail_on_a_wrong_count():
    config = {**depth.DEFAULTS, "max_k": 3}
    specs = [s for s in depth.runs(config) if s["kind"] == "exact"]
    results = [depth.run(s) for s in specs]
    assert set(_verdicts(depth._summarize_exact(config, list(zip(specs, results)))[3]).values()) == {"holds"}
    results[-1] = {**results[-1], "pieces": 7, "mlp_max_error": 1e-3}
    v = _verdicts(depth._summarize_exact(config, list(zip(specs, results)))[3])
    assert v["pieces_k3"] == v["pieces_all_k"] == v["mlp_exact"] == "FAILS"


def test_piece_count_bound_holds_for_every_shallow_net():
    """int_0^1 |f - T^k| >= piece_lower_bound(k, w) for any 1-hidden-layer ReLU net of width w: random nets and the
    least-squares output layer on random knots (near-optimal for their knots), on a fine grid."""
    rng = np.random.default_rng(5)
    x = np.linspace(0.0, 1.0, 2 ** 14 + 1)
    for k in (5, 6, 7):
        target = depth.tent_mlp(k).forward(x[:, None])[:, 0]
        for w in (2, 4, 8):
            bound = depth.piece_lower_bound(k, w)
            assert bound > 0
            for _ in range(50):
                knots = rng.uniform(0, 1, w)
                signs = rng.choice([-1.0, 1.0], w)
                features = np.column_stack([np.maximum(signs * (x[:, None] - knots), 0.0), np.ones_like(x)])
                fitted = features @ np.linalg.lstsq(features, target, rcond=None)[0]
                random = features @ rng.standard_normal(w + 1)
                for f in (fitted, random):
                    assert np.trapezoid(np.abs(f - target), x) >= bound * (1 - 1e-3), (k, w)


def test_depth_shallow_ratio_is_an_observation():
    config = {**depth.DEFAULTS, "shallow_k": [5], "shallow_widths": [2, 4]}
    specs = [s for s in depth.runs(config) if s["kind"] == "shallow"]
    fake = lambda s, err: {"lstsq_l1": err, "trained_l1": err, "lstsq_rms": err, "trained_rms": err,  # noqa: E731
                           "final_loss": err, "bound": depth.piece_lower_bound(5, s["width"])}
    (claim,) = depth._summarize_shallow(config, [(s, fake(s, 0.25)) for s in specs])[3]
    assert claim.verdict == "observed" and claim.measured == pytest.approx(0.25 / depth.piece_lower_bound(5, 2))


def test_a_network_with_a_dead_layer_is_constant():
    model = depth.tent_mlp(3)
    x = np.linspace(-1, 1, 33)[:, None]
    assert not depth.is_constant(model.forward(x))
    model.biases[1] = np.full_like(model.biases[1], -10.0)  # layer 2 dead for every input in [-1, 1]
    assert depth.is_constant(model.forward(x))


def test_xor_claims_fail_on_wrong_facts():
    config = {**xor.DEFAULTS, "activations": ["tanh"], "widths": [2, 4]}
    lin = {"separable": [[0, 0, 0, 0]] * 13, "separable_agreement": [0.5] * 12 + [1.0], "lstsq_pred": [0.5, 0.4],
           "logistic_corner_accuracy": 0.5, "noisy_best_accuracy": 0.8}
    v = _verdicts(xor._claims_linear(config, lin, 100))
    assert v == {"separable_labelings": "FAILS", "linear_max_accuracy": "FAILS", "lstsq_constant": "FAILS",
                 "logistic_accuracy": "observed", "noisy_linear_accuracy": "observed"}
    def hidden(solved_of_30):  # the success rate judged at the widest width, shown above 1/2 or not
        accuracies = {"tanh": {"2": [0.75] * 30, "4": [1.0] * solved_of_30 + [0.75] * (30 - solved_of_30)}}
        return _verdicts(xor._claims_hidden(config, accuracies, {"tanh": {"2": 0.0, "4": solved_of_30 / 30}}))
    assert hidden(30) == {"hidden_tanh": "holds", "success_rate_widest": "observed"}
    assert hidden(0)["hidden_tanh"] == hidden(8)["hidden_tanh"] == "FAILS"  # shown below 1/2
    assert hidden(18)["hidden_tanh"] == "not judged"  # 60%: 30 seeds cannot show it above 1/2 at alpha 0.01
