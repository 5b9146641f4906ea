"""Querysets for the commitment pages. Every figure a table shows comes from the database
in the same query as its rows (aggregating subqueries), so a page costs the same number
of queries however many rows it has."""

from __future__ import annotations

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

from commitments.models import Commitment, SovLine
from commitments.permissions import visible_commitments
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceAttachment, InvoiceLine
from projects.models import Project, Vendor
from projects.permissions import User

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0.00"), output_field=MONEY)


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


def vendors_for_tool(user: User, project: Project) -> QuerySet[Vendor]:
    """The Contract company filter's choices: the vendors of the commitments `user` sees
    in the Commitments tool (the same rule as its rows), so a vendor whose only
    commitment is private to others is not named."""
    return Vendor.objects.filter(
        pk__in=visible_commitments(user, project).values("vendor_id")
    ).order_by("name")


def commitment_invoices(commitment: Commitment) -> QuerySet[Invoice]:
    """The commitment's invoices by number, each with its `attachment_count` (the
    paperclip), counted in the same query."""
    attachment_count = (
        InvoiceAttachment.objects.filter(invoice_id=OuterRef("pk"))
        .order_by()
        .values("invoice_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return commitment.invoices.annotate(
        attachment_count=Coalesce(
            Subquery(attachment_count, output_field=IntegerField()),
            Value(0),
            output_field=IntegerField(),
        )
    ).order_by("number")


def commitment_sov_lines(commitment: Commitment) -> QuerySet[SovLine]:
    return commitment.sov_lines.order_by("position", "pk")


def commitment_history(commitment: Commitment) -> QuerySet[ChangeHistoryEntry]:
    """The change history of every invoice of the commitment, newest first, with what
    each row shows: its invoice (and the invoice's commitment, for its link) and who
    made the change."""
    return (
        ChangeHistoryEntry.objects.filter(invoice__commitment=commitment)
        .select_related("invoice__commitment", "action_by")
        .order_by("-created_at", "-pk")
    )
