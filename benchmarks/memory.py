"""Resident memory of the gunicorn workers, read from /proc after the benchmark: the
workers are the children of the master process whose pid gunicorn wrote to its pid file.
"""

from __future__ import annotations

from pathlib import Path

PROC = Path("/proc")


def parent_pid(stat_line: str) -> int:
    """The ppid field of /proc/<pid>/stat; the command name before it is in parentheses
    and may itself hold spaces or parentheses, so split after the last ')'."""
    return int(stat_line.rsplit(")", 1)[1].split()[1])


def rss_kb(status_text: str) -> int | None:
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


def children(pid: int) -> list[int]:
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if parent_pid((entry / "stat").read_text()) == pid:
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
    return sorted(found)


def worker_rss_mb(master_pid: int) -> dict[int, float]:
    """{worker pid: resident MB} for each worker of the master."""
    sizes = {}
    for pid in children(master_pid):
        try:
            kb = rss_kb((PROC / str(pid) / "status").read_text())
        except OSError:
            continue
        if kb is not None:
            sizes[pid] = kb / 1024
    return sizes


def peak_kb(status_text: str) -> int | None:
    """VmHWM: the most resident memory the process has held (since start, or since its
    peak was last reset)."""
    for line in status_text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def reset_peaks(master_pid: int) -> bool:
    """Start each worker's VmHWM afresh (writing 5 to /proc/<pid>/clear_refs), so the peak
    read afterwards belongs to the requests in between. False when the kernel refused."""
    done = True
    for pid in children(master_pid):
        try:
            (PROC / str(pid) / "clear_refs").write_text("5")
        except OSError:
            done = False
    return done


def worker_peak_mb(master_pid: int) -> dict[int, float]:
    """{worker pid: peak resident MB} for each worker of the master."""
    peaks = {}
    for pid in children(master_pid):
        try:
            kb = peak_kb((PROC / str(pid) / "status").read_text())
        except OSError:
            continue
        if kb is not None:
            peaks[pid] = kb / 1024
    return peaks
