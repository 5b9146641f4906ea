"""Throughput with wrk (Debian package `wrk`): requests per second a page sustains on
loopback against the running gunicorn, compared with the floor page the same way.

wrk counts a 3xx as a success, so the caller first checks with its own client that the
page answers 200 with the same session; `parse` also reads wrk's non-2xx/3xx and socket
error counts so a run with errors is reported as such.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

REQUESTS_PER_SECOND = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(\w+),", re.MULTILINE)
NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
LATENCY_P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\b", re.MULTILINE)
UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    requests: int
    errors: int
    latency_p50_ms: float | None


def parse(output: str) -> WrkResult:
    rps = REQUESTS_PER_SECOND.search(output)
    if rps is None:
        raise ValueError(f"wrk printed no Requests/sec line:\n{output}")
    total = TOTAL.search(output)
    errors = sum(int(match.group(1)) for match in NON_2XX.finditer(output))
    sockets = SOCKET_ERRORS.search(output)
    if sockets:
        errors += sum(int(count) for count in sockets.groups())
    latency = LATENCY_P50.search(output)
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        requests=int(total.group(1)) if total else 0,
        errors=errors,
        latency_p50_ms=(float(latency.group(1)) * UNIT_MS[latency.group(2)] if latency else None),
    )


def available() -> bool:
    return shutil.which("wrk") is not None


def run(url: str, headers: dict[str, str], *, seconds: int, connections: int = 4) -> WrkResult:
    """One wrk thread (the machine has two cores, both wanted by the gunicorn workers)
    and a few connections, enough to keep two sync workers busy."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    finished = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    return parse(finished.stdout)
