"""ffbench.lr_find: the range test's curve and rules, divergence, state restored bit for bit, bad input."""
import copy

import matplotlib
import numpy as np
import pytest

import ffbench
from ffbench.lr_find import LR_RULES, LRFinderResult, lr_find, plot_lr_find
from ffbench.optim import SGD, Adam, AdamW


def _problem(n=120, seed=0):
    return ffbench.data.blobs(n, centers=3, dim=6, std=1.5, seed=seed)


def _model(**kw):
    return ffbench.MLP([6, 16, 16, 3], seed=3, **kw)


def _arrays(model, optimizer):
    """Every array the model and optimiser own, and the scalars that steer the next step."""
    out = [a.copy() for a in model.parameters() + model.gradients()]
    for bn in model.norms:
        if bn is not None:
            out += [np.array(v, copy=True) for v in vars(bn).values() if isinstance(v, np.ndarray)]
    for key in ("exp_avgs", "exp_avg_sqs", "momentum_buffers"):
        out += [a.copy() for a in getattr(optimizer, key, [])]
    return out, (optimizer.lr, optimizer.steps)


OPTIMIZERS = {
    "sgd_momentum": lambda m: SGD(m, lr=0.05, momentum=0.9),
    "adam": lambda m: Adam(m, lr=1e-2),
    "adamw": lambda m: AdamW(m, lr=1e-2, weight_decay=0.1),
}


@pytest.mark.parametrize("end_lr", [1.0, 1e4], ids=["stable", "diverging"])
@pytest.mark.parametrize("opt", OPTIMIZERS)
def test_state_restored_bit_for_bit_and_training_continues_identically(opt, end_lr):
    X, y = _problem()
    twin_model, model = (_model(norm="batch", dropout=0.2) for _ in range(2))
    twin_opt, optimizer = OPTIMIZERS[opt](twin_model), OPTIMIZERS[opt](model)
    for m, o in ((twin_model, twin_opt), (model, optimizer)):   # some history in the optimiser state
        ffbench.train(m, X, y, loss="softmax_cross_entropy", optimizer=o, epochs=2, batch_size=20)
    first_weight = model.weights[0]
    before, scalars = _arrays(model, optimizer)
    result = lr_find(model, X, y, loss="softmax_cross_entropy", optimizer=optimizer, start_lr=1e-4,
                     end_lr=end_lr, num_steps=40, batch_size=20, clip_norm=5.0 if opt == "adam" else None)
    if end_lr > 1e3:
        assert result.stopped == "diverged"
    after, scalars_after = _arrays(model, optimizer)
    assert scalars_after == scalars
    assert len(after) == len(before)
    for a, b in zip(before, after):
        assert a.tobytes() == b.tobytes()
    assert model.weights[0] is first_weight                     # restored in place
    # the strongest check: the dropout stream, BatchNorm statistics and optimiser moments all
    # continue as if lr_find had never run
    hist = [ffbench.train(m, X, y, loss="softmax_cross_entropy", optimizer=o, epochs=2, batch_size=20, seed=5)
            for m, o in ((twin_model, twin_opt), (model, optimizer))]
    assert hist[0].step_loss == hist[1].step_loss
    for a, b in zip(twin_model.parameters(), model.parameters()):
        assert a.tobytes() == b.tobytes()


