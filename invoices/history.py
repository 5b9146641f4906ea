"""Writing an invoice's change history. Rows are only ever added."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import User

from invoices.models import ChangeHistoryEntry, Invoice, InvoiceErpStatus

# What the Changed column says for the rows the ERP Integrations workflow writes, by hand
# (send, retrieve, accept, reject, retry, unlink) or by the export (synced, failed).
ERP_STATUS_CHANGE = "ERP Status"
REJECTION_REASON_CHANGE = "Rejection Reason"
UNLINK_REASON_CHANGE = "Unlink Reason"
# Unlink: the ERP reference the invoice no longer has (it stays on the export item too).
ERP_REFERENCE_CHANGE = "ERP Reference"


def history_entry(
    invoice: Invoice,
    *,
    action_by: User | None,
    changed: str,
    from_value: str = "",
    to_value: str = "",
    batch_id: uuid.UUID | None = None,
) -> ChangeHistoryEntry:
    """An unsaved row; `record_history` saves many in one query."""
    return ChangeHistoryEntry(
        invoice=invoice,
        action_by=action_by,
        changed=changed,
        from_value=from_value,
        to_value=to_value,
        batch_id=batch_id,
    )


def record_history(entries: Iterable[ChangeHistoryEntry]) -> None:
    ChangeHistoryEntry.objects.bulk_create(list(entries))


def erp_status_entry(
    invoice: Invoice,
    *,
    to_status: str,
    action_by: User | None,
    batch_id: uuid.UUID | None = None,
) -> ChangeHistoryEntry:
    """An unsaved row for the invoice's ERP status moving from what it is now to
    `to_status`; build it before the invoice's `erp_status` changes."""
    return history_entry(
        invoice,
        action_by=action_by,
        changed=ERP_STATUS_CHANGE,
        from_value=InvoiceErpStatus(invoice.erp_status).label,
        to_value=InvoiceErpStatus(to_status).label,
        batch_id=batch_id,
    )
