"""Exporting accepted invoices to the ERP, one attempt at a time.

An attempt has three steps, so that no transaction stays open while the ERP is called:
1. claim, in a short transaction: lock the invoice row, then its export item; go ahead
   only if the item is Exporting, no other worker holds a live claim on it, and its next
   retry (if any) is due. Count the attempt and take the claim for one lease
   (ERP_EXPORT_LEASE_SECONDS): `export_started_at`, `claim_expires_at`, `claimed_by`.
2. build the document and deliver it through the company's connector, outside any
   transaction, while a heartbeat renews the claim. The item's idempotency key travels
   with every delivery, so an attempt that runs twice (a worker died, a response was
   lost) never creates two ERP documents.
3. finish, in a short transaction: lock both rows again and record the outcome, only if
   the claim still stands (nobody took the item over after our lease ran out), and
   release the claim. Success -> Synced with the ERP's reference. A transient error ->
   retried with exponential backoff until ERP_EXPORT_MAX_ATTEMPTS; then, or on a
   permanent error, Failed to Export with the error text, and the accounting approvers
   are emailed.

A batch (one task per accept) claims its items one at a time, as it comes to each: the
items it has not reached are free for any other worker. So when a worker dies, only the
item it held waits, until its heartbeat-less claim runs out (one lease at most);
`stalled_export_ids` finds that item, the items accepted but not picked up within
ERP_EXPORT_PICKUP_SECONDS (the rest of a dead worker's batch, a lost task's), and retries
whose task was lost, or every due retry when the task backend cannot defer tasks, for
`manage.py requeue_exports` to enqueue again. A task that meets an item already claimed
or finished skips it without a delivery, so enqueuing an item twice is harmless.

This module enqueues nothing: a batch returns what it leaves to schedule (an `ExportRun`:
the retries, with when each is due, and the failures to email about), and tasks.py,
which runs the batch, enqueues it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from erp_integrations.connectors import (
    ExportError,
    PermanentExportError,
    TransientExportError,
    connector_for,
)
from erp_integrations.models import ConnectorKind, ExportItem
from erp_integrations.payloads import build_document, invoice_attachments_for_export
from invoices.history import erp_status_entry, record_history
from invoices.locking import lock_invoices
from invoices.models import ERP_WORKFLOW, ErpTransition, Invoice

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

# At most this many stalled items are enqueued per `requeue_exports` run; the next run
# takes the rest.
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
    return timedelta(seconds=getattr(settings, "ERP_EXPORT_LEASE_SECONDS", 30))


def pickup_grace() -> timedelta:
    return timedelta(seconds=getattr(settings, "ERP_EXPORT_PICKUP_SECONDS", 10))


def max_attempts() -> int:
    return getattr(settings, "ERP_EXPORT_MAX_ATTEMPTS", 5)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th attempt failed: base, 2 x base, 4 x base..."""
    base = getattr(settings, "ERP_EXPORT_RETRY_BASE_SECONDS", 30)
    return timedelta(seconds=base * 2 ** (attempts - 1))


@dataclass(frozen=True)
class Attempt:
    """How one attempt ended. `retry_at` is when the next attempt is due, for a
    RETRY_SCHEDULED attempt only."""

    outcome: ExportOutcome
    retry_at: datetime | None = None


@dataclass
class ExportRun:
    """What a batch did to each item (ids by outcome), and what it leaves to schedule:
    each retry's next attempt, and one email to the approvers about the failures."""

    outcomes: dict[str, list[int]] = field(
        default_factory=lambda: {outcome.value: [] for outcome in ExportOutcome}
    )
    retries: dict[int, datetime] = field(default_factory=dict)

    @property
    def failed(self) -> list[int]:
        return self.outcomes[ExportOutcome.FAILED]

    def add(self, export_item_id: int, attempt: Attempt) -> None:
        self.outcomes[attempt.outcome].append(export_item_id)
        if attempt.retry_at is not None:
            self.retries[export_item_id] = attempt.retry_at


@dataclass(frozen=True)
class Claim:
    """One worker's hold on one attempt; its result counts only while this still holds."""

    export_item_id: int
    attempts: int
    started_at: datetime


