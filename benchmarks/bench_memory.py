"""Peak resident memory (asv ``peakmem_``: the benchmark process's peak RSS, its imports and ``setup`` included).

Every kernel is compiled in ``setup_cache``, a process of its own run before the measured ones, into Numba's
on-disk cache: the measured process then loads the kernels instead of compiling them.  Compiling costs far more
memory than the work measured here, and whether it happened depended on whether anything had filled the cache
before (issue 25: a README-only commit showed a false 1.29x regression of ``PeakMemory``).

``VanishingProbe`` is the main job's heaviest run: a wide probe of the vanishing study (width 2048, batch 256,
float64; the full config's first ``wide`` spec) at depth 20 instead of 50 to stay quick: 20 weight matrices of
32 MiB, so a probe that keeps every layer's weights or gradients again shows as a jump of hundreds of MB.
"""
import copy

from .common import mlp_and_batch

PEAKMEM_BATCHES = [128, 1024]


class PeakMemory:
    params = (PEAKMEM_BATCHES,)
    param_names = ("batch",)
    timeout = 600

    def setup_cache(self):
        for batch in PEAKMEM_BATCHES:  # each batch size runs its own kernels (serial or parallel loops)
            mlp_and_batch(batch, 256, 4, "relu", "float32")

    def setup(self, batch):
        self.model, self.opt, self.X, self.Y = mlp_and_batch(batch, 256, 4, "relu", "float32")

    def peakmem_train_100_steps(self, batch):
        for _ in range(100):
            self.model.train_step(self.X, self.Y, "mse", self.opt)


PROBE_DEPTH = 20


def _wide_probe(depth):
    """(run, spec): the vanishing study's ``run`` and its first ``wide`` probe at ``depth`` layers; skipped
    (NotImplementedError) on a commit without that study."""
    try:
        from ffbench.studies import vanishing
    except ImportError as exc:
        raise NotImplementedError(f"no vanishing study: {exc}") from exc
    spec = next(s for s in vanishing.runs(copy.deepcopy(vanishing.DEFAULTS)) if s.get("part") == "wide")
    return vanishing.run, dict(spec, depth=depth)


class VanishingProbe:
    timeout = 600

    def setup_cache(self):
        run, spec = _wide_probe(2)  # the same kernels as the measured probe: same width, batch and activation
        run(spec)

    def setup(self):
        self.run, self.spec = _wide_probe(PROBE_DEPTH)

    def peakmem_wide_probe(self):
        self.run(self.spec)
