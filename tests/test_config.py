"""Config validation: every bad value fails before any run, in one line naming the key, with exit code 2."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import toy_study as toy
from ffbench.studies import STUDIES, get_study
from ffbench.studies import framework as fw
from ffbench.studies.framework.schema import problems

REPO = Path(__file__).resolve().parent.parent


def resolve(study, tmp_path, text, **kwargs):
    path = tmp_path / f"{study.NAME}.toml"
    path.write_text(text)
    return fw.resolve_config(study, config_file=path, **kwargs)


@pytest.mark.parametrize("name", list(STUDIES))
def test_each_toml_equals_its_defaults_and_both_grids_are_valid(name):
    # DEFAULTS stays the source of truth (it ships with the package; studies/*.toml do not), so the checkout's
    # TOML must say exactly the same: editing one without the other fails here.
    study = get_study(name)
    assert fw.load_toml(REPO / "studies" / f"{name}.toml") == study.DEFAULTS
    assert problems(study, study.DEFAULTS) == []
    assert problems(study, fw.merge(study.DEFAULTS, study.QUICK, "QUICK")) == []


BAD = [  # (study, TOML text, what the one line must say)
    ("vanishing", 'activations = ["sigmoidd"]', "config key activations = ['sigmoidd']: item 'sigmoidd'"),
    ("vanishing", 'activations = ["sigmoidd"]', "Did you mean 'sigmoid'?"),
    ("vanishing", 'depth = "fifty"', "config key depth = 'fifty' must be an integer > 0"),
    ("vanishing", "depth = 50.5", "config key depth = 50.5 must be an integer > 0"),
    ("vanishing", "depth = true", "config key depth = True must be an integer > 0"),
    ("vanishing", "width = 0", "config key width = 0 must be an integer > 0"),
    ("vanishing", "negative_slope = -0.1", "config key negative_slope = -0.1 must be a number > 0"),
    ("vanishing", "mid = []", "config key mid = [] must be a non-empty list"),
    ("vanishing", 'inits = "he_normal"', "config key inits = 'he_normal' must be a non-empty list"),
    ("vanishing", "[training]\ninit = \"he_normall\"", "config key training.init = 'he_normall'"),
    ("vanishing", "[sweep]\nsigma_b2 = -1.0", "config key sweep.sigma_b2 = -1.0 must be a number >= 0"),
    ("vanishing", "[sweep]\nactivationz = [\"tanh\"]", "unknown config key sweep.activationz; valid keys: "
                                                       "sweep.activations, sweep.seeds"),
    ("vanishing", "histograms = 5", "config key histograms must be a table (a [histograms] section)"),
    ("vanishing", "[depth]\nx = 1", "config key depth must be a value, not a table"),
    ("dead_relu", '[init]\ninits = ["he_normall"]', "config key init.inits = ['he_normall']: item 'he_normall'"),
    ("dead_relu", '[born]\nschemes = ["rai", "symetric"]', "item 'symetric' is not a known scheme"),
    ("residual", '[shatter]\narchs = ["plain_bm"]', "did you mean 'plain_bn'?"),
    ("approximation", 'staircase_targets = ["sin", "sine"]', "config key staircase_targets"),
    ("xor", 'activations = ["softsine"]', "config key activations = ['softsine']: item 'softsine' is not allowed"),
]


@pytest.mark.parametrize("name, text, message", BAD)
def test_bad_values_fail_with_one_line_naming_the_key(tmp_path, name, text, message):
    with pytest.raises(fw.ConfigError) as exc:
        resolve(get_study(name), tmp_path, text + "\n")
    line = str(exc.value)
    assert message in line and "\n" not in line
    assert line.startswith(str(tmp_path / f"{name}.toml"))  # names the file it came from


def test_quick_does_not_mask_a_bad_value_and_says_what_it_overrides(tmp_path, capsys):
    study = get_study("vanishing")
    with pytest.raises(fw.ConfigError, match="config key depth = 'fifty'"):
        resolve(study, tmp_path, 'depth = "fifty"\n', quick=True)
    config = resolve(study, tmp_path, "depth = 12\nwidth = 256\n", quick=True)
    assert config["depth"] == study.QUICK["depth"]
    err = capsys.readouterr().err
    assert f"note: --quick sets depth = {study.QUICK['depth']!r}, overriding depth = 12" in err
    assert "overriding width" not in err  # the file left width at its default: nothing the user set
    resolve(study, tmp_path, "depth = 12\n")
    assert capsys.readouterr().err == ""  # no --quick, no note


def test_seed_and_toy_constraints(tmp_path):
    with pytest.raises(fw.ConfigError, match=r"--seed -1 must be an integer >= 0"):
        fw.resolve_config(toy, seed=-1)
    with pytest.raises(fw.ConfigError, match=r"config key sizes = \[10, -1\]: item -1 must be an integer > 0"):
        resolve(toy, tmp_path, "sizes = [10, -1]\n")
    assert resolve(toy, tmp_path, "sizes = [10]\nseed = 0\n")["sizes"] == [10]


def test_command_line_refuses_a_bad_config_fast_with_exit_code_2(tmp_path):
    # From a fresh process, as a user would: one line on stderr, exit code 2, nothing run or written, and fast
    # because no kernel is compiled before the check: every ffbench kernel is cached on compilation, so an empty
    # Numba cache afterwards proves it (a wall-clock limit would test the machine's load, not the code).
    bad = tmp_path / "bad.toml"
    bad.write_text('activations = ["sigmoidd"]\n')
    numba_cache = tmp_path / "numba-cache"
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(REPO), "NUMBA_CACHE_DIR": str(numba_cache)}
    command = [sys.executable, "-m", "ffbench.studies.vanishing", "--config", str(bad), "--out", str(tmp_path / "o")]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "activations" in done.stderr
    assert done.stdout == "" and not (tmp_path / "o").exists()
    compiled = [p.name for p in numba_cache.rglob("*") if p.suffix in (".nbi", ".nbc")] if numba_cache.exists() else []
    assert compiled == [], f"kernels compiled before the config was refused: {compiled[:5]}"
