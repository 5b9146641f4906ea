"""Two `manage.py db_worker` processes on PostgreSQL export a few hundred accepted
invoices through the production task backend (django-tasks-db), each exactly once, and
take over at once the batch of a worker that was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django_tasks_db.models import DBTaskResult

from erp_integrations.models import ConnectorKind, ErpConnection, ExportItem, ExportState
from erp_integrations.services import export_items_accept
from erp_integrations.tasks import WorkerGone, enqueue_exports
from invoices.models import Invoice
from tests.erp_integrations.erp_server import Fault, running_gateway
from tests.world import build_world

ROOT = Path(__file__).resolve().parents[2]
INVOICES = 240
ACCEPT_BATCH = 12
WORKERS = 2

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="several workers need PostgreSQL"),
]


def worker_environment(export_dir: Path, **settings: str) -> dict[str, str]:
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    return os.environ | {
        "DATABASE_URL": url,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "ERP_EXPORT_DIR": str(export_dir),
        **settings,
    }


def start_worker(worker_id: str, environment: dict[str, str], *, batch: bool):
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
        + ["--interval", "0.1", "--worker-id", worker_id]
        + (["--batch"] if batch else []),
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (found := condition()):
        assert time.monotonic() < deadline, f"waited {seconds}s for {what}"
        time.sleep(0.1)
    return found


def test_two_db_workers_export_each_accepted_invoice_once(settings, tmp_path):
    """Every accepted invoice ends Synced after exactly one export attempt and one
    export document, although its task was enqueued twice and two workers competed."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    export_dir = tmp_path / "exports"
    settings.ERP_EXPORT_DIR = export_dir
    world = build_world()
    invoices = [world.invoice(erp_state=ExportState.READY_TO_EXPORT) for _ in range(INVOICES)]
    item_ids = list(
        ExportItem.objects.filter(invoice__in=invoices).order_by("pk").values_list("pk", flat=True)
    )
    approver = get_user_model().objects.get(pk=world.users["approver"].pk)
    for start in range(0, len(item_ids), ACCEPT_BATCH):
        export_items_accept(
            user=approver,
            company_id=world.company.pk,
            export_item_ids=item_ids[start : start + ACCEPT_BATCH],
        )
    # A task delivered twice (a requeue racing the original) must not export twice.
    for start in range(0, len(item_ids), ACCEPT_BATCH * 2):
        enqueue_exports(item_ids[start : start + ACCEPT_BATCH * 2])
    tasks = DBTaskResult.objects.count()

    started = time.monotonic()
    workers = [
        start_worker(f"worker-{number}", worker_environment(export_dir), batch=True)
        for number in range(WORKERS)
    ]
    for worker in workers:
        _, errors = worker.communicate(timeout=600)
        assert worker.returncode == 0, errors
    elapsed = time.monotonic() - started

    items = ExportItem.objects.filter(pk__in=item_ids)
    assert items.filter(state=ExportState.SYNCED).count() == INVOICES
    assert set(items.values_list("attempts", flat=True)) == {1}
    assert Invoice.objects.filter(pk__in=[i.pk for i in invoices], erp_status="synced").count() == (
        INVOICES
    )
    assert len(list(export_dir.glob("*.json"))) == INVOICES
    assert not DBTaskResult.objects.exclude(status="SUCCESSFUL").exists()
    workers_used = {
        worker_id
        for worker_ids in DBTaskResult.objects.values_list("worker_ids", flat=True)
        for worker_id in worker_ids
    }
    print(
        f"\n{WORKERS} db_worker processes exported {INVOICES} invoices from {tasks} tasks "
        f"in {elapsed:.1f}s; workers that ran tasks: {sorted(workers_used)}"
    )


KILLED_BATCH = 8
LEASE_SECONDS = 6


def test_a_killed_workers_batch_is_taken_over_without_waiting_for_its_lease(settings, tmp_path):
    """A worker is SIGKILLed while it delivers the first item of a batch. The sweep hands
    the items it never claimed to the other worker at once; the item it held is taken
    over once its lease runs out (the heartbeat stopped with the worker); the killed
    task's row is marked failed; and the ERP holds one document per invoice."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.ERP_EXPORT_LEASE_SECONDS = LEASE_SECONDS
    settings.ERP_EXPORT_PICKUP_SECONDS = 0
    with running_gateway() as gateway:
        world = build_world()
        ErpConnection.objects.filter(company=world.company).update(
            connector=ConnectorKind.HTTP, gateway_url=gateway.url, timeout_seconds=60
        )
        invoices = [
            world.invoice(erp_state=ExportState.READY_TO_EXPORT) for _ in range(KILLED_BATCH)
        ]
        items = list(ExportItem.objects.filter(invoice__in=invoices).order_by("pk"))
        first = items[0]
        # The ERP holds its answer to the first delivery until the worker is gone.
        gateway.script(str(first.idempotency_key), Fault.TIMEOUT)
        approver = get_user_model().objects.get(pk=world.users["approver"].pk)
        export_items_accept(
            user=approver, company_id=world.company.pk, export_item_ids=[i.pk for i in items]
        )
        environment = worker_environment(tmp_path, ERP_EXPORT_LEASE_SECONDS=str(LEASE_SECONDS))
        workers = {
            f"worker-{number}": start_worker(f"worker-{number}", environment, batch=False)
            for number in range(WORKERS)
        }
        try:
            wait_for(
                lambda: any(key == str(first.idempotency_key) for key, _ in gateway.requests),
                seconds=60,
                what="the first delivery",
            )
            (task,) = DBTaskResult.objects.filter(status="RUNNING")
            victim = task.worker_ids[-1]
            workers[victim].send_signal(signal.SIGKILL)
            workers[victim].wait()
            killed_at = time.monotonic()
            held_until = ExportItem.objects.get(pk=first.pk).claim_expires_at

            def all_synced() -> bool:
                call_command("requeue_exports")
                return not ExportItem.objects.filter(
                    pk__in=[i.pk for i in items], state=ExportState.EXPORTING
                ).exists()

            wait_for(all_synced, seconds=90, what="every item to be synced")
            elapsed = time.monotonic() - killed_at
            wait_for(
                lambda: (
                    call_command("requeue_exports")
                    or DBTaskResult.objects.filter(pk=task.pk, status="FAILED").exists()
                ),
                seconds=60,
                what="the killed task to be marked failed",
            )
        finally:
            for worker in workers.values():
                if worker.poll() is None:
                    worker.terminate()
                    worker.wait(timeout=30)

    synced = {item.pk: item for item in ExportItem.objects.filter(pk__in=[i.pk for i in items])}
    assert {item.state for item in synced.values()} == {ExportState.SYNCED}
    others = [synced[item.pk] for item in items[1:]]
    assert max(item.synced_at for item in others) < held_until
    assert {item.attempts for item in others} == {1}
    assert synced[first.pk].attempts == 2
    assert synced[first.pk].synced_at > held_until
    assert synced[first.pk].erp_reference == gateway.reference_for(str(first.idempotency_key))
    assert dict(gateway.documents_per_invoice) == dict.fromkeys([i.pk for i in invoices], 1)
    task.refresh_from_db()
    assert task.exception_class_path == f"{WorkerGone.__module__}.{WorkerGone.__qualname__}"
    print(f"\nA killed worker's batch of {KILLED_BATCH} was exported {elapsed:.1f}s after the kill")
