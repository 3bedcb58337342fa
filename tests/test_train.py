"""The training loop: it learns what it should, reproducibly, and reports divergence and bad input."""
import numpy as np
import pytest

import ffbench
from ffbench import MLP, data
from ffbench.optim import Adam, AdamW, SGD, StepLR
from ffbench.threads import threads
from ffbench.train import accuracy, train


def test_tanh_net_learns_xor():
    X, y = data.xor(n_per_corner=1)
    model = MLP([2, 16, 16, 1], activation="tanh", init="xavier_normal", seed=0)
    history = train(model, X, y.astype(np.float64), loss="bce_with_logits", optimizer=Adam(model, lr=0.05),
                    epochs=300, batch_size=4)
    assert accuracy(model, X, y) == 1.0
    assert history.epoch_loss[-1] < 0.05 * history.epoch_loss[0]


def test_two_spirals_reach_95_percent():
    X, y = data.two_spirals(n=400, noise=0.0, seed=0)
    model = MLP([2, 64, 64, 2], activation="relu", seed=1)
    train(model, X, y, loss="softmax_cross_entropy", optimizer=Adam(model, lr=0.01), epochs=300,
          batch_size=64, seed=2)
    assert accuracy(model, X, y) >= 0.95


def _run(seed=0):
    X, y = data.two_spirals(n=256, noise=0.05, seed=0)
    model = MLP([2, 32, 32, 2], activation="gelu", norm="batch", seed=seed)
    opt = SGD(model, lr=0.1, momentum=0.9)
    history = train(model, X, y, loss="cross_entropy", optimizer=opt, scheduler=StepLR(opt, 5, 0.5),
                    epochs=12, batch_size=32, seed=seed, clip_norm=1.0, record_grad_norms=True)
    return history, model


def test_same_seed_gives_bit_identical_histories_on_one_and_two_threads():
    with threads(1):
        h1, m1 = _run()
    with threads(2):
        h2, m2 = _run()
    assert h1.step_loss == h2.step_loss and h1.grad_norms == h2.grad_norms and h1.lr == h2.lr
    assert all(np.array_equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))
    h3, _ = _run(seed=1)
    assert h3.step_loss != h1.step_loss


def test_history_contents():
    history, model = _run()
    assert len(history.epoch_loss) == 12 and len(history.step_loss) == 12 * 8
    assert history.lr[0] == 0.1 and history.lr[-1] == 0.1 * 0.5 ** 2
    assert len(history.grad_norms) == model.depth and len(history.grad_norms[0]) == 96
    assert len(history.clip_norms) == 96 and not history.diverged and history.wall_time_s > 0


def test_divergence_is_recorded_not_raised():
    X, y = data.teacher(64, [4, 8, 1], seed=0)
    model = MLP([4, 32, 32, 1], activation="relu", seed=0)
    with np.errstate(all="ignore"):
        history = train(model, X, y, optimizer=SGD(model, lr=1e6), epochs=50, batch_size=16)
    assert history.diverged and history.diverged_at_step is not None
    assert not np.isfinite(history.step_loss[-1])


def test_train_step_returns_the_loss():
    X, y = data.teacher(32, [3, 5, 2], seed=1)
    model = MLP([3, 8, 2], seed=0)
    opt = SGD(model, lr=0.05)
    first = model.train_step(X, y, "mse", opt)
    for _ in range(20):
        last = model.train_step(X, y, "mse", opt)
    assert last < first


