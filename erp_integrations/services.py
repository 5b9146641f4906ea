"""The ERP Integrations workflow: send, retrieve, accept, reject, retry and unlink.

Every action:
- takes the acting user and asks the access layer whether they may see (404 if not)
  and act (`ActionRefused` with a message if not);
- locks the invoice rows, then their export items, in the order `lock_invoices` writes
  down, so two actions on the same invoice serialize on its row and cannot deadlock;
- decides each invoice on its own: a refused invoice is reported with the reason and
  left unchanged, the others go ahead;
- writes the change history, one batch id shared by the rows of one action;
- schedules its side effects (the email and export tasks) on commit, passing ids only.

Writes are set-based (a few UPDATEs and INSERTs per action, whatever the batch size),
so a bulk action's query count does not grow with its size. They run in a savepoint; if
that fails, each invoice is written again in a savepoint of its own, so one bad invoice
cannot take the batch down with it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from commitments.models import Commitment
from commitments.permissions import access_commitment
from core.display import display_name
from core.errors import ActionRefused
from erp_integrations.models import REJECTION_REASON_MAX_LENGTH, ErpConnection, ExportItem
from erp_integrations.systems import send_refusals, unlink_refusal
from erp_integrations.tasks import (
    enqueue_email,
    enqueue_exports,
    send_invoices_rejected_email,
    send_invoices_sent_email,
    send_invoices_unlinked_email,
)
from invoices.amounts import totals_of_invoices
from invoices.history import (
    ERP_REFERENCE_CHANGE,
    REJECTION_REASON_CHANGE,
    UNLINK_REASON_CHANGE,
    erp_status_entry,
    history_entry,
    record_history,
)
from invoices.locking import lock_invoices
from invoices.models import (
    ERP_WORKFLOW,
    SENDABLE_STATUSES,
    ErpTransition,
    Invoice,
    InvoiceErpStatus,
)
from invoices.permissions import access_invoice_on_project, can_send_or_retrieve_on_commitment
from projects.models import Company
from projects.permissions import (
    access_erp_integrations,
    is_accounting_approver,
)

# Refusals of the action as a whole.
NOT_PROJECT_ADMIN = (
    "Only a project admin (Admin on the project's Commitments tool) can send invoices to "
    "ERP or retrieve them."
)
NOT_ACCOUNTING_APPROVER = (
    "Only an accounting approver (ERP Integrations Standard or Admin with 'Can push to "
    "accounting') can accept, reject or retry invoices."
)
REJECTION_REASON_REQUIRED = "Enter a reason for the rejection."
REJECTION_REASON_TOO_LONG = (
    f"Keep the reason for the rejection to {REJECTION_REASON_MAX_LENGTH:,} characters or fewer."
)
NOTHING_SELECTED = "Select at least one invoice."
UNLINK_REASON_REQUIRED = "Enter a reason for unlinking."
UNLINK_REASON_TOO_LONG = (
    f"Keep the reason for unlinking to {REJECTION_REASON_MAX_LENGTH:,} characters or fewer."
)
UNLINK_NOT_CONFIRMED = (
    "Confirm that the invoices were deleted in the ERP first: unlinking does not delete "
    "anything there."
)

# Refusals of one invoice. Each starts with the invoice's label ("INV-4: ...").
NOT_FOUND = "{label}: not found on this commitment."
NOT_FOUND_IN_QUEUE = "{label}: not found in this company's ERP Integrations."
STATUS_NOT_SENDABLE = (
    "{label}: only Approved, Approved as Noted or Pending Owner Approval invoices can be "
    "sent to ERP. This invoice is {status}."
)
ALREADY_IN_ERP = "{label}: already in ERP Integrations ({erp_status})."
ALREADY_SYNCED = "{label}: already synced to the ERP."
COMMITMENT_NOT_SYNCED = (
    "{label}: commitment {commitment} is not synced to the ERP yet. Sync the commitment "
    "with the ERP first, then send the invoice."
)
NO_ERP_CONNECTION = (
    "{label}: {company} has no ERP connection. Ask your company admin to set one up."
)
SENT = "{label}: sent to ERP Integrations."
NOT_SENT = "{label}: not in ERP Integrations, so there is nothing to retrieve."
ALREADY_RETRIEVED = "{label}: already retrieved from ERP Integrations."
ALREADY_ACCEPTED = "{label}: already accepted by the accounting approver."
ALREADY_ACCEPTED_EXPORT_FAILED = (
    "{label}: already accepted by the accounting approver, and its export failed. Ask the "
    "accounting approver to reject it so that it can be corrected."
)
ALREADY_REJECTED = (
    "{label}: already rejected by the accounting approver; it is unlocked for corrections."
)
RETRIEVED_BEFORE_DECISION = (
    "{label}: retrieved from ERP Integrations by {user} before the accounting approver acted on it."
)
ACCEPTED_BY = "{label}: already accepted by {user}."
REJECTED_BY = "{label}: already rejected by {user}."
SENT_DIRECTLY = (
    "{label}: sent with Direct Export, so it was accepted as it was sent and exported at "
    "once: there was no window to retrieve it."
)
UNLINKED_BY = "{label}: unlinked from the ERP by {user}; it is back to Not Sent."
ALREADY_UNLINKED = "{label}: already unlinked from the ERP by {user}."
NOT_SYNCED = "{label}: only synced invoices can be unlinked. This one is {erp_status}."
LATER_INVOICE_IN_ERP = (
    "{label}: a later invoice of {commitment} is in ERP Integrations or synced ({later}), "
    "and its previous work completed comes from {label}. Unlink, reject or retrieve "
    "{later} first."
)
NOT_FAILED = "{label}: only invoices that failed to export can be retried ({erp_status})."
NOT_DECIDABLE = "{label}: {erp_status} invoices cannot be {verb}."
WRITE_FAILED = "{label}: could not be saved ({error}). Nothing changed for it."


class Outcome:
    DONE = "done"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class Code:
    """The stable, machine-readable name of each answer above: the API's `code`, which a
    program may branch on while the message's wording changes. One code per kind of
    answer (the messages of one kind differ in the names they mention)."""

    # The action as a whole (`ActionRefused.code`).
    NOT_PROJECT_ADMIN = "not_project_admin"
    NOT_ACCOUNTING_APPROVER = "not_accounting_approver"
    NOTHING_SELECTED = "nothing_selected"
    REASON_REQUIRED = "reason_required"
    REASON_TOO_LONG = "reason_too_long"
    NOT_CONFIRMED = "not_confirmed"
    # One invoice, refused.
    NOT_FOUND = "not_found"
    STATUS_NOT_SENDABLE = "status_not_sendable"
    ALREADY_IN_ERP = "already_in_erp"
    ALREADY_SYNCED = "already_synced"
    COMMITMENT_NOT_SYNCED = "commitment_not_synced"
    NO_ERP_CONNECTION = "no_erp_connection"
    ERP_SYSTEM_RULE = "erp_system_rule"  # the ERP system's rules ("Things to know")
    NOT_SENT = "not_sent"
    ALREADY_ACCEPTED = "already_accepted"
    ALREADY_ACCEPTED_EXPORT_FAILED = "already_accepted_export_failed"
    ALREADY_REJECTED = "already_rejected"
    SENT_DIRECTLY = "sent_directly"
    ALREADY_RETRIEVED = "already_retrieved"
    ALREADY_UNLINKED = "already_unlinked"
    NOT_SYNCED = "not_synced"
    NOT_DECIDABLE = "not_decidable"
    UNLINK_NOT_SUPPORTED = "unlink_not_supported"
    LATER_INVOICE_IN_ERP = "later_invoice_in_erp"
    WRITE_FAILED = "write_failed"
    # One invoice, done.
    SENT = "sent"
    SENT_AND_EXPORTING = "sent_and_exporting"
    RETRIEVED = "retrieved"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETRIED = "retried"
    UNLINKED = "unlinked"

    DONE = frozenset({SENT, SENT_AND_EXPORTING, RETRIEVED, ACCEPTED, REJECTED, RETRIED, UNLINKED})


class Decision(NamedTuple):
    """What an action decided for one invoice."""

    outcome: str
    code: str
    message: str


@dataclass(frozen=True)
class InvoiceResult:
    invoice_id: int | None
    label: str
    outcome: str
    message: str
    code: str

    @property
    def ok(self) -> bool:
        return self.outcome != Outcome.REFUSED

    @property
    def is_done(self) -> bool:
        return self.outcome == Outcome.DONE

    @property
    def is_unchanged(self) -> bool:
        return self.outcome == Outcome.UNCHANGED


@dataclass
class ActionResult:
    """What an action did to each invoice it was asked about, in the order asked."""

    batch_id: uuid.UUID = field(default_factory=uuid.uuid4)
    results: list[InvoiceResult] = field(default_factory=list)

    @property
    def done(self) -> list[InvoiceResult]:
        return [result for result in self.results if result.outcome == Outcome.DONE]

    @property
    def refused(self) -> list[InvoiceResult]:
        return [result for result in self.results if result.outcome == Outcome.REFUSED]

    def single(self) -> InvoiceResult:
        """For a one-invoice action: its result, or `ActionRefused` if it was refused."""
        (result,) = self.results
        if result.outcome == Outcome.REFUSED:
            raise ActionRefused(result.message, result.code)
        return result


# Ids are BigAutoField values. A value outside this range, or not a number at all,
# cannot be an id of ours: it is kept (as text, for the report) but never reaches a query,
# where an out-of-range number would overflow the database driver.
SMALLEST_ID = 1
LARGEST_ID = 2**63 - 1
# How much of a value that is not an id is repeated back in its "not found" message.
NOT_AN_ID_SHOWN = 24


def _as_id(raw: int | str) -> int | str | None:
    """An id as an int, None for a blank value, else the value as text (not an id)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        number = raw
    else:
        text = str(raw).strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit()):
            return text[:NOT_AN_ID_SHOWN]
        number = int(text)
    return number if SMALLEST_ID <= number <= LARGEST_ID else str(number)[:NOT_AN_ID_SHOWN]