def export_items(export_item_ids: Iterable[int], *, worker: str = "") -> ExportRun:
    """Make one export attempt for each item, claiming each as it comes to it; return
    what each attempt came to and what is left to schedule (`tasks.export_batch`
    schedules it). `worker` names the task, recorded on its claims.

    An item whose rows another transaction holds is passed over and tried again after
    the rest of the batch, rather than holding the batch up."""
    run = ExportRun()
    ids = list(dict.fromkeys(export_item_ids))
    # One query passes over the items finished or held elsewhere: a batch enqueued again
    # by the sweep costs next to nothing once its items are done.
    claimable_ids = set(
        pushed_items().filter(claimable(timezone.now()), pk__in=ids).values_list("pk", flat=True)
    )
    run.outcomes[ExportOutcome.SKIPPED] = [pk for pk in ids if pk not in claimable_ids]
    passed_over = []
    with ClaimHeartbeat() as heartbeat:
        for export_item_id in (pk for pk in ids if pk in claimable_ids):
            attempt = _attempt(export_item_id, worker, heartbeat, skip_locked=True)
            if attempt is None:
                passed_over.append(export_item_id)
            else:
                run.add(export_item_id, attempt)
        for export_item_id in passed_over:
            attempt = _attempt(export_item_id, worker, heartbeat, skip_locked=False)
            run.add(export_item_id, attempt or Attempt(ExportOutcome.SKIPPED))
    return run


def pushed_items() -> QuerySet[ExportItem]:
    """The items the worker exports: all but those of a company whose ERP agent pulls
    them (the Agent connector, erp_integrations/pull.py). The agent's claims, leases and
    attempts are the worker's, so a company that moves from one connector to the other
    leaves no item half-held."""
    return ExportItem.objects.exclude(company__erp_connection__connector=ConnectorKind.AGENT)


def export_item(export_item_id: int) -> ExportOutcome:
    """Make one export attempt for one item, scheduling nothing."""
    outcomes = export_items([export_item_id]).outcomes
    return next(ExportOutcome(name) for name, ids in outcomes.items() if ids)


def stalled_export_ids(now: datetime, *, retries_deferred: bool) -> list[int]:
    """The Exporting items nobody is working on, to enqueue again: those whose claim ran
    out (their worker died while it held them), those accepted and not picked up within
    the pickup grace (a dead worker's batch that it never reached, a lost task's), and
    those whose retry is due but whose deferred task was lost. When retries are not
    deferred (the task backend cannot defer), every due retry. Enqueuing an item twice
    is harmless: the claim lets one attempt through at a time."""
    # A deferred retry task normally runs on time; only one long overdue was lost.
    retry_grace = lease_duration() if retries_deferred else timedelta(0)
    unclaimed = Q(export_started_at__isnull=True)
    stalled = (~unclaimed & ~_live_claim(now)) | (
        unclaimed
        & (
            Q(next_retry_at__lte=now - retry_grace)
            | Q(next_retry_at__isnull=True)
            & (Q(decided_at__lte=now - pickup_grace()) | Q(decided_at__isnull=True))
        )
    )
    return list(
        pushed_items()
        .filter(stalled, state__in=ERP_WORKFLOW.exporting_statuses)
        .order_by("pk")
        .values_list("pk", flat=True)[:REQUEUE_LIMIT]
    )


def tasks_holding_claims(since: datetime) -> set[str]:
    """The tasks (`claimed_by`) that held a claim at some moment after `since`: a task
    that claims item after item, each held until its attempt ends, shows up here while
    it runs, even between two items."""
    return set(
        ExportItem.objects.filter(claim_expires_at__gt=since)
        .exclude(claimed_by="")
        .values_list("claimed_by", flat=True)
        .distinct()
    )


# --- The three steps of an attempt ----------------------------------------------------


def _attempt(
    export_item_id: int, worker: str, heartbeat: ClaimHeartbeat, *, skip_locked: bool
) -> Attempt | None:
    """One attempt, or None when `skip_locked` and another transaction holds the rows."""
    try:
        return _export(export_item_id, worker, heartbeat, skip_locked=skip_locked)
    except Exception:
        logger.exception("Export of item %s broke down; it will be requeued", export_item_id)
        return Attempt(ExportOutcome.INTERRUPTED)


def _export(
    export_item_id: int, worker: str, heartbeat: ClaimHeartbeat, *, skip_locked: bool
) -> Attempt | None:
    claim = claim_export(export_item_id, worker=worker, skip_locked=skip_locked)
    if claim is None:
        return None
    if not isinstance(claim, Claim):
        return Attempt(claim)
    try:
        with heartbeat.holding(claim):
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


