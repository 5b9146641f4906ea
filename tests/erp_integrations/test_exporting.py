"""Exporting accepted invoices: each attempt's outcome, retries with backoff, failures
with their error, leases, and stalled exports picked up again."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from erp_integrations import exporting, services
from erp_integrations.connectors import PermanentExportError, TransientExportError
from erp_integrations.exporting import ExportOutcome, export_item, export_items
from erp_integrations.models import ExportItem, ExportState
from erp_integrations.tasks import (
    WORKER_GONE,
    enqueue_exports,
    export_batch,
    export_invoices,
    fail_dead_tasks,
    requeue_stalled_exports,
)
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceErpStatus
from tests.erp_integrations.email_tasks import (
    email_tasks,
    failed_task_logs,
    unreachable_mail_server,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db

LEASE = timedelta(seconds=300)
PICKUP = timedelta(seconds=10)
BUSY = TransientExportError("The ERP gateway answered 503 Service Unavailable.")
REFUSED = PermanentExportError("The ERP gateway answered 422 Unprocessable Entity: no vendor.")


class ScriptedConnector:
    """Answers deliveries from a script (a reference or an error), then with a reference."""

    def __init__(self) -> None:
        self.script: list = []
        self.keys: list[str] = []

    def deliver(self, document: dict, *, idempotency_key: str, attachments=()) -> str:
        self.keys.append(idempotency_key)
        answer = self.script.pop(0) if self.script else f"ERP-{document['header']['invoice_id']}"
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(autouse=True)
def _lease(settings):
    settings.ERP_EXPORT_LEASE_SECONDS = LEASE.total_seconds()
    settings.ERP_EXPORT_PICKUP_SECONDS = PICKUP.total_seconds()


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def connector(monkeypatch):
    connector = ScriptedConnector()
    monkeypatch.setattr(exporting, "connector_for", lambda connection: connector)
    return connector


def exporting_item(world, **fields) -> ExportItem:
    item = world.export_item(world.invoice(), ExportState.EXPORTING)
    if fields:
        ExportItem.objects.filter(pk=item.pk).update(**fields)
        item.refresh_from_db()
    return item


def claimed(ago: timedelta) -> dict:
    """The fields of a claim taken `ago`, never renewed since."""
    started = timezone.now() - ago
    return {"attempts": 1, "export_started_at": started, "claim_expires_at": started + LEASE}


def reload(item: ExportItem) -> tuple[ExportItem, Invoice]:
    item = ExportItem.objects.get(pk=item.pk)
    return item, Invoice.objects.get(pk=item.invoice_id)


def system_history(item: ExportItem) -> list[tuple]:
    return list(
        ChangeHistoryEntry.objects.filter(invoice_id=item.invoice_id, action_by=None)
        .order_by("pk")
        .values_list("changed", "from_value", "to_value")
    )


# --- One attempt -------------------------------------------------------------------------


def test_success_syncs_the_item_and_its_invoice_with_the_erp_reference(world, settings):
    """With the file connector, the document is written and its name becomes the ERP
    reference; item and invoice are Synced."""
    item = exporting_item(world)
    assert export_item(item.pk) == ExportOutcome.SYNCED
    item, invoice = reload(item)
    assert item.state == ExportState.SYNCED
    assert item.erp_reference == f"{item.idempotency_key}.json"
    assert (settings.ERP_EXPORT_DIR / item.erp_reference).is_file()
    assert item.synced_at is not None
    assert (item.attempts, item.export_started_at, item.next_retry_at) == (1, None, None)
    assert invoice.erp_status == InvoiceErpStatus.SYNCED


def test_success_is_recorded_in_the_change_history_by_the_system(world, connector):
    """The history shows ERP Status going from Exporting to Synced, with no user."""
    item = exporting_item(world)
    export_item(item.pk)
    assert system_history(item) == [("ERP Status", "Exporting", "Synced")]


def test_success_clears_the_error_of_an_earlier_attempt(world, connector):
    """A retry that succeeds leaves no error behind."""
    item = exporting_item(world, attempts=1, last_error="The ERP gateway answered 503.")
    export_item(item.pk)
    item, _ = reload(item)
    assert (item.state, item.last_error, item.attempts) == (ExportState.SYNCED, "", 2)


def test_every_attempt_delivers_with_the_items_idempotency_key(world, connector, settings):
    """The same key travels with the first attempt and the retry."""
    settings.ERP_EXPORT_RETRY_BASE_SECONDS = 0
    item = exporting_item(world)
    connector.script = [BUSY]
    export_item(item.pk)
    export_item(item.pk)
    assert connector.keys == [str(item.idempotency_key)] * 2
    assert reload(item)[0].state == ExportState.SYNCED


def test_transient_error_schedules_a_retry_after_the_base_delay(
    world, connector, dummy_tasks, django_capture_on_commit_callbacks
):
    """The item stays Exporting with the error, one attempt counted, the next due after
    ERP_EXPORT_RETRY_BASE_SECONDS, and a deferred export task for that moment."""
    item = exporting_item(world)
    connector.script = [BUSY]
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        assert export_batch([item.pk])[ExportOutcome.RETRY_SCHEDULED] == [item.pk]
    item, invoice = reload(item)
    assert (item.state, invoice.erp_status) == (ExportState.EXPORTING, ExportState.EXPORTING)
    assert (item.attempts, item.last_error, item.export_started_at) == (1, str(BUSY), None)
    assert (
        before + timedelta(seconds=30)
        <= item.next_retry_at
        <= timezone.now() + timedelta(seconds=30)
    )
    (task,) = dummy_tasks.results
    assert task.kwargs == {"export_item_ids": [item.pk]}
    assert task.task.run_after == item.next_retry_at
    assert system_history(item) == []


def test_backoff_doubles_with_each_attempt(world, connector, dummy_tasks):
    """After the third failed attempt the wait is 4 x the base delay."""
    item = exporting_item(world, attempts=2)
    connector.script = [BUSY]
    before = timezone.now()
    export_item(item.pk)
    item, _ = reload(item)
    assert item.attempts == 3
    assert before + timedelta(seconds=120) <= item.next_retry_at
    assert item.next_retry_at <= timezone.now() + timedelta(seconds=120)


def test_retry_is_not_attempted_before_it_is_due(world, connector):
    """An item whose next retry lies ahead is skipped, and nothing is delivered."""
    item = exporting_item(world, attempts=1, next_retry_at=timezone.now() + timedelta(minutes=1))
    assert export_item(item.pk) == ExportOutcome.SKIPPED
    assert connector.keys == []
    assert reload(item)[0].attempts == 1


def test_transient_error_on_the_last_attempt_fails_the_export(
    world, connector, django_capture_on_commit_callbacks
):
    """Out of attempts, the item and its invoice are Failed to Export with the error, and
    the history records it."""
    item = exporting_item(world, attempts=4)
    connector.script = [BUSY]
    with django_capture_on_commit_callbacks(execute=True):
        assert export_item(item.pk) == ExportOutcome.FAILED
    item, invoice = reload(item)
    assert item.state == invoice.erp_status == ExportState.FAILED_TO_EXPORT
    assert item.last_error == exporting.GAVE_UP.format(error=str(BUSY), attempts=5)
    assert (item.attempts, item.next_retry_at, item.export_started_at) == (5, None, None)
    assert system_history(item) == [("ERP Status", "Exporting", "Failed to Export")]


def test_failed_export_emails_the_accounting_approvers_with_the_error(
    world, connector, django_capture_on_commit_callbacks
):
    """The approvers (and only they) get an email naming the invoice and the error."""
    item = exporting_item(world, attempts=4)
    connector.script = [BUSY]
    with django_capture_on_commit_callbacks(execute=True):
        export_batch([item.pk])
    (email,) = mail.outbox
    assert email.to == [world.users["approver"].email]
    assert item.invoice.label in email.body
    assert str(BUSY) in email.body


def test_permanent_error_fails_the_export_at_once(
    world, connector, django_capture_on_commit_callbacks
):
    """A permanent error is not retried: Failed to Export after one attempt."""
    item = exporting_item(world)
    connector.script = [REFUSED]
    with django_capture_on_commit_callbacks(execute=True):
        assert export_batch([item.pk])[ExportOutcome.FAILED] == [item.pk]
    item, invoice = reload(item)
    assert (item.state, item.attempts, item.last_error) == (
        ExportState.FAILED_TO_EXPORT,
        1,
        str(REFUSED),
    )
    assert invoice.erp_status == InvoiceErpStatus.FAILED_TO_EXPORT
    assert len(mail.outbox) == 1


def test_unexpected_error_is_retried_like_a_transient_one(world, connector, dummy_tasks):
    """A bug or an unforeseen failure in one attempt counts as an attempt and is retried
    with its description, never leaving the item stuck."""
    item = exporting_item(world)
    connector.script = [RuntimeError("boom")]
    assert export_item(item.pk) == ExportOutcome.RETRY_SCHEDULED
    item, _ = reload(item)
    assert item.last_error == "The export failed unexpectedly (RuntimeError: boom)."


def test_a_batch_emails_each_approver_once_for_all_failures(
    world, connector, django_capture_on_commit_callbacks
):
    """Two failures in one batch make one email that lists both."""
    first, second = exporting_item(world), exporting_item(world)
    connector.script = [REFUSED, REFUSED]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = export_batch([first.pk, second.pk])
    assert outcomes[ExportOutcome.FAILED] == [first.pk, second.pk]
    (email,) = mail.outbox
    assert first.invoice.label in email.body and second.invoice.label in email.body


def test_failed_exports_enqueue_one_email_task_with_their_ids(
    world, connector, dummy_tasks, django_capture_on_commit_callbacks
):
    """The approvers' email about the failures is a task of its own, with the ids of the
    items that failed, enqueued once the failures are recorded."""
    first, second, synced = exporting_item(world), exporting_item(world), exporting_item(world)
    connector.script = [REFUSED, REFUSED, "ERP-1"]
    with django_capture_on_commit_callbacks(execute=True):
        export_batch([first.pk, second.pk, synced.pk])
    assert email_tasks(dummy_tasks) == [
        ("send_export_failed_email", {"export_item_ids": [first.pk, second.pk]})
    ]
    assert mail.outbox == []


def test_a_batch_reports_what_is_left_to_schedule_and_enqueues_nothing_itself(
    world, connector, dummy_tasks, django_capture_on_commit_callbacks
):
    """`export_items` returns each retry with when it is due, and the failures; enqueuing
    them is the export task's job (`export_batch`)."""
    busy, refused = exporting_item(world), exporting_item(world)
    connector.script = [BUSY, REFUSED]
    with django_capture_on_commit_callbacks(execute=True):
        run = export_items([busy.pk, refused.pk])
    assert run.retries == {busy.pk: reload(busy)[0].next_retry_at}
    assert run.failed == [refused.pk]
    assert dummy_tasks.results == []
    assert mail.outbox == []


