"""Optimisers, gradient clipping and schedulers: hand-checked formulas, then PyTorch as the oracle.

The oracle tests replay the same parameters and the same random gradients through ``torch.optim``
(``foreach=False``, the single-tensor reference path) and compare the weights after 50 steps.  The
schedulers must give PyTorch's learning-rate floats exactly (``==``).
"""
import math

import numba
import numpy as np
import pytest

from ffbench import optim
from ffbench.threads import threads

from helpers import oracle

SHAPES = [(6, 5), (5,), (5, 3), (3,)]


class FakeModel:
    """The model contract in miniature: lists of parameters and same-shaped gradient buffers."""

    def __init__(self, shapes=SHAPES, dtype=np.float64, seed=0):
        rng = np.random.default_rng(seed)
        self.params = [rng.standard_normal(s).astype(dtype) for s in shapes]
        self.grads = [np.zeros(s, dtype) for s in shapes]

    def parameters(self):
        return self.params

    def gradients(self):
        return self.grads


def one_element(p):
    return _with_params([np.array([p])])


def _with_params(params):
    model = FakeModel(shapes=[])
    model.params = params
    model.grads = [np.zeros_like(p) for p in params]
    return model


def rel_err(ours, theirs):
    """Worst over arrays of max|ours - theirs| / max|theirs|."""
    return max(float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(ours, theirs))


@pytest.fixture(scope="module")
def torch():
    return oracle("torch")


# ----------------------------------------------------------------------------------------------
# Formulas on a one-element problem (no torch needed)

def test_sgd_hand_example():
    model = one_element(1.0)
    model.grads[0][0] = 2.0
    optim.SGD(model, lr=0.1).step()
    assert model.params[0][0] == pytest.approx(0.8, rel=1e-15)


def _sgd_reference(p, grads, lr, momentum, dampening, nesterov, weight_decay):
    """torch.optim.SGD's documented algorithm for one scalar, in Python floats."""
    buf = None
    for g in grads:
        d = g + weight_decay * p
        if momentum:
            buf = d if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
    return p


def _adam_reference(p, grads, lr, beta1, beta2, eps, weight_decay, decoupled):
    """torch.optim.Adam/AdamW's documented algorithm for one scalar, in Python floats."""
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p


GRADS_1D = [2.0, -1.0, 0.5, 3.0, -0.25, 0.0, 1.5]


@pytest.mark.parametrize("kw", [dict(lr=0.1), dict(lr=0.1, momentum=0.9),
                                dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.1),
                                dict(lr=0.05, momentum=0.5, nesterov=True, weight_decay=0.3)])
def test_sgd_matches_formula_on_one_element(kw):
    model = one_element(1.5)
    opt = optim.SGD(model, **kw)
    for g in GRADS_1D:
        model.grads[0][0] = g
        opt.step()
    expected = _sgd_reference(1.5, GRADS_1D, kw["lr"], kw.get("momentum", 0.0),
                              kw.get("dampening", 0.0), kw.get("nesterov", False),
                              kw.get("weight_decay", 0.0))
    assert model.params[0][0] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("cls, kw", [(optim.Adam, dict(lr=0.01)),
                                     (optim.Adam, dict(lr=0.01, betas=(0.3, 0.9), weight_decay=0.2)),
                                     (optim.AdamW, dict(lr=0.01, betas=(0.6, 0.99), weight_decay=0.5))])
def test_adam_matches_formula_on_one_element(cls, kw):
    model = one_element(1.5)
    opt = cls(model, **kw)
    for g in GRADS_1D:
        model.grads[0][0] = g
        opt.step()
    beta1, beta2 = kw.get("betas", (0.9, 0.999))
    expected = _adam_reference(1.5, GRADS_1D, kw["lr"], beta1, beta2, 1e-8,
                               kw.get("weight_decay", 0.0), cls is optim.AdamW)
    assert model.params[0][0] == pytest.approx(expected, rel=1e-14)


