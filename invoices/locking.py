"""Why an invoice is locked, in words for the lock banner and for refused edits."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone
from django.utils.dateformat import format as format_date

from core.display import display_name
from invoices.models import ERP_WORKFLOW, Invoice, InvoiceErpStatus


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
    whose figures it feeds. One query, in primary key order like every other path that
    locks several invoices (the ERP services, the admin), so an edit and a send of a
    later invoice serialize instead of deadlocking.

    The invoice's own fields are refreshed in place from its locked row; returns the
    later invoices as they are now (pass them to `edit_lock_message`). Raises
    Invoice.DoesNotExist when the invoice is gone. An invoice's number never changes
    after it is created (no service renumbers, admin keeps it read-only), so the number
    read before waiting for the locks still picks the right later invoices."""
    rows = list(
        Invoice.objects.select_for_update(of=("self",))
        .filter(
            Q(pk=invoice.pk) | Q(commitment_id=invoice.commitment_id, number__gt=invoice.number)
        )
        .order_by("pk")
    )
    current = next((row for row in rows if row.pk == invoice.pk), None)
    if current is None:
        raise Invoice.DoesNotExist
    for field in Invoice._meta.concrete_fields:
        setattr(invoice, field.attname, getattr(current, field.attname))
    return [row for row in rows if row.number > invoice.number]