def test_failed_export_stands_when_the_mail_server_is_unreachable(
    world, connector, settings, caplog, django_capture_on_commit_callbacks
):
    """The export task records the failure and ends normally; only the email task
    fails."""
    unreachable_mail_server(settings)
    item = exporting_item(world)
    connector.script = [REFUSED]
    with django_capture_on_commit_callbacks(execute=True):
        assert export_batch([item.pk])[ExportOutcome.FAILED] == [item.pk]
    item, invoice = reload(item)
    assert item.state == invoice.erp_status == ExportState.FAILED_TO_EXPORT
    assert failed_task_logs(caplog) == [
        ("erp_integrations.tasks.send_export_failed_email", ConnectionRefusedError)
    ]


@pytest.mark.parametrize(
    "state", [ExportState.READY_TO_EXPORT, ExportState.SYNCED, ExportState.RETRIEVED]
)
def test_items_not_exporting_are_left_alone(world, connector, state):
    """Only Exporting items are exported; any other is skipped untouched."""
    item = world.export_item(world.invoice(), state)
    assert export_item(item.pk) == ExportOutcome.SKIPPED
    assert connector.keys == []
    assert reload(item)[0].state == state


# --- Leases and takeovers ----------------------------------------------------------------


def test_a_live_lease_is_not_claimed_twice(world, connector):
    """While another worker holds the item (lease not run out), it is not exported again."""
    item = exporting_item(world, **claimed(timedelta(seconds=10)))
    assert export_item(item.pk) == ExportOutcome.SKIPPED
    assert connector.keys == []
    assert reload(item)[0].attempts == 1


