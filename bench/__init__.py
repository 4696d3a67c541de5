"""Benchmarks of Self-Report: AWS calls, reads, state transitions, cold start, latency, dollars.

`python -m bench.run` measures everything and writes `build/bench/results.json`.
"""
