"""A small company with every role of DESIGN.md, for workflow and page tests."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from commitments.models import Commitment
from commitments.services import commitment_add_invoice_contact
from erp_integrations.models import ExportItem, ExportState
from invoices.models import Invoice, InvoiceErpStatus, InvoiceStatus
from projects.models import Company, Project, ToolLevel
from projects.services import (
    company_set_erp_integrations_level,
    company_set_push_to_accounting,
    project_set_commitments_level,
)
from tests.factories import (
    CommitmentFactory,
    ErpConnectionFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SovLineFactory,
    UserFactory,
    VendorEmployeeFactory,
)

ROLES = (
    "project_admin",
    "standard",
    "read_only",
    "invoice_contact",
    "approver",
    "erp_standard_without_push",
    "outsider",
    "superuser",
)


@dataclass
class World:
    company: Company
    project: Project
    commitment: Commitment
    users: dict

    def invoice(self, *, status=InvoiceStatus.APPROVED, erp_state=None, lines=1, **kwargs):
        """An invoice on the commitment with `lines` lines, optionally with an export
        item in `erp_state` (and the invoice's ERP status to match)."""
        invoice = InvoiceFactory.create(commitment=self.commitment, status=status, **kwargs)
        for _ in range(lines):
            InvoiceLineFactory.create(
                invoice=invoice, sov_line=SovLineFactory.create(commitment=self.commitment)
            )
        if erp_state is not None:
            self.export_item(invoice, erp_state)
        return invoice

    def export_item(self, invoice: Invoice, state: str) -> ExportItem:
        extra: dict[str, Any] = {}
        if state in (ExportState.SYNCED, ExportState.UNLINKED):
            extra["erp_reference"] = f"ERP-{invoice.pk}"
        if state == ExportState.UNLINKED:
            extra["unlinked_by"] = self.users["approver"]
            extra["unlinked_at"] = timezone.now()
            extra["unlink_reason"] = "Deleted in the ERP"
        if state == ExportState.REJECTED:
            extra["rejection_reason"] = "Wrong period"
        if state in (
            ExportState.EXPORTING,
            ExportState.SYNCED,
            ExportState.FAILED_TO_EXPORT,
            ExportState.REJECTED,
            ExportState.UNLINKED,
        ):
            extra["decided_by"] = self.users["approver"]
            extra["decided_at"] = timezone.now()
        if state == ExportState.RETRIEVED:
            extra["retrieved_by"] = self.users["project_admin"]
            extra["retrieved_at"] = timezone.now()
        item = ExportItem.objects.create(
            invoice=invoice,
            company=self.company,
            state=state,
            invoice_revision=invoice.revision,
            sent_by=self.users["project_admin"],
            sent_at=timezone.now(),
            **extra,
        )
        erp_status = invoice_status_of(state)
        Invoice.objects.filter(pk=invoice.pk).update(erp_status=erp_status)
        invoice.erp_status = erp_status
        return item


def invoice_status_of(state: str) -> InvoiceErpStatus:
    """The ERP status of an invoice whose latest export item is in `state`."""
    if state == ExportState.UNLINKED:
        return InvoiceErpStatus.NOT_SENT
    return InvoiceErpStatus(state)


def build_world(**commitment_fields) -> World:
    project = ProjectFactory.create()
    company = project.company
    ErpConnectionFactory.create(company=company)
    commitment = CommitmentFactory.create(
        project=project, default_retainage_percent=Decimal("10.00"), **commitment_fields
    )
    users = {role: UserFactory.create(username=f"{role}-{project.pk}") for role in ROLES}
    project_set_commitments_level(
        user=users["project_admin"], project=project, level=ToolLevel.ADMIN
    )
    project_set_commitments_level(user=users["standard"], project=project, level=ToolLevel.STANDARD)
    project_set_commitments_level(
        user=users["read_only"], project=project, level=ToolLevel.READ_ONLY
    )
    VendorEmployeeFactory.create(user=users["invoice_contact"], vendor=commitment.vendor)
    commitment_add_invoice_contact(commitment=commitment, user=users["invoice_contact"])
    company_set_erp_integrations_level(
        user=users["approver"], company=company, level=ToolLevel.STANDARD
    )
    company_set_push_to_accounting(user=users["approver"], company=company, allowed=True)
    company_set_erp_integrations_level(
        user=users["erp_standard_without_push"], company=company, level=ToolLevel.STANDARD
    )
    users["superuser"].is_superuser = True
    users["superuser"].is_staff = True
    users["superuser"].save(update_fields=["is_superuser", "is_staff"])
    return World(company=company, project=project, commitment=commitment, users=users)
