"""Invoice row locks (`lock_invoices`, the one way to take them) and why an invoice is
locked, in words for the lock banner and for refused edits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as format_date

from core.display import display_name
from invoices.models import ERP_WORKFLOW, Invoice, InvoiceErpStatus


def lock_invoices(
    where: Q, *, select_related: Sequence[str] = (), skip_locked: bool = False
) -> list[Invoice]:
    """Take the row locks of the invoices `where` selects and return them as they are now,
    in the lock order. The caller is inside `transaction.atomic`; the locks hold until it
    ends. Only the invoice rows are locked, not the rows `select_related` joins in.

    The lock order, kept by every path that locks invoice rows (the pages' services, the
    ERP actions, the export worker, Django admin):
    1. the owner's row first when the path locks one (the commitment when numbering a
       new invoice or saving it in admin; the project, vendor or company in admin);
    2. then the invoices, in one query, by primary key;
    3. then their export items, by primary key.
    Two transactions that lock overlapping invoices therefore take the common rows in the
    same order: the second waits for the first instead of deadlocking with it.

    With `skip_locked` a row another transaction holds is left out instead of waited for
    (PostgreSQL; elsewhere it waits)."""
    invoices = Invoice.objects.select_for_update(of=("self",), skip_locked=skip_locked)
    if select_related:
        invoices = invoices.select_related(*select_related)
    return list(invoices.filter(where).order_by("pk"))


def lock_message(invoice: Invoice, active_item=None) -> str | None:
    """None when the invoice may be edited; otherwise who locked it, when, and until
    when. Pass the invoice's active export item when it is already loaded."""
    if not invoice.is_locked:
        return None
    if active_item is None:
        active_item = (
            invoice.export_items.filter(state__in=ERP_WORKFLOW.locked_statuses)
            .select_related("sent_by")
            .first()
        )
    label = invoice.label
    match invoice.erp_status:
        case InvoiceErpStatus.READY_TO_EXPORT:
            sent = ""
            if active_item is not None:
                when = format_date(timezone.localtime(active_item.sent_at), "M j, Y \\a\\t g:i A")
                sent = (
                    f" {display_name(active_item.sent_by)} sent it to ERP Integrations on {when}."
                )
            return (
                f"{label} is locked:{sent or ' it is in ERP Integrations.'} It stays locked "
                "until the accounting approver accepts or rejects it, or it is retrieved "
                "from ERP."
            )
        case InvoiceErpStatus.EXPORTING if getattr(active_item, "sent_directly", False):
            return (
                f"{label} is locked: it was sent with Direct Export, accepted as it was "
                "sent, and it is being exported to the ERP."
            )
        case InvoiceErpStatus.FAILED_TO_EXPORT if getattr(active_item, "sent_directly", False):
            return (
                f"{label} is locked: it was sent with Direct Export but its export failed. "
                "It stays locked until the accounting approver retries the export or "
                "rejects it."
            )
        case InvoiceErpStatus.EXPORTING:
            return (
                f"{label} is locked: the accounting approver accepted it and it is being "
                "exported to the ERP."
            )
        case InvoiceErpStatus.FAILED_TO_EXPORT:
            return (
                f"{label} is locked: the accounting approver accepted it but its export "
                "failed. It stays locked until the accounting approver retries the export "
                "or rejects it."
            )
        case _:
            return f"{label} is locked: it was exported to the ERP and can no longer change."


# An earlier invoice's lines make up a later invoice's previous work completed and
# retainage held, so editing them would change the figures of a later invoice that is
# locked. The last sentence says what unlocks the earlier invoice.
LATER_INVOICE_LOCKED = (
    "{label} cannot be edited while a later invoice of {commitment} is in ERP "
    "Integrations ({later}): its previous work completed comes from {label}. "
    "Retrieve {later} first."
)
LATER_INVOICE_WITH_APPROVER = (
    "{label} cannot be edited while a later invoice of {commitment} is in ERP "
    "Integrations ({later}): its previous work completed comes from {label}. "
    "It can be edited once the accounting approver rejects {later}."
)
LATER_INVOICE_EXPORTED = (
    "{label} cannot be edited: a later invoice of {commitment} was exported to the ERP "
    "({later}), and its previous work completed comes from {label}."
)


def later_locked_invoices(
    invoice: Invoice, later: Iterable[Invoice] | None = None
) -> list[Invoice]:
    """The locked invoices of the invoice's commitment numbered after it, by number.
    Pass `later` (the commitment's later invoices, e.g. just row-locked) to skip the
    query."""
    if later is None:
        later = Invoice.objects.filter(
            commitment_id=invoice.commitment_id,
            number__gt=invoice.number,
            erp_status__in=ERP_WORKFLOW.locked_statuses,
        )
    return sorted(
        (other for other in later if other.number > invoice.number and other.is_locked),
        key=lambda other: other.number,
    )


def edit_lock_message(
    invoice: Invoice, *, later: Iterable[Invoice] | None = None, active_item=None
) -> str | None:
    """None when the invoice's amounts may be edited; otherwise why not: the invoice's
    own lock (`lock_message`), or a locked later invoice of the same commitment whose
    previous work completed comes from this one."""
    own = lock_message(invoice, active_item)
    if own:
        return own
    locked = later_locked_invoices(invoice, later)
    if not locked:
        return None
    statuses = {other.erp_status for other in locked}
    if InvoiceErpStatus.SYNCED in statuses:
        template = LATER_INVOICE_EXPORTED
        locked = [other for other in locked if other.erp_status == InvoiceErpStatus.SYNCED]
    elif statuses == {InvoiceErpStatus.READY_TO_EXPORT}:
        template = LATER_INVOICE_LOCKED
    else:
        template = LATER_INVOICE_WITH_APPROVER
    return template.format(
        label=invoice.label,
        commitment=invoice.commitment.number,
        later=", ".join(other.label for other in locked),
    )


def lock_for_edit(invoice: Invoice) -> list[Invoice]:
    """Take the row locks an edit of the invoice's amounts needs (caller is inside
    `transaction.atomic`): the invoice's own and those of the commitment's later invoices,
    whose figures it feeds, in one `lock_invoices` query, so an edit and a send of a
    later invoice serialize instead of deadlocking.

    The invoice's own fields are refreshed in place from its locked row; returns the
    later invoices as they are now (pass them to `edit_lock_message`). Raises
    Invoice.DoesNotExist when the invoice is gone. An invoice's number never changes
    after it is created (no service renumbers, admin keeps it read-only), so the number
    read before waiting for the locks still picks the right later invoices."""
    rows = lock_invoices(
        Q(pk=invoice.pk) | Q(commitment_id=invoice.commitment_id, number__gt=invoice.number)
    )
    current = next((row for row in rows if row.pk == invoice.pk), None)
    if current is None:
        raise Invoice.DoesNotExist
    for field in Invoice._meta.concrete_fields:
        setattr(invoice, field.attname, getattr(current, field.attname))
    return [row for row in rows if row.number > invoice.number]
