"""`python -m benchmarks.run`: measures the running gunicorn over HTTP (bin/benchmark
starts it and calls this), prints the table and writes the JSON results.

Each page is requested in rounds, one request per page per round, so a slow spell of the
machine is shared by all pages instead of falling on one; the first rounds warm the
workers up and are not counted. The POSTs run in pairs that leave the data as it was (a
retrieve, then a send back of the same invoices), except the bulk accepts, which use up
fresh Ready to Export items (`benchmarks.prepare` reseeds when too few are left). After
each POST the database is checked, so a request that did nothing is an error, not a
fast result.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import Any

import django
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client as DjangoClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from benchmarks import memory, report, stats, wrk
from benchmarks.client import BenchmarkError, Client
from benchmarks.measured import Measured

HOST = "127.0.0.1"
HTMX = {"HX-Request": "true"}
# Accepted items the ERP agents pull at scale 1 (benchmarks.agent_throughput).
AGENT_ITEMS = 5_000


@dataclass(frozen=True)
class Page:
    key: str
    name: str
    path: str
    user: str


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pid-file", type=Path, required=True)
    parser.add_argument("--output", type=Path, default=Path("var/benchmark/results.json"))
    parser.add_argument("--wrk-seconds", type=int, default=10)
    return parser.parse_args(argv)


def wait_for_server(client: Client, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if client.get("/login/").status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise BenchmarkError(f"gunicorn did not answer on port {client.port} in {seconds} s.")
        time.sleep(0.5)


def log_in_clients(port: int) -> dict[str, Client]:
    from benchmarks.data import BENCH_ADMIN_USERNAME, BENCH_APPROVER_USERNAME, BENCH_PASSWORD  # noqa: PLC0415 (models load after django.setup())
    from benchmarks.scenario import STAFF_PASSWORD, STAFF_USERNAME  # noqa: PLC0415 (models load after django.setup())

    users = {
        BENCH_ADMIN_USERNAME: BENCH_PASSWORD,
        BENCH_APPROVER_USERNAME: BENCH_PASSWORD,
        STAFF_USERNAME: STAFF_PASSWORD,
    }
    clients = {}
    for username, password in users.items():
        clients[username] = Client(HOST, port)
        clients[username].log_in(username, password)
    return clients


# --- Pages ----------------------------------------------------------------------------


def pages_of(s) -> list[Page]:
    """The measured pages, on the agreed URLs (written out, so a page that has not landed
    yet shows as not measured instead of stopping the run)."""
    commitment = f"/projects/{s.bench_project_id}/commitments/{s.bench_commitment_id}"
    return [
        Page("floor", "floor (/benchmark/floor/)", "/benchmark/floor/", "bench_admin"),
        Page(
            "admin",
            "admin changelist, SC-BENCH-150's 150 invoices",
            f"/admin/invoices/invoice/?commitment__id__exact={s.bench_commitment_id}&all=",
            "bench_staff",
        ),
        Page(
            "commitments",
            "Commitments tool (biggest project)",
            f"/projects/{s.big_project_id}/commitments/",
            "bench_admin",
        ),
        Page(
            "invoicing",
            "Invoicing tool of the biggest project",
            f"/projects/{s.big_project_id}/invoicing/",
            "bench_admin",
        ),
        Page(
            "invoices_tab",
            "Invoices tab (SC-BENCH-150, 150 invoices)",
            f"{commitment}/invoices/",
            "bench_admin",
        ),
        Page(
            "invoice",
            "invoice page",
            f"{commitment}/invoices/{s.invoice_page_id}/",
            "bench_admin",
        ),
        Page(
            "invoice_attachments",
            "invoice page with 20 attachments",
            f"{commitment}/invoices/{s.attachments_invoice_id}/",
            "bench_admin",
        ),
        Page(
            "ready_to_export",
            "ERP Integrations, Ready to Export (approver)",
            f"/companies/{s.company_id}/erp-integrations/",
            "bench_approver",
        ),
        Page(
            "ready_to_export_filtered",
            f"ERP queue, Ready to Export filtered, at {s.ready_item_count:,} items",
            f"/companies/{s.company_id}/erp-integrations/ready-to-export/"
            f"?project={s.big_project_id}&sort=vendor",
            "bench_approver",
        ),
    ]


def measure_pages(
    pages: list[Page], clients: dict[str, Client], *, warmups: int, requests: int
) -> dict[str, Measured]:
    measured = {page.key: Measured(page.name, "GET", page.path, page.user) for page in pages}
    for round_number in range(warmups + requests):
        for page in pages:
            result = measured[page.key]
            if result.error:
                continue
            response = clients[page.user].get(page.path)
            if response.status != 200:
                result.error = f"HTTP {response.status}"
            elif round_number >= warmups:
                result.add(response)
    return measured


# --- POSTs ----------------------------------------------------------------------------


@dataclass
class Action:
    """A POST with the database check that tells it did its work."""

    measured: Measured
    form: Callable[[], list[tuple[str, int | str]]]
    done: Callable[[], bool]

    def __call__(self, client: Client, *, record: bool) -> bool:
        if self.measured.error:
            return False
        response = client.post(self.measured.path, self.form(), headers=HTMX)
        if response.status not in (200, 302):
            self.measured.error = f"HTTP {response.status}"
            return False
        if not self.done():
            self.measured.error = "the POST answered but did not do its work"
            return False
        if record:
            self.measured.add(response)
        return True


def probe(client: Client, path: str) -> str | None:
    """An empty POST changes nothing: it tells whether the endpoint exists yet."""
    status = client.post(path, [], headers=HTMX).status
    return f"HTTP {status}" if status in (403, 404, 405) or status >= 500 else None


def measure_retrieves(s, client: Client, *, warmups: int, requests: int) -> list[Measured]:
    """Single and bulk retrieve, each followed by the send that puts the invoices back."""
    from benchmarks.scenario import invoices_are  # noqa: PLC0415 (models load after django.setup())
    from invoices.models import InvoiceErpStatus as Erp  # noqa: PLC0415 (models load after django.setup())

    invoices = f"/projects/{s.bench_project_id}/commitments/{s.bench_commitment_id}/invoices"
    single = f"{invoices}/{s.single_invoice_id}"
    bulk_ids = list(s.bulk_invoice_ids)
    one = [s.single_invoice_id]

    def bulk_form() -> list[tuple[str, int | str]]:
        return [("invoice_ids", pk) for pk in bulk_ids]

    def action(name: str, path: str, form, ids, status) -> Action:
        measured = Measured(name, "POST", path, "bench_admin")
        return Action(measured, form, lambda: invoices_are(ids, status))

    single_retrieve = action(
        "retrieve 1 invoice (invoice page)",
        f"{single}/retrieve-from-erp/",
        list,
        one,
        Erp.RETRIEVED,
    )
    single_send = action(
        "send 1 invoice back (invoice page)",
        f"{single}/send-to-erp/",
        list,
        one,
        Erp.READY_TO_EXPORT,
    )
    bulk_retrieve = action(
        "bulk retrieve 100 (Invoices tab)",
        f"{invoices}/retrieve-from-erp/",
        bulk_form,
        bulk_ids,
        Erp.RETRIEVED,
    )
    bulk_send = action(
        "bulk send 100 back (Invoices tab)",
        f"{invoices}/send-to-erp/",
        bulk_form,
        bulk_ids,
        Erp.READY_TO_EXPORT,
    )
    # Probe all but the single retrieve (an empty POST, or a send of an invoice that is
    # already Ready to Export, changes nothing); a pair runs only when both steps exist.
    pairs = ((single_retrieve, single_send), (bulk_retrieve, bulk_send))
    for pair in pairs:
        for step in pair[1:] if pair[0] is single_retrieve else pair:
            error = probe(client, step.measured.path)
            if error:
                for each in pair:
                    each.measured.error = each.measured.error or f"{error} (not there yet)"
    # A pair whose step failed stops there: its invoices are no longer Ready to Export, so
    # a further retrieve would be refused, not measured.
    running = list(pairs)
    for round_number in range(warmups + requests):
        record = round_number >= warmups
        for retrieve, send in list(running):
            if not (retrieve(client, record=record) and send(client, record=record)):
                running.remove((retrieve, send))
    return [step.measured for step in (single_retrieve, single_send, bulk_retrieve, bulk_send)]


def measure_accepts(s, client: Client, *, warmups: int, requests: int) -> Measured:
    """Bulk accepts of 100 fresh Ready to Export items each (small batches to warm up)."""
    from benchmarks.scenario import ACCEPT_WARMUP_SIZE, BULK_SIZE, items_are  # noqa: PLC0415 (models load after django.setup())
    from erp_integrations.models import ExportState  # noqa: PLC0415 (models load after django.setup())

    path = f"/companies/{s.company_id}/erp-integrations/accept/"
    measured = Measured("bulk accept 100 (Ready to Export)", "POST", path, "bench_approver")
    measured.error = probe(client, path)
    pool = list(s.accept_item_ids)
    batches = [ACCEPT_WARMUP_SIZE] * warmups + [BULK_SIZE] * requests
    for round_number, size in enumerate(batches):
        if len(pool) < size:
            break  # fewer fresh items than asked for: n in the table shows how many ran
        batch, pool = pool[:size], pool[size:]
        form: list[tuple[str, int | str]] = [("item_ids", pk) for pk in batch]
        action = Action(measured, form.copy, partial(items_are, batch, ExportState.EXPORTING))
        if not action(client, record=round_number >= warmups):
            break
    return measured


# --- Downloads ----------------------------------------------------------------------------


def streamed_query_count(path: str, username: str) -> int:
    """The queries of one request, counted in this process: a streamed response runs its
    queries after the X-Query-Count header has gone out, so the header cannot say."""
    client = DjangoClient(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https")
    client.force_login(
        get_user_model().objects.get(username=username),
        backend="django.contrib.auth.backends.ModelBackend",
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, secure=True)
        for _ in response.streaming_content:  # type: ignore[attr-defined]
            pass
    return len(queries)


def pdf_page_count(body: bytes) -> int | None:
    """The pages of a downloaded PDF, or None when it does not read as one."""
    try:
        return len(PdfReader(BytesIO(body)).pages)
    except (PdfReadError, ValueError):
        return None


def measure_downloads(
    s, clients: dict[str, Client], master_pid: int, *, warmups: int, requests: int
) -> tuple[list[Measured], dict]:
    """The PDF of the 150-line invoice, the same with its attachments, and the CSV of the
    whole Ready to Export tab; with the pages of the PDF with attachments, the rows the CSV
    held, and each worker's peak memory while each of those two was written."""
    from benchmarks.scenario import PRINT_OTHER_ATTACHMENTS, PRINT_PDF_ATTACHMENTS  # noqa: PLC0415 (models load after django.setup())

    invoice = (
        f"/projects/{s.print_project_id}/commitments/{s.print_commitment_id}"
        f"/invoices/{s.print_invoice_id}"
    )
    pdf = Measured("PDF of a 150-line invoice", "GET", f"{invoice}/pdf/", "bench_admin")
    attachments = PRINT_PDF_ATTACHMENTS + PRINT_OTHER_ATTACHMENTS
    bundle = Measured(
        f"PDF with attachments (150 lines, {attachments} files)",
        "GET",
        f"{invoice}/pdf/with-attachments/",
        "bench_admin",
    )
    csv_path = f"/companies/{s.company_id}/erp-integrations/ready-to-export/csv/"
    csv = Measured("CSV of the Ready to Export tab", "GET", csv_path, "bench_approver")
    details: dict = {
        "csv_rows": None,
        "csv_queries": None,
        "peak_reset": None,
        "peak_mb": {},
        "pdf_with_attachments": None,
    }
    for measured in (pdf, bundle, csv):
        body = b""
        peak_reset: bool | None = None
        for round_number in range(warmups + requests):
            response = clients[measured.user].get(measured.path)
            if response.status != 200:
                measured.error = f"HTTP {response.status}"
                break
            body = response.body
            if measured is csv:
                # Rows after the header; no cell of this tab holds a line break.
                details["csv_rows"] = body.count(b"\n") - 1
            if round_number >= warmups:
                measured.add(response)
            if measured is not pdf and round_number == warmups - 1:
                # The peak from here on is this download's own, not the requests' before.
                peak_reset = memory.reset_peaks(master_pid)
        if measured is bundle and bundle.error is None:
            details["pdf_with_attachments"] = {
                "pdf_attachments": PRINT_PDF_ATTACHMENTS,
                "other_attachments": PRINT_OTHER_ATTACHMENTS,
                "pages": pdf_page_count(body),
                "peak_reset": peak_reset,
                "peak_mb": worker_peaks(master_pid),
            }
    if csv.error is None:
        details["peak_reset"] = peak_reset
        details["peak_mb"] = worker_peaks(master_pid)
        details["csv_queries"] = streamed_query_count(csv.path, csv.user)
        csv.queries = [details["csv_queries"]] * len(csv.samples_ms)
        csv.name = f"CSV of the Ready to Export tab ({details['csv_rows']:,} rows)"
    return [pdf, bundle, csv], details


