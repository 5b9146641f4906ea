"""Exporting accepted invoices to the ERP, one attempt at a time.

An attempt has three steps, so that no transaction stays open while the ERP is called:
1. claim, in a short transaction: lock the invoice row, then its export item; go ahead
   only if the item is Exporting, no other worker holds a live lease on it, and its next
   retry (if any) is due. Count the attempt and take the lease (`export_started_at`).
2. build the document and deliver it through the company's connector, outside any
   transaction. The item's idempotency key travels with every delivery, so an attempt
   that runs twice (a worker died, a response was lost) never creates two ERP documents.
3. finish, in a short transaction: lock both rows again and record the outcome, only if
   the claim still stands (nobody took the item over after our lease ran out).
   Success -> Synced with the ERP's reference. A transient error -> retried with
   exponential backoff until ERP_EXPORT_MAX_ATTEMPTS; then, or on a permanent error,
   Failed to Export with the error text, and the accounting approvers are emailed.

An item whose worker died keeps its lease until the lease runs out
(ERP_EXPORT_LEASE_SECONDS); `requeue_stalled_exports` (`manage.py requeue_exports`)
then enqueues it again, as it does retries whose task was lost, or every due retry when
the task backend cannot defer tasks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from erp_integrations.connectors import (
    ExportError,
    PermanentExportError,
    TransientExportError,
    connector_for,
)
from erp_integrations.models import ExportItem
from erp_integrations.payloads import build_document, invoice_attachments_for_export
from erp_integrations.services import ERP_STATUS_CHANGE
from invoices.history import history_entry, record_history
from invoices.models import ERP_WORKFLOW, ErpTransition, Invoice, InvoiceErpStatus

logger = logging.getLogger(__name__)

GAVE_UP = "{error} Gave up after {attempts} attempts."
INTERRUPTED = (
    "The export was interrupted before the ERP answered (its worker stopped), and no "
    "attempts are left ({attempts} made)."
)
UNEXPECTED_ERROR = "The export failed unexpectedly ({error_type}: {error})."
REFERENCE_TOO_LONG = (
    "The ERP answered with a document reference longer than {limit} characters: {reference}"
)

# At most this many stalled items are enqueued per `requeue_stalled_exports` call; the
# next call takes the rest.
REQUEUE_LIMIT = 1000


class ExportOutcome(StrEnum):
    SYNCED = "synced"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    # Not ours to export now: not Exporting, leased by another worker, retry not due,
    # or taken over by another worker while we delivered.
    SKIPPED = "skipped"
    # Our attempt broke down (e.g. the database went away); the item keeps its lease and
    # is picked up again once the lease runs out.
    INTERRUPTED = "interrupted"


def lease_duration() -> timedelta:
    return timedelta(seconds=getattr(settings, "ERP_EXPORT_LEASE_SECONDS", 300))


def max_attempts() -> int:
    return getattr(settings, "ERP_EXPORT_MAX_ATTEMPTS", 5)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th attempt failed: base, 2 x base, 4 x base..."""
    base = getattr(settings, "ERP_EXPORT_RETRY_BASE_SECONDS", 30)
    return timedelta(seconds=base * 2 ** (attempts - 1))


@dataclass(frozen=True)
class Claim:
    """One worker's hold on one attempt; its result counts only while this still holds."""

    export_item_id: int
    attempts: int
    started_at: datetime


def export_items(export_item_ids: Iterable[int]) -> dict[str, list[int]]:
    """Make one export attempt for each item; return the item ids by outcome. The
    approvers get one email about all the items that failed."""
    outcomes: dict[str, list[int]] = {outcome.value: [] for outcome in ExportOutcome}
    for export_item_id in dict.fromkeys(export_item_ids):
        try:
            outcome = _export(export_item_id)
        except Exception:
            logger.exception("Export of item %s broke down; it will be requeued", export_item_id)
            outcome = ExportOutcome.INTERRUPTED
        outcomes[outcome].append(export_item_id)
    failed = outcomes[ExportOutcome.FAILED]
    if failed:
        # The failures are recorded; an email that cannot be enqueued must not fail the
        # export task.
        transaction.on_commit(partial(_email_failures, failed), robust=True)
    return outcomes


