"""JIT compile time of a training step in a fresh process: cold (empty Numba cache) and cached."""
from .common import first_step_seconds, temporary_directory


class CompileTime:
    timeout = 600
    unit = "seconds"
    number = 1
    repeat = 1

    def setup(self):
        self._cold = temporary_directory("ffbench-asv-cold-")
        self._warm = temporary_directory("ffbench-asv-warm-")
        first_step_seconds(self._warm.name)  # fills the warm cache

    def teardown(self):
        self._cold.cleanup()
        self._warm.cleanup()

    def track_first_step_cold(self):
        return first_step_seconds(self._cold.name)

    track_first_step_cold.unit = "seconds"

    def track_first_step_cached(self):
        return first_step_seconds(self._warm.name)

    track_first_step_cached.unit = "seconds"
