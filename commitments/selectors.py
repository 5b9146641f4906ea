"""Querysets for the commitment pages that need nothing above commitments. Those that
count or sum invoices (the tool's totals, a commitment's invoices and history) are in
invoices/selectors.py."""

from __future__ import annotations

from django.db.models import QuerySet

from commitments.models import Commitment, SovLine
from commitments.permissions import visible_commitments
from projects.models import Project, Vendor
from projects.permissions import User


def vendors_for_tool(user: User, project: Project) -> QuerySet[Vendor]:
    """The Contract company filter's choices: the vendors of the commitments `user` sees
    in the Commitments tool (the same rule as its rows), so a vendor whose only
    commitment is private to others is not named."""
    return Vendor.objects.filter(
        pk__in=visible_commitments(user, project).values("vendor_id")
    ).order_by("name")


def commitment_sov_lines(commitment: Commitment) -> QuerySet[SovLine]:
    return commitment.sov_lines.order_by("position", "pk")
