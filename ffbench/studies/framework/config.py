"""A study's config: ``DEFAULTS``, then a TOML file, then ``QUICK``, then ``--seed``, validated before any run.

The TOML file is ``--config FILE`` if given, else ``studies/NAME.toml`` of the repo checkout (if ffbench runs
from one).  It may only set keys that ``DEFAULTS`` has (a typo is an error, not a silently ignored key).  The
merged config is validated (``schema``) before ``QUICK`` is applied, so a bad value in the file fails even
where ``--quick`` would override it, and again after.  When ``QUICK`` overrides a key the file set, a note
says so.  ``DEFAULTS`` stays the source of truth (it ships with the package, the TOML files do not);
``studies/NAME.toml`` mirrors it and a test keeps the two equal.
"""
from __future__ import annotations

import copy
import sys
from pathlib import Path

from ...provenance import repo_root
from .schema import ConfigError, Number, validate


def load_toml(path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None


def merge(base: dict, override: dict, source: str, prefix: str = "") -> dict:
    """``base`` updated by ``override``, key by key inside tables; a key ``base`` lacks is a ConfigError."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if key not in base:
            raise ConfigError(f"{source}: unknown config key {prefix}{key}; valid keys: "
                              f"{', '.join(prefix + k for k in sorted(base))}")
        if isinstance(base[key], dict) != isinstance(value, dict):
            want = f"a table (a [{prefix}{key}] section)" if isinstance(base[key], dict) else "a value, not a table"
            raise ConfigError(f"{source}: config key {prefix}{key} must be {want}")
        out[key] = (merge(base[key], value, source, f"{prefix}{key}.") if isinstance(value, dict)
                    else copy.deepcopy(value))
    return out


def _leaves(config: dict, prefix: str = "") -> dict:
    """``{"init.inits": value, ...}``: the config's values by dotted key."""
    out = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def default_config_path(study) -> Path | None:
    """``studies/NAME.toml`` of the repo checkout, if this ffbench runs from one and the file exists."""
    root = repo_root()
    path = None if root is None else root / "studies" / f"{study.NAME}.toml"
    return path if path is not None and path.is_file() else None


def resolve_config(study, quick=False, config_file=None, seed=None) -> dict:
    """DEFAULTS, then the TOML file (``config_file`` or the checkout's studies/NAME.toml), then QUICK if
    ``quick``, then ``seed``; a ConfigError (one line: key, value, what is allowed) if anything is wrong."""
    config = copy.deepcopy(study.DEFAULTS)
    path = Path(config_file) if config_file is not None else default_config_path(study)
    if path is not None:
        from_file = load_toml(path)
        config = merge(config, from_file, str(path))
    validate(study, config, str(path) if path is not None else f"{study.NAME}.DEFAULTS")
    if path is not None and quick:
        quick_values = _leaves(study.QUICK)
        defaults = _leaves(study.DEFAULTS)  # a key the file leaves at its default was not set by the user
        masked = {k: v for k, v in _leaves(from_file).items()
                  if k in quick_values and quick_values[k] != v and defaults.get(k) != v}
        for key, value in masked.items():
            print(f"note: --quick sets {key} = {quick_values[key]!r}, overriding {key} = {value!r} from {path}",
                  file=sys.stderr)
    if quick:
        config = merge(config, study.QUICK, f"{study.NAME}.QUICK")
        validate(study, config, f"{study.NAME}.QUICK")
    if seed is not None:
        problem = Number(integer=True, low=0)(seed)
        if problem:
            raise ConfigError(f"--seed {seed!r} {problem}")
        config["seed"] = int(seed)
    return config
