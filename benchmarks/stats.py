"""Percentiles, ratios and the benchmark's targets, kept free of I/O so that
tests/benchmarks/test_harness.py can check the arithmetic on fixed numbers.

The targets (docs/benchmark.md):
- every page's p50 within 3x the floor's p50;
- every page at least as fast as Django admin's changelist of the same rows;
- a bulk retrieve of 100 invoices at most 5x a single retrieve;
- every gunicorn worker under 150 MB resident.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MAX_PAGE_TO_FLOOR = 3.0
MAX_PAGE_TO_ADMIN = 1.0
MAX_BULK_TO_SINGLE = 5.0
MAX_WORKER_RSS_MB = 150.0


def percentile(samples: Sequence[float], percent: float) -> float:
    """The `percent`-th percentile with linear interpolation between the closest ranks
    (numpy's default), so p50 of an even count is the mean of the middle two."""
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * percent / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


@dataclass(frozen=True)
class Check:
    """One target: `value` (a ratio or megabytes) must be at most `limit`."""

    name: str
    value: float | None
    limit: float

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "n/a"
        return "PASS" if self.value <= self.limit else "FAIL"


@dataclass(frozen=True)
class Timing:
    """What a measured request gave: p50/p95 in milliseconds and the query counts."""

    samples_ms: tuple[float, ...]
    queries: tuple[int, ...]

    @property
    def p50(self) -> float:
        return percentile(self.samples_ms, 50)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 95)

    @property
    def queries_text(self) -> str:
        if not self.queries:
            return "?"
        low, high = min(self.queries), max(self.queries)
        return str(low) if low == high else f"{low}-{high}"


def page_checks(
    name: str, page_p50: float | None, floor_p50: float | None, admin_p50: float | None
) -> list[Check]:
    return [
        Check(f"{name} / floor", ratio(page_p50, floor_p50), MAX_PAGE_TO_FLOOR),
        Check(f"{name} / admin", ratio(page_p50, admin_p50), MAX_PAGE_TO_ADMIN),
    ]


def bulk_check(bulk_p50: float | None, single_p50: float | None) -> Check:
    return Check(
        "bulk retrieve 100 / single retrieve", ratio(bulk_p50, single_p50), MAX_BULK_TO_SINGLE
    )


def memory_check(worker: str, rss_mb: float) -> Check:
    return Check(f"RSS of {worker} (MB)", rss_mb, MAX_WORKER_RSS_MB)
