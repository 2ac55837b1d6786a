"""Benchmarks. Run them all with `make bench` (python -m bench), or one with `python -m bench NAME`."""
