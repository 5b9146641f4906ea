"""The export document of an invoice, shaped for the company's ERP system.

Amounts travel as strings with two decimals ("1234.50"), never as floats. Each line's
amounts come from `invoices.amounts` (computed once per line, rounded to cents there),
and the document's totals are sums of the lines it exports, so the ERP's totals always
equal its lines.

The document holds nothing that changes between two deliveries of the same export (no
timestamps), so delivering it twice sends the same bytes. It lists the invoice's
attachments (name, type, size, SHA-256, and the `file_name` the file connector writes
each one under); the HTTP connector adds each one's signed download link when it
delivers, since those links expire.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from erp_integrations.connectors.base import PermanentExportError
from erp_integrations.models import ExportItem
from erp_integrations.systems import (
    COMMITMENT_NUMBER,
    COMMITMENT_TITLE,
    VENDOR_NAME,
    SystemProfile,
    profile_for,
    send_refusals,
)
from invoices.amounts import (
    ZERO,
    InvoiceAmounts,
    LineAmounts,
    invoice_amounts,
    percent_of,
    to_cents,
)
from invoices.models import InvoiceAttachment, InvoiceLine

INVOICE_CHANGED = (
    "The invoice changed after it was sent (revision {current}, sent at revision {sent}). "
    "Reject it so that it can be sent again."
)
NO_ERP_CONNECTION = (
    "{company} has no ERP connection. Ask your company admin to set one up, then retry."
)
NO_LINES = "The invoice has no lines, so there is nothing to export."
NO_LONGER_ACCEPTED = "Checked again at export: {reasons}"

# Money fields of a line, in document order; a line carries those its system exports.
MONEY_FIELDS = ("work_completed", "materials_stored", "amount", "retainage", "tax", "net_amount")


def money(amount: Decimal) -> str:
    return str(to_cents(amount))


def build_document(
    export_item: ExportItem,
    *,
    attachments: Sequence[InvoiceAttachment] | None = None,
    amounts: InvoiceAmounts | None = None,
) -> dict:
    """The JSON-ready document that exports `export_item`'s invoice. Pass the invoice's
    `attachments` and `amounts` when they are loaded already (an ERP agent's claim builds
    many documents from one query each).

    Raises PermanentExportError when the invoice cannot be exported as it stands (it
    changed after it was sent, it has no lines, or the ERP system's rules now refuse it,
    e.g. because the connection's settings changed).
    """
    invoice = export_item.invoice
    commitment = invoice.commitment
    project = commitment.project
    company = export_item.company
    connection = getattr(company, "erp_connection", None)
    if connection is None:
        raise PermanentExportError(NO_ERP_CONNECTION.format(company=company))
    if invoice.revision != export_item.invoice_revision:
        raise PermanentExportError(
            INVOICE_CHANGED.format(current=invoice.revision, sent=export_item.invoice_revision)
        )
    if amounts is None:
        amounts = invoice_amounts(invoice)
    if not amounts.lines:
        raise PermanentExportError(NO_LINES)
    reasons = send_refusals(invoice=invoice, totals=amounts.totals, connection=connection)
    if reasons:
        raise PermanentExportError(NO_LONGER_ACCEPTED.format(reasons=" ".join(reasons)))

    if attachments is None:
        attachments = invoice_attachments_for_export(invoice.pk)
    profile = profile_for(connection.system)
    lines = [_line(profile, line, line_amounts) for line, line_amounts in amounts.lines]
    if profile.retainage_on_item:
        lines.append(_retainage_item_line(connection.retainage_item, amounts.totals, profile))
    return {
        "header": {
            "document_type": profile.document_type,
            "erp_system": profile.system.value,
            "idempotency_key": str(export_item.idempotency_key),
            "company": company.name,
            "project_number": project.number,
            "project_name": project.name,
            "erp_job_id": project.erp_job_id,
            # Cut to the system's length where it cuts longer texts (see systems.py).
            "commitment_number": profile.exported_text(COMMITMENT_NUMBER, commitment),
            "commitment_title": profile.exported_text(COMMITMENT_TITLE, commitment),
            "commitment_erp_reference": commitment.erp_reference,
            "vendor": profile.exported_text(VENDOR_NAME, commitment),
            "erp_vendor_id": commitment.vendor.erp_vendor_id,
            "invoice_id": invoice.pk,
            "invoice_number": invoice.label,
            "billing_period_start": invoice.billing_period_start.isoformat(),
            "billing_period_end": invoice.billing_period_end.isoformat(),
            "billing_date": invoice.billing_date.isoformat(),
        },
        "lines": lines,
        "totals": _totals(lines),
        "attachments": [attachment_entry(attachment) for attachment in attachments],
    }


def invoice_attachments_for_export(invoice_id: int) -> list[InvoiceAttachment]:
    """The invoice's attachments in the order the export lists them (oldest first)."""
    return list(InvoiceAttachment.objects.filter(invoice_id=invoice_id).order_by("pk"))


def attachment_entry(attachment: InvoiceAttachment) -> dict:
    return {
        "id": attachment.pk,
        "name": attachment.original_name,
        # Unique within the export (the id comes first) and safe as a file name: the
        # original name is cleaned of separators and control characters when uploaded.
        "file_name": f"{attachment.pk}-{attachment.original_name}",
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def _line(profile: SystemProfile, line: InvoiceLine, amounts: LineAmounts) -> dict:
    sov_line = line.sov_line
    work = amounts.work_completed_this_period
    if profile.ignores_stored_materials:
        materials = ZERO
        retainage = percent_of(work, line.work_retainage_percent)
    else:
        materials = amounts.materials_presently_stored
        retainage = amounts.retainage_this_period
    amount = work + materials
    exported: dict[str, Decimal] = {}
    if not profile.combines_stored_materials:
        exported["work_completed"] = work
        if not profile.ignores_stored_materials:
            exported["materials_stored"] = materials
    exported["amount"] = amount
    if profile.retainage_on_item:
        # The retainage travels on its own line (the retainage item), not on each line.
        exported["net_amount"] = amount
    else:
        exported["retainage"] = retainage
        exported["net_amount"] = amount - retainage
    if profile.exports_tax:
        # Invoices carry no tax of their own; systems that expect the field get zero.
        exported["tax"] = ZERO
    return {
        "line_type": "sov",
        "cost_code": sov_line.cost_code,
        "description": sov_line.description,
        "scheduled_value": money(sov_line.scheduled_value),
        **{name: money(exported[name]) for name in MONEY_FIELDS if name in exported},
    }


def _retainage_item_line(item: str, totals: LineAmounts, profile: SystemProfile) -> dict:
    retainage = totals.retainage_this_period
    line = {
        "line_type": "retainage",
        "item": item,
        "description": "Retainage",
        "amount": money(-retainage),
        "net_amount": money(-retainage),
    }
    if profile.exports_tax:
        line["tax"] = money(ZERO)
    return line


def _totals(lines: list[dict]) -> dict[str, str]:
    totals = {}
    for name in MONEY_FIELDS:
        values = [Decimal(line[name]) for line in lines if name in line]
        if values:
            totals[name] = money(sum(values, ZERO))
    return totals
