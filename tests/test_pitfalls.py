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
from ffbench.studies.pitfalls.learning_rate import learning_rate as judge_learning_rate

pytest.importorskip("mnist1d")
pytest.importorskip("sklearn")

PITFALLS = ("baseline", "activation", "batchnorm", "clipping", "learning_rate", "schedulers", "dropout", "dead")
FIGURES = [f"pitfalls_{p}" for p in PITFALLS if p != "baseline"] + [
    "pitfalls_effects", "pitfalls_lr_find", "pitfalls_baseline_table", "pitfalls_claims"]


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
        assert c["kind"] == "observation" or (c["rule"] and c["alpha"] == 0.01), c["name"]
    assert "logistic regression" in record["table"] and "paper 68%" in record["table"]


def test_render_from_record_alone(quick, tmp_path):
    out, _ = quick
    paths = fw.render_record(pitfalls, out / "pitfalls.json", tmp_path, ["png"])
    assert {f"{s}.png" for s in FIGURES} <= {p.name for p in paths}
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


def test_dead_units_per_layer_on_a_hand_built_network():
    model = ffbench.MLP([1, 2, 2, 1], seed=0)
    model.weights[0][:] = [[1.0, -1.0]]        # unit 0 fires at x > 0, unit 1 at x < 0
    model.weights[1][:] = [[1.0, -1.0], [0.0, -1.0]]   # unit 0 fires at x > 0, unit 1 never
    model.biases[0][:] = 0.0
    model.biases[1][:] = 0.0
    X = np.array([[-1.0], [2.0]])
    assert experiment.silent_per_layer(model, X) == [0.0, 0.5]
    assert experiment.silent_per_layer(ffbench.MLP([1, 1]), X) == []


def test_a_loss_diverges_when_non_finite_or_ten_times_the_first():
    assert not experiment.exploded([2.3, 5.0, 20.0, 0.4])
    assert experiment.exploded([2.3, 24.0, 0.4])
    assert experiment.exploded([2.3, float("nan")])
    assert not experiment.exploded([])


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

def _run(final_loss=0.5, acc=0.6, **extra):
    """A result dict as ``experiment.train_run`` returns it (only what the verdicts read)."""
    return {"final_loss": final_loss, "final_test_acc": acc, "train_acc": acc, "steps": 1000,
            "steps_to_target": None, "silent_per_layer": [0.0, 0.0], "exploded": False, "diverged": False,
            "grad_norm_mean": 2.0, "clipped_fraction": 0.5, **extra}


def _cell(values, **fixed):
    """One cell, one run per seed: ``values`` is a list of dicts of overrides (or numbers for ``acc``)."""
    return [(None, _run(**({"acc": v} if not isinstance(v, dict) else v), **fixed)) for v in values]


NOISE = np.array([0.0, 0.004, -0.003, 0.002, -0.004, 0.001, 0.003, -0.002, -0.001, 0.0])


def _judged(claims):
    return {c.name: c for c in claims if c.kind != "observation"}


def _all_fail(claims):
    judged = _judged(claims)
    assert judged and all(c.verdict == "FAILS" for c in judged.values()), {n: c.verdict for n, c in judged.items()}


def test_baseline_claims_fail_far_from_the_paper_and_with_a_shuffle_effect():
    plain = 0.5 + NOISE
    cells = {f"{m}/{d}": _cell(plain + (0.1 if d == "mnist1d_shuffled" else 0.0))
             for m in ("logreg", "mlp") for d in ("mnist1d", "mnist1d_shuffled", "digits")}
    _all_fail(verdicts.baseline(cells, 0.02))
    same = {name: _cell(plain) for name in cells}
    assert _judged(verdicts.baseline(same, 0.02))["baseline_mlp_shuffle_invariant"].verdict == "holds"


def test_activation_claim_fails_when_tanh_is_slower():
    cells = {"sigmoid": _cell([{"steps_to_target": 100 + k} for k in range(6)]),
             "tanh": _cell([{"steps_to_target": 300 + k} for k in range(6)])}
    _all_fail(verdicts.activation(cells))


