"""The dead_relu and residual studies: CLI end to end (quick), reproducibility, rendering from the record alone,
and the exact pieces (born-dead formula against simulation, definitions on hand-built networks, the
shattered-gradient measures)."""
import csv
import json

import numba
import numpy as np
import pytest
from scipy import stats

from ffbench import MLP
from ffbench.studies import dead_relu, residual
from ffbench.studies import framework as fw

STUDIES = {"dead_relu": dead_relu, "residual": residual}
FIGURES = {"dead_relu": ["dead_relu_init", "dead_relu_born_dead", "dead_relu_rai", "dead_relu_trained"],
           "residual": ["residual_training", "residual_shattered", "residual_gradients"]}
CLAIMS = {"dead_relu": {"he_equals_xavier_at_init", "dead_units_grow_with_depth", "dead_fraction_below_one_input_bound",
                        "dead_at_input_exact", "born_dead_tends_to_one", "interval_within_one_input_bound",
                        "rai_reduces_born_dead", "relu_dead_grows_with_lr", "smooth_and_leaky_units_keep_gradient"},
          "residual": {"residual_trains_deep", "plain_fails_deep", "plain_trains_moderate", "residual_beats_plain_deep",
                       "plain_grad_at_init_no_vanishing", "shatter_rate_plain", "shatter_rate_residual",
                       "shatter_rate_plain_bn", "shatter_power_residual_bn", "residual_more_coherent",
                       "residual_bn_more_coherent", "plain_bn_white_noise", "residual_bn_brown_noise"}}
# Tiny full-pipeline configs for the reproducibility test (a config file, not --quick: QUICK would override it).
TINY = {
    "dead_relu": """seed = 3
[init]
inits = ["he_normal", "xavier_normal", "standard_uniform"]
widths = [3]
depth = 4
networks = 3
points = 16
[born]
widths = [2, 3]
depth = 5
networks = 50
interval_points = 9
[trained]
activations = ["relu", "gelu"]
lrs = [0.01, 0.1]
seeds = 1
widths = [8]
points = 32
epochs = 2
batch_size = 16
""",
    "residual": """seed = 3
[train]
depths = [2, 3]
width = 8
seeds = 1
points = 32
epochs = 2
batch_size = 16
lrs = [0.01]
[shatter]
depths = [1, 2]
width = 8
networks = 2
points = 32
""",
}


@pytest.fixture(scope="module", autouse=True)
def restore_threads():
    """The CLI runs below use --threads 1 (tiny networks: thread dispatch only costs); later test modules get
    the thread count back."""
    before = numba.get_num_threads()
    yield
    numba.set_num_threads(before)


def numbers(record):
    return {k: record[k] for k in ("config", "claims", "data", "table", "runs")}


@pytest.fixture(scope="module", params=sorted(STUDIES))
def quick(request, tmp_path_factory):
    name = request.param
    out = tmp_path_factory.mktemp(name)
    record = fw.main(STUDIES[name], ["--quick", "--threads", "1", "--out", str(out), "--format", "png,svg"])
    return name, out, record


