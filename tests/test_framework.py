"""The study framework, end to end, on a toy study (tests/toy_study.py: pure NumPy, 6 runs in quick mode)."""
import csv
import json
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import toy_study as toy
from ffbench import cli, figures
from ffbench.studies import STUDIES, get_study
from ffbench.studies import framework as fw
from ffbench.style import figure, paper_style, save_figure, theory

REPO = Path(__file__).resolve().parent.parent
FORMATS = ("png", "svg", "pdf")


@pytest.fixture(autouse=True)
def fresh_toy(monkeypatch):
    monkeypatch.setattr(toy, "CALLS", [])
    monkeypatch.setattr(toy, "HOOK", None)


def run_toy(out, *extra):
    return fw.main(toy, ["--quick", "--out", str(out), *extra])


def cache_files(out):
    return sorted((out / ".cache" / "toy").glob("*.json"))


def numbers(record):
    """The part of a record that must be identical for the same seed (not provenance or timings)."""
    return {k: record[k] for k in ("config", "claims", "data", "table", "runs")}


def test_cli_end_to_end_quick(tmp_path, capsys):
    out = tmp_path / "out"
    record = run_toy(out, "--format", "png,svg")
    printed = capsys.readouterr().out
    assert len(toy.CALLS) == 6 and record["runs"] == 6 and record["cached_runs"] == 0
    assert record["quick"] is True and record["study"] == "toy" and record["version"] == "1"
    assert record["config"]["sizes"] == toy.QUICK["sizes"] and record["config"]["seed"] == toy.DEFAULTS["seed"]
    for name in ("toy.json", "toy.csv", "toy_mean_abs.png", "toy_mean_abs.svg"):
        assert (out / name).stat().st_size > 0, name
    assert not (out / "toy_mean_abs.pdf").exists()
    assert json.loads((out / "toy.json").read_text()) == record

    claims = {c["name"]: c for c in record["claims"]}
    assert set(claims) == {"mean_abs", "mean_abs_above_one"}
    for c in claims.values():
        assert {"name", "description", "measured", "predicted", "tolerance", "relation", "holds", "note"} <= set(c)
    assert claims["mean_abs"]["holds"] is True and claims["mean_abs_above_one"]["holds"] is False
    assert claims["mean_abs"]["predicted"] == pytest.approx(np.sqrt(2 / np.pi))
    assert "Claims: 1 of 2 judged claims hold" in printed and "FAILS" in printed and "E|Z|~" in printed

    prov = record["provenance"]
    for key in ("ffbench", "git", "python", "packages", "cpu", "logical_cores", "numba_threads",
                "numba_threading_layer", "blas", "seed", "executor", "date_utc"):
        assert key in prov, key
    assert set(fw.RECORD_KEYS) <= set(record)
    assert {"numba", "llvmlite", "numpy", "matplotlib"} <= set(prov["packages"])
    assert prov["seed"] == toy.DEFAULTS["seed"] and prov["executor"] == {"kind": "serial"}

    with open(out / "toy.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 6 and set(rows[0]) == {"n", "repeat", "mean_abs", "max_abs"}
    assert float(rows[0]["mean_abs"]) == toy.run(toy.runs(record["config"])[0])["mean_abs"]


def test_rerun_reads_cache_and_force_recomputes(tmp_path):
    first = run_toy(tmp_path, "--no-plot")
    toy.CALLS.clear()
    again = run_toy(tmp_path, "--no-plot")
    assert toy.CALLS == [] and again["cached_runs"] == 6 and numbers(again) == numbers(first)
    forced = run_toy(tmp_path, "--no-plot", "--force")
    assert len(toy.CALLS) == 6 and forced["cached_runs"] == 0 and numbers(forced) == numbers(first)


def test_same_seed_same_numbers(tmp_path):
    a = run_toy(tmp_path / "a", "--no-plot")
    b = run_toy(tmp_path / "b", "--no-plot")
    assert numbers(a) == numbers(b)
    assert (tmp_path / "a" / "toy.csv").read_bytes() == (tmp_path / "b" / "toy.csv").read_bytes()
    c = run_toy(tmp_path / "c", "--no-plot", "--seed", "8")
    assert c["config"]["seed"] == 8 and c["data"] != a["data"]


def test_resume_after_interrupt_recomputes_nothing_finished(tmp_path, capsys):
    def interrupt_after_three(spec):
        if len(toy.CALLS) == 3:
            raise KeyboardInterrupt

    toy.HOOK = interrupt_after_three
    with pytest.raises(SystemExit) as exc:
        run_toy(tmp_path, "--no-plot")
    assert exc.value.code == fw.EXIT_INTERRUPTED
    assert "3 of 6 runs are saved" in capsys.readouterr().err
    assert len(cache_files(tmp_path)) == 3 and not (tmp_path / "toy.json").exists()

    finished, toy.HOOK = list(toy.CALLS), None
    toy.CALLS.clear()
    record = run_toy(tmp_path, "--no-plot")
    assert len(toy.CALLS) == 3 and not any(spec in finished for spec in toy.CALLS)
    assert record["cached_runs"] == 3
    assert numbers(record) == numbers(run_toy(tmp_path / "clean", "--no-plot"))


def test_sigterm_stops_cleanly_and_saves_finished_runs(tmp_path):
    def terminate_at_third(spec):
        if len(toy.CALLS) == 2:
            os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    toy.HOOK = terminate_at_third
    with pytest.raises(SystemExit) as exc:
        run_toy(tmp_path, "--no-plot")
    assert exc.value.code == fw.EXIT_TERMINATED
    assert len(cache_files(tmp_path)) == 2
    assert signal.getsignal(signal.SIGTERM) == before


def test_corrupt_cache_files_are_reported_and_recomputed(tmp_path):
    first = run_toy(tmp_path, "--no-plot")
    files = cache_files(tmp_path)
    truncated, altered, garbage = files[0], files[1], files[2]
    truncated.write_text(truncated.read_text()[:40])
    header, body = altered.read_text().splitlines()  # the header (with the checksum), then the result
    result = json.loads(body)
    result["mean_abs"] += 1.0  # checksum no longer matches
    altered.write_text(header + "\n" + fw.canonical(result) + "\n")
    garbage.write_bytes(b"\xff\xfe\x00 not json")
    toy.CALLS.clear()
    with pytest.warns(fw.CacheWarning) as caught:
        record = run_toy(tmp_path, "--no-plot")
    messages = " ".join(str(w.message) for w in caught)
    for path in (truncated, altered, garbage):
        assert str(path) in messages
    assert "checksum" in messages
    assert len(toy.CALLS) == 3 and record["cached_runs"] == 3 and numbers(record) == numbers(first)
    toy.CALLS.clear()
    run_toy(tmp_path, "--no-plot")  # repaired: no warning, nothing recomputed
    assert toy.CALLS == []


def test_failing_run_is_retried_once_then_reported(tmp_path, capsys):
    attempts = []

    def fail_one(spec):
        if spec["n"] == 2000 and spec["repeat"] == 1:
            attempts.append(spec)
            raise ValueError("boom in a toy run")

    toy.HOOK = fail_one
    with pytest.raises(SystemExit) as exc:
        run_toy(tmp_path)
    err = capsys.readouterr().err
    assert exc.value.code == fw.EXIT_FAILED
    assert len(attempts) == 2 and len(toy.CALLS) == 5 and len(cache_files(tmp_path)) == 5
    assert "1 of 6 runs failed twice" in err and "boom in a toy run" in err and "Traceback" in err
    assert fw.canonical(attempts[0]) in err  # the spec of the failed run
    assert not (tmp_path / "toy.json").exists() and not (tmp_path / "toy.csv").exists()

    toy.HOOK = None
    toy.CALLS.clear()
    assert run_toy(tmp_path, "--no-plot")["cached_runs"] == 5 and len(toy.CALLS) == 1


def test_flaky_run_succeeds_on_retry(tmp_path):
    attempts = []

    def fail_first_time(spec):
        if spec["repeat"] == 0 and spec["n"] == 200:
            attempts.append(spec)
            if len(attempts) == 1:
                raise RuntimeError("transient")

    toy.HOOK = fail_first_time
    record = run_toy(tmp_path, "--no-plot")
    assert len(attempts) == 2 and record["runs"] == 6 and (tmp_path / "toy.json").exists()


def test_render_from_record_alone_is_byte_identical(tmp_path):
    out = tmp_path / "run"
    run_toy(out, "--format", "png,svg,pdf")
    stems = ("toy_mean_abs", "toy_claims")  # its figure, then the forest plot of its claims
    written = {p.name: p.read_bytes() for stem in stems for p in out.glob(f"{stem}.*")}
    assert set(written) == {f"{stem}.{f}" for stem in stems for f in FORMATS}
    for p in [*(out / name for name in written), *cache_files(out)]:
        p.unlink()
    toy.CALLS.clear()
    for target in (out, tmp_path / "again"):
        paths = fw.render_record(toy, out / "toy.json", target, FORMATS)
        assert {p.name: p.read_bytes() for p in paths} == written
    assert toy.CALLS == []


def test_save_figure_is_byte_stable(tmp_path, monkeypatch):
    def draw():
        with paper_style():
            fig, ax = figure("single")
            x = np.arange(1, 11)
            ax.semilogy(x, 0.25 ** x, label="sigmoid")
            theory(ax, x, 0.25 ** x, label="$4^{-L}$")
            ax.set_xlabel("layer $l$")
            ax.legend()
        return fig

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    a = save_figure(draw(), tmp_path / "a", "f", FORMATS)
    b = save_figure(draw(), tmp_path / "b", "f", FORMATS)
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    svg, pdf = (tmp_path / "a" / "f.svg").read_bytes(), (tmp_path / "a" / "f.pdf").read_bytes()
    assert b"<dc:date>" not in svg and b"Matplotlib v" not in svg
    assert b"CreationDate" not in pdf and b"Producer" not in pdf

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "946684800")  # 2000-01-01
    c = save_figure(draw(), tmp_path / "c", "f", FORMATS)
    d = save_figure(draw(), tmp_path / "d", "f", FORMATS)
    assert [p.read_bytes() for p in c] == [p.read_bytes() for p in d]
    assert b"2000-01-01" in (tmp_path / "c" / "f.svg").read_bytes()


