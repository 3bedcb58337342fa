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
from ffbench.studies.dead_relu import claims as dead_claims

STUDIES = {"dead_relu": dead_relu, "residual": residual}
FIGURES = {"dead_relu": ["dead_relu_init", "dead_relu_born_dead", "dead_relu_rai", "dead_relu_trained",
                         "dead_relu_claims"],
           "residual": ["residual_training", "residual_shattered", "residual_gradients", "residual_claims"]}
CLAIMS = {"dead_relu": {"dead_units_grow_with_depth", "dead_at_input_exact", "born_dead_between_bounds",
                        "rai_reduces_born_dead", "relu_dead_grows_with_lr", "leaky_relu_never_gradient_dead",
                        "smooth_units_keep_gradient", "smooth_units_collapse_at_large_lr"},
          "residual": {"residual_trains_deep", "plain_fails_deep", "plain_trains_moderate", "plain_grad_drift",
                       "coactivation_plain_bn", "plain_bn_white_noise_slope", "plain_bn_white_noise_rho1",
                       "residual_bn_between_brown_and_white", "residual_more_coherent", "residual_bn_more_coherent",
                       "plain_relu_1d_does_not_shatter"}}
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
    assert claims["dead_at_input_exact"]["holds"] and claims["born_dead_between_bounds"]["holds"]


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


@pytest.mark.parametrize("scheme", sorted(dead_relu.born.SCHEMES))
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


# ------------------------------------------------------------------------- dead_relu: facts true by construction

def test_he_and_xavier_have_the_same_dead_units_without_biases():
    # Only the signs of a bias-free ReLU net's pre-activations depend on the weight scale.
    spec = {"points": 32, "networks": 5, "width": 4, "depth": 12, "seed": 7}
    he = dead_relu._run_init({**spec, "init": "he_normal"})
    xavier = dead_relu._run_init({**spec, "init": "xavier_normal"})
    np.testing.assert_array_equal(he["dead_fraction"], xavier["dead_fraction"])
    assert he["dead_fraction"][-1] > 0  # the comparison is not between two all-alive nets


def test_dead_fraction_below_the_expected_inactive_fraction_at_one_input():
    # Dead on all data implies inactive at each input, so the mean dead fraction sits under the one-input
    # expectation 1 - (1 - 2^-N)^(l-1) / 2, up to sampling noise.
    spec = {"points": 32, "networks": 200, "width": 4, "depth": 20, "seed": 3, "init": "he_normal"}
    dead = dead_relu._run_init(spec)["dead_fraction"]
    bound = dead_relu.expected_inactive_fraction(4, np.arange(1, 21))
    se = np.sqrt(np.maximum(bound * (1 - bound), 1e-12) / spec["networks"])
    assert np.all(dead <= bound + 3 * se)


def test_interval_born_dead_between_the_one_input_bounds():
    # Independent of the kernel: plain NumPy forward passes at x = +1 and x = -1 (homogeneity reduces
    # [-1, 1] to these two inputs).  Dead on the interval = dead at both, so 2p - 1 <= P <= p.
    rng = np.random.default_rng(4)
    width, depth, nets = 3, 6, 6000
    W_in, W_hidden, _ = dead_relu.random_networks("symmetric", rng, nets, 1, width, depth)
    dead_at = {}
    for x in (1.0, -1.0):
        h = np.maximum(x * W_in[:, 0, :], 0.0)
        for l in range(depth - 1):
            h = np.maximum(np.einsum("bi,bij->bj", h, W_hidden[:, l]), 0.0)
        dead_at[x] = ~h.any(axis=1)
    both = np.mean(dead_at[1.0] & dead_at[-1.0])
    p = dead_relu.exact_dead_at_input(width, depth)
    se = np.sqrt(p * (1 - p) / nets)
    assert abs(np.mean(dead_at[1.0]) - p) < 4 * se and abs(np.mean(dead_at[-1.0]) - p) < 4 * se
    assert 2 * p - 1 <= both <= p
    # The kernel on the interval grid agrees with the two-input NumPy count, network by network.
    counts = np.empty((nets, depth), dtype=np.int64)
    W_in, W_hidden, B = dead_relu.random_networks("symmetric", np.random.default_rng(4), nets, 1, width, depth)
    dead_relu.dead_unit_counts(dead_relu.datasets(9)["interval"], W_in, W_hidden, B, counts)
    np.testing.assert_array_equal(counts[:, -1] == width, dead_at[1.0] & dead_at[-1.0])


# ------------------------------------------------------------------------------ dead_relu: claims can fail