def test_adam_first_step_moves_by_lr_times_sign():
    """Bias correction makes the first step exactly lr * g / (|g| + eps), about lr * sign(g)."""
    model = FakeModel()
    before = [p.copy() for p in model.params]
    rng = np.random.default_rng(1)
    for g in model.grads:
        g[...] = rng.standard_normal(g.shape)
    optim.Adam(model, lr=0.01).step()
    for p, p0, g in zip(model.params, before, model.grads):
        np.testing.assert_allclose(p0 - p, 0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adamw_with_zero_gradient_only_decays():
    model = one_element(2.0)
    opt = optim.AdamW(model, lr=0.1, weight_decay=0.5)
    for _ in range(5):
        opt.step()
    assert model.params[0][0] == pytest.approx(2.0 * 0.95 ** 5, rel=1e-15)


def test_clip_grad_norm_formula():
    model = FakeModel(shapes=[(2,), (1,)])
    model.grads[0][:] = [3.0, 0.0]
    model.grads[1][:] = [-4.0]
    assert optim.clip_grad_norm(model, 1.0) == 5.0
    coef = 1.0 / (5.0 + 1e-6)
    np.testing.assert_allclose(model.grads[0], [3.0 * coef, 0.0], rtol=1e-15)
    np.testing.assert_allclose(model.grads[1], [-4.0 * coef], rtol=1e-15)
    # Below the limit nothing changes; the inf-norm is the largest magnitude.
    assert optim.clip_grad_norm(model, 10.0, norm_type=1) == pytest.approx(7.0 * coef)
    np.testing.assert_allclose(model.grads[1], [-4.0 * coef], rtol=1e-15)
    assert optim.clip_grad_norm(model, 10.0, norm_type=math.inf) == pytest.approx(4.0 * coef)


def test_clip_grad_norm_nonfinite_follows_torch_default():
    model = FakeModel(shapes=[(3,)])
    model.grads[0][:] = [1.0, np.inf, 2.0]
    assert optim.clip_grad_norm(model, 1.0) == math.inf
    np.testing.assert_array_equal(model.grads[0], [0.0, np.nan, 0.0])
    model.grads[0][:] = [1.0, np.nan, 2.0]
    assert math.isnan(optim.clip_grad_norm(model, 1.0, norm_type=math.inf))
    assert np.isnan(model.grads[0]).all()


def _lrs(sched, n, metrics=None):
    out = [sched.get_last_lr()]
    for k in range(n):
        sched.step() if metrics is None else sched.step(metrics[k])
        out.append(sched.get_last_lr())
    return out


def test_step_lr_follows_closed_form():
    opt = optim.SGD(FakeModel(), lr=0.2)
    lrs = _lrs(optim.StepLR(opt, step_size=3, gamma=0.5), 20)
    np.testing.assert_allclose(lrs, [0.2 * 0.5 ** (e // 3) for e in range(21)], rtol=1e-15)
    assert opt.lr == lrs[-1]


def test_cosine_follows_closed_form():
    opt = optim.SGD(FakeModel(), lr=0.1)
    lrs = _lrs(optim.CosineAnnealingLR(opt, T_max=25, eta_min=0.001), 60)
    closed = [0.001 + 0.099 * (1 + math.cos(math.pi * e / 25)) / 2 for e in range(61)]
    np.testing.assert_allclose(lrs, closed, rtol=0, atol=1e-14)


def test_plateau_patience_and_cooldown_by_hand():
    opt = optim.SGD(FakeModel(), lr=1.0)
    sched = optim.ReduceLROnPlateau(opt, factor=0.5, patience=2, cooldown=1)
    lrs = _lrs(sched, 9, metrics=[1.0] * 9)
    # Epoch 1 sets the best; epochs 2-4 are bad (3 > patience) -> cut at 4; epoch 5 is cooldown;
    # epochs 6-8 are bad -> cut at 8.
    assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25]


def test_plateau_respects_min_lr_and_eps():
    opt = optim.SGD(FakeModel(), lr=1.0)
    lrs = _lrs(optim.ReduceLROnPlateau(opt, patience=0, min_lr=0.05), 5, metrics=[1.0] * 5)
    assert lrs == [1.0, 1.0, 0.1, 0.05, 0.05, 0.05]
    opt = optim.SGD(FakeModel(), lr=1e-8)
    lrs = _lrs(optim.ReduceLROnPlateau(opt, patience=0), 3, metrics=[1.0] * 3)
    assert lrs == [1e-8] * 4  # a cut smaller than eps is skipped


# ----------------------------------------------------------------------------------------------
# PyTorch oracle: 50 steps with random gradients

OPTIMISER_CASES = {
    "sgd": (optim.SGD, dict(lr=0.05)),
    "sgd-momentum": (optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd-dampening": (optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "sgd-nesterov": (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd-weight-decay": (optim.SGD, dict(lr=0.05, momentum=0.8, weight_decay=0.05)),
    "sgd-nesterov-decay-clip": (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True,
                                                weight_decay=1e-3)),
    "adam": (optim.Adam, dict(lr=0.01)),
    "adam-weight-decay": (optim.Adam, dict(lr=0.01, weight_decay=0.1)),
    "adam-small-beta1": (optim.Adam, dict(lr=0.01, betas=(0.3, 0.9), eps=1e-6)),  # lerp's other branch
    "adamw": (optim.AdamW, dict(lr=0.01)),
    "adamw-strong-decay-clip": (optim.AdamW, dict(lr=0.02, betas=(0.8, 0.99), weight_decay=0.3)),
}
TORCH_CLASSES = {optim.SGD: "SGD", optim.Adam: "Adam", optim.AdamW: "AdamW"}
TOLERANCE = {np.float64: 1e-9, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", sorted(OPTIMISER_CASES))
def test_fifty_steps_match_torch(torch, case, dtype):
    cls, kw = OPTIMISER_CASES[case]
    clip = 1.0 if case.endswith("clip") else None
    model = FakeModel(dtype=dtype, seed=3)
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in model.params]
    topt = getattr(torch.optim, TORCH_CLASSES[cls])(tparams, foreach=False, **kw)
    opt = cls(model, **kw)
    rng = np.random.default_rng(4)
    for _ in range(50):
        for g, tp in zip(model.grads, tparams):
            g[...] = rng.standard_normal(g.shape)
            tp.grad = torch.from_numpy(g.copy())
        if clip is not None:
            norm = optim.clip_grad_norm(model, clip)
            tnorm = torch.nn.utils.clip_grad_norm_(tparams, clip)
            assert norm == pytest.approx(float(tnorm), rel=TOLERANCE[dtype])
        opt.step()
        topt.step()
    assert all(p.dtype == dtype for p in model.params)
    err = rel_err(model.params, [tp.detach().numpy() for tp in tparams])
    assert err <= TOLERANCE[dtype], f"{case} {np.dtype(dtype)}: relative error {err:.3g}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(torch, dtype, norm_type, max_norm):
    model = FakeModel(dtype=dtype)
    rng = np.random.default_rng(5)
    for g in model.grads:
        g[...] = rng.standard_normal(g.shape)
    tgrads = [torch.tensor(g.copy()) for g in model.grads]
    tparams = [torch.zeros(g.shape, dtype=tg.dtype, requires_grad=True) for g, tg in zip(model.grads, tgrads)]
    for tp, tg in zip(tparams, tgrads):
        tp.grad = tg
    norm = optim.clip_grad_norm(model, max_norm, norm_type=norm_type)
    tnorm = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)
    tol = 1e-14 if dtype == np.float64 else 1e-6
    assert norm == pytest.approx(float(tnorm), rel=tol)
    assert rel_err(model.grads, [tp.grad.numpy() for tp in tparams]) <= tol


def test_clip_grad_norm_nonfinite_matches_torch(torch):
    for bad in (np.inf, np.nan):
        model = FakeModel()
        model.grads[0][...] = 1.0
        model.grads[2][1, 1] = bad
        tparams = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in model.grads]
        for tp, g in zip(tparams, model.grads):
            tp.grad = torch.from_numpy(g.copy())
        norm = optim.clip_grad_norm(model, 1.0)
        tnorm = float(torch.nn.utils.clip_grad_norm_(tparams, 1.0))
        assert norm == tnorm or (math.isnan(norm) and math.isnan(tnorm))
        for g, tp in zip(model.grads, tparams):
            np.testing.assert_array_equal(g, tp.grad.numpy())


# ----------------------------------------------------------------------------------------------
# Schedulers: PyTorch's learning-rate floats, exactly

def _torch_lrs(torch, make, lr, n, metrics=None):
    topt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    tsched = make(topt)
    out = [tsched.get_last_lr()[0]]
    for k in range(n):
        topt.step()  # no gradient: a no-op that keeps torch's call-order check quiet
        tsched.step() if metrics is None else tsched.step(metrics[k])
        out.append(tsched.get_last_lr()[0])
    return out


SCHEDULE_CASES = {
    "step-7-half": ("step", dict(step_size=7, gamma=0.5), 0.1),
    "step-3-tenth": ("step", dict(step_size=3, gamma=0.1), 0.3),
    "step-1-0.97": ("step", dict(step_size=1, gamma=0.97), 0.05),
    "cosine-30": ("cosine", dict(T_max=30, eta_min=1e-3), 0.1),
    "cosine-7": ("cosine", dict(T_max=7), 0.3),
    "cosine-1": ("cosine", dict(T_max=1, eta_min=0.01), 0.1),
    "cosine-100": ("cosine", dict(T_max=100), 1e-3),
}
TORCH_SCHEDULERS = {"step": "StepLR", "cosine": "CosineAnnealingLR", "plateau": "ReduceLROnPlateau"}


@pytest.mark.parametrize("case", sorted(SCHEDULE_CASES))
def test_schedule_matches_torch_exactly(torch, case):
    name, kw, lr = SCHEDULE_CASES[case]
    ours = _lrs(optim.scheduler(name, optim.SGD(FakeModel(), lr=lr), **kw), 150)
    theirs = _torch_lrs(torch, lambda o: getattr(torch.optim.lr_scheduler, TORCH_SCHEDULERS[name])(o, **kw),
                        lr, 150)
    assert ours == theirs


def _plateau_metrics(sign):
    """A loss-like curve: falls, plateaus with noise, ties, a NaN, falls again; ``sign=-1`` for accuracy."""
    rng = np.random.default_rng(6)
    t = np.arange(140)
    base = np.where(t < 40, 1.0 / (1 + 0.1 * t), 0.2) - np.where(t > 90, 0.001 * (t - 90), 0.0)
    values = list(sign * (base + 0.002 * rng.standard_normal(t.size)))
    values[60:66] = [values[59]] * 6  # exact ties with the best need strict improvement
    values[70] = float("nan")
    return values


PLATEAU_CASES = {
    "min-rel": dict(mode="min", factor=0.5, patience=3, cooldown=2),
    "min-abs": dict(mode="min", factor=0.3, patience=0, threshold=0.01, threshold_mode="abs"),
    "max-rel": dict(mode="max", factor=0.5, patience=2, threshold=1e-3, cooldown=1),
    "max-abs-min-lr": dict(mode="max", factor=0.1, patience=1, threshold=1e-3, threshold_mode="abs",
                           min_lr=2e-4),
    "min-defaults": dict(),
    "min-large-eps": dict(patience=1, factor=0.9, eps=5e-3),
}


@pytest.mark.parametrize("case", sorted(PLATEAU_CASES))
def test_plateau_matches_torch_exactly(torch, case):
    kw = PLATEAU_CASES[case]
    metrics = _plateau_metrics(-1.0 if kw.get("mode") == "max" else 1.0)
    ours = _lrs(optim.ReduceLROnPlateau(optim.SGD(FakeModel(), lr=0.1), **kw), len(metrics), metrics)
    theirs = _torch_lrs(torch, lambda o: torch.optim.lr_scheduler.ReduceLROnPlateau(o, **kw), 0.1,
                        len(metrics), metrics)
    assert ours == theirs
    if case != "min-large-eps":
        assert len(set(ours)) >= 3, "the scripted metrics should trigger at least two cuts"


# ----------------------------------------------------------------------------------------------
# Threads, dtypes, state and bad input

@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 Numba threads")
@pytest.mark.parametrize("cls, kw", [(optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
                                     (optim.Adam, dict(weight_decay=0.1)), (optim.AdamW, {})])
def test_one_and_two_threads_bit_identical(cls, kw):
    results = []
    for n in (1, 2):
        model = FakeModel(shapes=[(300, 200), (200,)], seed=7)
        opt = cls(model, **kw)
        rng = np.random.default_rng(8)
        with threads(n):
            for _ in range(3):
                for g in model.grads:
                    g[...] = rng.standard_normal(g.shape)
                optim.clip_grad_norm(model, 5.0)
                opt.step()
        results.append(model.params)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_float32_state_and_in_place_update():
    model = FakeModel(dtype=np.float32)
    ids = [id(p) for p in model.params]
    for g in model.grads:
        g[...] = 1.0
    sgd, adam = optim.SGD(model, lr=0.1, momentum=0.9), optim.Adam(model)
    sgd.step()
    adam.step()
    assert [id(p) for p in model.params] == ids
    states = sgd.momentum_buffers + adam.exp_avgs + adam.exp_avg_sqs
    assert all(a.dtype == np.float32 for a in model.params + states)
    assert isinstance(optim.clip_grad_norm(model, 1.0), float)


def test_lr_is_settable_and_gradients_are_refetched():
    model = FakeModel()
    opt = optim.SGD(model, lr=0.1)
    opt.lr = 0.0
    before = [p.copy() for p in model.params]
    model.grads = [np.ones_like(p) for p in model.params]  # the model may swap its buffers
    opt.step()
    for a, b in zip(model.params, before):
        np.testing.assert_array_equal(a, b)
    opt.lr = 0.5
    opt.step()
    np.testing.assert_allclose(model.params[0], before[0] - 0.5)
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0


def test_registries():
    model = FakeModel()
    assert set(optim.OPTIMIZERS) == {"sgd", "adam", "adamw"}
    assert type(optim.optimizer("adamw", model)) is optim.AdamW
    assert optim.optimizer("sgd", model, lr=0.3).lr == 0.3
    opt = optim.optimizer("adam", model)
    assert set(optim.SCHEDULERS) == {"step", "cosine", "plateau"}
    assert type(optim.scheduler("plateau", opt, patience=2)) is optim.ReduceLROnPlateau
    with pytest.raises(ValueError, match="valid names: adam, adamw, sgd.*'adam'"):
        optim.optimizer("adma", model)
    with pytest.raises(ValueError, match="valid names: cosine, plateau, step"):
        optim.scheduler("exponential", opt)


BAD_HYPERPARAMETERS = [
    (lambda m: optim.SGD(m, lr=-0.1), "lr"),
    (lambda m: optim.SGD(m, lr=float("nan")), "lr must not be NaN"),
    (lambda m: optim.SGD(m, lr="0.1"), "lr must be a real number"),
    (lambda m: optim.SGD(m, lr=0.1, momentum=-0.5), "momentum"),
    (lambda m: optim.SGD(m, lr=0.1, weight_decay=-1e-4), "weight_decay"),
    (lambda m: optim.SGD(m, lr=0.1, nesterov=True), "Nesterov momentum requires momentum > 0"),
    (lambda m: optim.SGD(m, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "dampening == 0"),
    (lambda m: optim.Adam(m, lr=-1e-3), "lr"),
    (lambda m: optim.Adam(m, betas=(1.0, 0.999)), r"betas\[0\] must be in \[0, 1\)"),
    (lambda m: optim.Adam(m, betas=(0.9, -0.1)), r"betas\[1\]"),
    (lambda m: optim.Adam(m, betas=0.9), "pair"),
    (lambda m: optim.Adam(m, eps=-1e-8), "eps"),
    (lambda m: optim.AdamW(m, weight_decay=-0.01), "weight_decay"),
    (lambda m: optim.clip_grad_norm(m, -1.0), "max_norm"),
    (lambda m: optim.clip_grad_norm(m, 1.0, norm_type=0), "norm_type"),
    (lambda m: optim.StepLR(optim.SGD(m, lr=0.1), step_size=0), "step_size"),
    (lambda m: optim.StepLR(optim.SGD(m, lr=0.1), step_size=2, gamma=-0.5), "gamma"),
    (lambda m: optim.CosineAnnealingLR(optim.SGD(m, lr=0.1), T_max=2.5), "T_max"),
    (lambda m: optim.ReduceLROnPlateau(optim.SGD(m, lr=0.1), factor=1.0), "factor"),
    (lambda m: optim.ReduceLROnPlateau(optim.SGD(m, lr=0.1), mode="minimum"), "unknown mode"),
    (lambda m: optim.ReduceLROnPlateau(optim.SGD(m, lr=0.1), threshold_mode="relative"),
     "unknown threshold_mode"),
    (lambda m: optim.ReduceLROnPlateau(optim.SGD(m, lr=0.1), patience=-1), "patience"),
    (lambda m: optim.ReduceLROnPlateau(optim.SGD(m, lr=0.1), cooldown=1.5), "cooldown"),
    (lambda m: optim.ReduceLROnPlateau(optim.SGD(m, lr=0.1), min_lr=-1.0), "min_lr"),
]


@pytest.mark.parametrize("make, match", BAD_HYPERPARAMETERS)
def test_bad_hyperparameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make(FakeModel())


def test_scheduler_needs_an_ffbench_optimiser():
    with pytest.raises(TypeError, match="ffbench optimiser"):
        optim.StepLR(object(), step_size=1)


def test_bad_models_and_gradients_raise():
    with pytest.raises(TypeError, match="parameters"):
        optim.SGD(object(), lr=0.1)
    with pytest.raises(ValueError, match="no parameters"):
        optim.SGD(FakeModel(shapes=[]), lr=0.1)
    with pytest.raises(TypeError, match="float32 or float64"):
        optim.SGD(_with_params([np.zeros(3, np.int64)]), lr=0.1)
    with pytest.raises(TypeError, match="mixes precisions"):
        optim.SGD(_with_params([np.zeros(3), np.zeros(2, np.float32)]), lr=0.1)
    with pytest.raises(ValueError, match="C-contiguous"):
        optim.SGD(_with_params([np.zeros((4, 3)).T]), lr=0.1)

    model = FakeModel()
    opt = optim.Adam(model)
    model.grads = model.grads[:-1]
    with pytest.raises(ValueError, match="4 parameters but 3 gradients"):
        opt.step()
    model.grads = [np.zeros(p.shape[::-1]) for p in model.params]
    with pytest.raises(ValueError, match=r"gradient 0 has shape \(5, 6\) but parameter 0 has shape \(6, 5\)"):
        opt.step()
    model.grads = [np.zeros(p.shape, np.float32) for p in model.params]
    with pytest.raises(TypeError, match="gradient 0 has dtype float32"):
        opt.step()
    with pytest.raises(TypeError, match="gradient 0 has dtype float32"):
        optim.clip_grad_norm(model, 1.0)
    model.params = model.params[1:]
    with pytest.raises(ValueError, match="parameters changed"):
        opt.step()
    assert opt.steps == 0  # nothing half-applied
