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


_SMALL = """
import hashlib, sys, numpy as np
from ffbench import MLP, data, fused, train
from ffbench.optim import Adam
from ffbench.threads import set_threads
set_threads(int(sys.argv[1]))
X, y = data.xor(n_per_corner=8, seed=0)
model = MLP([2, 16, 16, 1], "tanh", init="xavier_normal", seed=0)
opt = Adam(model, lr=0.05)
assert fused.applies(model, opt, 8)
history = train(model, X, y.astype(np.float64)[:, None], "bce_with_logits", opt, epochs=20, batch_size=8, seed=1)
digest = hashlib.sha256(np.asarray(history.step_loss).tobytes())
for p in model.parameters():
    digest.update(p.tobytes())
print(digest.hexdigest())
"""


def test_the_compiled_small_network_path_is_reproducible_across_threads_and_processes():
    digests = []
    for threads in (1, 2, 2):
        done = subprocess.run([sys.executable, "-c", _SMALL, str(threads)], cwd=REPO, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
        digests.append(done.stdout.strip())
    assert len(set(digests)) == 1 and len(digests[0]) == 64
