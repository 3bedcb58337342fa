"""``python -m ffbench.studies.dead_relu``: the study's command line."""
from ffbench.studies.framework import main

main(__package__)
