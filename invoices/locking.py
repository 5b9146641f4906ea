"""Why an invoice is locked, in words for the lock banner and for refused edits."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateformat import format as format_date

from invoices.models import Invoice, InvoiceErpStatus


def display_name(user) -> str:
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


def lock_message(invoice: Invoice, active_item=None) -> str | None:
    """None when the invoice may be edited; otherwise who locked it, when, and until
    when. Pass the invoice's active export item when it is already loaded."""
    if not invoice.is_locked:
        return None
    if active_item is None:
        from erp_integrations.models import ACTIVE_EXPORT_STATES

        active_item = (
            invoice.export_items.filter(state__in=ACTIVE_EXPORT_STATES)
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
