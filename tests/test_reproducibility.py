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


_BLAS = """
import json
import ffbench
from ffbench.provenance import blas_info
from ffbench.gemm import blas_threads
print(json.dumps({"ffbench": blas_threads(), "libraries": blas_info()}))
"""


def test_importing_ffbench_limits_every_blas_it_loads_and_provenance_names_its_own():
    # SciPy's OpenBLAS is loaded by ffbench.activations after ffbench.threads: it must be limited too, and
    # provenance must say which library ffbench's products use (NumPy's), not the largest count in the process.
    env = {k: v for k, v in os.environ.items() if k not in ("FFBENCH_BLAS_THREADS", "OPENBLAS_NUM_THREADS",
                                                             "OMP_NUM_THREADS")}
    done = subprocess.run([sys.executable, "-c", _BLAS], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["ffbench"] == 1
    assert [lib["num_threads"] for lib in seen["libraries"]] == [1] * len(seen["libraries"])
    assert [lib["ffbench"] for lib in seen["libraries"]] == [True] + [False] * (len(seen["libraries"]) - 1)
