"""`python -m benchmarks.worker_recovery`: how long accepted invoices wait for their export
while export workers are killed.

Two `manage.py db_worker` processes and `manage.py requeue_exports --every 5` run against
PostgreSQL (DATABASE_URL; the bench data set, seeded at a small scale when missing). The
approver accepts a few hundred Ready to Export invoices in batches, spread over the kill
window; every 15 s a worker that is running an export task is SIGKILLed and a new one is
started in its place, as a process supervisor would. Once every accepted invoice has left
Exporting, it prints the longest wait from accept to Synced, and checks that each invoice
was exported once: one export document and one "Synced" history row per synced invoice
(a few bench invoices break a rule of the ERP system and end Failed to Export).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/erp_x python -m benchmarks.worker_recovery

Not a test: it takes minutes, and its numbers depend on the machine and the settings
(ERP_EXPORT_LEASE_SECONDS and the like, read from the environment by the workers too).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Max

from benchmarks import stats
from benchmarks.prepare import ensure_database

ROOT = Path(__file__).resolve().parents[1]
SCALE = 0.1  # 10,000 invoices, 500 of them Ready to Export
TASKS_BACKEND = "django_tasks_db.DatabaseBackend"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=300)
    parser.add_argument("--batch", type=int, default=25, help="invoices per accept")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--kill-every", type=float, default=15.0, metavar="SECONDS")
    parser.add_argument("--kill-for", type=float, default=75.0, metavar="SECONDS")
    parser.add_argument("--sweep-every", type=float, default=5.0, metavar="SECONDS")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="SECONDS")
    return parser.parse_args(argv)


@dataclass
class Workers:
    """The db_worker processes, restarted when killed."""

    environment: dict[str, str]
    log: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    started: int = 0

    def start(self) -> subprocess.Popen:
        self.started += 1
        worker_id = f"recovery-{self.started}"
        with self.log.open("a") as log:
            command = [sys.executable, "manage.py", "db_worker", "--no-reload"]
            command += ["--interval", "0.2", "--no-startup-delay", "--worker-id", worker_id]
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        process.worker_id = worker_id  # type: ignore[attr-defined]
        self.processes.append(process)
        return process

    def running_export(self) -> subprocess.Popen | None:
        """A live worker that is running an export task right now."""
        from django_tasks_db.models import DBTaskResult  # noqa: PLC0415 (models load after django.setup())

        busy = {
            worker_ids[-1]
            for worker_ids in DBTaskResult.objects.filter(
                status="RUNNING", task_path__endswith="export_invoices"
            ).values_list("worker_ids", flat=True)
            if worker_ids
        }
        return next(
            (p for p in self.processes if p.poll() is None and p.worker_id in busy),  # type: ignore[attr-defined]
            None,
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def kill_workers(workers: Workers, *, every: float, until: float, kills: list[str]) -> None:
    """Every `every` seconds until `until` (monotonic), SIGKILL a worker that is exporting
    (waiting up to a few seconds for one to be) and start another in its place."""
    try:
        next_kill = time.monotonic() + every
        while next_kill <= until:
            time.sleep(max(0.0, next_kill - time.monotonic()))
            deadline = time.monotonic() + 5
            victim = workers.running_export()
            while victim is None and time.monotonic() < deadline:
                time.sleep(0.05)
                victim = workers.running_export()
            if victim is None:
                victim = next(p for p in workers.processes if p.poll() is None)
                kills.append(f"{victim.worker_id} (idle)")  # type: ignore[attr-defined]
            else:
                kills.append(f"{victim.worker_id} (exporting)")  # type: ignore[attr-defined]
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            workers.start()
            next_kill += every
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database.", file=sys.stderr)
        return 2
    os.environ["TASKS_BACKEND"] = TASKS_BACKEND
    export_dir = Path(tempfile.mkdtemp(prefix="worker-recovery-"))
    os.environ["ERP_EXPORT_DIR"] = str(export_dir)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

    ensure_database(os.environ["DATABASE_URL"])
    django.setup()

    from django_tasks_db.models import DBTaskResult  # noqa: PLC0415 (models load after django.setup())

    from benchmarks import scenario  # noqa: PLC0415 (models load after django.setup())
    from benchmarks.data import BENCH_APPROVER_USERNAME  # noqa: PLC0415 (models load after django.setup())
    from erp_integrations.models import ExportItem, ExportState  # noqa: PLC0415 (models load after django.setup())
    from erp_integrations.services import export_items_accept  # noqa: PLC0415 (models load after django.setup())
    from invoices.models import ChangeHistoryEntry  # noqa: PLC0415 (models load after django.setup())

    scenario.prepare(scale=SCALE, accept_items=args.invoices, report=print)
    item_ids = list(
        scenario.ready_items(on_bench_commitment=False)
        .order_by("pk")
        .values_list("pk", flat=True)[: args.invoices]
    )
    company_id = ExportItem.objects.get(pk=item_ids[0]).company_id
    approver = get_user_model().objects.get(username=BENCH_APPROVER_USERNAME)
    # Earlier runs' task rows would hide this run's.
    DBTaskResult.objects.all().delete()

    log = export_dir / "workers.log"
    workers = Workers(environment=dict(os.environ), log=log)
    print(
        f"{len(item_ids)} invoices in batches of {args.batch}, {args.workers} db_workers, "
        f"requeue_exports --every {args.sweep_every:g}, a SIGKILL every {args.kill_every:g} s "
        f"for {args.kill_for:g} s; lease {settings.ERP_EXPORT_LEASE_SECONDS} s. Log: {log}"
    )
    for _ in range(args.workers):
        workers.start()
    with log.open("a") as sweep_log:
        sweep = subprocess.Popen(
            [sys.executable, "manage.py", "requeue_exports", "--every", str(args.sweep_every)],
            cwd=ROOT,
            env=dict(os.environ),
            stdout=sweep_log,
            stderr=subprocess.STDOUT,
        )
    started = time.monotonic()
    kills: list[str] = []
    killer = threading.Thread(
        target=kill_workers,
        args=(workers,),
        kwargs={"every": args.kill_every, "until": started + args.kill_for, "kills": kills},
    )
    killer.start()
    try:
        batches = [item_ids[i : i + args.batch] for i in range(0, len(item_ids), args.batch)]
        # Spread the accepts over the kill window, so that workers are busy when killed.
        pause = args.kill_for / len(batches)
        for number, batch in enumerate(batches):
            time.sleep(max(0.0, started + number * pause - time.monotonic()))
            export_items_accept(user=approver, company_id=company_id, export_item_ids=batch)
        killer.join()
        exporting = ExportItem.objects.filter(pk__in=item_ids, state=ExportState.EXPORTING)
        deadline = time.monotonic() + args.timeout
        while (left := exporting.count()) and time.monotonic() < deadline:
            print(f"  {time.monotonic() - started:5.0f}s: {left} still exporting", flush=True)
            time.sleep(10)
        elapsed = time.monotonic() - started
    finally:
        killer.join()
        sweep.terminate()
        sweep.wait(timeout=30)
        workers.stop()

    items = ExportItem.objects.filter(pk__in=item_ids)
    waits = [
        (synced_at - decided_at).total_seconds()
        for decided_at, synced_at in items.filter(state=ExportState.SYNCED).values_list(
            "decided_at", "synced_at"
        )
        if decided_at and synced_at  # always, once synced
    ]
    states = dict(items.values("state").annotate(n=Count("pk")).values_list("state", "n"))
    attempts = dict(
        items.values("attempts")
        .annotate(n=Count("pk"))
        .order_by("attempts")
        .values_list("attempts", "n")
    )
    synced_rows = (
        ChangeHistoryEntry.objects.filter(
            invoice__export_items__in=item_ids, action_by=None, to_value="Synced"
        )
        .values("invoice")
        .annotate(n=Count("pk"))
        .aggregate(most=Max("n"))["most"]
    )
    documents = len(list(export_dir.glob("*.json")))
    tasks = dict(
        DBTaskResult.objects.values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    # Some bench invoices break a rule of the ERP system (e.g. a vendor name too long for
    # it): Failed to Export is their right end. The synced ones must be there once each.
    synced = states.get(ExportState.SYNCED, 0)
    ended = synced + states.get(ExportState.FAILED_TO_EXPORT, 0) == len(item_ids)
    once = ended and documents == synced and synced_rows == 1
    print(f"Kills: {len(kills)}: {', '.join(kills)}")
    print(f"All accepted invoices left Exporting after {elapsed:.0f}s; states: {states}")
    if waits:
        print(
            f"Wait from accept to Synced: longest {max(waits):.1f}s, "
            f"p95 {stats.percentile(waits, 95):.1f}s, median {stats.percentile(waits, 50):.1f}s"
        )
    print(f"Attempts per item: {attempts}")
    print(f"Export documents: {documents}; most Synced history rows per invoice: {synced_rows}")
    print(f"Task rows by status: {tasks}")
    print("Every invoice exported exactly once." if once else "NOT exported exactly once!")
    return 0 if once else 1


if __name__ == "__main__":
    sys.exit(main())