def unique_ids(ids: Iterable[int | str]) -> list[int | str]:
    """The ids asked for, first occurrence kept, blanks dropped. An id is an int in
    SMALLEST_ID..LARGEST_ID; anything else stays in the list as text, so that it is
    reported as not found and matches nothing."""
    seen: dict[int | str, None] = {}
    for raw in ids:
        asked = _as_id(raw)
        if asked is not None:
            seen.setdefault(asked, None)
    return list(seen)


def _real_ids(asked: Iterable[int | str]) -> list[int]:
    """The asked values that can be ids, for a query."""
    return [asked_id for asked_id in asked if isinstance(asked_id, int)]


def _lock_invoices(scope: Q, invoice_ids: Iterable[int | str]) -> dict[int, Invoice]:
    invoices = lock_invoices(
        scope & Q(pk__in=_real_ids(invoice_ids)),
        select_related=("commitment__project__company__erp_connection", "commitment__vendor"),
    )
    return {invoice.pk: invoice for invoice in invoices}


def _lock_items(scope: Q) -> list[ExportItem]:
    return list(
        ExportItem.objects.select_for_update(of=("self",))
        .select_related("decided_by", "retrieved_by", "unlinked_by")
        .filter(scope)
        .order_by("pk")
    )


def _write_all_or_each[Pair: tuple[Invoice, ExportItem | None]](
    pairs: list[Pair], write: Callable[[list[Pair]], None]
) -> list[tuple[Invoice, str]]:
    """Run `write` for all pairs in one savepoint; if it fails, again for each pair in its
    own savepoint. Returns the invoices that could not be written, with the error."""
    if not pairs:
        return []
    try:
        with transaction.atomic():
            write(pairs)
        return []
    except IntegrityError:
        pass
    failed = []
    for pair in pairs:
        try:
            with transaction.atomic():
                write([pair])
        except IntegrityError as error:
            failed.append((pair[0], str(error)))
    return failed