def test_curve_is_the_stated_schedule_and_smoothing():
    X, y = _problem()
    model = _model()
    r = lr_find(model, X, y, loss="softmax_cross_entropy", start_lr=1e-5, end_lr=1e-1, num_steps=30,
                batch_size=16, beta=0.9)
    assert r.stopped == "end_lr" and len(r.lrs) == len(r.losses) == len(r.smoothed) == 30
    np.testing.assert_allclose(r.lrs, np.geomspace(1e-5, 1e-1, 30), rtol=1e-12)
    average, expected = 0.0, []
    for i, loss in enumerate(r.losses):
        average = 0.9 * average + 0.1 * loss
        expected.append(average / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(r.smoothed, expected, rtol=1e-14)
    assert r.suggestion == r.suggestions["minimum"] == r.lrs[np.argmin(r.smoothed)] / 10
    assert r.rule == "minimum" and set(r.suggestions) == set(LR_RULES)
    # the same seed gives the same curve; another seed other mini-batches
    again = lr_find(model, X, y, loss="softmax_cross_entropy", start_lr=1e-5, end_lr=1e-1, num_steps=30,
                    batch_size=16, beta=0.9)
    np.testing.assert_array_equal(again.losses, r.losses)
    other = lr_find(model, X, y, loss="softmax_cross_entropy", start_lr=1e-5, end_lr=1e-1, num_steps=30,
                    batch_size=16, beta=0.9, seed=1)
    assert not np.array_equal(other.losses, r.losses)


def test_stops_at_divergence_and_suggests_from_the_stable_part():
    X, y = _problem()
    model = _model()
    r = lr_find(model, X, y, loss="softmax_cross_entropy", optimizer=SGD(model, lr=0.1), start_lr=1e-3,
                end_lr=1e6, num_steps=100, batch_size=16)
    assert r.stopped == "diverged" and len(r.lrs) < 100
    last = r.smoothed[-1]
    assert not np.isfinite(last) or last > 4.0 * r.smoothed[:-1].min()
    assert np.all(r.smoothed[:-1] <= 4.0 * np.minimum.accumulate(r.smoothed[:-1]))
    assert r.lrs[0] <= r.suggestion < r.lrs[-1]


def test_rules_on_a_known_curve():
    lrs = np.geomspace(1e-4, 1.0, 41)
    # loss falls fastest at lr = 1e-2 (a logistic step in log10 lr) and is lowest at the far end
    smoothed = 2.0 - np.tanh(2.0 * (np.log10(lrs) + 2.0)) - 0.01 * np.log10(lrs)
    assert LR_RULES["steepest"](lrs, smoothed, 0) == pytest.approx(1e-2)
    assert LR_RULES["minimum"](lrs, smoothed, 0) == pytest.approx(0.1)
    # skip_start hides the first steps from the steepest rule
    spiky = smoothed.copy()
    spiky[1] -= 5.0
    assert LR_RULES["steepest"](lrs, spiky, 5) == pytest.approx(1e-2)


def test_result_round_trips_and_plots(tmp_path):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    X, y = _problem()
    r = lr_find(_model(), X, y, loss="softmax_cross_entropy", num_steps=20, end_lr=1.0, rule="steepest")
    d = r.to_dict()
    assert d["suggestion"] == r.suggestions["steepest"] and len(d["lrs"]) == 20
    fig, axes = plt.subplots(1, 2)
    plot_lr_find(axes[0], r, marks={"sweep best": 1e-2})
    plot_lr_find(axes[1], copy.deepcopy(d))
    assert axes[0].get_xscale() == "log" and len(axes[0].lines) == 4
    fig.savefig(tmp_path / "lr.png")
    plt.close(fig)
    assert isinstance(r, LRFinderResult)


def test_bad_input():
    X, y = _problem()
    model = _model()
    kw = dict(loss="softmax_cross_entropy")
    for bad, match in [(dict(start_lr=1.0, end_lr=1.0), "start_lr"), (dict(start_lr=-1.0), "start_lr"),
                       (dict(end_lr=float("inf")), "end_lr"), (dict(num_steps=1), "num_steps"),
                       (dict(num_steps=0), "num_steps"), (dict(beta=1.0), "beta"),
                       (dict(diverge_factor=1.0), "diverge_factor"), (dict(rule="valley"), "rule"),
                       (dict(clip_norm=0.0), "clip_norm"), (dict(batch_size=0), "batch_size"),
                       (dict(optimizer=Adam(_model())), "another model")]:
        with pytest.raises(ValueError, match=match):
            lr_find(model, X, y, **kw, **bad)
    with pytest.raises(ValueError, match="labels"):
        lr_find(model, X, y + 5, **kw)
    with pytest.raises(ValueError, match="features"):
        lr_find(model, X[:, :3], y, **kw)


def test_divergence_after_the_first_step_suggests_the_start():
    X, y = _problem()
    model = _model()
    r = lr_find(model, X, y, loss="softmax_cross_entropy", optimizer=SGD(model, lr=1.0), start_lr=1e30,
                end_lr=1e31)
    assert r.stopped == "diverged" and len(r.lrs) == 2
    assert r.suggestions == {"minimum": 1e30 / 10, "steepest": 1e30}
