"""Benchmarks: `make bench` (all) or `python -m bench NAME ...`. Each prints a table whose last
column compares against a baseline measured in the same run, and writes JSON under var/bench/."""
