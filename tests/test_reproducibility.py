"""The reproducibility guarantee: one seed gives bit-identical numbers on 1 thread, on 2 threads, and in
fresh processes (README, "Reproducibility").  Each run is its own Python process with its own output
directory, so nothing is shared but the Numba cache."""
import json
import os
import pathlib
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]

CONFIG = """
depth = 6
width = 64
batch = 96
seeds = 1
activations = ["tanh", "gelu", "relu"]
[histograms]
layers = 2
[sweep]
sigma_w2 = [0.5, 2.0]
seeds = 1
[training]
activations = ["tanh"]
depth = 4
width = 32
inputs = 4
samples = 64
epochs = 2
batch_size = 32
"""


def _run(tmp_path, name, threads):
    out = tmp_path / name
    command = [sys.executable, "-m", "ffbench.studies.vanishing", "--config", str(tmp_path / "config.toml"),
               "--out", str(out), "--no-plot", "--threads", str(threads)]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((out / "vanishing.json").read_text())
    assert record["provenance"]["numba_threads"] == threads
    return {key: record[key] for key in ("data", "claims", "config")}


def test_one_seed_same_numbers_on_one_and_two_threads_and_fresh_processes(tmp_path):
    (tmp_path / "config.toml").write_text(CONFIG)
    one = _run(tmp_path, "one_thread", 1)
    two = _run(tmp_path, "two_threads", 2)
    again = _run(tmp_path, "two_threads_again", 2)
    assert one == two == again