def test_bad_input():
    model = MLP([2, 4, 3])
    X = np.ones((5, 2))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        train(model, X, np.array([0, 1, 2, 3, 0]), loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match="X has 5 rows"):
        train(model, X, np.array([0, 1, 2]), loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match=r"y has shape \(4, 3\)"):
        train(model, X, np.ones((4, 3)))
    with pytest.raises(ValueError, match="NaN"):
        train(model, np.full((5, 2), np.nan), np.ones((5, 3)))
    with pytest.raises(ValueError, match="expects 2 input features"):
        train(model, np.ones((5, 3)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="unknown loss"):
        train(model, X, np.ones((5, 3)), loss="hinge")
    with pytest.raises(TypeError, match="integers"):
        train(model, X, np.ones(5), loss="softmax_cross_entropy")


def test_batchnorm_skips_a_final_batch_of_one_sample():
    X, y = data.teacher(33, [3, 5, 1], seed=0)
    model = MLP([3, 8, 1], norm="batch", seed=0)
    history = train(model, X, y, epochs=2, batch_size=32)
    assert len(history.step_loss) == 2 and not history.diverged
    with pytest.raises(ValueError, match="at least 2 samples"):
        train(MLP([3, 8, 1], norm="batch"), X[:1], y[:1])


def test_an_activation_object_with_new_parameters_is_rebound():
    from ffbench import activation
    act = activation("leaky_relu", negative_slope=0.2)
    assert activation(act) is act
    assert activation(act, negative_slope=0.5).params == {"negative_slope": 0.5}


# --- the compiled path (ffbench.fused) against the layer-by-layer path --------------------------

def _both_paths(monkeypatch, make, **kwargs):
    """Train the model ``make()`` returns through both paths; returns (compiled, general) results."""
    from ffbench import fused
    results = []
    for enabled in (True, False):
        monkeypatch.setattr(fused, "ENABLED", enabled)
        model, opt, X, y, loss = make()
        assert fused.applies(model, opt, kwargs["batch_size"]) == enabled
        history = train(model, X, y, loss=loss, optimizer=opt, **kwargs)
        results.append((model, opt, history))
    return results


def _same(a, b):
    (ma, oa, ha), (mb, ob, hb) = a, b
    assert all(np.array_equal(x, y, equal_nan=True)
               for x, y in zip(ma.parameters() + ma.gradients(), mb.parameters() + mb.gradients()))
    assert np.array_equal(ha.step_loss, hb.step_loss, equal_nan=True)
    assert ha.epoch_loss == hb.epoch_loss and ha.lr == hb.lr
    assert (ha.diverged, ha.diverged_at_step) == (hb.diverged, hb.diverged_at_step) and oa.steps == ob.steps


CASES = [  # dtype, activation, loss, optimiser, residual, batch size (37 rows: a partial last batch)
    (np.float32, "tanh", "mse", lambda m: SGD(m, lr=0.05, momentum=0.9, nesterov=True), False, 8),
    (np.float64, "relu", "softmax_cross_entropy", lambda m: Adam(m, lr=0.01, weight_decay=1e-3), True, 37),
    (np.float32, "gelu", "bce_with_logits", lambda m: AdamW(m, lr=0.01), True, 16),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{np.dtype(c[0]).name}-{c[1]}-{c[2]}")
def test_the_compiled_path_gives_the_bits_of_the_general_path(monkeypatch, case):
    dtype, act, loss, make_opt, residual, batch = case

    def make():
        rng = np.random.default_rng(5)
        X = rng.standard_normal((37, 3)).astype(dtype)
        y = rng.integers(0, 3, 37) if loss == "softmax_cross_entropy" else (rng.standard_normal((37, 3)) > 0).astype(dtype)
        model = MLP([3, 8, 8, 3], act, residual=residual, dtype=dtype, seed=1)
        return model, make_opt(model), X, y, loss

    _same(*_both_paths(monkeypatch, make, epochs=4, batch_size=batch, seed=3))
    # with a scheduler and a callback between epochs (one compiled call per epoch)
    stops = lambda epoch, history: epoch == 2  # noqa: E731

    def make_scheduled():
        model, opt, X, y, loss_ = make()
        return model, opt, X, y, loss_

    first, second = _both_paths(monkeypatch, make_scheduled, epochs=5, batch_size=batch, seed=3, callback=stops)
    _same(first, second)
    assert len(first[2].epoch_loss) == 3


def test_the_compiled_path_follows_schedulers_and_divergence(monkeypatch):
    def make():
        X, y = data.teacher(40, [4, 8, 1], seed=0)
        model = MLP([4, 16, 16, 1], activation="relu", seed=0)
        return model, SGD(model, lr=1e6), X, y, "mse"

    with np.errstate(all="ignore"):
        compiled, general = _both_paths(monkeypatch, make, epochs=30, batch_size=16)
    _same(compiled, general)
    assert compiled[2].diverged

    def make_scheduled():
        model, opt, X, y, loss = make()
        opt.lr = 0.01
        return model, opt, X, y, loss

    results = []
    from ffbench import fused
    for enabled in (True, False):
        monkeypatch.setattr(fused, "ENABLED", enabled)
        model, opt, X, y, loss = make_scheduled()
        results.append((model, opt, train(model, X, y, optimizer=opt, scheduler=StepLR(opt, 2, 0.5), epochs=5,
                                          batch_size=16)))
    _same(*results)
    assert results[0][2].lr[-1] == 0.01 * 0.5 ** 2


def test_train_step_takes_the_compiled_path_with_the_same_bits(monkeypatch):
    from ffbench import fused
    X, y = data.teacher(32, [2, 5, 1], seed=1)
    X, y = X.astype(np.float32), y.astype(np.float32)
    out = []
    for enabled in (True, False):
        monkeypatch.setattr(fused, "ENABLED", enabled)
        model = MLP([2, 16, 16, 1], "tanh", dtype=np.float32, seed=0)
        opt = Adam(model, lr=0.01)
        losses = [model.train_step(X, y, "mse", opt) for _ in range(5)]
        out.append((losses, model.parameters()))
    assert out[0][0] == out[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(out[0][1], out[1][1]))


def test_the_compiled_path_is_chosen_by_size():
    from ffbench import fused
    small = MLP([2, 16, 16, 1])
    assert fused.applies(small, Adam(small), 32)
    assert not fused.applies(small, Adam(small), 32, clip_norm=1.0)
    assert not fused.applies(small, Adam(small), 32, record_grad_norms=True)
    assert not fused.applies(small, Adam(small), 4096)        # 4096 x 16 elements: parallel kernels pay
    wide = MLP([2, 512, 512, 1])
    assert not fused.applies(wide, Adam(wide), 32)            # 512 x 512 weights: a parallel update
    normed = MLP([2, 16, 1], norm="batch")
    assert not fused.applies(normed, Adam(normed), 32)


def test_history_repr_is_a_short_summary():
    from ffbench.train import History

    history = History(step_loss=[1.0] * 5000, epoch_loss=[2.3, 0.51], lr=[0.1] * 5000, wall_time_s=1.5)
    assert repr(history) == "History(2 epochs, 5000 steps, epoch loss 2.3 -> 0.51, lr 0.1, 1.5 s)"
    assert "DIVERGED at step 7" in repr(History(diverged=True, diverged_at_step=7))


def test_evaluate_gives_loss_and_accuracy_in_evaluation_mode():
    X, y = ffbench.data.two_spirals(n=64, seed=0)
    model = ffbench.MLP([2, 16, 2], activation="tanh", dropout=0.5, seed=3)
    result = ffbench.evaluate(model, X, y, loss="softmax_cross_entropy")
    expected, _ = ffbench.losses.softmax_cross_entropy(model.forward(X), y)
    assert result == {"loss": expected, "accuracy": ffbench.accuracy(model, X, y)}
    assert ffbench.evaluate(model, X, y, loss="ce") == result  # deterministic: no dropout when evaluating
    assert ffbench.evaluate(model, X, np.zeros((64, 2)), loss="mse")["accuracy"] is None
    with pytest.raises(ValueError):
        ffbench.evaluate(model, X, y[:10], loss="softmax_cross_entropy")
