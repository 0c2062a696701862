"""Benchmarks for cfcookies: ``python -m benchmarks.run [--quick] [--output BENCHMARKS.md]``.

Each module measures one thing against a baseline timed in the same run (the machine is shared
and noisy, so only ratios are compared with the goals). Nothing here is imported by the library.
"""
