"""Faults in long runs: two processes on one output directory, and an unwritable Numba cache."""
import json
import os
import pathlib
import shutil
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO)]), "MPLBACKEND": "Agg"}

TOY = "import sys; from ffbench.studies.framework import main; import toy_study; main(toy_study, sys.argv[1:])"


def test_two_processes_on_the_same_output_directory_leave_a_consistent_result(tmp_path):
    command = [sys.executable, "-c", TOY, "--out", str(tmp_path), "--no-plot"]
    procs = [subprocess.Popen(command, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    record = json.loads((tmp_path / "toy.json").read_text())      # whole and parseable, not interleaved
    cache = sorted((tmp_path / ".cache" / "toy").glob("*.json"))
    assert len(cache) == record["runs"]
    for path in cache:  # two whole lines: the header, then the result
        header, body = path.read_text().splitlines()
        json.loads(header), json.loads(body)
    assert not list(tmp_path.rglob("*.tmp*")), "a temporary file was left behind"
    # A third run finds everything cached and reproduces the same numbers.
    again = subprocess.run(command, cwd=REPO, env=ENV, capture_output=True, text=True, timeout=180)
    assert again.returncode == 0
    assert json.loads((tmp_path / "toy.json").read_text())["data"] == record["data"]


def test_an_unwritable_numba_cache_directory_still_works(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a directory")
    code = ("import numpy as np, ffbench; m = ffbench.MLP([2, 3, 1], activation='tanh'); "
            "print(float(m.forward(np.ones((2, 2))).sum()))")
    # Numba falls back to a __pycache__ beside the sources: give it a copy of the package, so the test leaves
    # the source tree untouched.
    shutil.copytree(REPO / "ffbench", tmp_path / "copy" / "ffbench", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**ENV, "NUMBA_CACHE_DIR": str(blocker / "cache"),   # cannot be created, even by root
           "PYTHONPATH": str(tmp_path / "copy")}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    import numpy as np
    from ffbench import MLP
    expected = float(MLP([2, 3, 1], activation="tanh").forward(np.ones((2, 2))).sum())
    assert float(done.stdout.strip().splitlines()[-1]) == expected
