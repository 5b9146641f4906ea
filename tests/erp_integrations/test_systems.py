"""The ERP systems' rules: what each refuses when an invoice is sent, in words that say
what to fix, and the "Things to know" each shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from erp_integrations import services, systems
from erp_integrations.models import ErpConnection, ErpSystem
from invoices.amounts import invoice_amounts
from invoices.models import InvoiceErpStatus
from tests.factories import (
    CommitmentFactory,
    ErpConnectionFactory,
    InvoiceFactory,
    InvoiceLineFactory,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db


def invoice_billing(*, work="1000.00", materials="0.00", commitment_number="SC-001"):
    commitment = CommitmentFactory(number=commitment_number)
    invoice = InvoiceFactory(commitment=commitment)
    InvoiceLineFactory(
        invoice=invoice,
        work_completed_this_period=Decimal(work),
        materials_presently_stored=Decimal(materials),
    )
    return invoice


def refusals(system, invoice, **connection_fields):
    connection = ErpConnection(system=system, **connection_fields)
    return systems.send_refusals(
        invoice=invoice, totals=invoice_amounts(invoice).totals, connection=connection
    )


def test_every_erp_system_has_a_profile_with_things_to_know():
    """Each ERP system has its rules and at least one line for the "Things to know"
    panel."""
    assert set(systems.PROFILES) == set(ErpSystem.values)
    for system in ErpSystem.values:
        assert systems.profile_for(system).things_to_know


def test_things_to_know_of_a_connection_are_its_systems():
    """The panel shows the rules of the connection's system."""
    connection = ErpConnection(system=ErpSystem.SAGE_INTACCT)
    assert systems.things_to_know(connection) == ["Invoices export as Bills."]


def test_sage_300_refuses_a_commitment_number_longer_than_12_characters():
    """Sage 300 CRE names the commitment and says to shorten its number."""
    invoice = invoice_billing(commitment_number="SC-0000000001")
    assert refusals(ErpSystem.SAGE_300_CRE, invoice) == [
        systems.COMMITMENT_NUMBER_TOO_LONG.format(
            commitment="SC-0000000001", system="Sage 300 CRE", limit=12
        )
    ]
    assert refusals(ErpSystem.SAGE_300_CRE, invoice)[0] == (
        "SC-0000000001: Sage 300 CRE accepts commitment numbers of at most 12 characters. "
        "Shorten the commitment number, then send again."
    )


def test_sage_300_accepts_a_commitment_number_of_12_characters():
    """Twelve characters is within the limit."""
    assert refusals(ErpSystem.SAGE_300_CRE, invoice_billing(commitment_number="SC-000000001")) == []


def test_vista_refuses_a_zero_dollar_invoice():
    """Viewpoint Vista does not take an invoice that bills nothing."""
    assert refusals(ErpSystem.VIEWPOINT_VISTA, invoice_billing(work="0.00")) == [
        systems.ZERO_INVOICE.format(system="Viewpoint Vista")
    ]


def test_vista_refuses_an_invoice_of_stored_materials_only():
    """Vista ignores stored materials, so a materials-only invoice would be $0 there."""
    invoice = invoice_billing(work="0.00", materials="500.00")
    assert refusals(ErpSystem.VIEWPOINT_VISTA, invoice) == [
        systems.ZERO_INVOICE.format(system="Viewpoint Vista")
    ]


def test_vista_accepts_an_invoice_with_work_completed():
    """Work completed this period is something Vista exports."""
    assert refusals(ErpSystem.VIEWPOINT_VISTA, invoice_billing(work="0.01")) == []


def test_acumatica_refuses_a_retainage_release_only_invoice():
    """Acumatica refuses an invoice that bills nothing this period."""
    assert refusals(ErpSystem.ACUMATICA, invoice_billing(work="0.00")) == [
        systems.RETAINAGE_RELEASE_ONLY.format(system="Acumatica")
    ]


def test_acumatica_refuses_an_invoice_of_stored_materials_only():
    """Acumatica ignores stored materials, so there would be nothing to export."""
    invoice = invoice_billing(work="0.00", materials="250.00")
    assert refusals(ErpSystem.ACUMATICA, invoice) == [
        systems.STORED_MATERIALS_ONLY.format(system="Acumatica")
    ]


def test_acumatica_accepts_an_invoice_with_work_completed():
    """An invoice billing work this period goes through."""
    assert refusals(ErpSystem.ACUMATICA, invoice_billing(materials="250.00")) == []


def test_quickbooks_refuses_without_a_retainage_item():
    """QuickBooks Desktop needs the retainage item; the admin is asked to configure it."""
    assert refusals(ErpSystem.QUICKBOOKS_DESKTOP, invoice_billing()) == [
        systems.RETAINAGE_ITEM_MISSING.format(system="QuickBooks Desktop")
    ]
    assert "ask your company admin to configure the retainage item" in (
        systems.RETAINAGE_ITEM_MISSING.lower()
    )


def test_quickbooks_accepts_with_a_retainage_item():
    """With a retainage item configured, QuickBooks Desktop takes the invoice."""
    invoice = invoice_billing()
    assert refusals(ErpSystem.QUICKBOOKS_DESKTOP, invoice, retainage_item="Retainage") == []


@pytest.mark.parametrize("system", [ErpSystem.SAGE_INTACCT, ErpSystem.CMIC])
def test_intacct_and_cmic_refuse_nothing_for_an_ordinary_invoice(system):
    """Sage Intacct and CMiC only change the document type."""
    invoice = invoice_billing(work="0.00", commitment_number="SC-LONG-NUMBER-001")
    assert refusals(system, invoice) == []


def test_send_to_erp_reports_the_systems_refusal_for_the_invoice():
    """Sending through the workflow applies the company's system rules, prefixed with
    the invoice's label, and leaves the invoice unsent."""
    world = build_world(number="SC-0000000001")
    world.company.erp_connection.delete()
    ErpConnectionFactory(company=world.company, system=ErpSystem.SAGE_300_CRE)
    invoice = world.invoice()
    admin = get_user_model().objects.get(pk=world.users["project_admin"].pk)
    (result,) = services.invoices_send_to_erp(
        user=admin,
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk],
    ).results
    assert result.message == f"{invoice.label}: " + systems.COMMITMENT_NUMBER_TOO_LONG.format(
        commitment="SC-0000000001", system="Sage 300 CRE", limit=12
    )
    invoice.refresh_from_db()
    assert invoice.erp_status == InvoiceErpStatus.NOT_SENT
