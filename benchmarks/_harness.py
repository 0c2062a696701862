"""Timing, statistics and the report model shared by every benchmark.

Times come from :func:`time.perf_counter_ns`. A measurement is several rounds of many calls;
each round gives one per-call figure, and the report shows the median round with the spread
(lowest and highest round). Rivals are timed in interleaved rounds (A, B, C, A, B, C, ...) so that
a burst of noise on the shared machine hits all of them alike.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "Check",
    "Scale",
    "Section",
    "Timing",
    "fmt_ns",
    "fmt_ratio",
    "interleaved",
    "per_call",
    "percentile",
]


@dataclass(frozen=True)
class Scale:
    """How long each benchmark runs: the full run, or tiny counts for ``--quick`` and tests."""

    rounds: int = 15
    number: int = 2000  # calls per round for cheap operations
    sign_number: int = 200  # calls per round for operations that sign (about 1 ms each)
    seconds: float = 3.0  # per server load phase
    aws_iterations: int = 300
    cache_entries: int = 4096
    concurrency: int = 16

    @classmethod
    def quick(cls) -> Scale:
        return cls(
            rounds=3,
            number=50,
            sign_number=10,
            seconds=0.6,
            aws_iterations=20,
            cache_entries=64,
            concurrency=4,
        )


@dataclass(frozen=True)
class Timing:
    """Per-call nanoseconds of each round of one measurement."""

    label: str
    per_call_ns: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.per_call_ns)

    @property
    def low(self) -> float:
        return min(self.per_call_ns)

    @property
    def high(self) -> float:
        return max(self.per_call_ns)

    def cell(self) -> str:
        return f"{fmt_ns(self.median)} ({fmt_ns(self.low)}–{fmt_ns(self.high)})"


@dataclass(frozen=True)
class Check:
    """One figure compared with its goal."""

    figure: str
    measured: str
    goal: str
    met: bool
    why: str = ""  # for a missed goal: the reason and what would close it


@dataclass
class Section:
    """One benchmark's results: a table, notes and the goal checks."""

    number: int
    title: str
    method: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    values: dict[str, float] = field(default_factory=dict)  # raw numbers, for tests


def fmt_ns(ns: float) -> str:
    if ns >= 1_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    if ns >= 1_000:
        return f"{ns / 1_000:.2f} µs"
    return f"{ns:.0f} ns"


def fmt_ratio(value: float) -> str:
    return f"{value:.3g}x" if value < 100 else f"{value:,.0f}x"


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of ``values``, by the nearest-rank method."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))
    return ordered[rank]


def time_calls(fn: Callable[[], object], number: int) -> float:
    """Per-call nanoseconds of ``number`` calls of ``fn``."""
    clock = time.perf_counter_ns
    start = clock()
    for _ in range(number):
        fn()
    return (clock() - start) / number


def per_call(fn: Callable[[], object]) -> Callable[[int], float]:
    """A candidate for :func:`interleaved` that calls ``fn`` ``number`` times per round."""

    def run(number: int) -> float:
        return time_calls(fn, number)

    return run


def interleaved(
    candidates: Mapping[str, Callable[[int], float]], *, rounds: int, number: int
) -> dict[str, Timing]:
    """Time each candidate in interleaved rounds; a candidate runs ``number`` calls and returns
    the per-call nanoseconds. One warm-up round is discarded, and the garbage collector is off
    while a round runs (collected between rounds)."""
    results: dict[str, list[float]] = {name: [] for name in candidates}
    for run in candidates.values():  # warm-up
        run(max(1, number // 10))
    for _ in range(rounds):
        for name, run in candidates.items():
            gc.collect()
            gc.disable()
            try:
                results[name].append(run(number))
            finally:
                gc.enable()
    return {name: Timing(name, tuple(values)) for name, values in results.items()}
