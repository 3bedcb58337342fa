"""The pitfalls study: the quick run end to end through the framework, rendering from the record alone, the
exact pieces (steps to a target, dead units, the shuffle symmetry), and claims that can fail."""
import csv
import json

import numba
import numpy as np
import pytest

import ffbench
from ffbench.studies import framework as fw
from ffbench.studies import pitfalls
from ffbench.studies.pitfalls import experiment, verdicts

pytest.importorskip("mnist1d")
pytest.importorskip("sklearn")

PITFALLS = ("baseline", "activation", "batchnorm", "clipping", "learning_rate", "schedulers", "dropout", "dead")
FIGURES = [f"pitfalls_curves_{p}" for p in PITFALLS] + ["pitfalls_lr_find", "pitfalls_baseline_table",
                                                         "pitfalls_claims"]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    before = numba.get_num_threads()
    out = tmp_path_factory.mktemp("pitfalls")
    record = fw.main(pitfalls, ["--quick", "--threads", "1", "--out", str(out), "--format", "png"])
    numba.set_num_threads(before)
    return out, record


def test_cli_quick_end_to_end(quick):
    out, record = quick
    assert record["quick"] is True and record["study"] == "pitfalls"
    assert record["runs"] == len(pitfalls.runs(record["config"]))
    assert json.loads((out / "pitfalls.json").read_text()) == record
    with open(out / "pitfalls.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["pitfall"] for r in rows} == set(PITFALLS)
    for stem in FIGURES:
        assert (out / f"{stem}.png").stat().st_size > 0, stem
    claims = {c["name"]: c for c in record["claims"]}
    for pitfall in ("baseline", "activation", "batchnorm", "clipping", "lr", "scheduler", "dropout", "dead"):
        assert any(name.startswith(pitfall) for name in claims), pitfall
    for c in claims.values():
        assert c["source"] and c["kind"] in ("theorem", "bound", "empirical", "observation"), c["name"]
        # two seeds in quick mode: paired claims say so instead of judging
        if c["spread"] is not None and c["spread"]["n"] < verdicts.MIN_SEEDS and c["kind"] != "observation":
            assert c["verdict"] == "not judged", c["name"]
    assert "logistic regression" in record["table"] and "paper 68%" in record["table"]


def test_render_from_record_alone(quick, tmp_path):
    out, _ = quick
    paths = fw.render_record(pitfalls, out / "pitfalls.json", tmp_path, ["png"])
    assert sorted(p.name for p in paths) == sorted(f"{s}.png" for s in FIGURES)
    for p in paths:
        assert p.read_bytes() == (out / p.name).read_bytes()


def test_every_kind_of_run_is_a_pure_function_of_its_spec():
    config = fw.resolve_config(pitfalls, quick=True)
    specs = pitfalls.runs(config)
    assert set(pitfalls.KINDS) == {s["kind"] for s in specs}
    # the cells of a pitfall share their seeds: comparisons are paired
    for p in PITFALLS:
        seeds = {s["cell"]: [t["seed"] for t in specs if t["cell"] == s["cell"] and t["pitfall"] == p]
                 for s in specs if s["pitfall"] == p}
        assert len({tuple(v) for v in seeds.values()}) == 1, p
    picks = [next(s for s in specs if s["kind"] == "lr_find"),
             next(s for s in specs if s["pitfall"] == "dead" and s["activation"] == "relu")]
    for spec in picks:
        a, b = (fw.format_json(fw.to_jsonable(pitfalls.run(spec))) for _ in range(2))
        assert a == b


# --------------------------------------------------------------------------------------------- exact pieces

def test_steps_to_target_uses_a_window_of_ten():
    loss = np.r_[np.full(20, 2.0), np.full(20, 0.5)]
    # the mean of the 10 losses ending at step k (1-based) is (2 (30 - k) + 0.5 (k - 20)) / 10 for k in 21..30:
    # first <= 1.3 at k = 25
    assert experiment.steps_to_target(loss, 1.3) == 25
    assert experiment.steps_to_target(loss, 0.1) is None
    assert experiment.steps_to_target(loss[:5], 3.0) is None
    assert experiment.steps_to_target(loss, None) is None


def test_silent_fraction_on_a_hand_built_network():
    model = ffbench.MLP([1, 2, 2, 1], seed=0)
    model.weights[0][:] = [[1.0, -1.0]]        # unit 0 fires at x > 0, unit 1 at x < 0
    model.weights[1][:] = [[1.0, -1.0], [0.0, -1.0]]   # unit 0 fires at x > 0, unit 1 never
    X = np.array([[-1.0], [2.0]])
    assert experiment._silent_fraction(model, X) == 0.25
    assert np.isnan(experiment._silent_fraction(ffbench.MLP([1, 1]), X))


def test_shuffle_symmetry_of_the_first_layer():
    """The docstring's derivation: training on ``X P`` from ``W`` equals training on ``X`` from ``P W``."""
    X, y = ffbench.data.blobs(60, centers=3, dim=5, seed=1)
    perm = np.array([3, 0, 4, 1, 2])
    a, b = ffbench.MLP([5, 8, 3], seed=2), ffbench.MLP([5, 8, 3], seed=2)
    b.weights[0] = np.ascontiguousarray(a.weights[0][perm])     # (X[:, perm]) @ W[perm] = X @ W
    for model, inputs in ((a, X), (b, X[:, perm])):
        ffbench.train(model, inputs, y, loss="softmax_cross_entropy", optimizer=ffbench.optim.Adam(model, lr=0.01),
                      epochs=5, batch_size=10)
    np.testing.assert_allclose(a.forward(X), b.forward(X[:, perm]), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------- claims that can fail

def test_directional_claims_hold_fail_or_are_not_judged():
    holds = verdicts.directional("x", "x", [1.0, 1.1, 0.9, 1.0], source="s")
    fails = verdicts.directional("x", "x", [-1.0, -1.1, -0.9, -1.0], source="s")
    unsure = verdicts.directional("x", "x", [1.0, -1.0, 0.5, -0.4], source="s")
    few = verdicts.directional("x", "x", [1.0, 1.1], source="s")
    assert [c.verdict for c in (holds, fails, unsure, few)] == ["holds", "FAILS", "not judged", "not judged"]
    assert verdicts.costs_nothing("x", "x", [0.1, -0.1, 0.05, -0.02], source="s").verdict == "holds"
    assert verdicts.costs_nothing("x", "x", [-0.3, -0.31, -0.29, -0.3], source="s").verdict == "holds"   # a gain
    assert verdicts.costs_nothing("x", "x", [0.3, 0.31, 0.29, 0.3], source="s").verdict == "FAILS"
    assert verdicts.unchanged("x", "x", [-0.3, -0.31, -0.29, -0.3], source="s").verdict == "FAILS"
    assert verdicts.unchanged("x", "x", [0.01, -0.01, 0.02, -0.015], source="s").verdict == "holds"


def _run(final_loss, acc=0.5):
    return {"final_loss": final_loss, "final_test_acc": acc, "train_acc": acc, "steps": 100, "steps_to_target": None,
            "silent_fraction": 0.0}


def test_clipping_claims_fail_when_the_data_say_so():
    seeds = range(3)
    cells = {"sgd/lr=0.1/none": [(None, _run(0.5)) for _ in seeds],
             "sgd/lr=0.1/clip": [(None, _run(0.9 + 0.01 * s)) for s in seeds],        # clipping costs loss
             "sgd/lr=5/none": [(None, _run(float("nan"))) for _ in seeds],
             "sgd/lr=5/clip": [(None, _run(2.3)) for _ in seeds]}                    # and rescues nothing
    claims = {c.name: c for c in verdicts._clipping(cells)}
    assert claims["clipping_prevents_divergence"].verdict == "FAILS"
    assert claims["clipping_costs_nothing_lr=0.1"].verdict == "FAILS"


def test_baseline_claim_fails_far_from_the_paper():
    cells = {f"{m}/{d}": [(None, _run(1.0, acc)) for acc in (0.50, 0.51, 0.49)]
             for m in ("logreg", "mlp") for d in ("mnist1d", "mnist1d_shuffled", "digits")}
    claims = {c.name: c for c in verdicts._baseline(cells)}
    assert claims["baseline_mlp"].verdict == "FAILS" and claims["baseline_logreg"].verdict == "FAILS"
    assert claims["baseline_mlp_shuffle_invariant"].verdict == "holds"
