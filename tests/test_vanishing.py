"""The vanishing-gradient study: its mean-field theory (ffbench.theory), its CLI end to end, caching and
rendering.  The sweeps run a tiny config (depth 6, width 16) except the one --quick run."""
import contextlib
import csv
import io
import json
import math
import shutil

import numpy as np
import pytest

from ffbench import activation, theory
from ffbench.model import MLP
from ffbench.studies import framework as fw
from ffbench.studies import vanishing
from ffbench.studies.vanishing import claims as vanishing_claims
from ffbench.studies.vanishing import probe as vanishing_probe

TINY = """
depth = 6
width = 16
batch = 16
seeds = 1
[histograms]
layers = 2
[sweep]
sigma_w2 = [0.5, 2.0]
seeds = 1
[training]
activations = ["sigmoid", "tanh"]
depth = 4
width = 8
inputs = 4
samples = 32
epochs = 1
batch_size = 32
"""

STEMS = ("vanishing_gradients", "vanishing_preactivations", "vanishing_histograms", "vanishing_chi",
         "vanishing_training", "vanishing_claims")
CLAIMS = {"sigmoid_standard_uniform_per_layer", "sigmoid_xavier_uniform_per_layer", "sigmoid_he_normal_per_layer",
          "sigmoid_he_normal_sqrt_chi1", "sigmoid_xavier_10_layers", "glorot_standard_tanh",
          "he_relu_xavier_uniform_backward", "he_relu_xavier_uniform_forward", "he_relu_he_normal_backward",
          "he_relu_he_normal_forward", "mean_field_grid", "mean_field_sweep", "order_to_chaos_tanh",
          "order_to_chaos_relu", "training_sigmoid_first_layer", "training_tanh_first_layer"}


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


@pytest.fixture
def calls(monkeypatch):
    """The specs that vanishing.run computes (the framework looks run up by module attribute)."""
    seen, real = [], vanishing.run

    def counting(spec):
        seen.append(spec)
        return real(spec)

    monkeypatch.setattr(vanishing, "run", counting)
    return seen


def numbers(record):
    return {k: record[k] for k in ("config", "claims", "data", "table", "runs")}


# ------------------------------------------------------------------------------------------- theory

def test_tanh_chi1_is_one_at_the_critical_point():
    # sigma_w^2 = 1, sigma_b = 0: q* = 0 and tanh'(0) = 1, so chi_1 = 1 exactly.
    assert theory.chi("tanh", 0.0, 1.0) == pytest.approx(1.0, abs=1e-14)
    chi1, q_star = theory.chi1("tanh", 1.0, 0.0)
    assert q_star < 1e-3 and chi1 == pytest.approx(1.0, abs=1e-3)  # q -> 0 only like 1/l
    for s2 in (0.25, 0.5, 0.9):  # ordered linear regime: q* = 0, chi_1 = sigma_w^2 (Glorot & Bengio's 1/3 too)
        assert theory.chi1("tanh", s2, 0.0) == pytest.approx((s2, 0.0), abs=1e-12)
    chaos, q_star = theory.chi1("tanh", 2.0, 0.0)
    assert q_star > 0.1 and chaos > 1.0


@pytest.mark.parametrize("sigma_w2", [0.5, 1.0, 2.0, 3.0])
def test_relu_chi_is_half_sigma_w2_at_every_q(sigma_w2):
    for q in (0.0, 1e-6, 1.0, 1e6):
        assert theory.chi("relu", q, sigma_w2) == pytest.approx(sigma_w2 / 2, rel=1e-12)
    a = 0.2
    assert theory.chi("leaky_relu", 0.3, sigma_w2, negative_slope=a) == pytest.approx(sigma_w2 * (1 + a * a) / 2)
    chi1, q_star = theory.chi1("relu", sigma_w2, 0.05)
    assert chi1 == pytest.approx(sigma_w2 / 2)
    assert q_star == (pytest.approx(0.05 / (1 - sigma_w2 / 2)) if sigma_w2 < 2 else math.inf)


def test_fixed_point_is_a_fixed_point_of_the_length_map():
    for name, s2, b2 in (("tanh", 2.0, 0.05), ("sigmoid", 1.0, 0.0), ("silu", 1.5, 0.1), ("gelu", 1.0, 0.2)):
        q = theory.fixed_point(name, s2, b2)
        assert q > 0 and theory.q_map(name, q, s2, b2) == pytest.approx(q, rel=1e-10)


