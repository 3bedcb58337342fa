"""A study end to end in quick mode (in a fresh process, as a user runs it; figures off)."""
import subprocess
import sys

from .common import temporary_directory


class StudyQuick:
    params = (["vanishing"],)
    param_names = ("study",)
    timeout = 600
    number = 1
    repeat = 1
    warmup_time = 0

    def setup(self, study):
        from ffbench.studies import is_available
        if not is_available(study):
            raise NotImplementedError(f"study {study!r} does not exist yet")  # asv marks it skipped
        self._out = temporary_directory("ffbench-asv-study-")
        self._run(study)  # fills Numba's cache, so the timed run is the warm one

    def teardown(self, study):
        self._out.cleanup()

    def _run(self, study):
        subprocess.run([sys.executable, "-m", f"ffbench.studies.{study}", "--quick", "--no-plot", "--force",
                        "--out", self._out.name], check=True, capture_output=True, timeout=600)

    def time_quick_warm_cache(self, study):
        self._run(study)
