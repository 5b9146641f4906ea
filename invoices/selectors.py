"""Querysets for the invoice pages, and for the commitment pages' figures that come
from invoices. Every figure a table shows comes from the database in the same query as
its rows (aggregating subqueries), so a page costs the same number of queries however
many rows it has."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.urls import reverse

from commitments.models import Commitment, SovLine
from commitments.permissions import visible_commitments
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceAttachment, InvoiceLine
from projects.models import Project
from projects.permissions import User

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


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


# --- The commitment pages -----------------------------------------------------------


def _sum_per_commitment(queryset: QuerySet, commitment_field: str, amount) -> Coalesce:
    """SUM(amount) of the rows of `queryset` that belong to the outer commitment."""
    total = (
        queryset.filter(**{commitment_field: OuterRef("pk")})
        .order_by()
        .values(commitment_field)
        .annotate(total=Sum(amount, output_field=MONEY))
        .values("total")
    )
    return Coalesce(Subquery(total, output_field=MONEY), ZERO, output_field=MONEY)


def commitments_for_tool(user: User, project: Project) -> QuerySet[Commitment]:
    """The project's commitments `user` may see (private ones only for those allowed),
    with their vendor and two totals: the scheduled value of their SOV lines, and what
    their invoices have billed to date (work completed plus materials stored)."""
    return (
        visible_commitments(user, project)
        .select_related("vendor")
        .annotate(
            scheduled_value_total=_sum_per_commitment(
                SovLine.objects.all(), "commitment", "scheduled_value"
            ),
            invoiced_to_date=_sum_per_commitment(
                InvoiceLine.objects.all(),
                "invoice__commitment",
                F("work_completed_this_period") + F("materials_presently_stored"),
            ),
        )
        .order_by("number")
    )


def commitment_invoices(commitment: Commitment) -> QuerySet[Invoice]:
    """The commitment's invoices by number, each with its `attachment_count` (the
    paperclip), counted in the same query."""
    return commitment.invoices.annotate(
        attachment_count=attachment_count_of(OuterRef("pk"))
    ).order_by("number")


def commitment_history(commitment: Commitment) -> QuerySet[ChangeHistoryEntry]:
    """The change history of every invoice of the commitment, newest first, with what
    each row shows: its invoice (and the invoice's commitment, for its link) and who
    made the change."""
    return (
        ChangeHistoryEntry.objects.filter(invoice__commitment=commitment)
        .select_related("invoice__commitment", "action_by")
        .order_by("-created_at", "-pk")
    )


# --- The Invoicing tool -------------------------------------------------------------------


def project_invoices(user: User, project: Project) -> QuerySet[Invoice]:
    """Every invoice of the project's commitments that `user` sees (`visible_commitments`:
    a private commitment's invoices only for those who see it), with its commitment and
    project and vendor, and its `attachment_count` counted in the same query."""
    return (
        Invoice.objects.filter(commitment__in=visible_commitments(user, project))
        .select_related("commitment__project", "commitment__vendor")
        .annotate(attachment_count=attachment_count_of(OuterRef("pk")))
    )


def billing_period_months(user: User, project: Project) -> list[datetime.date]:
    """The months in which the billing periods of the invoices `user` sees on the
    project end, newest first, in one query: the Invoicing tool's billing period
    choices (so they name no month of a private commitment's invoices only)."""
    invoices = Invoice.objects.filter(commitment__in=visible_commitments(user, project))
    return list(invoices.dates("billing_period_end", "month", order="DESC"))