def test_batchnorm_claims_fail_when_bn_hurts():
    cells = {}
    for lr in (0.01, 0.1):
        cells[f"deep/lr={lr:g}/plain"] = _cell(0.6 + NOISE)
        cells[f"deep/lr={lr:g}/batch"] = _cell([{"acc": 0.3 + n, "final_loss": 1.0 if lr == 0.01 else 2.2}
                                                for n in NOISE])
    cells["shallow/lr=0.01/plain"] = _cell(0.6 + NOISE)
    cells["shallow/lr=0.01/batch"] = _cell(0.6 + NOISE)
    _all_fail(verdicts.batchnorm(cells, 0.02))


def test_clipping_claims_fail_when_clipping_costs_and_diverges():
    seeds = range(10)
    cells = {"adamw/none": _cell(0.6 + NOISE), "adamw/clip": _cell(0.5 + NOISE),
             "sgd/lr=5/none": _cell([{"exploded": False} for _ in seeds]),
             "sgd/lr=5/clip": _cell([{"exploded": True} for _ in seeds])}
    _all_fail(verdicts.clipping(cells, 0.02, 1.0))
    cells["sgd/lr=5/none"], cells["sgd/lr=5/clip"] = cells["sgd/lr=5/clip"], cells["sgd/lr=5/none"]
    assert _judged(verdicts.clipping(cells, 0.02, 1.0))["clipping_prevents_divergence"].verdict == "holds"


def test_learning_rate_claims_fail_when_the_notes_are_wrong():
    seeds = range(8)
    cells = {"lr=0.001": _cell([{"acc": 0.7 + n, "final_loss": 0.6} for n in NOISE[:8]]),
             "lr=0.01": _cell([{"acc": 0.5 + n, "final_loss": 0.3} for n in NOISE[:8]]),   # lowest training loss
             "lr=1": _cell([{"final_loss": 2.3, "exploded": False, "silent_per_layer": [0.0, 1.0]} for _ in seeds]),
             "slow/lr=0.01": _cell([{"steps_to_target": 100} for _ in seeds]),
             "slow/lr=0.0001": _cell([{"steps_to_target": 1000 + 10 * k} for k in seeds]),   # 10x, not 100x
             "lr_find": [(None, {"suggestion": 1e-5 * (1 + 0.01 * k)}) for k in seeds]}
    claims, info = judge_learning_rate(cells)
    assert info["best_lr"] == 0.01
    _all_fail(claims)


def test_scheduler_dropout_and_dead_claims_fail_when_the_effect_is_reversed():
    _all_fail(verdicts.schedulers({"constant": _cell(0.6 + NOISE), "cosine": _cell(0.5 + NOISE),
                                   "plateau": _cell(0.5 + NOISE)}))
    wide = [{"acc": 0.6 + n, "train_acc": 0.7} for n in NOISE]
    narrow_fail = [{"acc": 0.5 + n, "train_acc": 0.9} for n in NOISE]
    _all_fail(verdicts.dropout({"p=0": _cell(wide), "p=0.3": _cell(narrow_fail)}))
    alive = [{"silent_per_layer": [0.0, 0.01 + n / 10], "acc": 0.6 + n} for n in NOISE]
    dead_low = [{"silent_per_layer": [0.3, 0.9 + n], "acc": 0.6 + n} for n in NOISE]
    claims = verdicts.dead({"relu/lr=0.001": _cell(dead_low), "relu/lr=0.1": _cell(
        [{"silent_per_layer": [0.2, 0.8 + n], "acc": 0.6 + n} for n in NOISE]),
        "leaky_relu/lr=0.001": _cell(alive), "leaky_relu/lr=0.1": _cell([{"acc": 0.3 + n} for n in NOISE])}, 0.05)
    _all_fail(claims)
    kept = verdicts.dead({"relu/lr=0.001": _cell(alive), "relu/lr=0.1": _cell(alive)}, 0.05)
    assert _judged(kept)["dead_he_init_prevents"].verdict == "holds"