def export_item(export_item_id: int) -> ExportOutcome:
    """Make one export attempt for one item."""
    outcomes = export_items([export_item_id])
    return next(ExportOutcome(name) for name, ids in outcomes.items() if ids)


def requeue_stalled_exports(now: datetime | None = None) -> list[int]:
    """Enqueue again the Exporting items nobody is working on: those whose lease ran out
    (their worker died), those whose retry is due but whose deferred task was lost (or
    every due retry, when the task backend cannot defer), and those accepted a lease ago
    and never picked up. Returns their ids. Enqueuing an item twice is harmless: the
    claim lets one attempt through at a time."""
    from erp_integrations.tasks import backend_supports_defer, enqueue_exports

    now = now or timezone.now()
    lease = lease_duration()
    # A deferred retry task normally runs on time; only one long overdue was lost.
    retry_grace = lease if backend_supports_defer() else timedelta(0)
    stalled = Q(export_started_at__lte=now - lease) | Q(
        Q(next_retry_at__lte=now - retry_grace)
        | Q(next_retry_at__isnull=True)
        & (Q(decided_at__lte=now - lease) | Q(decided_at__isnull=True)),
        export_started_at__isnull=True,
    )
    ids = list(
        ExportItem.objects.filter(stalled, state__in=ERP_WORKFLOW.exporting_statuses)
        .order_by("pk")
        .values_list("pk", flat=True)[:REQUEUE_LIMIT]
    )
    if ids:
        enqueue_exports(ids)
    return ids


# --- The three steps of an attempt ----------------------------------------------------


def _export(export_item_id: int) -> ExportOutcome:
    claim = claim_export(export_item_id)
    if not isinstance(claim, Claim):
        return claim
    try:
        reference = deliver_export(export_item_id)
    except ExportError as error:
        return finish_export(claim, error=error)
    except Exception as error:
        logger.exception("Unexpected error exporting item %s", export_item_id)
        unexpected = TransientExportError(
            UNEXPECTED_ERROR.format(error_type=type(error).__name__, error=error)
        )
        return finish_export(claim, error=unexpected)
    return finish_export(claim, reference=reference)


def claim_export(export_item_id: int) -> Claim | ExportOutcome:
    """Step 1: take the item for one attempt, or say why not."""
    with transaction.atomic():
        locked = _lock(export_item_id)
        if locked is None:
            return ExportOutcome.SKIPPED
        invoice, item = locked
        now = timezone.now()
        if item.state not in ERP_WORKFLOW.exporting_statuses:
            return ExportOutcome.SKIPPED
        if item.export_started_at is not None and item.export_started_at > now - lease_duration():
            return ExportOutcome.SKIPPED
        if item.next_retry_at is not None and item.next_retry_at > now:
            return ExportOutcome.SKIPPED
        if item.attempts >= max_attempts():
            _fail(invoice, item, INTERRUPTED.format(attempts=item.attempts))
            return ExportOutcome.FAILED
        item.attempts += 1
        item.export_started_at = now
        item.next_retry_at = None
        item.save(update_fields=["attempts", "export_started_at", "next_retry_at"])
        return Claim(export_item_id=item.pk, attempts=item.attempts, started_at=now)


def deliver_export(export_item_id: int) -> str:
    """Step 2 (outside any transaction): build the document and deliver it. Returns the
    ERP's reference; raises ExportError."""
    item = ExportItem.objects.select_related(
        "invoice__commitment__project",
        "invoice__commitment__vendor",
        "company__erp_connection",
    ).get(pk=export_item_id)
    attachments = invoice_attachments_for_export(item.invoice_id)
    document = build_document(item, attachments=attachments)
    connector = connector_for(item.company.erp_connection)
    return connector.deliver(
        document, idempotency_key=str(item.idempotency_key), attachments=attachments
    )


