"""The training loop: it learns what it should, reproducibly, and reports divergence and bad input."""
import numpy as np
import pytest

from ffbench import MLP, data
from ffbench.optim import Adam, SGD, StepLR
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