@pytest.mark.parametrize("name", ["gelu", "sigmoid", "silu", "tanh"])
def test_quadrature_matches_monte_carlo(name):
    f, df = activation(name).numpy_forward, activation(name).numpy_derivative  # independent of the kernels
    z = np.random.default_rng(7).standard_normal(400_000)
    for q in (0.3, 2.5):
        for quad, values in ((theory.second_moment(name, q), f(np.sqrt(q) * z) ** 2),
                             (theory.derivative_moment(name, q), df(np.sqrt(q) * z) ** 2)):
            stderr = values.std() / np.sqrt(values.size)
            assert abs(quad - values.mean()) < 5 * stderr, (name, q)
    x = np.linspace(-4, 4, 9)  # and the kernels it evaluates are the same functions
    np.testing.assert_allclose(theory.phi(name, x), f(x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(theory.phi_prime(name, x), df(x), rtol=1e-10, atol=1e-15)


def test_sigmoid_derivative_bound():
    for q in (0.0, 0.1, 1.0, 10.0):
        assert theory.derivative_moment("sigmoid", q) <= 1 / 16 + 1e-15
    assert theory.derivative_moment("sigmoid", 0.0) == pytest.approx(1 / 16)


@pytest.mark.parametrize("init, n_var", [("standard_uniform", 1 / 3), ("xavier_uniform", 1.0), ("he_normal", 2.0)])
def test_sigmoid_bound_per_init(init, n_var):
    # Independent pieces: max sigmoid' on a fine grid, n Var[W] of the initialiser's formula, and a Monte Carlo
    # sigmoid layer whose root-mean-square norm factor stays under the bound.
    z = np.linspace(-10, 10, 200_001)
    s = 1 / (1 + np.exp(-z))
    bound = np.sqrt(n_var) * np.max(s * (1 - s))
    assert vanishing.SIGMA_W2[init](256, 256, {}) == pytest.approx(n_var)
    assert vanishing_claims.sigmoid_norm_bound(n_var) == pytest.approx(bound, rel=1e-9)
    assert bound == pytest.approx({"standard_uniform": 0.1443, "xavier_uniform": 0.25, "he_normal": 0.3536}[init],
                                  abs=1e-4)
    rng = np.random.default_rng(0)
    n = 256
    W = rng.standard_normal((n, n)) * np.sqrt(n_var / n)
    delta = rng.standard_normal((64, n))
    pre = rng.standard_normal((64, n)) * 2.0
    sp = 1 / (1 + np.exp(-pre))
    rms = np.linalg.norm((delta @ W.T) * sp * (1 - sp)) / np.linalg.norm(delta)
    assert rms < bound


def test_critical_point_and_crossing():
    assert vanishing.critical_sigma_w2("relu", 0.05, 0.25, 4.0) == pytest.approx(2.0, abs=1e-8)
    assert vanishing.critical_sigma_w2("relu", 0.05, 0.25, 1.5) is None  # no root in the range
    # tanh with sigma_b^2 = 0.05, independently: NumPy quadrature, fixed-point iteration, bisection.
    z, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / np.sqrt(2 * np.pi)

    def chi1(s2, b2=0.05):
        q = 1.0
        for _ in range(20_000):
            q = s2 * np.dot(w, np.tanh(np.sqrt(q) * z) ** 2) + b2
        return s2 * np.dot(w, (1 - np.tanh(np.sqrt(q) * z) ** 2) ** 2)

    lo, hi = 1.5, 2.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if chi1(mid) < 1 else (lo, mid)
    assert vanishing.critical_sigma_w2("tanh", 0.05, 0.25, 4.0) == pytest.approx(lo, abs=1e-5)
    # Measured factors exp(a (s2 - 1.7)) with a seed spread: the crossing is found at 1.7, its error propagated.
    s2 = np.array([1.0, 1.5, 2.0, 2.5])
    factors = [np.exp(0.8 * (x - 1.7) + np.array([-0.01, 0.0, 0.01])) for x in s2]
    cross = vanishing.crossing(s2, factors)
    assert cross["at"] == pytest.approx(1.7) and cross["se"] == pytest.approx(0.01 / np.sqrt(3) / 0.8, rel=0.3)
    assert vanishing.crossing(s2, [f * 10 for f in factors])["at"] is None  # never crosses 1


def test_per_layer_factor_of_a_geometric_profile():
    values = 3.0 * 0.4 ** np.arange(20)
    assert vanishing.per_layer_factor(values, 5, 15) == pytest.approx(0.4, rel=1e-12)
    assert math.isnan(vanishing.per_layer_factor(np.zeros(20), 5, 15))


# -------------------------------------------------------------------------------------------- probe

def _full_model_probe(spec):
    """The probe computed through ``ffbench.MLP``, every layer's weights and arrays kept (the study's code before
    it streamed): the reference the streamed probe must equal bit for bit."""
    width, depth, batch = spec["width"], spec["depth"], spec["batch"]
    data = np.random.default_rng(spec["data_seed"])
    X, R = data.standard_normal((batch, width)), data.standard_normal((batch, width))
    model = MLP([width] * (depth + 1), spec["activation"], spec["init"], seed=spec["seed"],
                init_params=spec["init_params"], **spec["activation_params"])
    if spec["sigma_b2"] > 0:
        biases = np.random.default_rng([spec["seed"], 1])
        for b in model.biases:
            b[:] = biases.normal(0.0, math.sqrt(spec["sigma_b2"]), b.shape)
    model.forward(X)
    model.backward(R / batch)
    result = {"input_second_moment": float(np.mean(X * X)), "q": [float(np.mean(z * z)) for z in model.preactivations],
              "delta_norm": [float(np.linalg.norm(d)) for d in model.deltas],
              "delta_var": [float(np.var(d)) for d in model.deltas],
              "weight_grad_norm": [float(np.linalg.norm(g)) for g in model.grad_weights]}
    if spec["histogram"] is not None:
        result["histograms"] = {str(l): vanishing_probe._histogram(model.deltas[l], spec["histogram"])
                                for l in spec["histogram"]["layers"]}
    return result


def test_streamed_probe_equals_the_full_model_bit_for_bit(tiny):
    """Every probe of the tiny config (each activation and init, the histogram runs, the biased sweep, the wide
    cell at width 24): the streamed probe's canonical JSON equals the full model's."""
    specs = [dict(s, width=24) if s["part"] == "wide" else s
             for s in vanishing.runs(fw.resolve_config(vanishing, config_file=tiny)) if s["kind"] == "probe"]
    assert {s["part"] for s in specs} == {"grid", "wide", "sweep"}
    assert any(s["histogram"] for s in specs) and any(s["sigma_b2"] > 0 for s in specs)
    for spec in specs:
        assert fw.canonical(vanishing.run(spec)) == fw.canonical(_full_model_probe(spec)), spec


# -------------------------------------------------------------------------------------------- study

@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One --quick run through the CLI (figures included), shared by the end-to-end and rendering tests."""
    out = tmp_path_factory.mktemp("quick")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        record = fw.main(vanishing, ["--quick", "--out", str(out), "--format", "png,svg"])
    return out, record, printed.getvalue()


def test_quick_cli_end_to_end(quick):
    out, record, printed = quick
    assert record["quick"] is True and record["study"] == "vanishing" and record["cached_runs"] == 0
    assert record["config"]["depth"] == vanishing.QUICK["depth"]
    assert json.loads((out / "vanishing.json").read_text()) == record
    for stem in STEMS:
        for fmt in ("png", "svg"):
            assert (out / f"{stem}.{fmt}").stat().st_size > 0, stem
    claims = {c["name"]: c for c in record["claims"]}
    assert set(claims) == CLAIMS
    for c in claims.values():
        assert {"measured", "predicted", "tolerance", "relation", "holds", "description"} <= set(c)
        assert c["source"] and c["kind"] in ("theorem", "bound", "empirical", "observation"), c["name"]
        assert c["verdict"] != "FAILS", c  # quick mode judges only what its grid can judge
        if c["kind"] != "observation":
            assert c["predicted"] is not None and c["tolerance"] >= 0
    assert "gelu/he_normal" in claims["mean_field_grid"]["note"]  # too narrow at quick scale: named, not judged
    assert "Claims:" in printed and "Per-layer factors" in printed

    grid = record["data"]["grid"]
    assert set(grid) == {f"{a}/{i}" for a in vanishing.DEFAULTS["activations"] for i in vanishing.DEFAULTS["inits"]}
    relu_he = grid["relu/he_normal"]
    assert relu_he["sigma_w2"] == 2.0 and relu_he["chi1"] == pytest.approx(1.0)
    assert len(relu_he["q"]) == record["config"]["depth"]
    with open(out / "vanishing.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["part"] for r in rows} == {"profile", "factor", "sweep", "training"}
    assert sum(r["part"] == "profile" for r in rows) == 18 * record["config"]["depth"]


def test_resume_after_interrupt_recomputes_nothing_finished(tiny, tmp_path, calls, monkeypatch, capsys):
    real = vanishing.run

    def interrupt_after_five(spec):
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(spec)

    monkeypatch.setattr(vanishing, "run", interrupt_after_five)
    with pytest.raises(SystemExit) as exc:
        fw.main(vanishing, ["--config", str(tiny), "--out", str(tmp_path), "--no-plot"])
    assert exc.value.code == fw.EXIT_INTERRUPTED
    assert len(list((tmp_path / ".cache" / "vanishing").glob("*.json"))) == 5
    assert not (tmp_path / "vanishing.json").exists()

    finished = [fw.canonical(s) for s in calls[:5]]
    calls.clear()
    monkeypatch.setattr(vanishing, "run", real)  # the fixture's counting run
    record = fw.main(vanishing, ["--config", str(tiny), "--out", str(tmp_path), "--no-plot"])
    assert record["cached_runs"] == 5 and len(calls) == record["runs"] - 5
    assert not {fw.canonical(s) for s in calls} & set(finished)
    clean = fw.main(vanishing, ["--config", str(tiny), "--out", str(tmp_path / "clean"), "--no-plot"])
    assert numbers(record) == numbers(clean)


def test_same_seed_same_numbers(tiny, tmp_path):
    a = fw.main(vanishing, ["--config", str(tiny), "--out", str(tmp_path / "a"), "--no-plot"])
    b = fw.main(vanishing, ["--config", str(tiny), "--out", str(tmp_path / "b"), "--no-plot"])
    assert numbers(a) == numbers(b)
    assert (tmp_path / "a" / "vanishing.csv").read_bytes() == (tmp_path / "b" / "vanishing.csv").read_bytes()
    c = fw.main(vanishing, ["--config", str(tiny), "--out", str(tmp_path / "c"), "--no-plot", "--seed", "1"])
    assert c["data"]["grid"] != a["data"]["grid"]


def test_render_from_record_alone(quick, tmp_path, monkeypatch):
    out, _, _ = quick
    figures = {p.name: p.read_bytes() for stem in STEMS for p in out.glob(f"{stem}.*")}
    assert len(figures) == 2 * len(STEMS)
    shutil.copy(out / "vanishing.json", tmp_path / "vanishing.json")  # the record alone: no cache, no figures

    def no_runs(spec):
        raise AssertionError("rendering must not compute")

    monkeypatch.setattr(vanishing, "run", no_runs)
    paths = fw.render_record(vanishing, tmp_path / "vanishing.json", tmp_path, ("png", "svg"))
    assert {p.name: p.read_bytes() for p in paths} == figures


def _verdicts(record, change):
    """The claims of a record's data after ``change(data)`` (which edits a deep copy)."""
    data = json.loads(json.dumps(record["data"]))
    change(data)
    return {c.name: c.verdict for c in vanishing_claims.study_claims(record["config"], data["grid"], data["wide"],
                                                               data["sweep"], data["training"])}


def test_judged_claims_can_fail(quick):
    _, record, _ = quick
    assert all(v in ("holds", "observed") for v in _verdicts(record, lambda d: None).values())

    def scale(key, field, by):
        def change(d):
            d["grid"][key][field] = [v * by for v in d["grid"][key][field]]
        return change

    assert _verdicts(record, scale("sigmoid/he_normal", "norm_factor", 1.2))["sigmoid_he_normal_per_layer"] == "FAILS"
    assert _verdicts(record, scale("sigmoid/he_normal", "norm_factor", 0.9))["sigmoid_he_normal_sqrt_chi1"] == "FAILS"
    assert _verdicts(record, scale("tanh/standard_uniform", "backward_factor", 1.2))["glorot_standard_tanh"] == "FAILS"
    assert _verdicts(record, scale("relu/he_normal", "forward_factor", 0.5))["he_relu_he_normal_forward"] == "FAILS"
    assert _verdicts(record, scale("silu/xavier_uniform", "backward_factor", 3.0))["mean_field_grid"] == "FAILS"

    def shift_sweep(d):
        d["sweep"]["tanh"]["points"][0]["measured"] = [v * 2 for v in d["sweep"]["tanh"]["points"][0]["measured"]]
        d["sweep"]["relu"]["crossing"]["at"] += 0.5

    shifted = _verdicts(record, shift_sweep)
    assert shifted["mean_field_sweep"] == "FAILS" and shifted["order_to_chaos_relu"] == "FAILS"
