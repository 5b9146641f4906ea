"""The run's results as one JSON-ready dict, and the plain-text table printed from it.

The dict is what var/benchmark/results.json holds; the table is made from the dict alone,
so a saved results file can be printed again (`python -m benchmarks.report FILE`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def request_table(rows: list[dict]) -> list[str]:
    lines = [
        f"{'request':<46} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'queries':>7} "
        f"{'/floor':>7} {'/admin':>7}",
    ]
    for row in rows:
        if row.get("error"):
            lines.append(f"{row['name']:<46} not measured: {row['error']}")
            continue
        lines.append(
            f"{row['name']:<46} {row['n']:>3} {_number(row['p50_ms']):>8} "
            f"{_number(row['p95_ms']):>8} {row['queries']:>7} "
            f"{_number(row.get('vs_floor'), 2):>7} {_number(row.get('vs_admin'), 2):>7}"
        )
    return lines


def check_table(checks: list[dict]) -> list[str]:
    lines = [f"{'target':<52} {'value':>8} {'limit':>7}  verdict"]
    for check in checks:
        lines.append(
            f"{check['name']:<52} {_number(check['value'], 3):>8} "
            f"{_number(check['limit'], 2):>7}  {check['verdict']}"
        )
    return lines


def throughput_table(throughput: dict) -> list[str]:
    if throughput.get("error"):
        return [f"not measured: {throughput['error']}"]
    lines = [f"{'page':<46} {'req/s':>8} {'requests':>9} {'errors':>7} {'p50 ms':>8}"]
    for row in throughput["pages"]:
        lines.append(
            f"{row['name']:<46} {_number(row['requests_per_second']):>8} "
            f"{row['requests']:>9} {row['errors']:>7} {_number(row['latency_p50_ms']):>8}"
        )
    lines.append(f"Invoices tab / floor throughput: {_number(throughput.get('ratio'), 2)}")
    return lines


def memory_table(memory: list[dict]) -> list[str]:
    return [f"worker pid {row['pid']}: {row['rss_mb']:.1f} MB" for row in memory] or [
        "no workers found"
    ]


def _peak_lines(peaks: dict, *, reset: bool | None, of: str) -> list[str]:
    since = f"since the {of} requests began" if reset else "since start"
    return [f"worker pid {pid}: peak {mb:.1f} MB ({since})" for pid, mb in sorted(peaks.items())]


def downloads_table(downloads: dict | None) -> list[str]:
    """The PDF with attachments' pages and the CSV's rows and query count, with each
    worker's peak memory while each was written."""
    if not downloads:
        return ["not measured"]
    lines = []
    bundle = downloads.get("pdf_with_attachments")
    if bundle:
        pages = "-" if bundle["pages"] is None else f"{bundle['pages']:,}"
        lines.append(
            f"PDF with attachments: {pages} pages ({bundle['pdf_attachments']} PDF "
            f"attachments appended, {bundle['other_attachments']} others listed)"
        )
        lines += _peak_lines(
            bundle.get("peak_mb", {}), reset=bundle.get("peak_reset"), of="PDF with attachments"
        )
    if downloads.get("csv_rows") is not None:
        lines.append(
            f"CSV of Ready to Export: {downloads['csv_rows']:,} rows, "
            f"{downloads['csv_queries']} queries (counted in process: the file is streamed)"
        )
        lines += _peak_lines(
            downloads.get("peak_mb", {}), reset=downloads.get("peak_reset"), of="CSV"
        )
    return lines or ["not measured"]


def agent_table(agents: dict | None) -> list[str]:
    if not agents:
        return ["not measured"]
    lines = [f"{'agents':>6} {'items':>6} {'seconds':>8} {'exports/s':>10}"]
    for run in agents["runs"]:
        rate = run["error"] or _number(run["exports_per_second"])
        lines.append(f"{run['agents']:>6} {run['items']:>6} {run['seconds']:>8.2f} {rate:>10}")
    return lines


def summary(results: dict) -> str:
    meta = results["meta"]
    verdicts = [check["verdict"] for check in results["checks"]]
    head = (
        f"Benchmark {meta['date']} - scale {meta['scale']:g}, {meta['requests']} requests "
        f"each after {meta['warmups']} warm-up rounds - {meta['database']} - gunicorn "
        f"{meta['workers']} workers - {meta['cpus']} CPUs ({meta['cpu_model']}) - "
        f"commit {meta['commit']}"
    )
    if meta.get("pgoptions"):
        head += f" - PGOPTIONS {meta['pgoptions']}"
    if "load_average" in meta:
        head += f" - load average before the run {meta['load_average'][0]:.2f}"
    parts = [
        head,
        "",
        *request_table(results["requests"]),
        "",
        *check_table(results["checks"]),
        "",
        f"Throughput (wrk, {meta['wrk_seconds']} s each, {meta['workers']} workers):",
        *throughput_table(results["throughput"]),
        "",
        "Downloads (peak VmHWM of each worker):",
        *downloads_table(results.get("downloads")),
        "",
        "ERP agents pulling exports (reference agent, claims of "
        f"{(results.get('agent_throughput') or {}).get('claim_limit', '?')}):",
        *agent_table(results.get("agent_throughput")),
        "",
        "Worker memory after the run (VmRSS):",
        *memory_table(results["memory"]),
        "",
        f"{verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL, "
        f"{verdicts.count('n/a')} not measured",
    ]
    return "\n".join(parts)


def write(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    print(summary(json.loads(Path(sys.argv[1]).read_text())))
