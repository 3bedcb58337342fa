"""The study framework: one CLI, config check, cache, record and claim table for every study.

The contract a study follows is ``contract.Study`` (its docstring); ``ffbench/studies/_template.py`` is the
worked example to copy.  The modules, each one idea:

- ``records``: JSON normalisation, canonical text and hashes, ``derive_seed``, the record file and its CSV;
- ``contract``: the ``Study`` protocol, ``check_study``, ``group`` (split ``summarize``'s pairs by a spec key);
- ``schema``: config validation inferred from ``DEFAULTS`` and refined by a study's ``CONSTRAINTS``;
- ``config``: ``DEFAULTS``, then ``studies/NAME.toml`` (or ``--config``), then ``QUICK``, then ``--seed``;
- ``cache``: one file per finished run, the result's bytes as its worker wrote them, checksummed;
- ``executors``: serial, local processes, any ``concurrent.futures`` pool; ``dask``: a Dask cluster;
- ``sweep``: ``run_study`` (cache, retry, summarize, record, render) and ``render_record``;
- ``cli``: ``main``, the command line of every study.

Claims come from ``ffbench.studies.claims`` and are re-exported here, so a study imports everything it
needs from one place: ``from ffbench.studies.framework import claim_close, derive_seed, group, main``.
"""
from ..claims import (ALPHA, Claim, claim_bound, claim_close, claim_effect, claim_equivalent, claim_fraction,
                      claim_greater, claim_less, claim_mean, format_claims, markdown_claims, observation, spread_of)
from ..stats import fraction_interval, n_to_decide, power_note, t_tolerance, tost_tolerance
from .cache import CACHE_SCHEMA, CacheWarning, ensure_writable, read_cache, spec_key, write_cache
from .cli import EXIT_CONFIG, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED, build_parser, main, make_executor
from .config import default_config_path, load_toml, merge, resolve_config
from .contract import Study, check_study, group, resolve_module
from .executors import Executor, FuturesExecutor, ProcessExecutor, SerialExecutor
from .records import (RECORD_KEYS, RECORD_SCHEMA, StudyError, atomic_write_text, canonical, csv_text,
                      derive_seed, format_json, load_record, roundtrip, sha256, to_jsonable)
from .schema import Choice, ConfigError, Name, Number, validate
from .sweep import Terminated, render_record, run_study

__all__ = [
    "ALPHA", "Claim", "claim_bound", "claim_close", "claim_effect", "claim_equivalent", "claim_fraction",
    "claim_greater", "claim_less", "claim_mean", "format_claims", "markdown_claims", "observation", "spread_of",
    "fraction_interval", "n_to_decide", "power_note", "t_tolerance", "tost_tolerance",
    "CACHE_SCHEMA", "CacheWarning", "ensure_writable", "read_cache", "spec_key", "write_cache",
    "EXIT_CONFIG", "EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_TERMINATED", "build_parser", "main",
    "default_config_path", "load_toml", "merge", "resolve_config",
    "Study", "check_study", "group", "resolve_module",
    "Executor", "FuturesExecutor", "ProcessExecutor", "SerialExecutor", "make_executor",
    "RECORD_KEYS", "RECORD_SCHEMA", "StudyError", "atomic_write_text", "canonical", "csv_text", "derive_seed",
    "format_json", "load_record", "roundtrip", "sha256", "to_jsonable",
    "Choice", "ConfigError", "Name", "Number", "validate",
    "Terminated", "render_record", "run_study",
]
