"""Optimisers, gradient clipping and learning-rate schedulers, with ``torch.optim``'s exact rules.

Optimisers take a model and update it in place.  The model contract: ``model.parameters()`` returns a
list of writable, C-contiguous float32/float64 arrays (weights ``(fan_in, fan_out)``, biases
``(fan_out,)``, BatchNorm gamma/beta), all of one dtype; ``model.gradients()`` returns arrays of the
same shapes and dtype in the same order.  Both lists are fetched again at every step, so a model may
swap its buffers between steps.

Each optimiser is one fused Numba kernel that reads a parameter's gradient once and writes the
parameter and its state (momentum, moments) in the same pass over a flattened 1-D view.  Adam and
AdamW share a kernel (the weight-decay style is an integer code), so the whole module compiles three
kernels per dtype.  The update is elementwise, so the parallel loop gives bit-identical results for
any thread count.

Precision: state arrays have the parameter's dtype, and every hyperparameter is rounded to that dtype
once, in Python, exactly where PyTorch rounds it (PyTorch casts a Python-float ``alpha``/``value`` to
the tensor's dtype; ``1 - beta`` and ``lr / bias_correction`` are computed in double first).  The
operations run in PyTorch's order, so float64 results agree with ``torch.optim`` (``foreach=False``)
to a few ulps; the only differences are PyTorch's fused multiply-adds in its vectorised loops.

Schedulers reproduce PyTorch's learning-rate sequences bit for bit: they evaluate the same
double-precision expressions in the same order (``CosineAnnealingLR`` uses PyTorch's recursive
update, not the closed form).  An ffbench optimiser has a single learning rate, so ``get_last_lr()``
returns a float, not a one-element list.
"""
from __future__ import annotations

import math
import numbers

import numpy as np
from numba import njit, prange

from ._kernels import by_size
from ._checks import FLOATS, lookup, positive_int

# Where a 2-thread team starts to pay (measured on the 2-core machine, serial vs parallel loop side by side):
# SGD's update is a few flops per element and memory-bound, so only from ~2**18 elements; Adam does ~15 flops
# and a square root per element, so from ~2**13.
_SGD_PARALLEL_MIN, _ADAM_PARALLEL_MIN = 1 << 18, 1 << 13

# Adam's weight-decay codes: none, L2 added to the gradient (Adam), decoupled shrink (AdamW).
_NO_DECAY, _L2_DECAY, _DECOUPLED_DECAY = 0, 1, 2


@by_size(min_size=_SGD_PARALLEL_MIN)
def _sgd_kernel(p, g, buf, neg_lr, wd, momentum, one_minus_dampening,
                decay, use_momentum, first, nesterov):
    r"""One SGD step on 1-D views ``p``, ``g``, ``buf`` (same dtype; ``buf`` unused without momentum).

    .. math::
        d = g + \lambda p \quad (\text{if decay}) \\
        b = d \ (\text{first step}), \quad b = \mu b + (1 - \tau) d \ (\text{later}) \\
        d = d + \mu b \ (\text{nesterov}), \quad d = b \ (\text{otherwise}) \\
        p = p + (-\eta) d

    with learning rate :math:`\eta`, momentum :math:`\mu`, dampening :math:`\tau` and weight
    decay :math:`\lambda`.
    """
    for i in prange(p.size):
        d = g[i]
        if decay:
            d = d + wd * p[i]
        if use_momentum:
            if first:
                b = d
            else:
                b = buf[i] * momentum
                b = b + one_minus_dampening * d
            buf[i] = b
            if nesterov:
                d = d + momentum * b
            else:
                d = b
        p[i] = p[i] + neg_lr * d


