"""The MLP against PyTorch and finite differences: outputs, every gradient, BatchNorm, dropout, bad input."""
import numpy as np
import pytest

from ffbench import ACTIVATIONS, MLP
from ffbench.threads import threads

from helpers import central_difference, norm_rel_err, oracle
from references import TORCH


def _torch_twin(model):
    """A PyTorch module computing exactly what ``model`` computes, with the same weights."""
    torch = oracle("torch")
    nn, F = torch.nn, torch.nn.functional

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.linears = nn.ModuleList()
            self.norms = nn.ModuleList()
            for l, (W, b) in enumerate(zip(model.weights, model.biases)):
                lin = nn.Linear(*W.shape, dtype=torch.float64)
                lin.weight.data = torch.tensor(W.T.copy())
                lin.bias.data = torch.tensor(b.copy())
                self.linears.append(lin)
                if model.norm and l < model.depth - 1:
                    self.norms.append(nn.BatchNorm1d(W.shape[1], dtype=torch.float64))
            self.f = lambda t: TORCH[model.act.name](F, t, **model.act.params)

        def forward(self, x):
            for l, lin in enumerate(self.linears):
                z = lin(x)
                if l == len(self.linears) - 1:
                    return z
                if model.norm:
                    z = self.norms[l](z)
                a = self.f(z)
                x = x + model.residual_scale * a if model.is_residual(l) else a

    return Twin()


def _assert_same_as_torch(model, X, rtol=1e-10):
    torch = oracle("torch")
    twin = _torch_twin(model)
    twin.train()
    xt = torch.tensor(X, requires_grad=True)
    out_t = twin(xt)
    G = np.random.default_rng(1).normal(size=out_t.shape)
    out_t.backward(torch.tensor(G))
    out = model.forward(X, train=True)
    dX = model.backward(G)
    assert norm_rel_err(out, out_t.detach().numpy()) <= rtol
    assert norm_rel_err(dX, xt.grad.numpy()) <= rtol
    for l, lin in enumerate(twin.linears):
        assert norm_rel_err(model.grad_weights[l], lin.weight.grad.numpy().T) <= rtol, f"dW{l}"
        if model.norm and l < model.depth - 1:
            # BatchNorm subtracts the batch mean, so a bias before it has an exactly-zero gradient:
            # both sides hold rounding noise (~1e-16) there, and a relative error of noise means nothing.
            assert np.abs(model.grad_biases[l]).max() <= 1e-14 * max(1.0, np.abs(model.grad_weights[l]).max())
        else:
            assert norm_rel_err(model.grad_biases[l], lin.bias.grad.numpy()) <= rtol, f"db{l}"
    for bn, bn_t in zip(model.norms, twin.norms):
        assert norm_rel_err(bn.grad_gamma, bn_t.weight.grad.numpy()) <= rtol
        assert norm_rel_err(bn.grad_beta, bn_t.bias.grad.numpy()) <= rtol
        assert norm_rel_err(bn.running_mean, bn_t.running_mean.numpy()) <= rtol
        assert norm_rel_err(bn.running_var, bn_t.running_var.numpy()) <= rtol


@pytest.mark.parametrize("name", ACTIVATIONS)
@pytest.mark.parametrize("residual", [False, True])
def test_matches_pytorch(name, residual):
    rng = np.random.default_rng(hash((name, residual)) % 2**32)
    sizes = [5] + [int(w) for w in rng.integers(6, 12, size=1)] * 3 + [3]
    model = MLP(sizes, activation=name, init="xavier_normal", residual=residual, residual_scale=0.7,
                seed=3, bias_init="standard_uniform")
    _assert_same_as_torch(model, rng.normal(size=(16, 5)))


@pytest.mark.parametrize("residual", [False, True])
def test_batchnorm_matches_pytorch_in_train_and_eval(residual):
    torch = oracle("torch")
    model = MLP([4, 8, 8, 8, 2], activation="tanh", norm="batch", residual=residual, seed=5,
                bias_init="standard_uniform")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(10, 4)) * 3 + 1
    _assert_same_as_torch(model, X)
    # eval mode: running statistics after several training batches, on a fresh pair
    model = MLP([4, 8, 8, 8, 2], activation="tanh", norm="batch", residual=residual, seed=6)
    twin = _torch_twin(model)
    for _ in range(3):
        Xb = rng.normal(size=(10, 4))
        model.forward(Xb, train=True)
        twin.train()
        twin(torch.tensor(Xb))
    twin.eval()
    xt = torch.tensor(X, requires_grad=True)
    out_t = twin(xt)
    out_t.sum().backward()
    out = model.forward(X, train=False)
    dX = model.backward(np.ones_like(out))
    assert norm_rel_err(out, out_t.detach().numpy()) <= 1e-10
    assert norm_rel_err(dX, xt.grad.numpy()) <= 1e-10


@pytest.mark.parametrize("config", [dict(activation="tanh"), dict(activation="gelu", residual=True),
                                    dict(activation="softplus", norm="batch"),
                                    dict(activation="silu", norm="batch", residual=True)])
