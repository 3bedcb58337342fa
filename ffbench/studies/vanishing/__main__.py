"""``python -m ffbench.studies.vanishing``: the study's command line."""
from ffbench.studies.framework import main

main(__package__)