def _status_entry(invoice: Invoice, *, to_state: str, by, action: ActionResult):
    return erp_status_entry(invoice, to_status=to_state, action_by=by, batch_id=action.batch_id)


def _move_items(
    pairs: list[tuple[Invoice, ExportItem]],
    *,
    transition: ErpTransition,
    by: User,
    action: ActionResult,
    item_changes: dict,
    extra_history: Callable[[Invoice, ExportItem, ActionResult], list] | None = None,
) -> None:
    """Move the items and their invoices' ERP status as the transition says, with
    history. Caller holds the invoices' and the items' row locks."""
    ExportItem.objects.filter(pk__in=[item.pk for _, item in pairs]).update(
        state=transition.item_state, **item_changes
    )
    Invoice.objects.filter(pk__in=[invoice.pk for invoice, _ in pairs]).update(
        erp_status=transition.to_status, updated_at=timezone.now()
    )
    entries = []
    for invoice, item in pairs:
        entries.append(_status_entry(invoice, to_state=transition.to_status, by=by, action=action))
        if extra_history:
            entries.extend(extra_history(invoice, item, action))
    record_history(entries)


# --- Send to ERP -------------------------------------------------------------------------


def _refused(code: str, message: str) -> Decision:
    return Decision(Outcome.REFUSED, code, message)


def _send_refusal(invoice: Invoice, totals, connection: ErpConnection | None) -> Decision | None:
    label = invoice.label
    if not ERP_WORKFLOW.send.allows(invoice.erp_status):
        if invoice.erp_status == InvoiceErpStatus.SYNCED:
            return _refused(Code.ALREADY_SYNCED, ALREADY_SYNCED.format(label=label))
        return _refused(
            Code.ALREADY_IN_ERP,
            ALREADY_IN_ERP.format(label=label, erp_status=invoice.get_erp_status_display()),
        )
    if invoice.status not in SENDABLE_STATUSES:
        return _refused(
            Code.STATUS_NOT_SENDABLE,
            STATUS_NOT_SENDABLE.format(label=label, status=invoice.get_status_display()),
        )
    commitment = invoice.commitment
    if not commitment.is_synced_to_erp:
        return _refused(
            Code.COMMITMENT_NOT_SYNCED,
            COMMITMENT_NOT_SYNCED.format(label=label, commitment=commitment.number),
        )
    if connection is None:
        return _refused(
            Code.NO_ERP_CONNECTION,
            NO_ERP_CONNECTION.format(label=label, company=commitment.project.company),
        )
    reasons = send_refusals(invoice=invoice, totals=totals, connection=connection)
    if reasons:
        return _refused(Code.ERP_SYSTEM_RULE, " ".join(f"{label}: {reason}" for reason in reasons))
    return None