def test_cli_quick_end_to_end(quick, capsys):
    name, out, record = quick
    module = STUDIES[name]
    assert record["quick"] is True and record["study"] == name and record["runs"] == len(module.runs(record["config"]))
    assert json.loads((out / f"{name}.json").read_text()) == record
    with open(out / f"{name}.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows and "part" in rows[0]
    for stem in FIGURES[name]:
        for fmt in ("png", "svg"):
            assert (out / f"{stem}.{fmt}").stat().st_size > 0, f"{stem}.{fmt}"
    claims = {c["name"]: c for c in record["claims"]}
    assert set(claims) == CLAIMS[name]
    for c in claims.values():
        assert c["measured"] is not None, c["name"]
        assert {"measured", "predicted", "tolerance", "relation", "holds", "description"} <= set(c)


@pytest.mark.parametrize("quick", ["dead_relu"], indirect=True)
def test_dead_relu_record_states_definitions(quick):
    _, _, record = quick
    defs = record["data"]["definitions"]
    assert {"dead_unit", "dead_layer_at_input", "born_dead", "gradient_dead_unit", "exact_one_input"} <= set(defs)
    born = record["data"]["born"]
    assert np.allclose(born["exact"], dead_relu.exact_dead_at_input(np.c_[born["widths"]], born["depths"]))
    claims = {c["name"]: c for c in record["claims"]}
    assert claims["he_equals_xavier_at_init"]["holds"] and claims["dead_at_input_exact"]["holds"]


def test_render_from_record_alone(quick, tmp_path):
    name, out, _ = quick
    paths = fw.render_record(STUDIES[name], out / f"{name}.json", tmp_path, ["png"])
    assert sorted(p.name for p in paths) == sorted(f"{s}.png" for s in FIGURES[name])
    for p in paths:
        assert p.read_bytes() == (out / p.name).read_bytes()


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_same_seed_same_numbers(name, tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY[name])
    args = ["--config", str(config), "--threads", "1", "--no-plot"]
    a = fw.main(STUDIES[name], [*args, "--out", str(tmp_path / "a")])
    b = fw.main(STUDIES[name], [*args, "--out", str(tmp_path / "b")])
    assert numbers(a) == numbers(b)
    assert (tmp_path / "a" / f"{name}.csv").read_bytes() == (tmp_path / "b" / f"{name}.csv").read_bytes()


# ------------------------------------------------------------------------------------- dead_relu exact pieces

def test_exact_born_dead_formula_matches_simulation():
    rng = np.random.default_rng(11)
    width, depth, nets = 3, 8, 4000
    W_in, W_hidden, B = dead_relu.random_networks("symmetric", rng, nets, 1, width, depth)
    counts = np.empty((nets, depth), dtype=np.int64)
    dead_relu.dead_unit_counts(np.ones((1, 1)), W_in, W_hidden, B, counts)
    first = dead_relu.born_dead_depths(counts, width)
    k = np.array([np.sum((first >= 1) & (first <= L)) for L in range(1, depth + 1)])
    exact = dead_relu.exact_dead_at_input(width, np.arange(1, depth + 1))
    lo, hi = dead_relu.wilson_interval(k, nets, 1 - 0.01 / depth)
    assert np.all((lo <= exact) & (exact <= hi)), (k / nets, exact)
    # The chain: given a live layer, the number of active units of the next is Bin(N, 1/2).
    active = width - counts[:, 1][counts[:, 0] < width]
    observed = np.bincount(active, minlength=width + 1)
    assert stats.chisquare(observed, stats.binom.pmf(np.arange(width + 1), width, 0.5) * observed.sum()).pvalue > 1e-3


def test_exact_formula_values_and_wilson_interval():
    assert dead_relu.exact_dead_at_input(1, 1) == pytest.approx(0.5)
    assert dead_relu.exact_dead_at_input(2, 3) == pytest.approx(1 - 0.75 ** 3)
    assert dead_relu.expected_inactive_fraction(2, 1) == pytest.approx(0.5)
    assert dead_relu.expected_inactive_fraction(2, 3) == pytest.approx(1 - 0.5 * 0.75 ** 2)
    for k, n in ((0, 50), (7, 50), (50, 50), (1234, 5000)):
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        assert np.allclose(dead_relu.wilson_interval(k, n, 0.95), (ci.low, ci.high), atol=1e-12)


def test_definitions_on_hand_built_networks():
    # 1-D input, width 2, three hidden layers, data {-1, 1}.
    X = np.array([[-1.0], [1.0]])
    W_in = np.array([[[1.0, -1.0]]])                  # layer 1: unit 0 fires at x = 1, unit 1 at x = -1
    W_hidden = np.array([[[[1.0, -1.0], [-1.0, -1.0]],  # layer 2: unit 0 fires at x = 1 only, unit 1 never
                          [[-1.0, -1.0], [-1.0, -1.0]]]])  # layer 3: every weight negative, dead at every input
    B = np.zeros((1, 3, 2))
    counts = np.empty((1, 3), dtype=np.int64)
    dead_relu.dead_unit_counts(X, W_in, W_hidden, B, counts)
    assert counts.tolist() == [[0, 1, 2]]             # dead units per layer on the data
    assert dead_relu.born_dead_depths(counts, 2).tolist() == [3]
    # At x = -1 alone layer 2 is already dead (a dead layer at that input); the net is not born dead until 3.
    at_minus = np.empty((1, 3), dtype=np.int64)
    dead_relu.dead_unit_counts(X[:1], W_in, W_hidden, B, at_minus)
    assert at_minus.tolist() == [[1, 2, 2]] and dead_relu.born_dead_depths(at_minus, 2).tolist() == [2]
    # A positive bias revives a unit after a dead layer (the network is still constant on the data).
    B[0, 2, 0] = 0.5
    dead_relu.dead_unit_counts(X, W_in, W_hidden, B, counts)
    assert counts.tolist() == [[0, 1, 1]] and dead_relu.born_dead_depths(counts, 2).tolist() == [0]


@pytest.mark.parametrize("scheme", sorted(dead_relu.SCHEMES))
def test_kernel_matches_mlp_preactivations(scheme):
    rng = np.random.default_rng(5)
    nets, width, depth = 4, 5, 6
    X = np.linspace(-1, 1, 9).reshape(-1, 1)
    W_in, W_hidden, B = dead_relu.random_networks(scheme, rng, nets, 1, width, depth)
    counts = np.empty((nets, depth), dtype=np.int64)
    dead_relu.dead_unit_counts(X, W_in, W_hidden, B, counts)
    for b in range(nets):
        model = MLP([1] + [width] * depth + [1], "relu")
        model.weights[:-1] = [W_in[b]] + [W_hidden[b, l] for l in range(depth - 1)]
        model.biases[:-1] = [B[b, l] for l in range(depth)]
        model.forward(X)
        assert counts[b].tolist() == [int((z <= 0).all(axis=0).sum()) for z in model.preactivations[:-1]]


def test_rai_draws_one_positive_beta_entry_per_unit():
    W_in, _, B = dead_relu.random_networks("rai", np.random.default_rng(0), 20000, 1, 1, 1)
    v = np.concatenate([W_in[:, 0, 0], B[:, 0, 0]])    # fan_in 1: (weight, bias) per unit, one of them Beta(2, 1)
    assert 0.74 < np.mean(v > 0) < 0.76                # one entry Beta (positive), the other symmetric
    assert np.all((W_in[:, 0, 0] > 0) | (B[:, 0, 0] > 0))  # every unit has a positive parameter


# -------------------------------------------------------------------------------------- residual measures

def test_autocorrelation_and_spectral_slope_tell_white_from_brown():
    rng = np.random.default_rng(0)
    white = rng.standard_normal((20, 512))
    brown = np.cumsum(white, axis=1)
    assert abs(np.mean(residual.lag1_autocorrelation(white))) < 0.03
    assert np.mean(residual.lag1_autocorrelation(brown)) > 0.9
    assert abs(np.mean(residual.spectral_slope(white))) < 0.15
    assert abs(np.mean(residual.spectral_slope(brown)) + 2.0) < 0.3
    alternating = np.tile([1.0, -1.0], 8)
    assert residual.lag1_autocorrelation(alternating)[0] == pytest.approx(-15 / 16)
    assert np.isnan(residual.lag1_autocorrelation(np.ones(8))[0])


def test_fits_recover_rates():
    depths = np.arange(1, 12)
    assert residual.fit_rate(depths, 0.9 * 0.75 ** depths) == pytest.approx(0.75)
    assert residual.fit_power(depths, 0.8 * depths ** -0.5) == pytest.approx(0.5)
    assert np.isnan(residual.fit_rate(depths, np.full(11, 0.01)))  # all below the noise floor


@pytest.mark.parametrize("arch", sorted(residual.ARCHS))
def test_input_gradients_match_finite_differences(arch):
    x = np.linspace(-2, 2, 16).reshape(-1, 1)
    model = MLP([1, 6, 6, 6, 1], "relu", bias_init="standard_uniform", seed=2, **residual.ARCHS[arch])
    g = residual.input_gradients(model, x)[:, 0]
    h = 1e-6
    # With BatchNorm the statistics stay those of the grid: finite differences in eval mode.
    fd = (model.forward(x + h)[:, 0] - model.forward(x - h)[:, 0]) / (2 * h)
    assert np.allclose(g, fd, rtol=1e-5, atol=1e-7)