@by_size(min_size=_ADAM_PARALLEL_MIN)
def _adam_kernel(p, g, m, v, decay_mode, wd, keep, w1, one_minus_w1, lerp_small,
                 beta2, one_minus_beta2, bias_correction2_sqrt, eps, neg_step_size):
    r"""One Adam/AdamW step on 1-D views ``p``, ``g``, ``m``, ``v`` (all one dtype).

    .. math::
        g = g + \lambda p \ (\text{L2}), \qquad p = p (1 - \eta\lambda) \ (\text{decoupled}) \\
        m = \operatorname{lerp}(m, g, 1 - \beta_1), \qquad v = \beta_2 v + (1 - \beta_2) g^2 \\
        p = p + \frac{(-\eta / (1 - \beta_1^t))\, m}{\sqrt{v} / \sqrt{1 - \beta_2^t} + \epsilon}

    ``lerp`` switches formula at weight 0.5 exactly as ``torch.lerp`` does:
    ``m + w (g - m)`` for small ``w``, else ``g - (g - m)(1 - w)``.
    """
    for i in prange(p.size):
        d = g[i]
        x = p[i]
        if decay_mode == _L2_DECAY:
            d = d + wd * x
        elif decay_mode == _DECOUPLED_DECAY:
            x = x * keep
        mi = m[i]
        if lerp_small:
            mi = mi + w1 * (d - mi)
        else:
            mi = d - (d - mi) * one_minus_w1
        vi = v[i] * beta2
        vi = vi + one_minus_beta2 * d * d
        m[i] = mi
        v[i] = vi
        denom = np.sqrt(vi) / bias_correction2_sqrt + eps
        p[i] = x + neg_step_size * mi / denom


@njit(cache=True)
def _power_sum(g, p, is_inf):
    """Serial, fixed-order ``sum |g|^p`` (or ``max |g|`` when ``is_inf``) of a 1-D array, in float64.

    The float64 accumulator keeps float32 gradients from overflowing or losing small terms; the
    serial loop makes the result independent of the thread count.  NaN propagates through the max.
    """
    acc = 0.0
    for i in range(g.size):
        a = abs(np.float64(g[i]))
        if is_inf:
            if a > acc or a != a:
                acc = a
        elif p == 2.0:
            acc += a * a
        else:
            acc += a ** p
    return acc


def _real(value, name: str) -> float:
    """``value`` as a float; a ValueError for non-numbers, bools and NaN."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    return value


def _nonnegative(value, name: str) -> float:
    value = _real(value, name)
    if not 0.0 <= value < math.inf:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return value


def _nonnegative_int(value, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def _model_arrays(model, method: str) -> list:
    fetch = getattr(model, method, None)
    if not callable(fetch):
        raise TypeError(f"the model must have a {method}() method returning a list of arrays, "
                        f"{type(model).__name__} has none")
    return list(fetch())


def _parameters(model) -> list[np.ndarray]:
    """The model's parameters, checked to be updatable in place, all of one float dtype."""
    params = _model_arrays(model, "parameters")
    if not params:
        raise ValueError("the model has no parameters to optimise")
    for i, p in enumerate(params):
        if not isinstance(p, np.ndarray):
            raise TypeError(f"parameter {i} must be a numpy array, got {type(p).__name__}")
        if p.dtype not in FLOATS:
            raise TypeError(f"parameter {i} must have dtype float32 or float64, got {p.dtype}")
        if p.dtype != params[0].dtype:
            raise TypeError(f"parameter {i} has dtype {p.dtype} but parameter 0 has {params[0].dtype}; "
                            "ffbench never mixes precisions in one model")
        if not (p.flags.c_contiguous and p.flags.writeable):
            raise ValueError(f"parameter {i} (shape {p.shape}) must be a writable C-contiguous array "
                             "so it can be updated in place")
    return params


def _gradients(model, params: list[np.ndarray]) -> list[np.ndarray]:
    """The model's gradients, checked against ``params`` (count, shape, dtype)."""
    grads = _model_arrays(model, "gradients")
    if len(grads) != len(params):
        raise ValueError(f"the model has {len(params)} parameters but {len(grads)} gradients")
    for i, (p, g) in enumerate(zip(params, grads)):
        if not isinstance(g, np.ndarray):
            raise TypeError(f"gradient {i} must be a numpy array, got {type(g).__name__}")
        if g.shape != p.shape:
            raise ValueError(f"gradient {i} has shape {g.shape} but parameter {i} has shape {p.shape}")
        if g.dtype != p.dtype:
            raise TypeError(f"gradient {i} has dtype {g.dtype} but parameter {i} has dtype {p.dtype}")
    return grads


