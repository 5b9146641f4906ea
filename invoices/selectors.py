"""Querysets for the invoice pages."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from invoices.models import ChangeHistoryEntry, Invoice, InvoiceAttachment


def invoice_latest_export_item(invoice: Invoice):
    """The invoice's latest sending to ERP Integrations (with who sent, decided and
    retrieved it), or None when it was never sent."""
    return (
        invoice.export_items.select_related("sent_by", "decided_by", "retrieved_by", "unlinked_by")
        .order_by("-sent_at", "-pk")
        .first()
    )


def invoice_history(invoice: Invoice) -> QuerySet[ChangeHistoryEntry]:
    """The invoice's change history, newest first."""
    return invoice.history.select_related("action_by").order_by("-created_at", "-pk")


def invoice_attachments(invoice_id: int) -> list[InvoiceAttachment]:
    """The invoice's attachments, oldest first, each with `download_url` (the download
    view of the invoice page, which the approver's review links to as well)."""
    from django.urls import reverse

    attachments = list(
        InvoiceAttachment.objects.filter(invoice_id=invoice_id)
        .select_related("added_by", "invoice__commitment")
        .order_by("added_at", "pk")
    )
    for attachment in attachments:
        commitment = attachment.invoice.commitment
        # Carried on the row for the templates; not a field of the model.
        attachment.download_url = reverse(  # type: ignore[attr-defined]
            "invoices:attachment",
            args=[commitment.project_id, commitment.pk, invoice_id, attachment.pk],
        )
    return attachments


def attachment_count_of(invoice_ref: OuterRef) -> Coalesce:
    """An annotation: how many attachments the invoice `invoice_ref` names has, as a
    subquery of the row's own query (no query per row)."""
    counted = (
        InvoiceAttachment.objects.filter(invoice_id=invoice_ref)
        .order_by()
        .values("invoice_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(
        Subquery(counted, output_field=IntegerField()), Value(0), output_field=IntegerField()
    )
