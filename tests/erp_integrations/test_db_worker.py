"""Two `manage.py db_worker` processes on PostgreSQL export a few hundred accepted
invoices through the production task backend (django-tasks-db), each exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django_tasks_db.models import DBTaskResult

from erp_integrations.models import ExportItem, ExportState
from erp_integrations.services import export_items_accept
from erp_integrations.tasks import enqueue_exports
from invoices.models import Invoice
from tests.world import build_world

ROOT = Path(__file__).resolve().parents[2]
INVOICES = 240
ACCEPT_BATCH = 12
WORKERS = 2

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="several workers need PostgreSQL"),
]


def worker_environment(export_dir: Path) -> dict[str, str]:
    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT'] or 5432}/{database['NAME']}"
    )
    return os.environ | {
        "DATABASE_URL": url,
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "ERP_EXPORT_DIR": str(export_dir),
    }


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
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--batch",
                "--no-startup-delay",
                "--interval",
                "0.1",
                "--worker-id",
                f"worker-{number}",
            ],
            cwd=ROOT,
            env=worker_environment(export_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
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
