"""Shared helpers for the benchmarks: timing with repeats and a plain table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def best_of(repeats: int, work: Callable[[], object], setup: Callable[[], object] | None = None) -> float:
    """The fastest of `repeats` timed runs of `work` (seconds); `setup` runs untimed before each."""
    times = []
    for _ in range(repeats):
        if setup:
            setup()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def median(values: list[float]) -> float:
    return statistics.median(values)


def table(rows: list[tuple], header: tuple) -> str:
    """A Markdown table, as recorded in benchmarks/README.md."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
