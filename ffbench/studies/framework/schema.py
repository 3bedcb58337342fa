"""Config validation: every value of a study's config checked before the first run.

The schema of a study is inferred from its ``DEFAULTS`` and refined by its optional ``CONSTRAINTS``
(``{dotted key: constraint}``, like scikit-learn's ``_parameter_constraints``):

- a key's type is its default's type: an int default takes ints, a float default any real number, a string a
  string, a bool a bool, a list a non-empty list whose items have the type of the default's items, a table a
  table (checked key by key);
- a number's range follows its default's sign: a positive default must stay positive (depth, width, lr,
  seeds), a zero default non-negative (a bias variance); a negative default takes any finite number; a
  ``seed`` (or ``*_seed``) is an integer >= 0;
- a key named ``activation``/``init``/``optimizer``/``loss``/``target`` (``ffbench.data.TARGETS``), plural,
  or ending in ``_activations`` etc., holds names from that registry (ffbench's own lookup: aliases work,
  and an error lists the valid names);
- ``CONSTRAINTS`` replaces the inferred check of a key's value (of each item, for a list): ``Choice(names,
  "target")``, ``Number(low=0, high=1)``, ``Name("activation")``, or any callable returning a problem
  string or None.

``validate(study, config)`` raises ``ConfigError`` with one line naming the key (``init.inits``), the value
and what is allowed.  Nothing here compiles a kernel: the registries are looked up by name only.
"""
from __future__ import annotations

import difflib
import math

from .records import StudyError


class ConfigError(StudyError):
    """A config value or key is wrong; raised before any run starts (exit code 2)."""


def _resolvers() -> dict:
    # Imported here: the registries live in the numerical modules, which import Numba (compiling nothing).
    from ... import activations, data, init, losses, optim
    from ..._checks import lookup

    return {"activation": activations.activation, "init": init.initializer,
            "optimizer": lambda name: lookup(optim.OPTIMIZERS, name, "optimizer"), "loss": losses.canonical_name,
            "target": lambda name: lookup(data.TARGETS, name, "target")}


REGISTRY_KEYS = {"activation": "activation", "activations": "activation", "init": "init", "inits": "init",
                 "optimizer": "optimizer", "optimizers": "optimizer", "loss": "loss", "losses": "loss",
                 "target": "target", "targets": "target"}


class Name:
    """A name from one of ffbench's registries: ``Name("activation")``, ``"init"``, ``"optimizer"``, ``"loss"``,
    ``"target"``."""

    def __init__(self, registry: str):
        self.registry = registry

    def __call__(self, value):
        if not isinstance(value, str):
            return f"must be a {self.registry} name (a string)"
        try:
            _resolvers()[self.registry](value)
        except (ValueError, TypeError) as exc:
            return f"is not allowed: {exc}"
        return None


class Choice:
    """One of a fixed set of names, e.g. ``Choice(TARGETS, "target")``."""

    def __init__(self, names, what: str = "value"):
        self.names, self.what = sorted(names), what

    def __call__(self, value):
        if isinstance(value, str) and value in self.names:
            return None
        close = difflib.get_close_matches(str(value), self.names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"is not a known {self.what}; allowed: {', '.join(self.names)}{hint}"


class Number:
    """A finite number (``integer``: an int) in ``[low, high]``; ``open_low``: strictly above ``low``."""

    def __init__(self, integer=False, low=None, high=None, open_low=False):
        self.integer, self.low, self.high, self.open_low = integer, low, high, open_low

    def allowed(self) -> str:
        kind = "an integer" if self.integer else "a number"
        if self.low is not None:
            kind += f" {'>' if self.open_low else '>='} {self.low:g}"
        if self.high is not None:
            kind += f"{' and' if self.low is not None else ''} <= {self.high:g}"
        return kind

    def __call__(self, value):
        ok = not isinstance(value, bool) and isinstance(value, (int, float) if not self.integer else int)
        ok = ok and math.isfinite(value)
        if ok and self.low is not None:
            ok = value > self.low if self.open_low else value >= self.low
        if ok and self.high is not None:
            ok = value <= self.high
        return None if ok else f"must be {self.allowed()}"


def _kind_check(expected: type):
    names = {str: "a string", bool: "true or false"}

    def check(value):
        return None if type(value) is expected else f"must be {names[expected]}"
    return check


def _inferred(key: str, default):
    """The check of one scalar value, inferred from its default and the key's name."""
    last = key.rsplit(".", 1)[-1].rsplit("_", 1)[-1]
    if last == "seed":
        return Number(integer=True, low=0)
    registry = REGISTRY_KEYS.get(last)
    if registry and isinstance(default, str):
        return Name(registry)
    if isinstance(default, (bool, str)):
        return _kind_check(type(default))
    if isinstance(default, (int, float)):
        low = None if default < 0 else 0
        return Number(integer=isinstance(default, int), low=low, open_low=default > 0)
    return lambda value: None  # None or other JSON leaves: nothing to infer


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check(key: str, value, default, constraints: dict, problems: list) -> None:
    if isinstance(default, dict):
        if not isinstance(value, dict):
            problems.append(f"config key {key} = {_show(value)} must be a table (a [{key}] section)")
            return
        for k, v in value.items():
            _check(f"{key}.{k}", v, default.get(k), constraints, problems)
        return
    if isinstance(default, list):
        if not isinstance(value, list) or (default and not value):
            problems.append(f"config key {key} = {_show(value)} must be a non-empty list")
            return
        item_default = default[0] if default else None
        check = constraints.get(key)
        for i, item in enumerate(value):
            if check is not None:
                problem = check(item)
            elif isinstance(item_default, (list, dict)):
                _check(f"{key}[{i}]", item, item_default, constraints, problems)
                continue
            else:
                # A list of numbers takes the range of its smallest default (log10_range = [-20, 0]).
                low = min(default) if all(isinstance(d, (int, float)) and not isinstance(d, bool)
                                          for d in default) else item_default
                problem = _inferred(key, low)(item)
            if problem:
                problems.append(f"config key {key} = {_show(value)}: item {_show(item)} {problem}")
        return
    check = constraints.get(key) or _inferred(key, default)
    problem = check(value)
    if problem:
        problems.append(f"config key {key} = {_show(value)} {problem}")


def problems(study, config: dict) -> list[str]:
    """Every problem of ``config`` against ``study``'s schema, one line each (empty: valid)."""
    found = []
    constraints = getattr(study, "CONSTRAINTS", {})
    for key, value in config.items():
        _check(key, value, study.DEFAULTS.get(key), constraints, found)
    return found


def validate(study, config: dict, source: str) -> None:
    """Raise ``ConfigError`` (the first problem, and how many more) unless ``config`` is valid."""
    found = problems(study, config)
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        raise ConfigError(f"{source}: {found[0]}{more}")
