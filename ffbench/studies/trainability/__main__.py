"""``python -m ffbench.studies.trainability``: the study's command line (see ffbench.studies.framework)."""
from ..framework import main

main("ffbench.studies.trainability")
