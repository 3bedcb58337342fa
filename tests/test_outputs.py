"""Where outputs go: results/NAME/ by default, the committed figures/ only when asked, never from --quick; the
committed figures redraw byte-identically from their records; the README claim tables come from the records."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import toy_study as toy
from ffbench import cli, figures, options, pinning
from ffbench.studies import STUDIES, reference
from ffbench.studies import framework as fw

REPO = Path(__file__).resolve().parent.parent
FIGURES = REPO / "figures"


@pytest.fixture(autouse=True)
def fresh_toy(monkeypatch):
    monkeypatch.setattr(toy, "CALLS", [])
    monkeypatch.setattr(toy, "HOOK", None)


def test_runs_go_to_results_name_by_default_and_quick_runs_never_replace_full_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    full = fw.main(toy, ["--no-plot"])
    record = fw.main(toy, ["--quick", "--no-plot"])
    assert (tmp_path / "results" / "toy-quick" / "toy.json").is_file() and record["quick"]
    assert fw.load_record(tmp_path / "results" / "toy" / "toy.json") == full and not full["quick"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    out = capsys.readouterr().out
    assert out.count("QUICK RUN: the verdicts below come from a smoke-test grid") == 1
    assert ".gitignore" in {p.name for p in REPO.iterdir()}
    assert "results/" in (REPO / ".gitignore").read_text().split()


@pytest.mark.parametrize("out", [str(FIGURES), "figures"])
def test_quick_never_writes_into_the_committed_figures(out, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    before = sorted(p.name for p in FIGURES.iterdir())
    with pytest.raises(SystemExit) as exc:
        fw.main(toy, ["--quick", "--out", out, "--no-plot"])
    err = capsys.readouterr().err
    assert exc.value.code == fw.EXIT_CONFIG and err.count("\n") == 1
    assert "--quick never writes into the committed reference directory" in err
    assert sorted(p.name for p in FIGURES.iterdir()) == before and toy.CALLS == []
    with pytest.raises(fw.StudyError, match="--quick never writes"):  # the Python entry point refuses too
        fw.run_study(toy, fw.resolve_config(toy, quick=True), out, quick=True)
    assert options.is_reference(out) and not options.is_reference("results/toy")


def test_refresh_refuses_quick_and_a_misplaced_out(capsys):
    assert cli.main(["refresh", "xor", "--quick"]) == 2
    assert cli.main(["refresh", "xor", "--workers", "2", "--out", "x"]) == 2  # --out comes right after the names
    assert "full scale" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        cli.main(["refresh", "xor", "4", "--workers"])  # names first, options after
    assert exc.value.code == 2 and "unknown study '4'" in capsys.readouterr().err


def test_refresh_pins_the_code_path_and_keeps_a_users_choice(monkeypatch):
    monkeypatch.setattr(pinning, "cpu_flags", lambda: {"avx", "fma", "avx2", "avx512f"})
    monkeypatch.setattr(pinning.platform, "machine", lambda: "x86_64")
    env, note = pinning.pinned_environment({})
    assert note is None and pinning.is_pinned(env)
    assert env["OPENBLAS_CORETYPE"] == "Haswell" and env["NUMBA_CPU_NAME"] == "haswell"
    env, note = pinning.pinned_environment({"OPENBLAS_CORETYPE": "SkylakeX"})
    assert env["OPENBLAS_CORETYPE"] == "SkylakeX" and "SkylakeX" in note and "last bits" in note
    monkeypatch.setattr(pinning, "cpu_flags", lambda: {"avx"})  # no AVX2: nothing pinned, and it says so
    env, note = pinning.pinned_environment({})
    assert not pinning.is_pinned(env) and "lacks fma, avx2" in note


COMMITTED = [p.stem for p in sorted(FIGURES.glob("*.json")) if p.stem in STUDIES or p.stem in figures.REDRAWERS]


@pytest.fixture(scope="module")
def redrawn(tmp_path_factory):
    """Every committed record redrawn by ``python -m ffbench.figures`` in a child process, which puts itself on
    the pinned code path (this process's NumPy has chosen its SIMD loops already, and they move pixels)."""
    out = tmp_path_factory.mktemp("redrawn")
    for name in COMMITTED:
        shutil.copy(FIGURES / f"{name}.json", out)
    env = {k: v for k, v in os.environ.items() if k not in pinning.pins()}
    done = subprocess.run([sys.executable, "-m", "ffbench.figures", "--out", str(out)], env=env,
                          capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    return out, [Path(line) for line in done.stdout.split()]


@pytest.mark.parametrize("name", COMMITTED)
def test_every_committed_figure_redraws_byte_identically(redrawn, name):
    out, written = redrawn
    mine = [p for p in written if p.name.startswith(f"{name}_") or p.stem == name]
    assert mine, f"no figure redrawn for {name}"
    for path in mine:
        assert path.read_bytes() == (FIGURES / path.name).read_bytes(), f"{path.name} differs from figures/"


def test_the_claims_summary_redraws_byte_identically_and_nothing_else_is_committed(redrawn):
    out, written = redrawn
    summary = out / f"{figures.SUMMARY}.png"
    assert summary in written and summary.read_bytes() == (FIGURES / summary.name).read_bytes()
    # every committed figure is one a redraw writes (no stale SVG of a format no longer drawn by default)
    committed = {p.name for p in FIGURES.iterdir() if p.suffix in (".png", ".svg", ".pdf")}
    assert committed == {p.name for p in written}, committed ^ {p.name for p in written}


def test_a_cached_rerun_draws_only_when_something_changed(tmp_path, capsys):
    out = tmp_path / "toy"
    fw.main(toy, ["--quick", "--out", str(out)])
    figure = out / "toy_mean_abs.png"
    drawn = figure.stat().st_mtime_ns
    fw.main(toy, ["--quick", "--out", str(out)])
    assert "figures unchanged" in capsys.readouterr().out and figure.stat().st_mtime_ns == drawn
    figure.write_bytes(b"edited by hand")  # a figure that is not what was drawn is drawn again
    fw.main(toy, ["--quick", "--out", str(out)])
    first = figure.read_bytes()
    assert first != b"edited by hand" and "figures unchanged" not in capsys.readouterr().out
    fw.main(toy, ["--quick", "--out", str(out), "--format", "png,svg"])  # other formats: drawn
    assert (out / "toy_mean_abs.svg").is_file() and figure.read_bytes() == first


MARKED = """# Title

<!-- claims:toy -->
typed by hand
<!-- /claims:toy -->

text after
"""


def test_claims_command_writes_the_tables_between_the_markers(tmp_path, capsys):
    fw.main(toy, ["--quick", "--out", str(tmp_path), "--no-plot"])
    readme = tmp_path / "README.md"
    readme.write_text(MARKED)
    tables = reference.claim_tables(tmp_path, ["toy"])
    assert "| claim | kind | source |" in tables["toy"] and "**FAILS**" in tables["toy"]  # the false toy claim
    args = ["claims", "--records", str(tmp_path)]
    assert cli.main([*args, "--check", str(readme)]) == 1  # stale: typed by hand
    assert cli.main([*args, "--write", str(readme)]) == 0
    text = readme.read_text()
    assert "typed by hand" not in text and tables["toy"] in text and text.endswith("text after\n")
    assert cli.main([*args, "--check", str(readme)]) == 0
    assert cli.main([*args, "--write", str(readme)]) == 0 and readme.read_text() == text  # idempotent
    readme.write_text(MARKED.replace("toy", "nosuchstudy"))
    assert cli.main([*args, "--write", str(readme)]) == 1
    assert "markers without a record" in capsys.readouterr().err


def test_readme_claim_tables_match_the_committed_records():
    assert reference.write_claims(REPO / "README.md", FIGURES, check=True) == 0, \
        "README claim tables are stale: run ffbench claims --write README.md"
    text = (REPO / "README.md").read_text()
    for name in STUDIES:
        if (FIGURES / f"{name}.json").is_file():
            assert f"<!-- claims:{name} -->" in text, f"README has no claim table for {name}"


def test_an_output_path_that_is_a_file_is_refused_with_exit_code_2(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(SystemExit) as exc:
        fw.main(toy, ["--out", str(blocker), "--no-plot"])
    err = capsys.readouterr().err
    assert exc.value.code == fw.EXIT_CONFIG and err.count("\n") == 1 and "is a file, not a directory" in err
    assert toy.CALLS == []


def test_progress_goes_to_a_log_when_stderr_is_not_a_terminal(tmp_path, capsys):
    fw.run_study(toy, fw.resolve_config(toy), tmp_path, progress=False, plot=False)
    err = capsys.readouterr().err
    total = len(toy.runs(fw.resolve_config(toy)))
    assert f"toy: {total} of {total} runs to compute (0 cached)" in err and "compile" in err
    assert f"toy: {total}/{total} runs," in err and "elapsed" in err and "left" in err


@pytest.mark.parametrize("argv", [["run", "nosuchstudy"], ["list", "extra"], ["claims", "--records", "/nonexistent"],
                                  ["figures", "--out", "/nonexistent"], ["compare", "only-one.json"],
                                  ["run", "xor", "--format", "gif"], ["run", "xor", "--seed", "x"]])
def test_every_user_error_is_one_line_and_exit_code_2(argv, capsys):
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "error: " in err, err
