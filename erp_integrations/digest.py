"""What the daily ERP digest tells a company's accounting approvers: per project, how many
invoices wait in Ready to Export and the amount due on them, the oldest one waiting, and
the exports that failed.

A company's digest costs the same few queries (DIGEST_QUERIES) however many items wait
and in however many projects: the amounts are summed from one read of the waiting
invoices' lines, line by line as the queue sums them (`invoices.amounts.add_period_line`),
so the digest's figures are the queue's figures.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Q

from erp_integrations.models import ExportItem, ExportState
from invoices.amounts import PeriodAmounts, add_period_line
from invoices.models import InvoiceLine
from projects.models import Company

# The failed exports the email names one by one; beyond them it says how many more.
FAILED_LISTED = 20
# Queries to build one company's digest: the per-project counts, the waiting invoices'
# lines, the oldest waiting item and the failed items listed (fewer when nothing waits or
# nothing failed).
DIGEST_QUERIES = 4


@dataclass(frozen=True)
class ProjectDigest:
    project_id: int
    name: str
    number: str
    waiting: int
    failed: int
    amount_due: Decimal
    oldest_sent_at: datetime.datetime | None


@dataclass(frozen=True)
class CompanyDigest:
    company: Company
    projects: list[ProjectDigest]
    oldest: ExportItem | None
    failed_items: list[ExportItem]
    failed_count: int

    @property
    def waiting_count(self) -> int:
        return sum(project.waiting for project in self.projects)

    @property
    def amount_due(self) -> Decimal:
        return sum((project.amount_due for project in self.projects), Decimal("0.00"))

    @property
    def is_empty(self) -> bool:
        """Nothing waits and nothing failed: no digest to send about this company."""
        return not self.waiting_count and not self.failed_count

    @property
    def waiting_projects(self) -> list[ProjectDigest]:
        return [project for project in self.projects if project.waiting]

    @property
    def failed_not_listed(self) -> int:
        return self.failed_count - len(self.failed_items)


def _amounts_due_by_project(company: Company) -> dict[int, Decimal]:
    """The current payment due of the company's Ready to Export invoices, per project.
    An invoice has at most one active export item (`one_active_export_item_per_invoice`),
    so the join counts each line once."""
    lines = InvoiceLine.objects.filter(
        invoice__export_items__company=company,
        invoice__export_items__state=ExportState.READY_TO_EXPORT,
    ).values_list(
        "invoice__commitment__project_id",
        "work_completed_this_period",
        "materials_presently_stored",
        "work_retainage_percent",
        "materials_retainage_percent",
    )
    sums: dict[int, PeriodAmounts] = defaultdict(PeriodAmounts)
    for project_id, *line in lines:
        sums[project_id] = add_period_line(sums[project_id], *line)
    return {project_id: amounts.current_payment_due for project_id, amounts in sums.items()}


def company_digest(company: Company) -> CompanyDigest:
    """The company's digest as it stands now (DIGEST_QUERIES queries)."""
    ready = Q(state=ExportState.READY_TO_EXPORT)
    failed = Q(state=ExportState.FAILED_TO_EXPORT)
    per_project = (
        ExportItem.objects.filter(ready | failed, company=company)
        .values(
            "invoice__commitment__project_id",
            "invoice__commitment__project__name",
            "invoice__commitment__project__number",
        )
        .annotate(
            waiting=Count("pk", filter=ready),
            failed=Count("pk", filter=failed),
            oldest_sent_at=Min("sent_at", filter=ready),
        )
        .order_by("invoice__commitment__project__name", "invoice__commitment__project__number")
    )
    rows = list(per_project)
    amounts = _amounts_due_by_project(company) if any(row["waiting"] for row in rows) else {}
    projects = [
        ProjectDigest(
            project_id=row["invoice__commitment__project_id"],
            name=row["invoice__commitment__project__name"],
            number=row["invoice__commitment__project__number"],
            waiting=row["waiting"],
            failed=row["failed"],
            amount_due=amounts.get(row["invoice__commitment__project_id"], Decimal("0.00")),
            oldest_sent_at=row["oldest_sent_at"],
        )
        for row in rows
    ]
    with_details = ExportItem.objects.filter(company=company).select_related(
        "invoice__commitment__project", "sent_by"
    )
    oldest = (
        with_details.filter(ready).order_by("sent_at", "pk").first()
        if any(project.waiting for project in projects)
        else None
    )
    failed_count = sum(project.failed for project in projects)
    failed_items = (
        list(with_details.filter(failed).order_by("-sent_at", "-pk")[:FAILED_LISTED])
        if failed_count
        else []
    )
    return CompanyDigest(
        company=company,
        projects=projects,
        oldest=oldest,
        failed_items=failed_items,
        failed_count=failed_count,
    )