def test_a_lease_that_ran_out_is_claimed_again(world, connector):
    """Once the lease has run out the worker is presumed dead: a new attempt goes ahead."""
    item = exporting_item(world, **claimed(LEASE))
    assert export_item(item.pk) == ExportOutcome.SYNCED
    assert reload(item)[0].attempts == 2


def test_a_worker_whose_lease_ran_out_cannot_overwrite_the_takeover(world):
    """The slow worker's late answer is ignored once another worker has taken over; the
    item ends as the newer attempt says."""
    item = exporting_item(world)
    slow = exporting.claim_export(item.pk)
    ExportItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now())
    fast = exporting.claim_export(item.pk)
    assert exporting.finish_export(fast, reference="ERP-FAST").outcome == ExportOutcome.SYNCED
    assert exporting.finish_export(slow, error=REFUSED).outcome == ExportOutcome.SKIPPED
    item, invoice = reload(item)
    assert (item.state, item.erp_reference, item.attempts) == (ExportState.SYNCED, "ERP-FAST", 2)
    assert invoice.erp_status == InvoiceErpStatus.SYNCED


def test_a_worker_that_died_on_the_last_attempt_fails_the_export(
    world, connector, django_capture_on_commit_callbacks
):
    """No attempts left after a dead worker: Failed to Export, saying the export was
    interrupted."""
    item = exporting_item(world, **claimed(LEASE) | {"attempts": 5})
    with django_capture_on_commit_callbacks(execute=True):
        assert export_batch([item.pk])[ExportOutcome.FAILED] == [item.pk]
    item, _ = reload(item)
    assert item.last_error == exporting.INTERRUPTED.format(attempts=5)
    assert connector.keys == []
    assert len(mail.outbox) == 1