# --- The daily digest -------------------------------------------------------------------


def measure_digest(s, *, warmups: int, requests: int) -> Measured:
    """The bench company's daily ERP digest as `manage.py send_erp_digest` builds it for
    the bench approver, in this process on the bench database: the company's digest (its
    queries, which must not grow with the items) and the email's text. Nothing is sent.
    Measured before the bulk accepts take items off Ready to Export."""
    from erp_integrations.digest import company_digest  # noqa: PLC0415 (models load after django.setup())
    from erp_integrations.digest_delivery import digest_message  # noqa: PLC0415 (as above)
    from projects.models import Company  # noqa: PLC0415 (as above)

    company = Company.objects.get(pk=s.company_id)
    approver = get_user_model().objects.get(username="bench_approver")
    measured = Measured("ERP digest", "TASK", "manage.py send_erp_digest", approver.username)
    waiting = 0
    for round_number in range(warmups + requests):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            digest = company_digest(company)
            digest_message(approver, [digest], now=timezone.now()).message()
            elapsed_ms = (time.perf_counter() - started) * 1000
        if round_number >= warmups:
            measured.samples_ms.append(elapsed_ms)
            measured.queries.append(len(queries))
        waiting = digest.waiting_count
    measured.name = f"ERP digest for {waiting:,} items"
    return measured