def _report(
    action: ActionResult,
    asked: list[int | str],
    labels: dict[int, str],
    decisions: dict[int, Decision],
    not_found: str,
) -> ActionResult:
    """Fill `action.results` in the order the ids were asked for."""
    for asked_id in asked:
        if not isinstance(asked_id, int) or asked_id not in labels:
            label = f"#{asked_id}"
            action.results.append(
                InvoiceResult(
                    None, label, Outcome.REFUSED, not_found.format(label=label), Code.NOT_FOUND
                )
            )
            continue
        outcome, code, message = decisions[asked_id]
        action.results.append(InvoiceResult(asked_id, labels[asked_id], outcome, message, code))
    return action


def _lock_connection(company_id: int) -> ErpConnection | None:
    """Lock the company's ERP connection, so that Direct Export cannot be turned on or off
    while a send reads it: the admin's change waits for the send to commit, or the send
    for the change. The connection is the company's row, so it is locked before the
    invoices (the order `lock_invoices` writes down)."""
    return ErpConnection.objects.select_for_update().filter(company_id=company_id).first()


def _send(
    *,
    user: User,
    connection: ErpConnection | None,
    invoices: dict[int, Invoice],
    asked: list[int | str],
) -> ActionResult:
    """Send the invoices: to Ready to Export, or with the company's Direct Export on,
    accepted by the sender and exporting at once. Caller holds the connection's row lock,
    then the invoices'."""
    action = ActionResult()
    direct = connection is not None and connection.direct_export
    transition = ERP_WORKFLOW.send_direct if direct else ERP_WORKFLOW.send
    done = "{label}: sent to ERP and exporting (Direct Export)." if direct else SENT
    done_code = Code.SENT_AND_EXPORTING if direct else Code.SENT
    totals = totals_of_invoices(invoices.values())
    decisions: dict[int, Decision] = {}
    sendable: list[tuple[Invoice, None]] = []
    for invoice in invoices.values():
        refusal = _send_refusal(invoice, totals[invoice.pk], connection)
        if refusal:
            decisions[invoice.pk] = refusal
        else:
            sendable.append((invoice, None))
            decisions[invoice.pk] = Decision(
                Outcome.DONE, done_code, done.format(label=invoice.label)
            )

    created: list[ExportItem] = []

    def write(pairs: list[tuple[Invoice, None]]) -> None:
        now = timezone.now()
        # With Direct Export the sender's send is the acceptance.
        accepted = {"decided_by": user, "decided_at": now, "sent_directly": True} if direct else {}
        items = ExportItem.objects.bulk_create(
            [
                ExportItem(
                    invoice=invoice,
                    company_id=invoice.commitment.project.company_id,
                    state=transition.item_state,
                    invoice_revision=invoice.revision,
                    sent_by=user,
                    sent_at=now,
                    batch_id=action.batch_id,
                    **accepted,
                )
                for invoice, _ in pairs
            ]
        )
        Invoice.objects.filter(pk__in=[invoice.pk for invoice, _ in pairs]).update(
            erp_status=transition.to_status, updated_at=now
        )
        record_history(
            _status_entry(invoice, to_state=transition.to_status, by=user, action=action)
            for invoice, _ in pairs
        )
        created.extend(items)

    for invoice, error in _write_all_or_each(sendable, write):
        decisions[invoice.pk] = _refused(
            Code.WRITE_FAILED,
            WRITE_FAILED.format(label=invoice.label, error=error),
        )
    if created and direct:
        transaction.on_commit(partial(enqueue_exports, [item.pk for item in created]))
    elif created:
        transaction.on_commit(
            partial(enqueue_email, send_invoices_sent_email, [item.pk for item in created]),
            robust=True,
        )
    labels = {invoice_id: invoice.label for invoice_id, invoice in invoices.items()}
    return _report(action, asked, labels, decisions, NOT_FOUND)


@transaction.atomic
def invoices_send_to_erp(
    *, user: User, project_id: int, commitment_id: int, invoice_ids: Iterable[int]
) -> ActionResult:
    """Send the commitment's checked invoices to ERP Integrations (bulk "Send to ERP").

    Raises Http404 when the user may not see the commitment and `ActionRefused` when
    they are not its project admin; otherwise each invoice is sent or refused on its own.
    """
    commitment = _commitment_for_send_or_retrieve(user, project_id, commitment_id)
    asked = _asked(invoice_ids)
    connection = _lock_connection(commitment.project.company_id)
    invoices = _lock_invoices(Q(commitment=commitment), asked)
    return _send(user=user, connection=connection, invoices=invoices, asked=asked)


