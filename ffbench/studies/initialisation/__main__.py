"""``python -m ffbench.studies.initialisation``: the study's command line."""
from ffbench.studies.framework import main

main(__package__)
