"""The written study contract: every study follows it, the template is a working example of it, group() splits
summarize's pairs, and the framework package keeps its public names."""
import importlib
import math
import types

import pytest

import toy_study as toy
from ffbench.studies import STUDIES, _template, get_study
from ffbench.studies import framework as fw


@pytest.mark.parametrize("module", [*STUDIES.values(), "ffbench.studies._template", "toy_study"])
def test_every_study_follows_the_contract(module):
    study = fw.check_study(importlib.import_module(module))
    specs = study.runs(fw.merge(study.DEFAULTS, study.QUICK, "QUICK"))
    assert specs and all(s["kind"] in study.KINDS for s in specs)  # one dispatch name, keyed by spec["kind"]
    assert set(fw.Study.__annotations__) <= set(vars(study))


def test_a_study_without_kinds_is_refused_with_what_is_missing():
    broken = types.SimpleNamespace(**{k: getattr(toy, k) for k in ("NAME", "DEFAULTS", "QUICK", "runs", "run",
                                                                    "summarize", "render")})
    with pytest.raises(fw.StudyError, match=r"missing or wrong KINDS \(dict\)"):
        fw.check_study(broken)
    broken.KINDS, broken.CONSTRAINTS = toy.KINDS, ["not", "a", "dict"]
    with pytest.raises(fw.StudyError, match=r"CONSTRAINTS \(dict, optional\)"):
        fw.check_study(broken)


def test_group_splits_pairs_in_run_order():
    pairs = [({"kind": "b", "i": 0}, 0), ({"kind": "a", "i": 1}, 1), ({"kind": "b", "i": 2}, 2)]
    assert fw.group(pairs) == {"b": [pairs[0], pairs[2]], "a": [pairs[1]]}
    assert list(fw.group(pairs, "kind", ["a", "b", "c"])) == ["a", "b", "c"]  # declared order, empty groups kept
    assert fw.group(pairs, "kind", ["a", "b", "c"])["c"] == []
    with pytest.raises(ValueError, match="unknown spec\\['kind'\\] 'b'"):
        fw.group(pairs, "kind", ["a"])
    assert fw.group(pairs, "i")[2] == [pairs[2]]


def test_template_runs_end_to_end_and_its_claims_hold(tmp_path):
    record = fw.main(_template, ["--quick", "--out", str(tmp_path)])
    verdicts = {c["name"]: c["verdict"] for c in record["claims"]}
    assert verdicts == {"he_normal_second_moment": "holds", "he_normal_typical_ratio": "observed",
                        "xavier_normal_second_moment": "holds", "xavier_normal_typical_ratio": "observed"}
    claim = next(c for c in record["claims"] if c["name"] == "xavier_normal_second_moment")
    assert claim["predicted"] == 0.5 ** (_template.DEFAULTS["depth"] - 1) and claim["spread"]["n"] == 20
    assert claim["source"] == _template.SOURCE and claim["kind"] == "theorem"
    assert (tmp_path / "template_moments.png").is_file()
    # The typical ratio sits below the expectation (finite-width drift), as the docstring says.
    typical = next(c for c in record["claims"] if c["name"] == "he_normal_typical_ratio")["measured"]
    assert typical < 1 and math.isfinite(typical)


def test_template_claim_can_fail():
    # Fed a measurement that contradicts He et al.'s factor, the judged claim says FAILS.
    config = {**_template.DEFAULTS, "inits": ["he_normal"], "depth": 3}
    profile = {"he_normal": {"ratio": [0.5, 0.52, 0.49, 0.51], "mean_profile": [1, 0.7, 0.5],
                             "predicted_profile": [1, 1, 1]}}
    judged = [c for c in _template._claims(config, profile) if c.kind == "theorem"]
    assert [c.verdict for c in judged] == ["FAILS"]


def test_framework_package_keeps_its_public_names_and_has_no_big_module():
    for name in ("main", "derive_seed", "claim_close", "claim_less", "claim_greater", "observation", "group",
                 "run_study", "render_record", "resolve_config", "StudyError", "ConfigError", "CacheWarning"):
        assert hasattr(fw, name), name
    from pathlib import Path

    sizes = {p.name: len(p.read_text().splitlines()) for p in Path(fw.__file__).parent.glob("*.py")}
    assert max(sizes.values()) <= 400, sizes
    assert get_study("xor").KINDS.keys() == {"linear", "net"}
