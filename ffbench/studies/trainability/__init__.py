r"""Trainability: a random tanh network trains only to a depth of about 6 xi_c (Schoenholz et al. 2017).

Claim (S. Schoenholz, J. Gilmer, S. Ganguli, J. Sohl-Dickstein, "Deep information propagation", ICLR 2017,
arXiv:1611.01232): two inputs' correlation reaches its fixed point c* over a depth scale xi_c = -1 / ln chi_c
(Sec. 3), which diverges on the order-to-chaos line chi_1 = 1; a network of depth L trains when L < ~6 xi_c and
not beyond (Sec. 5, Fig. 5: MNIST and CIFAR-10 training accuracy over (sigma_w^2, L) with 6 xi_c drawn on it).
The paper states the consequence as a necessary condition (abstract): "arbitrarily deep networks may be trained
only sufficiently close to criticality".  The formulas are ``ffbench.theory.depth_scale``.

What runs:

- probe: at initialisation, ``probe.seeds`` plain tanh networks of ``probe.width`` units per sigma_w^2, weights
  N(0, sigma_w^2 / n), biases N(0, sigma_b^2), fed ``probe.pairs`` pairs of Gaussian inputs scaled so that the
  first pre-activations have second moment q* and a chosen correlation c_0; per layer, each pair's correlation
  c_l (1 - c_l computed as (|a - b|^2 - (|a| - |b|)^2) / (2 |a| |b|), without cancellation).  Ordered phase
  (c* = 1): c_0 = 1 - ``probe.start`` for every pair, ``probe.depth`` layers; the measured xi_c is -1 / (the
  least-squares slope of ln mean(1 - c_l)) over the layers where it has fallen from 1/10 to 1/1000 of its
  first value (past the nonlinear start; a product of random matrices, so no noise floor).  Chaotic phase:
  the mean correlation of a finite network fluctuates from layer to layer by O(1/sqrt(width)), the same for
  every pair, as much as |c_l - c*| itself a few xi_c deep, so a fit over depth measures noise; instead the
  pairs start spread over c* +- ``probe.start`` (1 - c*), and the slope chi_c of the correlation map at c* is
  the linear coefficient of a quadratic fit of c_{l+1} - c* against c_l - c* over every pair and the first
  ``probe.slope_layers`` layers, with an intercept per layer (a fluctuation common to all pairs moves that
  layer's intercept, not the slope); xi_c = -1 / ln chi_c.  A probe whose decay does not reach 1/1000 within
  its depth, or whose slope is not in (0, 1), has no measurement (near the critical line xi_c outgrows any probe).
- train: a tanh network of ``width`` units and L hidden layers (sizes [inputs, width x L, classes]), same
  initialisation, trained by plain SGD (``training``; no momentum or Adam, which rescale gradients) with
  softmax cross-entropy on the training set of ``training.data`` for a fixed number of epochs, once at every
  learning rate of ``training.lrs`` (the same initial weights and batches at each); then the accuracy and loss
  on that whole training set (the paper's measure), and the test accuracy.

The learning rate of a cell.  One learning rate for every depth confounds the phase diagram: the largest stable
SGD step shrinks with depth (a 128-layer critical net at lr 0.01 stays near chance while the same net at 0.003
learns), so a fixed lr draws its own boundary.  The paper's own learning rate could not be checked against its
text here, so each cell (sigma_w^2, L) takes the lr of ``training.lrs`` with the lowest mean *training loss*
over its seeds (the quantity SGD minimises, not the accuracy that is judged), and its accuracy is read at that
lr.  The sweep is a half-decade grid, so what it rules out is stated as such: an lr within that grid, at this
step budget, at this width.  ``training.reference_lr`` is the old fixed-lr design, kept in the figure and one
observation to show what the per-cell lr changes.

Claims, each derived before looking at our numbers:

- ``xi_c_follows_theory``: ln(measured xi_c / theory), pooled over every sigma_w^2 that all its probes measure,
  is 0 (two-sided Student t at alpha) within an allowance ``probe.tolerance`` = 0.1: a finite network's maps
  differ from the mean-field ones by O(1/width) per layer, which shifts xi_c by O(xi_c / width): under 10% only
  where xi_c <= 0.1 x width (30 for the width-300 probe), so the claim is judged on those sigma_w^2.
- ``boundary_6_xi_c``: a cell is *trainable* when its mean training accuracy over seeds exceeds
  ``boundary.chance_multiple`` x chance (1 / classes): the paper's untrainable cells sit at chance (Fig. 5), its
  trainable ones far above it, so twice chance separates the two.  The prediction is trainable iff L < 6 xi_c.
  Cells within a factor ``boundary.margin`` = 2 of 6 xi_c are not judged: Fig. 6 shows the trainable depth
  growing with training time, so only cells clearly on one side are a test.  The paper presents the separation
  as complete; we require ``boundary.fraction`` = 90% of the judged cells right: it FAILS only when the exact
  one-sided interval of the fraction lies below 90%.  The record lists every misclassified cell.
- ``deep_trains_only_near_criticality`` (the paper's statement): every trainable cell of depth L >=
  ``boundary.deep`` lies within the factor-``margin`` window of 6 xi_c (L < margin x 6 xi_c): deep nets train
  only sufficiently close to criticality.  A statement about every such cell: one exception refutes it.
- ``critical_trains_at_every_depth``: at the critical sigma_w^2 every network of the grid trains.  This is the
  infinite-width extrapolation (xi_c = inf), not the paper's statement: mean field assumes width >> depth, and
  here width 100 < L = 128.  Judged per network (each trains or not).
- ``trainable_depth_in_xi_c`` (observation): for each sigma_w^2 off the critical line, the deepest trainable
  depth of the grid divided by xi_c; the paper's value is 6.  ``lr_changes_trainability`` and
  ``critical_deepest_by_lr`` (observations): what the per-cell lr changes against ``reference_lr``.
"""
from __future__ import annotations