def test_unwritable_output_dir_fails_before_any_run(tmp_path, capsys):
    (tmp_path / "file.txt").write_text("a file, not a directory")
    with pytest.raises(SystemExit) as exc:
        run_toy(tmp_path / "file.txt" / "sub")
    assert exc.value.code == fw.EXIT_FAILED
    err = capsys.readouterr().err
    assert "not writable" in err and str(tmp_path / "file.txt" / "sub") in err
    assert toy.CALLS == []


def test_workers_give_the_same_numbers_as_serial(tmp_path):
    serial = run_toy(tmp_path / "serial", "--no-plot")
    parallel = run_toy(tmp_path / "workers", "--no-plot", "--workers", "2")
    assert numbers(parallel) == numbers(serial)
    executor = parallel["provenance"]["executor"]
    assert {k: v for k, v in executor.items() if k != "worker_threads"} == {
        "kind": "process", "workers": 2, "threads_per_worker": 1, "blas_threads_per_worker": 1}
    # What the workers reported having while they ran (the threading layer depends on the machine).
    assert [(t["numba_threads"], t["blas_threads"]) for t in executor["worker_threads"]] == [(1, 1)]
    assert toy.CALLS[:6] == toy.runs(serial["config"])  # the serial ones; the workers ran elsewhere
    assert len(toy.CALLS) == 6