class Optimizer:
    """Base of the optimisers: the model, a settable learning rate ``lr`` and the step count ``steps``.

    A subclass allocates its state in ``__init__`` (one array per parameter, the parameter's dtype)
    and implements ``_update(i, p, g)`` on flattened 1-D views, after ``_prepare()`` has rounded the
    step's scalars once.
    """

    def __init__(self, model, lr):
        params = _parameters(model)
        self.model = model
        self.lr = lr
        self.dtype = params[0].dtype
        self.shapes = [p.shape for p in params]
        self.steps = 0

    @property
    def lr(self) -> float:
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = _nonnegative(value, "lr")

    def _state(self) -> list[np.ndarray]:
        return [np.zeros(shape, self.dtype) for shape in self.shapes]

    def step(self) -> None:
        """Update every parameter of the model in place from its current gradient."""
        params = _parameters(self.model)
        if [p.shape for p in params] != self.shapes or params[0].dtype != self.dtype:
            raise ValueError(f"the model's parameters changed since the optimiser was built: shapes "
                             f"{[p.shape for p in params]} ({params[0].dtype}), expected {self.shapes} "
                             f"({self.dtype})")
        grads = _gradients(self.model, params)
        self.steps += 1
        self._prepare()
        for i, (p, g) in enumerate(zip(params, grads)):
            self._update(i, p.reshape(-1), np.ascontiguousarray(g).reshape(-1))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr!r}, steps={self.steps})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and L2 weight decay.

    Exactly ``torch.optim.SGD`` (``maximize=False``): ``d = g + weight_decay * p``; with momentum the
    buffer starts as ``d`` itself on the first step (no dampening), then
    ``b = momentum * b + (1 - dampening) * d``; Nesterov uses ``d + momentum * b``, otherwise ``b``;
    finally ``p -= lr * d``.  ``momentum_buffers`` holds one buffer per parameter (an empty list
    without momentum).
    """

    def __init__(self, model, lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(model, lr)
        self.momentum = _nonnegative(momentum, "momentum")
        self.dampening = _real(dampening, "dampening")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise ValueError(f"nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("Nesterov momentum requires momentum > 0 and dampening == 0, got "
                             f"momentum={self.momentum}, dampening={self.dampening}")
        self.momentum_buffers = self._state() if self.momentum != 0 else []
        self._unused = np.empty(0, self.dtype)

    def _prepare(self) -> None:
        cast = self.dtype.type
        # In _sgd_kernel's argument order, each rounded where PyTorch rounds it.
        self._scalars = (cast(-self.lr), cast(self.weight_decay), cast(self.momentum),
                         cast(1 - self.dampening), self.weight_decay != 0, self.momentum != 0,
                         self.steps == 1, self.nesterov)

    def _update(self, i, p, g) -> None:
        buf = self.momentum_buffers[i].reshape(-1) if self.momentum != 0 else self._unused
        _sgd_kernel(p, g, buf, *self._scalars)

    def _state_views(self):
        """(first, second) state per parameter as flat views, for the compiled path (``ffbench.fused``)."""
        bufs = [b.reshape(-1) for b in self.momentum_buffers] or [self._unused] * len(self.shapes)
        return bufs, [self._unused] * len(self.shapes)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with L2 weight decay added to the gradient, as ``torch.optim.Adam``.

    ``exp_avgs`` and ``exp_avg_sqs`` hold the first and second moments; bias correction as PyTorch:
    ``step_size = lr / (1 - beta1**t)``, ``denom = sqrt(v) / sqrt(1 - beta2**t) + eps``,
    ``p -= step_size * m / denom``.  (``amsgrad`` and ``maximize`` are not supported.)
    """

    _decay_mode = _L2_DECAY

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(model, lr)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for k, beta in enumerate(betas):
            beta = _real(beta, f"betas[{k}]")
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"betas[{k}] must be in [0, 1), got {beta!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _nonnegative(eps, "eps")
        self.weight_decay = _nonnegative(weight_decay, "weight_decay")
        self.exp_avgs = self._state()
        self.exp_avg_sqs = self._state()

    def _prepare(self) -> None:
        cast = self.dtype.type
        beta1, beta2 = self.betas
        t = self.steps
        step_size = self.lr / (1 - beta1 ** t)
        w1 = cast(1 - beta1)
        mode = self._decay_mode if self.weight_decay != 0 else _NO_DECAY
        # In _adam_kernel's argument order, each rounded where PyTorch rounds it.
        self._scalars = (mode, cast(self.weight_decay), cast(1 - self.lr * self.weight_decay),
                         w1, cast(1) - w1, abs(float(w1)) < 0.5, cast(beta2), cast(1 - beta2),
                         cast((1 - beta2 ** t) ** 0.5), cast(self.eps), cast(-step_size))

    def _update(self, i, p, g) -> None:
        _adam_kernel(p, g, self.exp_avgs[i].reshape(-1), self.exp_avg_sqs[i].reshape(-1),
                     *self._scalars)

    def _state_views(self):
        """(first, second) moments per parameter as flat views, for the compiled path (``ffbench.fused``)."""
        return [m.reshape(-1) for m in self.exp_avgs], [v.reshape(-1) for v in self.exp_avg_sqs]


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``.

    Before the Adam step the parameters shrink, ``p *= 1 - lr * weight_decay``; the gradient is left
    alone.  Default ``weight_decay=1e-2`` as in PyTorch.
    """

    _decay_mode = _DECOUPLED_DECAY

    def __init__(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(model, lr, betas, eps, weight_decay)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def optimizer(name: str, model, **kwargs) -> Optimizer:
    """Build the optimiser called ``name`` (a key of ``OPTIMIZERS``) for ``model``."""
    return lookup(OPTIMIZERS, name, "optimizer")(model, **kwargs)


def clip_grad_norm(model, max_norm, norm_type=2.0) -> float:
    """Scale the model's gradients in place so their total norm is at most ``max_norm``.

    As ``torch.nn.utils.clip_grad_norm_``: the total norm is the ``norm_type``-norm of all gradients
    viewed as one vector (``inf`` for the max-abs norm); every gradient is multiplied by
    ``min(max_norm / (total + 1e-6), 1)`` in the gradients' dtype (PyTorch evaluates the quotient as
    ``reciprocal(total + 1e-6) * max_norm``; so do we).  Returns the total norm before clipping,
    rounded to the gradients' dtype, as a float.

    The norm is accumulated in float64, serially, array by array in the model's order, so it is the
    same for any thread count.  A non-finite total norm is not an error (PyTorch's default
    ``error_if_nonfinite=False``): an infinite norm scales finite gradients to zero, and a NaN norm
    turns every gradient into NaN.  The returned norm shows which happened.
    """
    max_norm = _real(max_norm, "max_norm")
    if max_norm < 0:
        raise ValueError(f"max_norm must be >= 0, got {max_norm!r}")
    norm_type = _real(norm_type, "norm_type")
    if norm_type <= 0:
        raise ValueError(f"norm_type must be positive (or inf), got {norm_type!r}")
    grads = _gradients(model, _parameters(model))
    cast = grads[0].dtype.type
    is_inf = math.isinf(norm_type)
    sums = [_power_sum(np.ascontiguousarray(g).reshape(-1), norm_type, is_inf) for g in grads]
    if is_inf:
        total = math.nan if any(math.isnan(s) for s in sums) else max(sums)
    elif norm_type == 2.0:
        total = math.sqrt(math.fsum(sums))
    else:
        total = math.fsum(sums) ** (1.0 / norm_type)
    total = cast(total)
    coef = np.minimum((cast(1) / (total + cast(1e-6))) * cast(max_norm), cast(1))
    with np.errstate(invalid="ignore"):  # inf * 0 under an infinite norm is NaN, as in PyTorch
        for g in grads:
            np.multiply(g, coef, out=g)
    return float(total)


class _Scheduler:
    """Base of the epoch-driven schedulers: the optimiser, ``base_lr`` and ``last_epoch``.

    ``base_lr`` is the optimiser's learning rate when the scheduler is built (PyTorch's
    ``initial_lr``); ``step()`` sets ``optimizer.lr`` from the rate it holds now, so a rate changed by
    hand between steps carries on from there, as in PyTorch.
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an ffbench optimiser, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._last_lr = optimizer.lr

    def get_last_lr(self) -> float:
        """The learning rate this scheduler set last (the optimiser's rate at construction at first)."""
        return self._last_lr

    def step(self) -> None:
        """Advance one epoch and set the optimiser's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self._next_lr(self.optimizer.lr)
        self._last_lr = self.optimizer.lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr!r})"


class StepLR(_Scheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` epochs (``torch.optim.lr_scheduler.StepLR``).

    Recursive like PyTorch (``lr * gamma`` at each multiple of ``step_size``), so the floats match
    PyTorch's exactly rather than the closed form ``base_lr * gamma ** (epoch // step_size)``.
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        self.step_size = positive_int(step_size, "step_size")
        self.gamma = _nonnegative(gamma, "gamma")

    def _next_lr(self, lr: float) -> float:
        if self.last_epoch % self.step_size != 0:
            return lr
        return lr * self.gamma


class CosineAnnealingLR(_Scheduler):
    r"""Cosine annealing from ``base_lr`` to ``eta_min`` over ``T_max`` epochs (SGDR without restarts).

    PyTorch's recursive form, which approximates
    ``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2`` and is evaluated exactly as
    ``torch.optim.lr_scheduler.CosineAnnealingLR.get_lr`` does:

    .. math::
        \eta_t = \frac{1 + \cos(\pi t / T)}{1 + \cos(\pi (t - 1) / T)} (\eta_{t-1} - \eta_{\min})
                  + \eta_{\min},

    except where the denominator vanishes (``(t - 1 - T) % 2T == 0``), where
    ``eta_t = eta_{t-1} + (base_lr - eta_min) (1 - cos(pi / T)) / 2``.  Past ``T_max`` the rate
    rises again along the cosine, as in PyTorch.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        self.T_max = positive_int(T_max, "T_max")
        self.eta_min = _nonnegative(eta_min, "eta_min")

    def _next_lr(self, lr: float) -> float:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        return ((1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (lr - eta_min) + eta_min)


# ReduceLROnPlateau's improvement tests by mode, then threshold mode: is `a` better than `best`?
# The expressions are PyTorch's, term for term, so ties and rounding decide the same way.
_IS_BETTER = {
    "min": {"rel": lambda a, best, threshold: a < best * (1.0 - threshold),
            "abs": lambda a, best, threshold: a < best - threshold},
    "max": {"rel": lambda a, best, threshold: a > best * (threshold + 1.0),
            "abs": lambda a, best, threshold: a > best + threshold},
}
_WORST = {"min": math.inf, "max": -math.inf}


class ReduceLROnPlateau:
    """Cut the learning rate by ``factor`` when a metric stops improving (``torch.optim.lr_scheduler.ReduceLROnPlateau``).

    ``step(metric)`` once per epoch.  A metric counts as an improvement when it beats the best so far
    by the threshold (``mode="min"``: ``metric < best * (1 - threshold)`` in ``"rel"`` mode,
    ``metric < best - threshold`` in ``"abs"`` mode; mirrored for ``"max"``).  After more than
    ``patience`` epochs without improvement the rate becomes ``max(lr * factor, min_lr)`` (skipped if
    that changes it by no more than ``eps``), and the next ``cooldown`` epochs count no bad epochs.
    A NaN metric is never an improvement, as in PyTorch.
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a scheduler needs an ffbench optimiser, got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self._is_better = lookup(lookup(_IS_BETTER, mode, "mode"), threshold_mode, "threshold_mode")
        self.mode, self.threshold_mode = mode, threshold_mode
        self.factor = _real(factor, "factor")
        if not 0.0 <= self.factor < 1.0:
            raise ValueError(f"factor must be in [0, 1), got {self.factor!r}")
        self.patience = _nonnegative_int(patience, "patience")
        self.threshold = _nonnegative(threshold, "threshold")
        self.cooldown = _nonnegative_int(cooldown, "cooldown")
        self.min_lr = _nonnegative(min_lr, "min_lr")
        self.eps = _nonnegative(eps, "eps")
        self.best = _WORST[mode]
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self.last_epoch = 0
        self._last_lr = optimizer.lr

    def get_last_lr(self) -> float:
        return self._last_lr

    def step(self, metric) -> None:
        """Record this epoch's ``metric`` (a float, or anything ``float()`` accepts) and maybe cut the rate."""
        current = float(metric)
        self.last_epoch += 1
        if self._is_better(current, self.best, self.threshold):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            old_lr = self.optimizer.lr
            new_lr = max(old_lr * self.factor, self.min_lr)
            if old_lr - new_lr > self.eps:
                self.optimizer.lr = new_lr
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self.optimizer.lr

    def __repr__(self) -> str:
        return (f"ReduceLROnPlateau(mode={self.mode!r}, best={self.best!r}, "
                f"bad_epochs={self.num_bad_epochs}, lr={self._last_lr!r})")


SCHEDULERS = {"step": StepLR, "cosine": CosineAnnealingLR, "plateau": ReduceLROnPlateau}


def scheduler(name: str, optimizer, **kwargs):
    """Build the scheduler called ``name`` (a key of ``SCHEDULERS``) for ``optimizer``."""
    return lookup(SCHEDULERS, name, "scheduler")(optimizer, **kwargs)
