"""One measured row of the benchmark: its timings, or why it was not measured."""

from __future__ import annotations

from dataclasses import dataclass, field

from benchmarks import stats
from benchmarks.client import Response


@dataclass
class Measured:
    """The timings of one request kind, or why it was not measured."""

    name: str
    method: str
    path: str
    user: str
    samples_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    error: str | None = None

    def add(self, response: Response) -> None:
        self.samples_ms.append(response.elapsed_ms)
        if response.query_count is not None:
            self.queries.append(response.query_count)

    @property
    def timing(self) -> stats.Timing | None:
        if self.error or not self.samples_ms:
            return None
        return stats.Timing(tuple(self.samples_ms), tuple(self.queries))
