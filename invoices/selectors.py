"""Querysets for the invoice pages."""

from __future__ import annotations

from django.db.models import QuerySet

from invoices.models import ChangeHistoryEntry, Invoice


def invoice_latest_export_item(invoice: Invoice):
    """The invoice's latest sending to ERP Integrations (with who sent, decided and
    retrieved it), or None when it was never sent."""
    return (
        invoice.export_items.select_related("sent_by", "decided_by", "retrieved_by")
        .order_by("-sent_at", "-pk")
        .first()
    )


def invoice_history(invoice: Invoice) -> QuerySet[ChangeHistoryEntry]:
    """The invoice's change history, newest first."""
    return invoice.history.select_related("action_by").order_by("-created_at", "-pk")
