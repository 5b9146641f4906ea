"""Every database constraint of the domain models refuses what it is there to refuse.

Rows are written with `objects.create` / `update`, which skip model validation, so only
the database stands in the way. Each failing write runs inside its own
`transaction.atomic()`, which leaves the test's transaction usable afterwards. Where a
neighbouring case is allowed (the same number on another commitment, a second export
item once the first is closed), the test shows that too.
"""

from __future__ import annotations

import datetime
from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from commitments.models import (
    Commitment,
    CommitmentErpStatus,
    CommitmentType,
    PurchaseOrderStatus,
    SovLine,
    SubcontractStatus,
)
from erp_integrations.models import (
    REJECTION_REASON_MAX_LENGTH,
    ConnectorKind,
    ErpConnection,
    ErpSystem,
    ExportItem,
    ExportState,
)
from invoices.models import Invoice, InvoiceLine
from projects.models import Company, Project, Vendor, VendorEmployee
from tests.factories import (
    CommitmentFactory,
    CompanyFactory,
    ErpConnectionFactory,
    ExportItemFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SovLineFactory,
    UserFactory,
    VendorEmployeeFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db

D = Decimal


@contextmanager
def refused_by(constraint: str):
    """The block raises IntegrityError, naming `constraint` where the database does
    (PostgreSQL names every constraint; SQLite names check constraints only)."""
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        yield
    message = str(error.value)
    if connection.vendor == "postgresql" or "CHECK" in message:
        assert constraint in message


# --- projects --------------------------------------------------------------------------


def test_company_names_are_unique():
    CompanyFactory(name="Summit Builders")
    with refused_by("projects_company_name"):
        Company.objects.create(name="Summit Builders")


def test_vendor_name_is_unique_per_company():
    vendor = VendorFactory(name="Keystone Concrete")
    with refused_by("vendor_name_unique_per_company"):
        Vendor.objects.create(company=vendor.company, name="Keystone Concrete")


def test_same_vendor_name_is_allowed_in_another_company():
    VendorFactory(name="Keystone Concrete")
    Vendor.objects.create(company=CompanyFactory(), name="Keystone Concrete")


def test_a_user_works_for_at_most_one_vendor():
    employee = VendorEmployeeFactory()
    with refused_by("projects_vendoremployee_user_id"):
        VendorEmployee.objects.create(user=employee.user, vendor=VendorFactory())


def test_project_number_is_unique_per_company():
    project = ProjectFactory(number="RMC-101")
    with refused_by("project_number_unique_per_company"):
        Project.objects.create(company=project.company, name="Another", number="RMC-101")


def test_same_project_number_is_allowed_in_another_company():
    ProjectFactory(number="RMC-101")
    Project.objects.create(company=CompanyFactory(), name="Another", number="RMC-101")


# --- commitments -----------------------------------------------------------------------


def commitment_fields(project: Project, **overrides) -> dict:
    fields = {
        "project": project,
        "type": CommitmentType.SUBCONTRACT,
        "number": "SC-100",
        "title": "Scope",
        "vendor": VendorFactory(company=project.company),
        "status": SubcontractStatus.DRAFT,
    }
    return fields | overrides


def test_commitment_number_is_unique_per_project():
    commitment = CommitmentFactory(number="SC-001")
    with refused_by("commitment_number_unique_per_project"):
        Commitment.objects.create(**commitment_fields(commitment.project, number="SC-001"))


def test_same_commitment_number_is_allowed_on_another_project():
    commitment = CommitmentFactory(number="SC-001")
    other = ProjectFactory(company=commitment.project.company)
    Commitment.objects.create(**commitment_fields(other, number="SC-001"))


@pytest.mark.parametrize("percent", ["-0.01", "100.01"])
def test_commitment_default_retainage_stays_between_0_and_100(percent):
    project = ProjectFactory()
    with refused_by("commitment_default_retainage_between_0_and_100"):
        Commitment.objects.create(
            **commitment_fields(project, default_retainage_percent=D(percent))
        )


@pytest.mark.parametrize("percent", ["0.00", "100.00"])
def test_commitment_default_retainage_may_be_0_or_100(percent):
    Commitment.objects.create(
        **commitment_fields(ProjectFactory(), default_retainage_percent=D(percent))
    )


def test_subcontract_cannot_take_a_purchase_order_status():
    project = ProjectFactory()
    with refused_by("subcontract_status_is_a_subcontract_status"):
        Commitment.objects.create(
            **commitment_fields(
                project, type=CommitmentType.SUBCONTRACT, status=PurchaseOrderStatus.RECEIVED
            )
        )


def test_purchase_order_cannot_take_a_subcontract_status():
    project = ProjectFactory()
    with refused_by("purchase_order_status_is_a_purchase_order_status"):
        Commitment.objects.create(
            **commitment_fields(
                project,
                type=CommitmentType.PURCHASE_ORDER,
                number="PO-100",
                status=SubcontractStatus.OUT_FOR_BID,
            )
        )


def test_statuses_both_types_share_are_allowed_on_either():
    project = ProjectFactory()
    for number, commitment_type in (("SC-1", "subcontract"), ("PO-1", "purchase_order")):
        Commitment.objects.create(
            **commitment_fields(project, type=commitment_type, number=number, status="approved")
        )


def test_synced_commitment_needs_an_erp_reference():
    commitment = CommitmentFactory(erp_status=CommitmentErpStatus.NOT_SYNCED, erp_reference="")
    with refused_by("synced_commitment_has_erp_reference"):
        Commitment.objects.filter(pk=commitment.pk).update(erp_status=CommitmentErpStatus.SYNCED)


def test_sov_scheduled_value_is_not_negative():
    commitment = CommitmentFactory()
    with refused_by("sov_scheduled_value_not_negative"):
        SovLine.objects.create(
            commitment=commitment,
            position=1,
            cost_code="03-100",
            description="Concrete",
            scheduled_value=D("-0.01"),
        )


def test_sov_scheduled_value_may_be_zero():
    SovLineFactory(scheduled_value=D("0.00"))


def test_sov_line_position_is_unique_per_commitment():
    sov_line = SovLineFactory(position=1)
    with refused_by("sov_line_position_unique_per_commitment"):
        SovLine.objects.create(
            commitment=sov_line.commitment,
            position=1,
            cost_code="03-200",
            description="Rebar",
            scheduled_value=D("1.00"),
        )


def test_same_sov_position_is_allowed_on_another_commitment():
    sov_line = SovLineFactory(position=1)
    SovLineFactory(commitment=CommitmentFactory(project=sov_line.commitment.project), position=1)


# --- invoices --------------------------------------------------------------------------


def invoice_fields(commitment: Commitment, **overrides) -> dict:
    fields = {
        "commitment": commitment,
        "number": 1,
        "billing_period_start": datetime.date(2026, 10, 1),
        "billing_period_end": datetime.date(2026, 10, 31),
        "billing_date": datetime.date(2026, 10, 31),
        "created_by": UserFactory(),
    }
    return fields | overrides


def test_invoice_number_is_unique_per_commitment():
    invoice = InvoiceFactory(number=4)
    with refused_by("invoice_number_unique_per_commitment"):
        Invoice.objects.create(**invoice_fields(invoice.commitment, number=4))


def test_same_invoice_number_is_allowed_on_another_commitment():
    invoice = InvoiceFactory(number=4)
    other = CommitmentFactory(project=invoice.commitment.project)
    Invoice.objects.create(**invoice_fields(other, number=4))


def test_invoice_number_starts_at_1():
    commitment = CommitmentFactory()
    with refused_by("invoice_number_positive"):
        Invoice.objects.create(**invoice_fields(commitment, number=0))


def test_billing_period_cannot_end_before_it_starts():
    commitment = CommitmentFactory()
    with refused_by("invoice_billing_period_ends_after_it_starts"):
        Invoice.objects.create(
            **invoice_fields(
                commitment,
                billing_period_start=datetime.date(2026, 10, 2),
                billing_period_end=datetime.date(2026, 10, 1),
            )
        )


def test_billing_period_may_be_a_single_day():
    Invoice.objects.create(
        **invoice_fields(
            CommitmentFactory(),
            billing_period_start=datetime.date(2026, 10, 1),
            billing_period_end=datetime.date(2026, 10, 1),
        )
    )


def test_an_invoice_bills_each_sov_line_once():
    invoice_line = InvoiceLineFactory()
    with refused_by("invoice_line_unique_per_sov_line"):
        InvoiceLine.objects.create(invoice=invoice_line.invoice, sov_line=invoice_line.sov_line)


def test_another_invoice_may_bill_the_same_sov_line():
    invoice_line = InvoiceLineFactory()
    later = InvoiceFactory(commitment=invoice_line.invoice.commitment)
    InvoiceLine.objects.create(invoice=later, sov_line=invoice_line.sov_line)


def test_materials_presently_stored_is_not_negative():
    invoice_line = InvoiceLineFactory()
    with refused_by("invoice_line_materials_not_negative"):
        InvoiceLine.objects.filter(pk=invoice_line.pk).update(materials_presently_stored=D("-0.01"))


@pytest.mark.parametrize("percent", ["-0.01", "100.01"])
def test_work_retainage_stays_between_0_and_100(percent):
    invoice_line = InvoiceLineFactory()
    with refused_by("invoice_line_work_retainage_between_0_and_100"):
        InvoiceLine.objects.filter(pk=invoice_line.pk).update(work_retainage_percent=D(percent))


@pytest.mark.parametrize("percent", ["-0.01", "100.01"])
def test_materials_retainage_stays_between_0_and_100(percent):
    invoice_line = InvoiceLineFactory()
    with refused_by("invoice_line_materials_retainage_between_0_and_100"):
        InvoiceLine.objects.filter(pk=invoice_line.pk).update(
            materials_retainage_percent=D(percent)
        )


def test_retainage_percents_may_be_0_and_100():
    invoice_line = InvoiceLineFactory()
    InvoiceLine.objects.filter(pk=invoice_line.pk).update(
        work_retainage_percent=D("100.00"), materials_retainage_percent=D("0.00")
    )
    InvoiceLine.objects.filter(pk=invoice_line.pk).update(
        work_retainage_percent=D("0.00"), materials_retainage_percent=D("100.00")
    )


def test_a_sov_line_that_was_billed_cannot_be_deleted():
    invoice_line = InvoiceLineFactory()
    with pytest.raises(ProtectedError):
        invoice_line.sov_line.delete()


# --- ERP integrations ------------------------------------------------------------------


def test_a_company_has_at_most_one_erp_connection():
    erp_connection = ErpConnectionFactory()
    with refused_by("erp_integrations_erpconnection_company_id"):
        ErpConnection.objects.create(company=erp_connection.company, system=ErpSystem.CMIC)


def test_http_connector_needs_a_gateway_url():
    with refused_by("http_connector_has_gateway_url"):
        ErpConnection.objects.create(
            company=CompanyFactory(),
            system=ErpSystem.ACUMATICA,
            connector=ConnectorKind.HTTP,
            gateway_url="",
        )


def test_http_connector_with_a_gateway_url_is_allowed():
    ErpConnection.objects.create(
        company=CompanyFactory(),
        system=ErpSystem.ACUMATICA,
        connector=ConnectorKind.HTTP,
        gateway_url="http://127.0.0.1:9/erp",
    )


def test_erp_connection_timeout_is_at_least_a_second():
    with refused_by("erp_connection_timeout_positive"):
        ErpConnection.objects.create(
            company=CompanyFactory(), system=ErpSystem.SAGE_300_CRE, timeout_seconds=0
        )


ACTIVE_STATES = [
    ExportState.READY_TO_EXPORT,
    ExportState.EXPORTING,
    ExportState.SYNCED,
    ExportState.FAILED_TO_EXPORT,
]
CLOSED_STATES = [ExportState.REJECTED, ExportState.RETRIEVED]


def export_item_fields(state: str) -> dict:
    fields = {"state": state}
    if state == ExportState.SYNCED:
        fields["erp_reference"] = "AP-1"
    if state == ExportState.REJECTED:
        fields["rejection_reason"] = "Wrong period"
    return fields


@pytest.mark.parametrize("first_state", ACTIVE_STATES)
@pytest.mark.parametrize("second_state", ACTIVE_STATES)
def test_an_invoice_has_at_most_one_active_export_item(first_state, second_state):
    first = ExportItemFactory(**export_item_fields(first_state))
    with refused_by("one_active_export_item_per_invoice"):
        ExportItemFactory(invoice=first.invoice, **export_item_fields(second_state))


@pytest.mark.parametrize("closed_state", CLOSED_STATES)
def test_a_new_export_item_is_allowed_once_the_earlier_one_is_closed(closed_state):
    first = ExportItemFactory(**export_item_fields(closed_state))
    ExportItemFactory(invoice=first.invoice, state=ExportState.READY_TO_EXPORT)
    ExportItemFactory(invoice=first.invoice, **export_item_fields(closed_state))
    assert first.invoice.export_items.count() == 3


def test_closing_the_active_item_by_update_lets_the_invoice_be_sent_again():
    first = ExportItemFactory(state=ExportState.READY_TO_EXPORT)
    ExportItem.objects.filter(pk=first.pk).update(
        state=ExportState.RETRIEVED, retrieved_at=timezone.now()
    )
    ExportItemFactory(invoice=first.invoice, state=ExportState.READY_TO_EXPORT)


def test_reopening_a_closed_item_beside_an_active_one_is_refused():
    closed = ExportItemFactory(state=ExportState.RETRIEVED)
    ExportItemFactory(invoice=closed.invoice, state=ExportState.READY_TO_EXPORT)
    with refused_by("one_active_export_item_per_invoice"):
        ExportItem.objects.filter(pk=closed.pk).update(state=ExportState.READY_TO_EXPORT)


def test_rejected_export_item_needs_a_reason():
    item = ExportItemFactory(state=ExportState.READY_TO_EXPORT)
    with refused_by("rejected_export_item_has_reason"):
        ExportItem.objects.filter(pk=item.pk).update(
            state=ExportState.REJECTED, rejection_reason=""
        )


def test_rejection_reason_is_at_most_the_limit():
    item = ExportItemFactory(state=ExportState.READY_TO_EXPORT)
    ExportItem.objects.filter(pk=item.pk).update(
        state=ExportState.REJECTED, rejection_reason="é" * REJECTION_REASON_MAX_LENGTH
    )
    with refused_by("export_item_rejection_reason_max_length"):
        ExportItem.objects.filter(pk=item.pk).update(
            rejection_reason="é" * (REJECTION_REASON_MAX_LENGTH + 1)
        )


def test_synced_export_item_needs_an_erp_reference():
    item = ExportItemFactory(state=ExportState.EXPORTING)
    with refused_by("synced_export_item_has_erp_reference"):
        ExportItem.objects.filter(pk=item.pk).update(state=ExportState.SYNCED, erp_reference="")


def test_idempotency_keys_are_unique():
    item = ExportItemFactory(state=ExportState.RETRIEVED)
    with refused_by("idempotency_key"):
        ExportItemFactory(
            invoice=item.invoice,
            state=ExportState.RETRIEVED,
            idempotency_key=item.idempotency_key,
        )


def test_export_item_company_cannot_point_nowhere():
    """Foreign keys hold: an item cannot name a company that does not exist."""
    item = ExportItemFactory()
    missing = Company.objects.order_by("-pk").first().pk + 1000
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportItem.objects.filter(pk=item.pk).update(company_id=missing)
        # SQLite checks deferred foreign keys at commit; check them now.
        connection.check_constraints(table_names=[ExportItem._meta.db_table])
