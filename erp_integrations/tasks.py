"""Background work of ERP Integrations, through Django's tasks framework. Tasks take ids
only; production runs them with django-tasks-db (`manage.py db_worker`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.tasks import task

from erp_integrations.exporting import export_items


@task
def export_invoices(export_item_ids: list[int]) -> dict[str, list[int]]:
    """One export attempt for each Exporting item; returns the ids by outcome."""
    return export_items(export_item_ids)


def enqueue_exports(export_item_ids: Iterable[int]) -> None:
    """Enqueue one export task for the whole batch. Call it on commit of the transaction
    that moved the items to Exporting."""
    ids = [int(export_item_id) for export_item_id in export_item_ids]
    if ids:
        export_invoices.enqueue(export_item_ids=ids)


def backend_supports_defer() -> bool:
    return export_invoices.get_backend().supports_defer


def schedule_export_retry(export_item_id: int, *, run_after: datetime) -> bool:
    """Enqueue the item's next attempt to run at `run_after`. Returns False when the task
    backend cannot defer tasks: `manage.py requeue_exports` then enqueues the retry once
    it is due."""
    if not backend_supports_defer():
        return False
    export_invoices.using(run_after=run_after).enqueue(export_item_ids=[export_item_id])
    return True