CRASHY_STUDY = """
import os
import toy_study
from toy_study import DEFAULTS, KINDS, QUICK, VERSION, render, runs, summarize

NAME = "crashy"


def run(spec):
    if spec["n"] == 2000 and spec["repeat"] == 1:
        os._exit(3)  # kills its worker process, every time
    return toy_study.run(spec)
"""


def test_run_that_kills_its_worker_takes_no_other_run_down(tmp_path, monkeypatch, capsys):
    # A dead worker breaks its whole process pool: every run in flight fails with it.  The retries of
    # those run one at a time, so only the run that kills its worker is reported.
    (tmp_path / "crashy_study.py").write_text(CRASHY_STUDY)
    monkeypatch.syspath_prepend(str(tmp_path))  # the spawned workers import the study by name
    with pytest.raises(SystemExit) as exc:
        fw.main("crashy_study", ["--quick", "--out", str(tmp_path / "out"), "--no-plot", "--workers", "2"])
    err = capsys.readouterr().err
    assert exc.value.code == fw.EXIT_FAILED
    assert "1 of 6 runs failed twice" in err and "BrokenProcessPool" in err
    assert '"n":2000' in err and '"repeat":1' in err
    assert len(sorted((tmp_path / "out" / ".cache" / "crashy").glob("*.json"))) == 5