from ..framework import derive_seed
from .analysis import SOURCE, critical, grid, summarize  # noqa: F401  (the study contract)
from .experiment import KINDS
from .figures import render  # noqa: F401  (the study contract)

NAME = "trainability"
VERSION = "1"

DEFAULTS = {
    "seed": 0,
    "sigma_b2": 0.05,
    "sigma_w2": [0.5, 1.0, 1.3, 1.5, 1.65, 1.9, 2.2, 2.7, 4.5],  # the critical value is added
    "depths": [2, 4, 8, 16, 32, 64, 96, 128],
    "width": 100,
    "seeds": 2,
    "training": {"data": "mnist1d", "lrs": [0.001, 0.003, 0.01, 0.03], "reference_lr": 0.01, "batch_size": 32,
                 "epochs": 16, "dtype": "float32"},
    "probe": {"width": 300, "depth": 200, "pairs": 256, "start": 0.5, "slope_layers": 8, "seeds": 4,
              "tolerance": 0.1},
    "boundary": {"multiple": 6.0, "margin": 2.0, "chance_multiple": 2.0, "fraction": 0.9, "deep": 64},
}

QUICK = {
    "sigma_w2": [1.0, 3.0],
    "depths": [2, 8, 32],
    "width": 32,
    "training": {"epochs": 1, "lrs": [0.01, 0.03]},
    "probe": {"width": 100, "depth": 60, "pairs": 64, "seeds": 2},
    "boundary": {"deep": 32},
}


def runs(config):
    """The probes, then the training runs deepest first: the longest runs start first, so the last worker to
    finish is not left holding a 128-layer network (a run costs about its depth).  Every lr of a cell uses the
    same seed (same initial weights and batches), so the lr is the only difference between them."""
    specs = []
    for s2 in grid(config):
        for i in range(config["probe"]["seeds"]):
            specs.append({"kind": "probe", "sigma_w2": s2, "sigma_b2": config["sigma_b2"], "seed_index": i,
                          **{k: v for k, v in config["probe"].items() if k not in ("seeds", "tolerance")},
                          "seed": derive_seed(config["seed"], "probe", s2, i)})
    training = {k: v for k, v in config["training"].items() if k not in ("lrs", "reference_lr")}
    for depth in sorted(config["depths"], reverse=True):
        for s2 in grid(config):
            for lr in config["training"]["lrs"]:
                for i in range(config["seeds"]):
                    specs.append({"kind": "train", "sigma_w2": s2, "sigma_b2": config["sigma_b2"], "depth": depth,
                                  "width": config["width"], "seed_index": i, **training, "lr": float(lr),
                                  "seed": derive_seed(config["seed"], "train", s2, depth, i)})
    return specs


def run(spec):
    return KINDS[spec["kind"]](spec)