def worker_peaks(master_pid: int) -> dict[int, float]:
    return {pid: round(mb, 1) for pid, mb in memory.worker_peak_mb(master_pid).items()}


# --- Throughput and results -------------------------------------------------------------


def measure_throughput(
    port: int, client: Client, pages: dict[str, Page], seconds: int, usable: set[str]
) -> dict:
    if not wrk.available():
        return {"error": "wrk is not installed (apt-get install wrk)"}
    missing = {"floor", "invoices_tab"} - usable
    if missing:
        return {"error": f"{', '.join(sorted(missing))} not measured"}
    headers = {"Cookie": client.cookie_header(), "X-Forwarded-Proto": "https"}
    rows = []
    for key in ("invoices_tab", "floor"):
        result = wrk.run(f"http://{HOST}:{port}{pages[key].path}", headers, seconds=seconds)
        rows.append({"key": key, "name": pages[key].name, "path": pages[key].path, **vars(result)})
    by_key = {row["key"]: row for row in rows}
    errors = sum(row["errors"] for row in rows)
    return {
        "pages": rows,
        "ratio": stats.ratio(
            by_key["invoices_tab"]["requests_per_second"], by_key["floor"]["requests_per_second"]
        ),
        "error": f"{errors} failed requests" if errors else None,
    }