def test_figures_command_redraws_from_records(tmp_path, monkeypatch):
    run_toy(tmp_path)
    figs = sorted(tmp_path.glob("toy_mean_abs.*"))
    original = [p.read_bytes() for p in figs]
    for p in figs:
        p.unlink()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO)])}
    command = [sys.executable, "-m", "ffbench.figures", "--out", str(tmp_path), "--study", "toy_study"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [p.read_bytes() for p in figs] == original

    monkeypatch.setitem(STUDIES, "toy", "toy_study")  # registered: found without --study
    for p in figs:
        p.unlink()
    assert figures.main(["--out", str(tmp_path)]) == 0
    assert [p.read_bytes() for p in figs] == original
    assert figures.main(["--out", str(tmp_path / "empty")]) == 2  # a wrong --out is a user error


def test_checkout_toml_is_used_and_defaults_without_a_checkout(tmp_path, monkeypatch):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "toy.toml").write_text("# full-scale toy config\nrepeats = 3\n")
    monkeypatch.setattr(fw.config, "repo_root", lambda: tmp_path)
    assert fw.resolve_config(toy) == {**toy.DEFAULTS, "repeats": 3}
    assert fw.resolve_config(toy, quick=True)["repeats"] == 3  # QUICK applies on top of the file
    monkeypatch.setattr(fw.config, "repo_root", lambda: None)  # a pip-installed ffbench
    assert fw.resolve_config(toy) == toy.DEFAULTS


def test_config_file_then_quick_then_seed(tmp_path):
    config = tmp_path / "toy.toml"
    config.write_text("# the toy claim\nseed = 11\nsizes = [10, 20]\nrepeats = 1\n")
    assert fw.resolve_config(toy) == toy.DEFAULTS  # no studies/toy.toml in the checkout
    assert fw.resolve_config(toy, config_file=config) == {"seed": 11, "sizes": [10, 20], "repeats": 1}
    assert fw.resolve_config(toy, quick=True, config_file=config, seed=3) == {
        "seed": 3, "sizes": toy.QUICK["sizes"], "repeats": 1}
    record = fw.main(toy, ["--config", str(config), "--out", str(tmp_path), "--no-plot"])
    assert record["runs"] == 2 and record["quick"] is False

    config.write_text("sizez = [10]\n")
    with pytest.raises(fw.StudyError, match="unknown config key sizez; valid keys: repeats, seed, sizes"):
        fw.resolve_config(toy, config_file=config)
    with pytest.raises(fw.StudyError, match="does not exist"):
        fw.resolve_config(toy, config_file=tmp_path / "missing.toml")