def _born(counts, depth=50, n=5000, widths=(2, 3)):
    """The born-dead summary from per-(scheme, data) count functions ``counts[(scheme, name)](w, L)``."""
    config = {**dead_relu.DEFAULTS, "born": {**dead_relu.DEFAULTS["born"], "widths": list(widths), "depth": depth,
                                             "networks": n}}
    pairs = [(s, {name: [int(counts[s["scheme"], name](s["width"], L)) for L in range(1, depth + 1)]
                  for name in ("point", "interval")})
             for s in dead_relu.runs(config) if s["kind"] == "born"]
    return dead_relu._summarize_born(config, pairs)[0]


def _exact_counts(n=5000, interval_gap=0.0, rai_gap=0.2):
    p = lambda w, L: dead_relu.exact_dead_at_input(w, L)  # noqa: E731
    return {("symmetric", "point"): lambda w, L: round(n * p(w, L)),
            ("symmetric", "interval"): lambda w, L: round(n * max(2 * p(w, L) - 1, 0) * (1 - interval_gap)),
            ("rai", "point"): lambda w, L: round(n * p(w, L)),
            ("rai", "interval"): lambda w, L: round(n * min(max(2 * p(w, L) - 1 - rai_gap, 0), 1))}


def verdicts(claims):
    return {c.name: c.verdict for c in claims}


def test_born_dead_claims_hold_on_exact_counts_and_fail_otherwise():
    claims_born = dead_claims._claims_born
    assert set(verdicts(claims_born(_born(_exact_counts()))).values()) == {"holds"}
    # P(born dead on [-1, 1]) 0.05 above its upper bound p, or 0.05 below its lower bound 2p - 1
    p = dead_relu.exact_dead_at_input
    for off in (lambda w, L: min(p(w, L) + 0.05, 1.0), lambda w, L: max(2 * p(w, L) - 1.05, 0.0)):
        counts = _exact_counts()
        counts["symmetric", "interval"] = lambda w, L, off=off: round(5000 * off(w, L))
        assert verdicts(claims_born(_born(counts)))["born_dead_between_bounds"] == "FAILS"
    # a one-input simulation off the exact formula
    counts = _exact_counts()
    counts["symmetric", "point"] = lambda w, L: round(5000 * dead_relu.exact_dead_at_input(w + 1, L))
    assert verdicts(claims_born(_born(counts)))["dead_at_input_exact"] == "FAILS"
    # RAI worse than He; no better (not shown either way)
    assert verdicts(claims_born(_born(_exact_counts(rai_gap=-0.05))))["rai_reduces_born_dead"] == "FAILS"
    assert verdicts(claims_born(_born(_exact_counts(rai_gap=0.0))))["rai_reduces_born_dead"] == "not judged"
    # no cell where both bounds have content (depth 2 at width 3: 1 - p = 0.77)
    shallow = claims_born(_born(_exact_counts(), depth=2, widths=(3,)))
    assert verdicts(shallow)["born_dead_between_bounds"] == "not judged"


def _trained(values, lrs=(0.001, 0.01, 0.1), seeds=3):
    """The trained summary from ``values(activation, lr, seed) -> (dead, grad_dead, accuracy)``."""
    config = {**dead_relu.DEFAULTS, "trained": {**dead_relu.DEFAULTS["trained"], "lrs": list(lrs), "seeds": seeds}}
    pairs = []
    for s in dead_relu.runs(config):
        if s["kind"] == "trained":
            dead, grad_dead, acc = values(s["activation"], s["lr"], s["replicate"])
            pairs.append((s, {"diverged": False, "final_loss": 0.1, "dead_fraction": dead,
                              "grad_dead_fraction": grad_dead, "accuracy": acc}))
    return dead_relu._summarize_trained(config, pairs)[0]


def _plausible(act, lr, seed):
    dead = 0.1 + 5 * lr + 0.01 * seed if act in ("relu", "leaky_relu") else 0.0
    grad_dead = dead if act == "relu" else (0.2 if lr == 0.1 and act != "leaky_relu" else 0.0)
    return dead, grad_dead, 0.7 if lr == 0.1 else 1.0