def finish_export(
    claim: Claim, *, reference: str | None = None, error: ExportError | None = None
) -> ExportOutcome:
    """Step 3: record the attempt's outcome, if the claim still holds."""
    reference_limit = ExportItem._meta.get_field("erp_reference").max_length
    assert reference_limit is not None  # a CharField always has one
    if error is None and (not reference or len(reference) > reference_limit):
        error = PermanentExportError(
            REFERENCE_TOO_LONG.format(limit=reference_limit, reference=reference)
        )
    with transaction.atomic():
        locked = _lock(claim.export_item_id)
        if locked is None:
            return ExportOutcome.SKIPPED
        invoice, item = locked
        if (
            item.state not in ERP_WORKFLOW.exporting_statuses
            or item.attempts != claim.attempts
            or item.export_started_at != claim.started_at
        ):
            # Our lease ran out and another worker took over; its outcome stands.
            return ExportOutcome.SKIPPED
        now = timezone.now()
        if error is None:
            assert reference is not None  # without one, the error was set above
            item.erp_reference = reference
            item.synced_at = now
            item.last_error = ""
            item.export_started_at = None
            item.next_retry_at = None
            _move(
                invoice,
                item,
                ERP_WORKFLOW.export_succeeded,
                ["erp_reference", "synced_at", "last_error", "export_started_at", "next_retry_at"],
            )
            return ExportOutcome.SYNCED
        if isinstance(error, TransientExportError) and item.attempts < max_attempts():
            item.last_error = str(error)
            item.export_started_at = None
            item.next_retry_at = now + retry_delay(item.attempts)
            item.save(update_fields=["last_error", "export_started_at", "next_retry_at"])
            transaction.on_commit(partial(_schedule_retry, item.pk, item.next_retry_at))
            return ExportOutcome.RETRY_SCHEDULED
        message = str(error)
        if isinstance(error, TransientExportError):
            message = GAVE_UP.format(error=message, attempts=item.attempts)
        _fail(invoice, item, message)
        return ExportOutcome.FAILED


# --- Helpers -----------------------------------------------------------------------------


def _lock(export_item_id: int) -> tuple[Invoice, ExportItem] | None:
    """Lock the item's invoice, then the item (the order every ERP action uses)."""
    invoice_id = (
        ExportItem.objects.filter(pk=export_item_id).values_list("invoice_id", flat=True).first()
    )
    if invoice_id is None:
        return None
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    item = ExportItem.objects.select_for_update().filter(pk=export_item_id).first()
    if invoice is None or item is None:
        return None
    return invoice, item


def _move(invoice: Invoice, item: ExportItem, transition: ErpTransition, fields: list[str]) -> None:
    """Move the item and its invoice's ERP status as the transition says, with a history
    row. Caller holds both row locks and has checked that the transition allows it."""
    from_label = InvoiceErpStatus(invoice.erp_status).label
    state = transition.to_status
    item.state = state
    item.save(update_fields=["state", *fields])
    invoice.erp_status = state
    invoice.save(update_fields=["erp_status", "updated_at"])
    record_history(
        [
            history_entry(
                invoice,
                action_by=None,
                changed=ERP_STATUS_CHANGE,
                from_value=from_label,
                to_value=InvoiceErpStatus(state).label,
            )
        ]
    )


def _fail(invoice: Invoice, item: ExportItem, message: str) -> None:
    item.last_error = message
    item.export_started_at = None
    item.next_retry_at = None
    _move(
        invoice,
        item,
        ERP_WORKFLOW.export_failed,
        ["last_error", "export_started_at", "next_retry_at"],
    )


def _schedule_retry(export_item_id: int, run_after: datetime) -> None:
    from erp_integrations.tasks import schedule_export_retry

    schedule_export_retry(export_item_id, run_after=run_after)


def _email_failures(export_item_ids: list[int]) -> None:
    from erp_integrations.tasks import enqueue_email, send_export_failed_email

    enqueue_email(send_export_failed_email, export_item_ids)