def claim_export(
    export_item_id: int, *, worker: str = "", skip_locked: bool = False
) -> Claim | ExportOutcome | None:
    """Step 1: take the item for one attempt, or say why not. With `skip_locked`, None
    when another transaction holds the invoice or the item (try again later)."""
    with transaction.atomic():
        locked = _lock(export_item_id, skip_locked=skip_locked)
        if locked is _BUSY:
            return None
        if locked is None:
            return ExportOutcome.SKIPPED
        invoice, item = locked
        now = timezone.now()
        if item.state not in ERP_WORKFLOW.exporting_statuses:
            return ExportOutcome.SKIPPED
        if _holds_live_claim(item, now):
            return ExportOutcome.SKIPPED
        if item.next_retry_at is not None and item.next_retry_at > now:
            return ExportOutcome.SKIPPED
        if item.attempts >= max_attempts():
            _fail(invoice, item, INTERRUPTED.format(attempts=item.attempts))
            return ExportOutcome.FAILED
        item.attempts += 1
        item.export_started_at = now
        item.claim_expires_at = now + lease_duration()
        item.claimed_by = worker
        item.next_retry_at = None
        item.save(
            update_fields=[
                "attempts",
                "export_started_at",
                "claim_expires_at",
                "claimed_by",
                "next_retry_at",
            ]
        )
        return Claim(export_item_id=item.pk, attempts=item.attempts, started_at=now)


def claim_locked_items(
    invoices: dict[int, Invoice],
    items: list[ExportItem],
    *,
    worker: str,
    lease: timedelta,
    now: datetime,
) -> tuple[list[ExportItem], list[int]]:
    """`claim_export`'s step for many items at once, as an ERP agent pulls them: each
    claimed for one attempt by `worker` until `now + lease`, in one UPDATE. The caller
    holds the row locks of `items` and of their `invoices` (by id), and read the items
    `claimable`. Returns the claimed items (their fields as saved) and the ids of those
    whose attempts were used up by earlier holders that never reported: they fail
    instead, as in `claim_export`."""
    exhausted = [item for item in items if item.attempts >= max_attempts()]
    for item in exhausted:
        _fail(invoices[item.invoice_id], item, INTERRUPTED.format(attempts=item.attempts))
    claimed = [item for item in items if item.attempts < max_attempts()]
    ExportItem.objects.filter(pk__in=[item.pk for item in claimed]).update(
        attempts=F("attempts") + 1,
        export_started_at=now,
        claim_expires_at=now + lease,
        claimed_by=worker,
        next_retry_at=None,
    )
    for item in claimed:
        item.attempts += 1
        item.export_started_at = now
        item.claim_expires_at = now + lease
        item.claimed_by = worker
        item.next_retry_at = None
    return claimed, [item.pk for item in exhausted]


class ClaimHeartbeat:
    """Renews the claim a batch holds (`holding`) for another lease every third of a
    lease while its worker delivers, from a thread with its own database connection, so
    that a delivery slower than a lease keeps its item. When the worker dies the
    renewals stop with it, and the claim runs out within one lease. One thread serves
    the whole batch: a thread per item costs a scheduling delay per item on a busy
    machine."""

    def __init__(self) -> None:
        self._claim: Claim | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> ClaimHeartbeat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()

    @contextmanager
    def holding(self, claim: Claim) -> Iterator[None]:
        if self._thread is None:
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        self._claim = claim
        try:
            yield
        finally:
            self._claim = None

    def _beat(self) -> None:
        interval = lease_duration().total_seconds() / 3
        try:
            while not self._stopped.wait(interval):
                claim = self._claim
                if claim is None:
                    continue
                try:
                    # A claim released in the meantime matches no row: nothing renewed.
                    renew_claim(claim)
                except Exception:
                    logger.exception("Could not renew the claim on item %s", claim.export_item_id)
        finally:
            connections.close_all()  # this thread's connections only


def renew_claim(claim: Claim) -> bool:
    """Hold the claim for one more lease from now; False when it no longer stands."""
    renewed = ExportItem.objects.filter(
        pk=claim.export_item_id, attempts=claim.attempts, export_started_at=claim.started_at
    ).update(claim_expires_at=timezone.now() + lease_duration())
    return renewed == 1


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
) -> Attempt:
    """Step 3: record the attempt's outcome, if the claim still holds."""
    with transaction.atomic():
        locked = _lock(claim.export_item_id)
        if locked is None:
            return Attempt(ExportOutcome.SKIPPED)
        invoice, item = locked
        return record_outcome(invoice, item, claim, reference=reference, error=error)