def test_whole_model_finite_differences(config):
    rng = np.random.default_rng(7)
    model = MLP([3, 6, 6, 6, 2], seed=2, init="xavier_normal", bias_init="standard_uniform", **config)
    X = rng.normal(size=(8, 3))
    T = rng.normal(size=(8, 2))

    def loss_of(_):
        return 0.5 * float(np.sum((model.forward(X, train=True) - T) ** 2))

    model.forward(X, train=True)
    model.backward(model.activations[-1] - T)
    analytic = [g.copy() for g in model.gradients()]
    for p, g in zip(model.parameters(), analytic):
        fd = central_difference(loss_of, p)
        if any(p is b for b, bn in zip(model.biases, model.norms) if bn is not None):
            # a bias before BatchNorm has an exactly-zero gradient; both sides are rounding noise
            assert np.abs(g).max() <= 1e-13 and np.abs(fd).max() <= 1e-7
        else:
            assert norm_rel_err(g, fd) <= 1e-6
    model.forward(X, train=True)
    dX = model.backward(model.activations[-1] - T)

    def loss_of_x(x):
        return 0.5 * float(np.sum((model.forward(x, train=True) - T) ** 2))
    assert norm_rel_err(dX, central_difference(loss_of_x, X.copy())) <= 1e-6


def test_dropout_mask_statistics_and_seeding():
    model = MLP([20, 400, 1], activation="identity", dropout=0.3, seed=11)
    X = np.ones((50, 20))
    model.forward(X, train=True)
    mask = model._masks[0]
    kept = mask != 0
    assert abs(kept.mean() - 0.7) < 5 * np.sqrt(0.7 * 0.3 / mask.size)
    np.testing.assert_allclose(mask[kept], 1 / 0.7, rtol=1e-15)
    again = MLP([20, 400, 1], activation="identity", dropout=0.3, seed=11)
    again.forward(X, train=True)
    np.testing.assert_array_equal(again._masks[0], mask)
    # evaluation mode: no dropout
    assert model.forward(X, train=False).tolist() == MLP([20, 400, 1], activation="identity", seed=11).forward(X).tolist()


def test_dropout_backward_uses_the_same_mask():
    model = MLP([3, 10, 2], activation="tanh", dropout=0.5, seed=4, bias_init="standard_uniform")
    rng = np.random.default_rng(2)
    X, T = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    out = model.forward(X, train=True)
    model.backward(out - T)
    mask, analytic = model._masks[0], model.grad_weights[0].copy()
    W = model.weights[0]

    def loss_of(_):
        h = np.tanh(X @ W + model.biases[0]) * mask
        return 0.5 * float(np.sum((h @ model.weights[1] + model.biases[1] - T) ** 2))
    assert norm_rel_err(analytic, central_difference(loss_of, W)) <= 1e-6


def test_state_for_studies_and_repr():
    model = MLP([2, 4, 4, 1], activation="relu", residual=True, norm="batch", dropout=0.1)
    X = np.random.default_rng(0).normal(size=(5, 2))
    model.forward(X, train=True)
    model.backward(np.ones((5, 1)))
    assert [z.shape for z in model.preactivations] == [(5, 4), (5, 4), (5, 1)]
    assert [d.shape for d in model.deltas] == [(5, 4), (5, 4), (5, 1)]
    assert model.parameters_count == 2 * 4 + 4 + 8 + 4 * 4 + 4 + 8 + 4 + 1
    text = repr(model)
    assert "Linear(2, 4) -> BatchNorm1d(4) -> relu -> Dropout(0.1)" in text
    assert "x + 1 * [Linear(4, 4)" in text and "(2): Linear(4, 1)" in text


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_preserved(dtype):
    model = MLP([3, 5, 2], dtype=dtype, norm="batch")
    out = model.forward(np.ones((4, 3), dtype), train=True)
    model.backward(np.ones_like(out))
    assert out.dtype == dtype
    assert all(g.dtype == dtype for g in model.gradients())


def test_bit_identical_on_one_and_two_threads():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 64))
    results = []
    for n in (1, 2):
        with threads(n):
            model = MLP([64, 128, 128, 10], activation="gelu", norm="batch", residual=True, seed=1)
            out = model.forward(X, train=True)
            model.backward(out)
            results.append([out] + [g.copy() for g in model.gradients()])
    assert all(np.array_equal(a, b) for a, b in zip(*results))


def test_bad_input():
    model = MLP([3, 4, 2])
    with pytest.raises(ValueError, match=r"X has shape \(5, 4\) but the model expects 3 input features"):
        model.forward(np.ones((5, 4)))
    with pytest.raises(ValueError, match="NaN"):
        model.forward(np.full((2, 3), np.nan))
    with pytest.raises(TypeError, match="float32 but float64 is required"):
        model.forward(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([3, 4, 2], activation="nope")
    with pytest.raises(ValueError, match="unknown initializer"):
        MLP([3, 4, 2], init="nope")
    with pytest.raises(ValueError, match="dropout"):
        MLP([3, 4, 2], dropout=1.0)
    with pytest.raises(ValueError, match="norm"):
        MLP([3, 4, 2], norm="layer")
    with pytest.raises(RuntimeError, match="before forward"):
        MLP([3, 4, 2]).backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match="batch of 1"):
        MLP([3, 4, 2], norm="batch").forward(np.ones((1, 3)), train=True)
