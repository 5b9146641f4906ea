"""The demo's invoice attachments: a signed pay application on the first four invoices of
SC-001 and a conditional lien waiver on two of them, generated as PDFs at seed time
(`demo.documents`), so the approver's review has backup to read. Nothing is
downloaded.

They are written as rows directly, like the rest of the demo's history: the service
refuses to attach anything to an invoice that is already exported, as two of these are.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.files.base import ContentFile

from commitments.models import Commitment
from demo.documents import text_pdf
from invoices.amounts import invoice_amounts
from invoices.attachments import HISTORY_CHANGED
from invoices.history import history_entry, record_history
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceAttachment

PAY_APPLICATION = "pay application"
LIEN_WAIVER = "lien waiver"


@dataclass(frozen=True)
class DemoAttachment:
    project_number: str
    commitment_number: str
    invoice_number: int
    kind: str
    added_by: str

    def file_name(self, invoice: Invoice) -> str:
        if self.kind == PAY_APPLICATION:
            return f"Pay Application {invoice.label} signed.pdf"
        return f"Conditional Lien Waiver {invoice.label}.pdf"


DEMO_ATTACHMENTS = (
    *(
        DemoAttachment("RMC-101", "SC-001", number, PAY_APPLICATION, "sam")
        for number in (1, 2, 3, 4)
    ),
    DemoAttachment("RMC-101", "SC-001", 1, LIEN_WAIVER, "sam"),
    DemoAttachment("RMC-101", "SC-001", 3, LIEN_WAIVER, "sam"),
)


def _money(amount) -> str:
    return f"${amount:,.2f}"


def _document(spec: DemoAttachment, invoice: Invoice) -> bytes:
    commitment = invoice.commitment
    totals = invoice_amounts(invoice).totals
    period = f"{invoice.billing_period_start:%b %d, %Y} to {invoice.billing_period_end:%b %d, %Y}"
    if spec.kind == PAY_APPLICATION:
        lines = [
            f"Application and Certificate for Payment {invoice.label}",
            f"Project: {commitment.project.name} ({commitment.project.number})",
            f"Subcontract: {commitment.number} {commitment.title}",
            f"Contractor: {commitment.vendor.name}",
            f"Period: {period}",
            f"Completed and stored to date: {_money(totals.total_completed_and_stored)}",
            f"Retainage held: {_money(totals.retainage_held)}",
            f"Current payment due: {_money(totals.current_payment_due)}",
            "Signed for the contractor by its project manager.",
        ]
    else:
        lines = [
            "Conditional Waiver and Release on Progress Payment",
            f"Claimant: {commitment.vendor.name}",
            f"Job: {commitment.project.name} ({commitment.project.number})",
            f"Through: {invoice.billing_period_end:%b %d, %Y}",
            f"Amount of payment: {_money(totals.current_payment_due)}",
            "This release is effective only upon receipt of the payment.",
        ]
    return text_pdf(lines, title=lines[0])


def seed_demo_attachments(
    report,
    commitments: dict[tuple[str, str], Commitment],
    users: dict[str, User],
) -> None:
    """Attach each demo document its invoice does not have yet (by name)."""
    for spec in DEMO_ATTACHMENTS:
        commitment = commitments[spec.project_number, spec.commitment_number]
        invoice = Invoice.objects.select_related("commitment__project", "commitment__vendor").get(
            commitment=commitment, number=spec.invoice_number
        )
        name = spec.file_name(invoice)
        if invoice.attachments.filter(original_name=name).exists():
            report.record("attachments", created=False)
            continue
        content = _document(spec, invoice)
        attachment = InvoiceAttachment(
            invoice=invoice,
            original_name=name,
            size=len(content),
            content_type="application/pdf",
            sha256=hashlib.sha256(content).hexdigest(),
            added_by=users[spec.added_by],
        )
        attachment.file.save(name, ContentFile(content), save=False)
        attachment.save()
        # Added on the billing date, when the subcontractor submitted the invoice.
        added_at = datetime.datetime.combine(
            invoice.billing_period_end, datetime.time(16, 30), tzinfo=datetime.UTC
        )
        InvoiceAttachment.objects.filter(pk=attachment.pk).update(added_at=added_at)
        entry = history_entry(
            invoice, action_by=users[spec.added_by], changed=HISTORY_CHANGED, to_value=name
        )
        record_history([entry])
        ChangeHistoryEntry.objects.filter(pk=entry.pk).update(created_at=added_at)
        report.record("attachments", created=True)
