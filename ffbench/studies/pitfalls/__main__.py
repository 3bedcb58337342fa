"""``python -m ffbench.studies.pitfalls``: the study's command line (see ffbench.studies.framework)."""
from ..framework import main

main("ffbench.studies.pitfalls")