def test_trained_claims_hold_on_plausible_data_and_fail_otherwise():
    v = verdicts(dead_claims._claims_trained(_trained(_plausible)))
    assert v == {"relu_dead_grows_with_lr": "holds", "leaky_relu_never_gradient_dead": "holds",
                 "smooth_units_keep_gradient": "holds", "smooth_units_collapse_at_large_lr": "observed"}

    def flat(act, lr, seed):  # relu loses no more units at a large learning rate
        dead, grad_dead, acc = _plausible(act, 0.001, seed)
        return dead, grad_dead, acc
    assert verdicts(dead_claims._claims_trained(_trained(flat)))["relu_dead_grows_with_lr"] == "not judged"

    def fewer(act, lr, seed):  # relu loses fewer units at a large learning rate
        dead, grad_dead, acc = _plausible(act, 1e-4 / lr, seed)  # 0.001 and 0.1 swapped
        return dead, grad_dead, acc
    assert verdicts(dead_claims._claims_trained(_trained(fewer)))["relu_dead_grows_with_lr"] == "FAILS"

    def leaky_dead(act, lr, seed):
        dead, grad_dead, acc = _plausible(act, lr, seed)
        return dead, 1 / 128 if act == "leaky_relu" and seed == 1 else grad_dead, acc
    assert verdicts(dead_claims._claims_trained(_trained(leaky_dead)))["leaky_relu_never_gradient_dead"] == "FAILS"

    def smooth_dead(act, lr, seed):
        dead, grad_dead, acc = _plausible(act, lr, seed)
        return dead, 0.5 if act in ("gelu", "silu") else grad_dead, acc  # more than relu's 0.1-0.2
    assert verdicts(dead_claims._claims_trained(_trained(smooth_dead)))["smooth_units_keep_gradient"] == "FAILS"


def test_trained_claims_not_judged_at_a_scale_that_cannot_judge_them():
    v = verdicts(dead_claims._claims_trained(_trained(_plausible, seeds=1)))
    assert v["relu_dead_grows_with_lr"] == "not judged"           # one seed: no spread

    def unconverged(act, lr, seed):
        dead, grad_dead, _ = _plausible(act, lr, seed)
        return dead, grad_dead, 0.8
    assert verdicts(dead_claims._claims_trained(_trained(unconverged)))["smooth_units_keep_gradient"] == "not judged"


@pytest.mark.parametrize("quick", ["dead_relu"], indirect=True)
def test_quick_run_prints_no_failure(quick):
    name, _, record = quick
    assert [c["name"] for c in record["claims"] if c["verdict"] == "FAILS"] == [], name


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