@transaction.atomic
def invoice_send_to_erp(
    *, user: User, invoice_id: int, commitment_id: int | None = None
) -> InvoiceResult:
    """Send one invoice ("Send to ERP" / "Re-send to ERP" on the invoice page)."""
    seen = _invoice_for_send_or_retrieve(user, invoice_id, commitment_id, for_update=False)
    connection = _lock_connection(seen.commitment.project.company_id)
    invoices = _lock_invoices(Q(pk=seen.pk), [seen.pk])
    if not invoices:
        raise Http404("No such invoice.")  # deleted while we waited for the lock
    return _send(user=user, connection=connection, invoices=invoices, asked=[seen.pk]).single()


# --- Retrieve from ERP -------------------------------------------------------------------


def _retrieve_decision(invoice: Invoice, active: ExportItem | None) -> Decision | None:
    """Why the invoice cannot be retrieved (or is already), or None when it can.
    `active` is its locked active export item, if it has one."""
    if ERP_WORKFLOW.retrieve.allows(invoice.erp_status):
        return None
    label = invoice.label
    if active is not None and active.sent_directly:
        return _refused(Code.SENT_DIRECTLY, SENT_DIRECTLY.format(label=label))
    match invoice.erp_status:
        case ERP_WORKFLOW.retrieve.to_status:
            # A second retrieve (a double click) finds the invoice where the first left it.
            return Decision(
                Outcome.UNCHANGED, Code.ALREADY_RETRIEVED, ALREADY_RETRIEVED.format(label=label)
            )
        case InvoiceErpStatus.EXPORTING | InvoiceErpStatus.SYNCED:
            return _refused(Code.ALREADY_ACCEPTED, ALREADY_ACCEPTED.format(label=label))
        case InvoiceErpStatus.FAILED_TO_EXPORT:
            return _refused(
                Code.ALREADY_ACCEPTED_EXPORT_FAILED,
                ALREADY_ACCEPTED_EXPORT_FAILED.format(label=label),
            )
        case InvoiceErpStatus.REJECTED:
            return _refused(Code.ALREADY_REJECTED, ALREADY_REJECTED.format(label=label))
        case _:
            return _refused(Code.NOT_SENT, NOT_SENT.format(label=label))


def _retrieve(*, user: User, invoices: dict[int, Invoice], asked: list[int | str]) -> ActionResult:
    action = ActionResult()
    items = {
        item.invoice_id: item
        for item in _lock_items(Q(invoice_id__in=invoices, state__in=ERP_WORKFLOW.locked_statuses))
    }
    decisions: dict[int, Decision] = {}
    retrievable = []
    for invoice in invoices.values():
        decision = _retrieve_decision(invoice, items.get(invoice.pk))
        if decision is None:
            retrievable.append((invoice, items[invoice.pk]))
            decision = Decision(
                Outcome.DONE, Code.RETRIEVED, f"{invoice.label}: retrieved from ERP Integrations."
            )
        decisions[invoice.pk] = decision
    write = partial(
        _move_items,
        transition=ERP_WORKFLOW.retrieve,
        by=user,
        action=action,
        item_changes={"retrieved_by": user, "retrieved_at": timezone.now()},
    )
    for invoice, error in _write_all_or_each(retrievable, write):
        decisions[invoice.pk] = _refused(
            Code.WRITE_FAILED,
            WRITE_FAILED.format(label=invoice.label, error=error),
        )
    labels = {invoice_id: invoice.label for invoice_id, invoice in invoices.items()}
    return _report(action, asked, labels, decisions, NOT_FOUND)


@transaction.atomic
def invoices_retrieve_from_erp(
    *, user: User, project_id: int, commitment_id: int, invoice_ids: Iterable[int]
) -> ActionResult:
    """Retrieve the commitment's checked invoices from ERP Integrations (bulk "Retrieve
    from ERP"). Only Ready to Export invoices are retrieved; the others are reported one
    by one. Retrieving an invoice twice is harmless: the second time reports it as
    already retrieved and changes nothing.

    Raises Http404 when the user may not see the commitment and `ActionRefused` when
    they are not its project admin.
    """
    commitment = _commitment_for_send_or_retrieve(user, project_id, commitment_id)
    asked = _asked(invoice_ids)
    invoices = _lock_invoices(Q(commitment=commitment), asked)
    return _retrieve(user=user, invoices=invoices, asked=asked)


@transaction.atomic
def invoice_retrieve_from_erp(
    *, user: User, invoice_id: int, commitment_id: int | None = None
) -> InvoiceResult:
    """Retrieve one invoice ("Retrieve from ERP" on the invoice page)."""
    invoice = _invoice_for_send_or_retrieve(user, invoice_id, commitment_id)
    return _retrieve(user=user, invoices={invoice.pk: invoice}, asked=[invoice.pk]).single()


