"""Benchmarks and the synthetic corpus; run with `make bench` / `make bench-quick`."""