def request_rows(measured: list[Measured], floor: stats.Timing | None, admin) -> list[dict]:
    rows = []
    for result in measured:
        timing = result.timing
        row: dict[str, Any] = {
            "name": result.name,
            "method": result.method,
            "path": result.path,
            "user": result.user,
            "error": result.error or (None if timing else "no samples"),
        }
        if timing:
            row |= {
                "n": len(timing.samples_ms),
                "p50_ms": round(timing.p50, 2),
                "p95_ms": round(timing.p95, 2),
                "queries": timing.queries_text,
                "queries_min": min(timing.queries, default=None),
                "queries_max": max(timing.queries, default=None),
                "samples_ms": [round(sample, 2) for sample in timing.samples_ms],
            }
            if result.method == "GET":
                row["vs_floor"] = stats.ratio(timing.p50, floor.p50 if floor else None)
                row["vs_admin"] = stats.ratio(timing.p50, admin.p50 if admin else None)
        rows.append(row)
    return rows


def checks_of(pages: dict[str, Measured], posts: dict[str, Measured], rss: dict) -> list:
    floor, admin = pages["floor"].timing, pages["admin"].timing
    checks = []
    for key, result in pages.items():
        if key in ("floor", "admin"):
            continue
        page = result.timing
        checks += stats.page_checks(
            result.name,
            page.p50 if page else None,
            floor.p50 if floor else None,
            admin.p50 if admin else None,
        )
    bulk, single = posts["bulk_retrieve"].timing, posts["single_retrieve"].timing
    checks.append(stats.bulk_check(bulk.p50 if bulk else None, single.p50 if single else None))
    checks += [stats.memory_check(f"worker {pid}", mb) for pid, mb in sorted(rss.items())]
    return [
        {"name": c.name, "value": c.value, "limit": c.limit, "verdict": c.verdict} for c in checks
    ]


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "commit": commit or "unknown",
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Others' work on the machine slows every request alike; the ratios hold up better
    # than the milliseconds, and this tells how busy the machine was.
    load_before = [round(load, 2) for load in os.getloadavg()]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from benchmarks import agent_throughput  # noqa: PLC0415 (models load after django.setup())
    from benchmarks.scenario import ACTION_WARMUPS, PAGE_WARMUPS, accept_items_needed, find_scenario  # noqa: PLC0415 (models load after django.setup())

    wait_for_server(Client(HOST, args.port))
    s = find_scenario(accept_items=accept_items_needed(args.requests, ACTION_WARMUPS))
    clients = log_in_clients(args.port)
    page_list = pages_of(s)
    print(f"Measuring {len(page_list)} pages, {args.requests} rounds...", flush=True)
    pages = measure_pages(page_list, clients, warmups=PAGE_WARMUPS, requests=args.requests)
    print("Measuring the retrieves and sends...", flush=True)
    single_retrieve, single_send, bulk_retrieve, bulk_send = measure_retrieves(
        s, clients["bench_admin"], warmups=ACTION_WARMUPS, requests=args.requests
    )
    print("Measuring the API...", flush=True)
    from benchmarks import api  # noqa: PLC0415 (models load after django.setup())

    api_client = Client(HOST, args.port)  # no session: the API token alone
    api_list = api.measure_queue_list(s, api_client, warmups=PAGE_WARMUPS, requests=args.requests)
    api_retrieve, api_send = api.measure_bulk_retrieve(
        s, api_client, warmups=ACTION_WARMUPS, requests=args.requests
    )
    api.revoke_run_tokens()
    master_pid = int(args.pid_file.read_text().strip())
    print("Measuring the PDF and CSV downloads...", flush=True)
    (pdf, pdf_with_attachments, csv), downloads = measure_downloads(
        s, clients, master_pid, warmups=ACTION_WARMUPS, requests=args.requests
    )
    # Before the bulk accepts, which take items off the Ready to Export tab.
    print("Measuring the daily ERP digest...", flush=True)
    digest = measure_digest(s, warmups=ACTION_WARMUPS, requests=args.requests)
    print("Measuring the bulk accepts...", flush=True)
    accept = measure_accepts(
        s, clients["bench_approver"], warmups=ACTION_WARMUPS, requests=args.requests
    )
    print(f"Measuring throughput with wrk ({args.wrk_seconds} s per page)...", flush=True)
    usable = {key for key, result in pages.items() if result.timing}
    throughput = measure_throughput(
        args.port, clients["bench_admin"], {p.key: p for p in page_list}, args.wrk_seconds, usable
    )
    rss = memory.worker_rss_mb(master_pid)
    # After the memory reading, which it would otherwise move: thousands of API requests.
    print("Measuring ERP agents pulling exports (1, 2 and 4 agents)...", flush=True)
    agents = agent_throughput.measure(HOST, args.port, items=round(AGENT_ITEMS * args.scale))

    posts = {
        "single_retrieve": single_retrieve,
        "single_send": single_send,
        "bulk_retrieve": bulk_retrieve,
        "bulk_send": bulk_send,
        "accept": accept,
        "api_list": api_list,
        "api_bulk_retrieve": api_retrieve,
        "api_bulk_send": api_send,
        "pdf": pdf,
        "pdf_with_attachments": pdf_with_attachments,
        "csv": csv,
        "digest": digest,
    }
    rows = request_rows(
        [*pages.values(), *posts.values()], pages["floor"].timing, pages["admin"].timing
    )
    ratio = stats.ratio(
        bulk_retrieve.timing.p50 if bulk_retrieve.timing else None,
        single_retrieve.timing.p50 if single_retrieve.timing else None,
    )
    for row in rows:
        if row["name"] == bulk_retrieve.name:
            row["vs_single_retrieve"] = ratio
    results: dict[str, Any] = {
        "meta": {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "scale": args.scale,
            "requests": args.requests,
            "warmups": PAGE_WARMUPS,
            "database": f"PostgreSQL {connection.get_database_version()[0]} "
            f"({connection.settings_dict['NAME']})",
            "workers": len(rss),
            "wrk_seconds": args.wrk_seconds,
            "load_average": load_before,
            # libpq settings the server ran with, e.g. "-c jit=off" (see docs/benchmark.md).
            "pgoptions": os.environ.get("PGOPTIONS", ""),
            **machine(),
        },
        "requests": rows,
        "bulk_retrieve_vs_single": ratio,
        "checks": checks_of(pages, posts, rss),
        "throughput": throughput,
        "memory": [{"pid": pid, "rss_mb": round(mb, 1)} for pid, mb in sorted(rss.items())],
        "downloads": downloads,
        "agent_throughput": agents,
    }
    report.write(results, args.output)
    print()
    print(report.summary(results))
    print(f"\nResults written to {args.output}")
    return 1 if any(check["verdict"] == "FAIL" for check in results["checks"]) else 0


if __name__ == "__main__":
    raise SystemExit(main())