# --- Accept, reject, retry (the accounting approver) --------------------------------------


def _decided_elsewhere(invoice: Invoice, item: ExportItem, verb: str) -> Decision:
    """What happened to an item the approver can no longer act on, in plain words."""
    label = invoice.label
    if item.is_unlinked:
        code = Code.ALREADY_UNLINKED
        message = UNLINKED_BY.format(label=label, user=display_name(item.unlinked_by))
    elif item.is_retrieved:
        code = Code.ALREADY_RETRIEVED
        message = RETRIEVED_BEFORE_DECISION.format(
            label=label, user=display_name(item.retrieved_by)
        )
    elif item.is_rejected:
        code = Code.ALREADY_REJECTED
        message = REJECTED_BY.format(label=label, user=display_name(item.decided_by))
    elif item.state in ERP_WORKFLOW.accepted_statuses:
        code = Code.ALREADY_ACCEPTED
        message = ACCEPTED_BY.format(label=label, user=display_name(item.decided_by))
    else:
        code = Code.NOT_DECIDABLE
        message = NOT_DECIDABLE.format(label=label, erp_status=item.get_state_display(), verb=verb)
    return _refused(code, message)


def _approver_action(
    *,
    user: User,
    company_id: int,
    export_item_ids: Iterable[int],
    transition: ErpTransition,
    verb: str,
    done_code: str,
    item_changes: dict,
    extra_history: Callable[[Invoice, ExportItem, ActionResult], list] | None = None,
) -> tuple[ActionResult, list[int]]:
    """Lock the items' invoices then the items, and move those the transition allows to
    its status. Returns the result and the ids of the items moved."""
    company = _company_for_approver(user, company_id)
    asked = _asked(export_item_ids)
    item_ids = _real_ids(asked)
    invoice_ids = ExportItem.objects.filter(pk__in=item_ids, company=company).values_list(
        "invoice_id", flat=True
    )
    invoices = _lock_invoices(Q(commitment__project__company=company), list(invoice_ids))
    items = _lock_items(Q(pk__in=item_ids, company=company, invoice_id__in=invoices))
    action = ActionResult()
    decisions: dict[int, Decision] = {}
    movable = []
    for item in items:
        invoice = invoices[item.invoice_id]
        if transition.allows(item.state):
            movable.append((invoice, item))
            decisions[item.pk] = Decision(Outcome.DONE, done_code, f"{invoice.label}: {verb}.")
        else:
            decisions[item.pk] = _decided_elsewhere(invoice, item, verb)
    write = partial(
        _move_items,
        transition=transition,
        by=user,
        action=action,
        item_changes=item_changes,
        extra_history=extra_history,
    )
    failed = _write_all_or_each(movable, write)
    failed_invoices = {invoice.pk for invoice, _ in failed}
    for invoice, error in failed:
        item_id = next(item.pk for candidate, item in movable if candidate.pk == invoice.pk)
        decisions[item_id] = _refused(
            Code.WRITE_FAILED,
            WRITE_FAILED.format(label=invoice.label, error=error),
        )
    moved = [item.pk for invoice, item in movable if invoice.pk not in failed_invoices]
    labels = {item.pk: invoices[item.invoice_id].label for item in items}
    return _report(action, asked, labels, decisions, NOT_FOUND_IN_QUEUE), moved


@transaction.atomic
def export_items_accept(
    *, user: User, company_id: int, export_item_ids: Iterable[int]
) -> ActionResult:
    """Accept Ready to Export items: each starts exporting to the ERP once this commits.

    Raises Http404 when the user may not open the company's ERP Integrations and
    `ActionRefused` when they are not its accounting approver.
    """
    now = timezone.now()
    action, moved = _approver_action(
        user=user,
        company_id=company_id,
        export_item_ids=export_item_ids,
        transition=ERP_WORKFLOW.accept,
        verb="accepted",
        done_code=Code.ACCEPTED,
        item_changes={"decided_by": user, "decided_at": now, "export_started_at": None},
    )
    if moved:
        transaction.on_commit(partial(enqueue_exports, moved))
    return action


