"""JIT compile time of a training step in a fresh process: cold (empty Numba cache) and cached.

The only benchmark that measures compilation (every other one warms the JIT up in ``setup``).  One cold
compile (about 15 CPU seconds) serves both numbers: ``setup_cache`` times it into a cache in asv's
temporary cache directory (its working directory, removed by asv afterwards) and the cached run reads it."""
import os

from .common import first_step_seconds


class CompileTime:
    timeout = 600
    unit = "seconds"
    number = 1
    repeat = 1

    def setup_cache(self):
        cache = os.path.abspath("numba-cache")
        return {"cache": cache, "cold": first_step_seconds(cache)}

    def track_first_step_cold(self, cached):
        return cached["cold"]

    track_first_step_cold.unit = "seconds"

    def track_first_step_cached(self, cached):
        return first_step_seconds(cached["cache"])

    track_first_step_cached.unit = "seconds"