@pytest.mark.parametrize("arch", sorted(residual.ARCHS))
def test_input_gradients_match_finite_differences(arch):
    x = np.linspace(-2, 2, 16).reshape(-1, 1)
    model = MLP([1, 6, 6, 6, 1], "relu", bias_init="standard_uniform", seed=2, **residual.ARCHS[arch])
    g = residual.input_gradients(model, x)[:, 0]
    h = 1e-6
    # With BatchNorm the statistics stay those of the grid: finite differences in eval mode.
    fd = (model.forward(x + h)[:, 0] - model.forward(x - h)[:, 0]) / (2 * h)
    assert np.allclose(g, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("quick", ["residual"], indirect=True)
def test_residual_quick_claims_have_sources_and_no_wrong_verdicts(quick):
    _, _, record = quick
    for c in record["claims"]:
        assert c["source"] and c["kind"] in ("theorem", "bound", "empirical", "observation"), c["name"]
        assert c["verdict"] != "FAILS", c  # quick mode judges only what its grid can judge
    verdicts = {c["name"]: c["verdict"] for c in record["claims"]}
    assert verdicts["plain_fails_deep"] == "not judged"  # 16 layers cannot show the degradation


def test_relu_log_drift_against_digamma_and_simulation():
    from scipy.special import digamma
    from scipy.stats import binom

    for n in (8, 32, 256):
        leading, exact = residual.relu_log_drift(n)
        k = np.arange(1, n + 1)
        p = binom.pmf(k, n, 0.5)
        assert exact == pytest.approx(np.sum(p * (digamma(k / 2) + np.log(4 / n))) / p.sum(), rel=1e-10)
        assert leading == -5 / (2 * n) and abs(exact - leading) < 8 / n ** 2
    # Independent simulation: plain NumPy ReLU nets (He init, one input, readout (1, -1)), the change of the mean
    # log10 first-layer gradient norm from 2 to 2 + 24 hidden layers at width 16.
    rng = np.random.default_rng(1)
    width, nets = 16, 3000

    def mean_log10_grad(hidden):
        out = np.empty(nets)
        for i in range(nets):
            x = rng.standard_normal(2)
            Ws = [rng.standard_normal((2, width))] + [rng.standard_normal((width, width)) * np.sqrt(2 / width)
                                                      for _ in range(hidden - 1)]
            h, masks = x, []
            for W in Ws:
                z = h @ W
                masks.append(z > 0)
                h = np.maximum(z, 0)
            d = (rng.standard_normal((width, 2)) @ np.array([1.0, -1.0])) * masks[-1]
            for l in range(hidden - 1, 0, -1):
                d = (Ws[l] @ d) * masks[l - 1]
            out[i] = np.log10(np.linalg.norm(d) * np.linalg.norm(x))
        return out

    a, b = mean_log10_grad(2), mean_log10_grad(26)
    measured = b.mean() - a.mean()
    se = np.hypot(a.std() / np.sqrt(nets), b.std() / np.sqrt(nets))
    leading, exact = residual.log10_drift(width, 24)
    assert leading == pytest.approx(-(5 / 4) * (24 / width) / np.log(10))
    assert abs(measured - exact) < 4 * se, (measured, exact, se)


def test_coactivation_ratio_against_sheppard():
    rng = np.random.default_rng(3)
    same = np.tile(rng.standard_normal((1, 500)), (40, 1))
    assert residual.coactivation_ratio(same) == 1.0
    assert np.isnan(residual.coactivation_ratio(-np.ones((5, 3))))
    # Neighbouring rows with Gaussian correlation c: P(both > 0) / P(> 0) = 1/2 + arcsin(c) / pi (Sheppard).
    for c in (0.0, 0.5, 0.9):
        a = rng.standard_normal(200_000)
        b = c * a + np.sqrt(1 - c * c) * rng.standard_normal(a.size)
        z = np.stack([a, b])
        assert residual.coactivation_ratio(z) == pytest.approx(0.5 + np.arcsin(c) / np.pi, abs=0.006)


def _shatter_data(slope=0.0, rho=0.0, coactive=0.5, residual_bn_slope=-1.5, nets=8):
    """A fake summary of the shattered-gradient part: every network measures the given values, plus a small
    spread."""
    depths = [1, 16, 32]
    jitter = np.linspace(-0.02, 0.02, nets)
    values = {"plain": (0.9, -1.5, 0.99), "residual": (0.99, -1.8, 1.0), "plain_bn": (rho, slope, coactive),
              "residual_bn": (0.9, residual_bn_slope, 0.98)}
    sh = {"depths": depths, "archs": list(values), "networks": nets, "judge_depth": 32}
    for i, key in enumerate(("rho1", "spectral_slope", "coactive")):
        sh[f"{key}_runs"] = {a: [list(v[i] + jitter) for _ in depths] for a, v in values.items()}
    return sh


def test_residual_judged_claims_can_fail():
    from ffbench.studies.residual import claims as residual_claims

    def verdicts(**kw):
        return {c.name: c.verdict for c in residual_claims._shatter_claims(_shatter_data(**kw))}

    good = verdicts()
    assert all(v in ("holds", "observed") for v in good.values()), good
    assert verdicts(coactive=0.6)["coactivation_plain_bn"] == "FAILS"
    assert verdicts(coactive=0.4)["coactivation_plain_bn"] == "FAILS"
    assert verdicts(slope=0.3)["plain_bn_white_noise_slope"] == "FAILS"   # blue noise fails: two-sided
    assert verdicts(slope=-0.3)["plain_bn_white_noise_slope"] == "FAILS"
    assert verdicts(rho=0.2)["plain_bn_white_noise_rho1"] == "FAILS"
    assert verdicts(residual_bn_slope=-2.05)["residual_bn_between_brown_and_white"] == "FAILS"
    assert verdicts(residual_bn_slope=0.1)["residual_bn_between_brown_and_white"] == "FAILS"  # above white noise
    assert verdicts(residual_bn_slope=-0.01)["residual_bn_between_brown_and_white"] == "not judged"  # not shown
    assert verdicts(rho=0.95)["residual_bn_more_coherent"] == "FAILS"

    init = {"depths": [2, 100], "width": 32, "networks": 300, "log10_grad": [0.0, -1.66],
            "log10_grad_se": [0.01, 0.05], "drift_leading": [0.0, -1.6625], "drift_exact": [0.0, -1.7565]}
    assert residual_claims._drift_claims(init)[0].verdict == "holds"
    for wrong in (0.0, -2.2, -1.2):  # He's expectation (no drift) and drifts too large or too small
        assert residual_claims._drift_claims({**init, "log10_grad": [0.0, wrong]})[0].verdict == "FAILS"
    few = residual_claims._drift_claims({**init, "networks": 1})[0]
    assert few.verdict == "not judged" and "1 networks" in few.not_judged