@transaction.atomic
def export_items_reject(
    *, user: User, company_id: int, export_item_ids: Iterable[int], reason: str
) -> ActionResult:
    """Reject Ready to Export or Failed to Export items with a reason: each invoice is
    unlocked and its sender is emailed the reason.

    Raises `ActionRefused` for a blank reason (REJECTION_REASON_REQUIRED) or one longer
    than REJECTION_REASON_MAX_LENGTH (REJECTION_REASON_TOO_LONG), before anything is
    locked or changed.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(REJECTION_REASON_REQUIRED, Code.REASON_REQUIRED)
    if len(reason) > REJECTION_REASON_MAX_LENGTH:
        raise ActionRefused(REJECTION_REASON_TOO_LONG, Code.REASON_TOO_LONG)

    def reason_entry(invoice: Invoice, item: ExportItem, action: ActionResult) -> list:
        return [
            history_entry(
                invoice,
                action_by=user,
                changed=REJECTION_REASON_CHANGE,
                to_value=reason,
                batch_id=action.batch_id,
            )
        ]

    now = timezone.now()
    action, moved = _approver_action(
        user=user,
        company_id=company_id,
        export_item_ids=export_item_ids,
        transition=ERP_WORKFLOW.reject,
        verb="rejected",
        done_code=Code.REJECTED,
        item_changes={"decided_by": user, "decided_at": now, "rejection_reason": reason},
        extra_history=reason_entry,
    )
    if moved:
        transaction.on_commit(
            partial(enqueue_email, send_invoices_rejected_email, moved), robust=True
        )
    return action


@transaction.atomic
def export_items_retry(
    *, user: User, company_id: int, export_item_ids: Iterable[int]
) -> ActionResult:
    """Export Failed to Export items again, with a fresh set of attempts. The idempotency
    key stays the same, so an export that in fact reached the ERP is not created twice."""
    action, moved = _approver_action(
        user=user,
        company_id=company_id,
        export_item_ids=export_item_ids,
        transition=ERP_WORKFLOW.retry,
        verb="sent to export again",
        done_code=Code.RETRIED,
        # A retry is a new decision: `decided_at` also tells the requeue sweep when the
        # item was last handed to a worker.
        item_changes={
            "decided_by": user,
            "decided_at": timezone.now(),
            "attempts": 0,
            "next_retry_at": None,
            "export_started_at": None,
        },
    )
    if moved:
        transaction.on_commit(partial(enqueue_exports, moved))
    return action


# --- Unlink (the accounting approver, after the invoice was deleted in the ERP) ----------


def _lock_invoices_and_later(scope: Q, invoice_ids: list[int]) -> tuple[dict[int, Invoice], dict]:
    """Lock the invoices, and the later invoices of their commitments (whose previous work
    completed comes from them), in one query in primary key order like every path that
    locks several invoices. Returns the asked invoices by id, and every locked invoice
    by commitment id."""
    numbers = Invoice.objects.filter(scope, pk__in=invoice_ids).values_list(
        "commitment_id", "number"
    )
    earliest: dict[int, int] = {}
    for commitment_id, number in numbers:
        earliest[commitment_id] = min(number, earliest.get(commitment_id, number))
    later = Q(pk__in=invoice_ids)
    for commitment_id, number in earliest.items():
        later |= Q(commitment_id=commitment_id, number__gt=number)
    rows = lock_invoices(
        scope & later,
        select_related=("commitment__project__company__erp_connection", "commitment__vendor"),
    )
    asked = set(invoice_ids)
    by_commitment: dict[int, list[Invoice]] = {}
    for row in rows:
        by_commitment.setdefault(row.commitment_id, []).append(row)
    return {row.pk: row for row in rows if row.pk in asked}, by_commitment


def _unlink_refusal(
    invoice: Invoice, item: ExportItem, later_in_erp: list[Invoice]
) -> Decision | None:
    """Why the item cannot be unlinked (or is already), or None when it can."""
    label = invoice.label
    if item.is_unlinked:
        # A second unlink (a double click) finds the item where the first left it.
        user = display_name(item.unlinked_by)
        return Decision(
            Outcome.UNCHANGED,
            Code.ALREADY_UNLINKED,
            ALREADY_UNLINKED.format(label=label, user=user),
        )
    if not item.can_be_unlinked:
        if item.is_retrieved or item.is_rejected:
            return _decided_elsewhere(invoice, item, "unlinked")
        return _refused(
            Code.NOT_SYNCED, NOT_SYNCED.format(label=label, erp_status=item.get_state_display())
        )
    connection = getattr(invoice.commitment.project.company, "erp_connection", None)
    refusal = unlink_refusal(connection.system) if connection else None
    if refusal:
        return _refused(Code.UNLINK_NOT_SUPPORTED, f"{label}: {refusal}")
    if later_in_erp:
        later = ", ".join(other.label for other in later_in_erp)
        return _refused(
            Code.LATER_INVOICE_IN_ERP,
            LATER_INVOICE_IN_ERP.format(
                label=label, commitment=invoice.commitment.number, later=later
            ),
        )
    return None


@transaction.atomic
def export_items_unlink(
    *, user: User, company_id: int, export_item_ids: Iterable[int], reason: str
) -> ActionResult:
    """Unlink Synced items whose invoices were deleted in the ERP: each invoice goes back
    to Not Sent, unlocked, to be corrected and sent again as a new export document (a new
    item, with a new idempotency key). The item stays, Unlinked, with its ERP reference;
    the history records the reference too; the sender is emailed.

    Refused per invoice when the company's ERP system cannot unlink, or a later invoice
    of the commitment is in ERP Integrations or synced and not unlinked in this same
    action (later invoices are unlinked first). Raises `ActionRefused` for a blank or too
    long reason before anything is locked.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(UNLINK_REASON_REQUIRED, Code.REASON_REQUIRED)
    if len(reason) > REJECTION_REASON_MAX_LENGTH:
        raise ActionRefused(UNLINK_REASON_TOO_LONG, Code.REASON_TOO_LONG)
    company = _company_for_approver(user, company_id)
    asked = _asked(export_item_ids)
    item_ids = _real_ids(asked)
    invoice_ids = list(
        ExportItem.objects.filter(pk__in=item_ids, company=company).values_list(
            "invoice_id", flat=True
        )
    )
    invoices, by_commitment = _lock_invoices_and_later(
        Q(commitment__project__company=company), invoice_ids
    )
    items = _lock_items(Q(pk__in=item_ids, company=company, invoice_id__in=invoices))
    action = ActionResult()
    decisions: dict[int, Decision] = {}
    unlinkable: list[tuple[Invoice, ExportItem]] = []
    # Latest invoice first, so that unlinking a later invoice in the same action clears
    # the way for an earlier one.
    going_back = set()
    for item in sorted(items, key=lambda item: -invoices[item.invoice_id].number):
        invoice = invoices[item.invoice_id]
        later_in_erp = [
            other
            for other in by_commitment[invoice.commitment_id]
            if other.number > invoice.number and other.is_locked and other.pk not in going_back
        ]
        decision = _unlink_refusal(invoice, item, later_in_erp)
        if decision is None:
            unlinkable.append((invoice, item))
            going_back.add(invoice.pk)
            decision = Decision(
                Outcome.DONE,
                Code.UNLINKED,
                f"{invoice.label}: unlinked from the ERP; it is Not Sent.",
            )
        decisions[item.pk] = decision

    def unlink_history(invoice: Invoice, item: ExportItem, action: ActionResult) -> list:
        return [
            history_entry(
                invoice,
                action_by=user,
                changed=ERP_REFERENCE_CHANGE,
                from_value=item.erp_reference,
                batch_id=action.batch_id,
            ),
            history_entry(
                invoice,
                action_by=user,
                changed=UNLINK_REASON_CHANGE,
                to_value=reason,
                batch_id=action.batch_id,
            ),
        ]

    write = partial(
        _move_items,
        transition=ERP_WORKFLOW.unlink,
        by=user,
        action=action,
        item_changes={"unlinked_by": user, "unlinked_at": timezone.now(), "unlink_reason": reason},
        extra_history=unlink_history,
    )
    failed = {invoice.pk: error for invoice, error in _write_all_or_each(unlinkable, write)}
    moved = []
    for invoice, item in unlinkable:
        if invoice.pk in failed:
            decisions[item.pk] = _refused(
                Code.WRITE_FAILED,
                WRITE_FAILED.format(label=invoice.label, error=failed[invoice.pk]),
            )
        else:
            moved.append(item.pk)
    if moved:
        transaction.on_commit(
            partial(enqueue_email, send_invoices_unlinked_email, moved), robust=True
        )
    labels = {item.pk: invoices[item.invoice_id].label for item in items}
    return _report(action, asked, labels, decisions, NOT_FOUND_IN_QUEUE)