# --- Requeueing stalled exports --------------------------------------------------------


def test_a_stalled_item_with_an_expired_lease_is_requeued_and_exported(world, connector):
    """The worker died mid-export; requeueing (immediate backend) exports it again."""
    item = exporting_item(world, **claimed(LEASE + timedelta(seconds=1)))
    assert requeue_stalled_exports() == [item.pk]
    item, invoice = reload(item)
    assert (item.state, item.attempts) == (ExportState.SYNCED, 2)
    assert invoice.erp_status == InvoiceErpStatus.SYNCED


def test_requeue_leaves_items_that_are_being_worked_on_alone(world, dummy_tasks):
    """A live lease, a retry not yet due and a just-accepted item are not requeued."""
    now = timezone.now()
    exporting_item(world, **claimed(timedelta(seconds=5)))
    exporting_item(world, attempts=1, next_retry_at=now + timedelta(seconds=30))
    exporting_item(world, decided_at=now)
    assert requeue_stalled_exports() == []
    assert dummy_tasks.results == []


def test_requeue_picks_up_an_accepted_item_not_claimed_within_the_pickup_grace(world, dummy_tasks):
    """Accepted and not picked up by a worker within the pickup grace, well before a lease
    (its batch's worker died before reaching it, or its task was lost): enqueued again."""
    item = exporting_item(world, decided_at=timezone.now() - PICKUP - timedelta(seconds=1))
    assert requeue_stalled_exports() == [item.pk]
    (task,) = dummy_tasks.results
    assert task.kwargs == {"export_item_ids": [item.pk]}


