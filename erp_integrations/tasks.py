"""Background work of ERP Integrations, through Django's tasks framework: exports, the
notification emails and the daily digest. Tasks take ids only; production runs them with
django-tasks-db (`manage.py db_worker`).

Emails are tasks so that a mail server that is down or slow never fails nor holds up the
action that triggered them: the action is saved and answered, and the failed task is
recorded (and logged) by the task backend."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import partial

from django.db import transaction
from django.tasks import Task, TaskContext, TaskResultStatus, task
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from erp_integrations.digest_delivery import send_erp_digests
from erp_integrations.exporting import (
    export_items,
    lease_duration,
    stalled_export_ids,
    tasks_holding_claims,
)
from erp_integrations.notifications import (
    notify_export_failed,
    notify_invoices_rejected,
    notify_invoices_sent,
    notify_invoices_unlinked,
)


@task(takes_context=True)
def export_invoices(context: TaskContext, export_item_ids: list[int]) -> dict[str, list[int]]:
    """One export attempt for each Exporting item; returns the ids by outcome. Its claims
    name the task, which tells the sweep that it is alive (`fail_dead_tasks`)."""
    return export_batch(export_item_ids, worker=str(context.task_result.id))


def export_batch(export_item_ids: Iterable[int], *, worker: str = "") -> dict[str, list[int]]:
    """One export attempt for each item (`exporting.export_items`), then what the batch
    leaves to schedule, on commit: each retry's deferred attempt, and one email to the
    approvers about all the items that failed. Returns the ids by outcome.

    A retry is scheduled once the whole batch is done; should the worker die before, the
    sweep (`requeue_stalled_exports`) enqueues the retry once it is overdue."""
    run = export_items(export_item_ids, worker=worker)
    for export_item_id, run_after in run.retries.items():
        transaction.on_commit(partial(schedule_export_retry, export_item_id, run_after=run_after))
    if run.failed:
        # The failures are recorded; an email that cannot be enqueued must not fail the
        # export task.
        transaction.on_commit(
            partial(enqueue_email, send_export_failed_email, run.failed), robust=True
        )
    return run.outcomes


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


def requeue_stalled_exports(now: datetime | None = None) -> list[int]:
    """Enqueue again the Exporting items nobody is working on
    (`exporting.stalled_export_ids`): one task for all of them. Returns their ids."""
    ids = stalled_export_ids(now or timezone.now(), retries_deferred=backend_supports_defer())
    enqueue_exports(ids)
    return ids


class WorkerGone(Exception):
    """Recorded on the row of a task whose worker died while running it."""


WORKER_GONE = (
    "The worker running this task stopped: the task started over {seconds:g} seconds ago "
    "and has held no export claim since. Marked failed by `manage.py requeue_exports`, "
    "which enqueues its unfinished exports again."
)


def fail_dead_tasks(now: datetime | None = None) -> list[str]:
    """Mark failed the task rows (django-tasks-db) left running by a worker that died:
    running for more than a lease, with no claim held in the last lease. A live export
    task renews its claims while it runs; a task that exports nothing and runs past a
    lease (an email that waits on a mail server that long) is taken for dead too, and
    should its worker be alive after all, the worker records the real outcome when it
    finishes. Returns their ids; nothing with another task backend."""
    backend = export_invoices.get_backend()
    if not isinstance(backend, DatabaseBackend):
        return []
    now = now or timezone.now()
    lease = lease_duration()
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, backend_name=backend.alias, started_at__lte=now - lease
    )
    candidates = [str(pk) for pk in running.values_list("pk", flat=True)]
    if not candidates:
        return []
    alive = tasks_holding_claims(since=now - lease)
    dead = [pk for pk in candidates if pk not in alive]
    running.filter(pk__in=dead).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        return_value=None,
        exception_class_path=f"{WorkerGone.__module__}.{WorkerGone.__qualname__}",
        traceback=WORKER_GONE.format(seconds=lease.total_seconds()),
    )
    return dead


@task
def send_invoices_sent_email(export_item_ids: list[int]) -> int:
    """Email the accounting approvers about invoices sent to ERP Integrations; returns the
    number of emails sent."""
    return notify_invoices_sent(export_item_ids)


@task
def send_invoices_rejected_email(export_item_ids: list[int]) -> int:
    """Email each sender the invoices the approver rejected; returns the number of emails
    sent."""
    return notify_invoices_rejected(export_item_ids)


@task
def send_invoices_unlinked_email(export_item_ids: list[int]) -> int:
    """Email each sender the synced invoices the approver unlinked; returns the number of
    emails sent."""
    return notify_invoices_unlinked(export_item_ids)


@task
def send_export_failed_email(export_item_ids: list[int]) -> int:
    """Email the accounting approvers about failed exports; returns the number of emails
    sent."""
    return notify_export_failed(export_item_ids)


def enqueue_email(email_task: Task, export_item_ids: Iterable[int]) -> None:
    """Enqueue one email task for all the items of an action, so each recipient gets one
    email however many invoices it touched. Call it on commit of the action's transaction,
    with `robust=True`: the action is saved, and an email that cannot even be enqueued is
    logged rather than turned into an error."""
    ids = [int(export_item_id) for export_item_id in export_item_ids]
    if ids:
        email_task.enqueue(export_item_ids=ids)


@task
def send_erp_digest() -> dict[str, int]:
    """Send today's ERP digest to each accounting approver with something waiting
    (`digest_delivery.send_erp_digests`); returns how many were sent, failed, already
    claimed by another run, or had nothing to send. Safe to enqueue more than once a day.

    Neither Django's tasks framework nor django-tasks-db schedules tasks: cron (or any
    scheduler) enqueues this or runs `manage.py send_erp_digest` once a day."""
    run = send_erp_digests()
    return {
        "sent": len(run.sent),
        "failed": len(run.failed),
        "already_claimed": len(run.already_claimed),
        "nothing_to_send": len(run.nothing_to_send),
    }