# --- Access ------------------------------------------------------------------------------


def _asked(ids: Iterable[int | str]) -> list[int | str]:
    asked = unique_ids(ids)
    if not asked:
        raise ActionRefused(NOTHING_SELECTED, Code.NOTHING_SELECTED)
    return asked


def _commitment_for_send_or_retrieve(user: User, project_id: int, commitment_id: int) -> Commitment:
    commitment = access_commitment(user, project_id, commitment_id)
    if not can_send_or_retrieve_on_commitment(user, commitment):
        raise ActionRefused(NOT_PROJECT_ADMIN, Code.NOT_PROJECT_ADMIN)
    return commitment


def _invoice_for_send_or_retrieve(
    user: User, invoice_id: int, commitment_id: int | None, *, for_update: bool = True
) -> Invoice:
    invoice = access_invoice_on_project(
        user, invoice_id, commitment_id=commitment_id, for_update=for_update
    )
    if not can_send_or_retrieve_on_commitment(user, invoice.commitment):
        raise ActionRefused(NOT_PROJECT_ADMIN, Code.NOT_PROJECT_ADMIN)
    return invoice


def _company_for_approver(user: User, company_id: int) -> Company:
    company = access_erp_integrations(user, company_id)
    if not is_accounting_approver(user, company):
        raise ActionRefused(NOT_ACCOUNTING_APPROVER, Code.NOT_ACCOUNTING_APPROVER)
    return company