def test_requeue_runs_due_retries_when_the_backend_cannot_defer(world, connector):
    """With the immediate backend there is no deferred task: a due retry is requeued as
    soon as it is due."""
    item = exporting_item(world, attempts=1, next_retry_at=timezone.now() - timedelta(seconds=1))
    assert requeue_stalled_exports() == [item.pk]
    assert reload(item)[0].state == ExportState.SYNCED


def test_requeue_leaves_due_retries_to_their_deferred_task(world, dummy_tasks):
    """With a backend that defers, a retry just due is its own task's job; only one
    overdue by a lease is presumed lost."""
    now = timezone.now()
    exporting_item(world, attempts=1, next_retry_at=now - timedelta(seconds=1))
    lost = exporting_item(world, attempts=1, next_retry_at=now - LEASE - timedelta(seconds=1))
    assert requeue_stalled_exports() == [lost.pk]


def test_requeue_exports_command_reports_what_it_requeued(world, dummy_tasks):
    """`manage.py requeue_exports` enqueues the stalled items and says how many."""
    exporting_item(world, **claimed(LEASE))
    out = io.StringIO()
    call_command("requeue_exports", stdout=out)
    assert out.getvalue() == "Requeued 1 stalled export(s).\n"
    assert len(dummy_tasks.results) == 1


# --- Enqueuing ---------------------------------------------------------------------------


def test_enqueue_exports_enqueues_one_task_for_the_batch(dummy_tasks):
    """A batch of ids is one task, with the ids as its only argument."""
    enqueue_exports([3, 1, 2])
    (task,) = dummy_tasks.results
    assert task.kwargs == {"export_item_ids": [3, 1, 2]}
    assert task.task.name == "export_invoices"


