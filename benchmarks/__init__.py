"""asv benchmarks of ffbench (see asv.conf.json at the repository root and the README's Performance section)."""