def record_outcome(
    invoice: Invoice,
    item: ExportItem,
    claim: Claim,
    *,
    reference: str | None = None,
    error: ExportError | None = None,
) -> Attempt:
    """`finish_export` on rows the caller holds locked (the invoice's, then the item's),
    as an ERP agent's report does: the item and its invoice are saved as moved."""
    reference_limit = ExportItem._meta.get_field("erp_reference").max_length
    assert reference_limit is not None  # a CharField always has one
    if error is None and (not reference or len(reference) > reference_limit):
        error = PermanentExportError(
            REFERENCE_TOO_LONG.format(limit=reference_limit, reference=reference)
        )
    if (
        item.state not in ERP_WORKFLOW.exporting_statuses
        or item.attempts != claim.attempts
        or item.export_started_at != claim.started_at
    ):
        # Our lease ran out and another worker took over; its outcome stands.
        return Attempt(ExportOutcome.SKIPPED)
    now = timezone.now()
    if error is None:
        assert reference is not None  # without one, the error was set above
        item.erp_reference = reference
        item.synced_at = now
        item.last_error = ""
        item.next_retry_at = None
        _release_claim(item, now)
        _move(
            invoice,
            item,
            ERP_WORKFLOW.export_succeeded,
            ["erp_reference", "synced_at", "last_error", "next_retry_at", *CLAIM_FIELDS],
        )
        return Attempt(ExportOutcome.SYNCED)
    if isinstance(error, TransientExportError) and item.attempts < max_attempts():
        item.last_error = str(error)
        item.next_retry_at = now + retry_delay(item.attempts)
        _release_claim(item, now)
        item.save(update_fields=["last_error", "next_retry_at", *CLAIM_FIELDS])
        return Attempt(ExportOutcome.RETRY_SCHEDULED, retry_at=item.next_retry_at)
    message = str(error)
    if isinstance(error, TransientExportError):
        message = GAVE_UP.format(error=message, attempts=item.attempts)
    _fail(invoice, item, message)
    return Attempt(ExportOutcome.FAILED)


# --- Helpers -----------------------------------------------------------------------------

# What releasing a claim writes: it ends now, and `claimed_by` stays as a record of the
# task that made the attempt.
CLAIM_FIELDS = ["export_started_at", "claim_expires_at"]


def _live_claim(now: datetime) -> Q:
    return Q(export_started_at__isnull=False, claim_expires_at__gt=now)


def _holds_live_claim(item: ExportItem, now: datetime) -> bool:
    """`_live_claim` for a loaded row."""
    return (
        item.export_started_at is not None
        and item.claim_expires_at is not None
        and item.claim_expires_at > now
    )


def claimable(now: datetime) -> Q:
    """Items an attempt may claim now (`claim_export` checks again under the lock; a
    SELECT ... FOR UPDATE with it, as `claim_locked_items`'s caller runs, reads it on
    the locked rows)."""
    return (
        Q(state__in=ERP_WORKFLOW.exporting_statuses)
        & ~_live_claim(now)
        & (Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=now))
    )


def _release_claim(item: ExportItem, now: datetime) -> None:
    item.export_started_at = None
    item.claim_expires_at = now


# `_lock`'s answer when it was told to skip locked rows and met one.
_BUSY = object()


def _lock(export_item_id: int, *, skip_locked: bool = False):
    """Lock the item's invoice, then the item (the order every ERP action uses). Returns
    (invoice, item); None when either is gone; `_BUSY` when `skip_locked` and another
    transaction holds either row (PostgreSQL; elsewhere it waits)."""
    invoice_id = (
        ExportItem.objects.filter(pk=export_item_id).values_list("invoice_id", flat=True).first()
    )
    if invoice_id is None:
        return None
    invoice = next(iter(lock_invoices(Q(pk=invoice_id), skip_locked=skip_locked)), None)
    item = (
        ExportItem.objects.select_for_update(skip_locked=skip_locked)
        .filter(pk=export_item_id)
        .first()
    )
    if skip_locked and (invoice is None or item is None):
        return _BUSY  # or gone since: the blocking second try tells
    if invoice is None or item is None:
        return None
    return invoice, item


def _move(invoice: Invoice, item: ExportItem, transition: ErpTransition, fields: list[str]) -> None:
    """Move the item and its invoice's ERP status as the transition says, with a history
    row. Caller holds both row locks and has checked that the transition allows it."""
    state = transition.to_status
    entry = erp_status_entry(invoice, to_status=state, action_by=None)
    item.state = state
    item.save(update_fields=["state", *fields])
    invoice.erp_status = state
    invoice.save(update_fields=["erp_status", "updated_at"])
    record_history([entry])


def _fail(invoice: Invoice, item: ExportItem, message: str) -> None:
    item.last_error = message
    item.next_retry_at = None
    _release_claim(item, timezone.now())
    _move(
        invoice,
        item,
        ERP_WORKFLOW.export_failed,
        ["last_error", "next_retry_at", *CLAIM_FIELDS],
    )
