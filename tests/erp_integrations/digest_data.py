"""A company's queue at volume for the digest's tests: Ready to Export and Failed to
Export items spread over many projects, written with bulk_create so that thousands of
items take a moment."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.utils import timezone

from commitments.models import Commitment, SovLine
from erp_integrations.models import ExportItem, ExportState
from invoices.models import Invoice, InvoiceErpStatus, InvoiceLine, InvoiceStatus
from projects.models import Company
from tests.factories import CommitmentFactory, ProjectFactory, SovLineFactory


def fill_queue(
    company: Company,
    *,
    sender: User,
    projects: int,
    waiting: int,
    failed: int = 0,
    now: datetime.datetime | None = None,
) -> list[ExportItem]:
    """`waiting` Ready to Export and `failed` Failed to Export items over `projects` new
    projects of the company, round robin, one commitment each; each invoice has two lines.
    Item i was sent i hours before `now`, so the first is the newest."""
    now = now or timezone.now()
    commitments: list[Commitment] = []
    sov_lines: dict[int, list[SovLine]] = {}
    for _ in range(projects):
        commitment = CommitmentFactory.create(project=ProjectFactory.create(company=company))
        commitments.append(commitment)
        sov_lines[commitment.pk] = [SovLineFactory.create(commitment=commitment) for _ in range(2)]
    total = waiting + failed
    numbers = {commitment.pk: 0 for commitment in commitments}
    invoices = []
    for index in range(total):
        commitment = commitments[index % projects]
        numbers[commitment.pk] += 1
        state = ExportState.READY_TO_EXPORT if index < waiting else ExportState.FAILED_TO_EXPORT
        invoices.append(
            Invoice(
                commitment=commitment,
                number=numbers[commitment.pk],
                billing_period_start=datetime.date(2026, 10, 1),
                billing_period_end=datetime.date(2026, 10, 31),
                billing_date=datetime.date(2026, 10, 31),
                status=InvoiceStatus.APPROVED,
                erp_status=InvoiceErpStatus(state),
                created_by=sender,
            )
        )
    invoices = Invoice.objects.bulk_create(invoices, batch_size=1000)
    lines = []
    for index, invoice in enumerate(invoices):
        first, second = sov_lines[invoice.commitment_id]
        lines += [
            InvoiceLine(
                invoice=invoice,
                sov_line=first,
                work_completed_this_period=Decimal("100.05") + index % 7,
                materials_presently_stored=Decimal("5.55") if index % 3 == 0 else Decimal("0"),
                work_retainage_percent=Decimal("10.00"),
                materials_retainage_percent=Decimal("5.00"),
            ),
            InvoiceLine(
                invoice=invoice,
                sov_line=second,
                work_completed_this_period=Decimal("33.33"),
                materials_presently_stored=Decimal("0"),
                work_retainage_percent=Decimal("7.50"),
                materials_retainage_percent=Decimal("0"),
            ),
        ]
    InvoiceLine.objects.bulk_create(lines, batch_size=2000)
    items = [
        ExportItem(
            invoice=invoice,
            company=company,
            state=invoice.erp_status,
            invoice_revision=invoice.revision,
            sent_by=sender,
            sent_at=now - datetime.timedelta(hours=index),
            last_error=(f"ERP refused document {index}" if index >= waiting else ""),
            decided_by=sender if index >= waiting else None,
            decided_at=now if index >= waiting else None,
        )
        for index, invoice in enumerate(invoices)
    ]
    return ExportItem.objects.bulk_create(items, batch_size=1000)