def test_an_accepted_invoice_is_exported_after_the_commit(
    world, django_capture_on_commit_callbacks
):
    """Accept -> (commit) -> export task -> Synced, with the immediate backend."""
    item = world.export_item(world.invoice(), ExportState.READY_TO_EXPORT)
    approver = get_user_model().objects.get(pk=world.users["approver"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.export_items_accept(
            user=approver, company_id=world.company.pk, export_item_ids=[item.pk]
        )
    item, invoice = reload(item)
    assert (item.state, invoice.erp_status) == (ExportState.SYNCED, InvoiceErpStatus.SYNCED)
    assert item.erp_reference == f"{item.idempotency_key}.json"


# --- Claims: one item at a time, under a lease renewed while it is held ------------------


def test_a_claim_is_taken_for_one_lease_and_names_its_task(world):
    """Claiming an item holds it for one lease, and records which task holds it."""
    item = exporting_item(world)
    before = timezone.now()
    claim = exporting.claim_export(item.pk, worker="task-1")
    item, _ = reload(item)
    assert item.export_started_at == claim.started_at
    assert item.claimed_by == "task-1"
    assert item.claim_expires_at == claim.started_at + LEASE
    assert item.claim_expires_at >= before + LEASE


def test_finishing_an_attempt_releases_its_claim(world):
    """The claim ends when the attempt does: a retry is claimable as soon as it is due."""
    item = exporting_item(world)
    claim = exporting.claim_export(item.pk)
    exporting.finish_export(claim, error=BUSY)
    item, _ = reload(item)
    assert item.export_started_at is None
    assert item.claim_expires_at <= timezone.now()
    ExportItem.objects.filter(pk=item.pk).update(next_retry_at=timezone.now())
    assert isinstance(exporting.claim_export(item.pk), exporting.Claim)


def test_a_batch_claims_each_item_only_when_it_comes_to_it(world, connector):
    """While the first item is delivered, the others of the batch are not claimed: they
    stay free for another worker."""
    first, second = exporting_item(world), exporting_item(world)
    seen = []

    def deliver(document, *, idempotency_key, attachments=()):
        seen.append(ExportItem.objects.get(pk=second.pk).export_started_at)
        return "ERP-1"

    connector.deliver = deliver
    export_items([first.pk, second.pk])
    assert seen[0] is None


def test_an_item_claimed_by_another_worker_in_the_meantime_is_skipped(world, connector):
    """A batch enqueued twice is exported once: the second run skips what the first
    holds or finished, without a delivery."""
    held, done = exporting_item(world), exporting_item(world)
    exporting.claim_export(held.pk, worker="task-1")
    export_items([done.pk])
    connector.keys.clear()
    outcomes = export_items([held.pk, done.pk]).outcomes
    assert outcomes[ExportOutcome.SKIPPED] == [held.pk, done.pk]
    assert connector.keys == []


# --- Dead workers' task rows -------------------------------------------------------------


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def running_task(started_ago: timedelta) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status=TaskResultStatus.RUNNING,
        task_path="erp_integrations.tasks.export_invoices",
        args_kwargs={"args": [], "kwargs": {"export_item_ids": [1]}},
        backend_name="default",
        run_after=get_date_max(),
        started_at=timezone.now() - started_ago,
        worker_ids=["worker-1"],
    )


def test_the_sweep_marks_a_task_whose_worker_died_failed(database_tasks):
    """Running for over a lease without holding a claim: its worker is gone."""
    task = running_task(LEASE + timedelta(seconds=1))
    assert fail_dead_tasks() == [str(task.pk)]
    task.refresh_from_db()
    assert task.status == TaskResultStatus.FAILED
    assert task.finished_at is not None
    assert task.exception_class_path == "erp_integrations.tasks.WorkerGone"
    assert task.traceback == WORKER_GONE.format(seconds=LEASE.total_seconds())


def test_the_sweep_leaves_a_task_that_holds_a_claim_running(world, database_tasks):
    """A long export task renewing its claim is alive, however long it has run."""
    task = running_task(LEASE * 3)
    now = timezone.now()
    exporting_item(
        world,
        attempts=1,
        export_started_at=now - LEASE * 2,
        claim_expires_at=now + LEASE / 2,
        claimed_by=str(task.pk),
    )
    assert fail_dead_tasks() == []
    task.refresh_from_db()
    assert task.status == TaskResultStatus.RUNNING


def test_the_sweep_leaves_a_task_between_two_items_running(world, database_tasks):
    """A task that released its last claim less than a lease ago is alive: it is about
    to claim its next item."""
    task = running_task(LEASE * 3)
    exporting_item(world, claimed_by=str(task.pk), claim_expires_at=timezone.now())
    assert fail_dead_tasks() == []


def test_the_sweep_leaves_a_task_younger_than_a_lease_running(database_tasks):
    running_task(LEASE - timedelta(seconds=5))
    assert fail_dead_tasks() == []


def test_requeue_exports_command_reports_the_dead_tasks_it_marked(world, database_tasks):
    running_task(LEASE + timedelta(seconds=1))
    out = io.StringIO()
    call_command("requeue_exports", stdout=out)
    assert out.getvalue() == "Marked 1 dead worker's task(s) failed.\n"


def test_export_tasks_name_themselves_on_their_claims(world, connector):
    """The export task records its id on the claims it takes."""
    item = exporting_item(world)
    result = export_invoices.enqueue(export_item_ids=[item.pk])
    assert reload(item)[0].claimed_by == str(result.id)