def test_derive_seed_is_stable_and_distinct():
    assert fw.derive_seed(0, "relu", 3) == 2586573295545679422  # sha256: the same on every machine
    seeds = {fw.derive_seed(0, act, depth) for act in ("relu", "tanh") for depth in range(50)}
    assert len(seeds) == 100 and all(0 <= s < 2**63 for s in seeds)
    assert fw.derive_seed(np.int64(0), np.int64(3)) == fw.derive_seed(0, 3)
    with pytest.raises(TypeError):
        fw.derive_seed(0.5, "x")


def test_json_conversion_of_numpy_and_nonfinite_values():
    value = {"a": np.float32(1.5), "b": np.array([np.nan, np.inf, -np.inf, 2.0]), 3: (np.int64(4), True)}
    converted = fw.to_jsonable(value)
    assert converted == {"a": 1.5, "b": [None, "inf", "-inf", 2.0], "3": [4, True]}
    back = np.asarray(converted["b"], dtype=float)
    assert np.isnan(back[0]) and back[1] == np.inf and back[2] == -np.inf
    with pytest.raises(TypeError, match=r"value\['c'\]\[1\] has type complex"):
        fw.to_jsonable({"c": [1, 2j]})


S = {"source": "this study", "kind": "theorem"}


def test_claim_relations():
    assert fw.claim_close("c", "", 1.04, 1.0, rtol=0.05, **S).holds
    assert not fw.claim_close("c", "", 1.06, 1.0, rtol=0.05, **S).holds
    assert fw.claim_close("c", "", 1.06, 1.0, rtol=0.05, atol=0.01, **S).tolerance == pytest.approx(0.06)
    assert fw.claim_less("l", "", 0.2, 0.25, **S).holds and not fw.claim_less("l", "", 0.3, 0.25, **S).holds
    assert fw.claim_greater("g", "", 2, 1, **S).holds and not fw.claim_greater("g", "", 0.5, 1, **S).holds
    assert not fw.claim_less("nan", "", float("nan"), 1.0, **S).holds
    with pytest.raises(ValueError, match="rtol or atol"):
        fw.claim_close("c", "", 1.0, 1.0)
    with pytest.raises(ValueError, match="unknown claim relation"):
        fw.Claim("x", "", 1.0, 1.0, 0.0, "about")


def test_load_record_errors_are_clear(tmp_path):
    with pytest.raises(fw.StudyError, match="no study record"):
        fw.load_record(tmp_path / "toy.json")
    (tmp_path / "toy.json").write_text('{"study": "toy", "data": [1, 2')
    with pytest.raises(fw.StudyError, match="corrupt"):
        fw.load_record(tmp_path / "toy.json")
    (tmp_path / "toy.json").write_text('{"study": "toy"}')
    with pytest.raises(fw.StudyError, match="not an ffbench study record"):
        fw.load_record(tmp_path / "toy.json")


def test_registry_and_console_script(tmp_path, capsys, monkeypatch):
    assert cli.main(["list"]) == 0
    listed = capsys.readouterr().out
    for name in ("vanishing", "approximation", "depth", "xor", "dead_relu", "residual"):
        assert name in listed
    with pytest.raises(ValueError, match="valid names"):
        get_study("vanishng")
    with pytest.raises(fw.StudyError, match=r"missing or wrong .*DEFAULTS.*runs\(\)"):
        fw.check_study(types.SimpleNamespace(NAME="broken"))
    monkeypatch.setitem(STUDIES, "toy", "toy_study")
    assert get_study("toy") is toy
    assert cli.main(["run", "toy", "--quick", "--no-plot", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "toy.json").exists() and len(toy.CALLS) == 6
