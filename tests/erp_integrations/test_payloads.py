"""The export document: the invoice's header and lines, shaped for each ERP system, with
amounts as strings of cents and totals that are sums of the exported lines."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from erp_integrations.connectors import PermanentExportError
from erp_integrations.models import ErpSystem, ExportState
from erp_integrations.payloads import build_document
from invoices.attachments import attachment_add
from invoices.models import Invoice
from tests import attachment_files as files
from tests.factories import (
    CommitmentFactory,
    ErpConnectionFactory,
    ExportItemFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    SovLineFactory,
)

pytestmark = pytest.mark.django_db


def exported(system, *, retainage_item="", lines=None):
    """An Exporting item of an invoice on a `system` company, with two lines by
    default: 1000.00 work at 10% and 500.00 stored materials at 5%, then 200.00 work."""
    commitment = CommitmentFactory(number="SC-042", erp_reference="ERP-C-42")
    company = commitment.project.company
    ErpConnectionFactory(company=company, system=system, retainage_item=retainage_item)
    invoice = InvoiceFactory(commitment=commitment, number=3)
    for position, (work, materials) in enumerate(
        lines or [("1000.00", "500.00"), ("200.00", "0.00")], start=1
    ):
        InvoiceLineFactory(
            invoice=invoice,
            sov_line=SovLineFactory(
                commitment=commitment,
                position=position,
                cost_code=f"03-10{position}",
                description=f"Scope {position}",
            ),
            work_completed_this_period=Decimal(work),
            materials_presently_stored=Decimal(materials),
            work_retainage_percent=Decimal("10.00"),
            materials_retainage_percent=Decimal("5.00"),
        )
    return ExportItemFactory(invoice=invoice, state=ExportState.EXPORTING)


def amounts(document, *fields):
    return [tuple(line.get(field) for field in fields) for line in document["lines"]]


def test_header_names_the_invoice_and_its_erp_ids():
    """The header carries the company, project, commitment and vendor with their ERP ids,
    the invoice's number, period and date, and the idempotency key."""
    item = exported(ErpSystem.CMIC)
    invoice = item.invoice
    commitment = invoice.commitment
    header = build_document(item)["header"]
    assert header == {
        "document_type": "Request for Payment",
        "erp_system": "cmic",
        "idempotency_key": str(item.idempotency_key),
        "company": commitment.project.company.name,
        "project_number": commitment.project.number,
        "project_name": commitment.project.name,
        "erp_job_id": commitment.project.erp_job_id,
        "commitment_number": "SC-042",
        "commitment_title": commitment.title,
        "commitment_erp_reference": "ERP-C-42",
        "vendor": commitment.vendor.name,
        "erp_vendor_id": commitment.vendor.erp_vendor_id,
        "invoice_id": invoice.pk,
        "invoice_number": "INV-3",
        "billing_period_start": "2026-10-01",
        "billing_period_end": "2026-10-31",
        "billing_date": "2026-10-31",
    }


def test_document_is_plain_json_and_the_same_every_time():
    """The document serializes to JSON (amounts as strings) and is built identically on
    a second delivery."""
    item = exported(ErpSystem.SAGE_INTACCT)
    assert json.dumps(build_document(item)) == json.dumps(build_document(item))


@pytest.mark.parametrize(
    ("system", "document_type"),
    [
        (ErpSystem.SAGE_INTACCT, "Bill"),
        (ErpSystem.CMIC, "Request for Payment"),
        (ErpSystem.SAGE_300_CRE, "Subcontractor Invoice"),
        (ErpSystem.VIEWPOINT_VISTA, "Subcontractor Invoice"),
        (ErpSystem.SAGE_100_CONTRACTOR, "Subcontractor Invoice"),
        (ErpSystem.VIEWPOINT_SPECTRUM, "Subcontractor Invoice"),
        (ErpSystem.YARDI_VOYAGER, "Payable"),
        (ErpSystem.XERO, "Bill"),
    ],
)
def test_document_type_follows_the_erp_system(system, document_type):
    """Sage Intacct and Xero receive Bills, CMiC Requests for Payment, Yardi Voyager
    Payables, the others Subcontractor Invoices."""
    assert build_document(exported(system))["header"]["document_type"] == document_type


def test_intacct_lines_carry_work_materials_retainage_and_zero_tax():
    """A system without special rules gets each amount of the line, to the cent."""
    document = build_document(exported(ErpSystem.SAGE_INTACCT))
    fields = ("work_completed", "materials_stored", "amount", "retainage", "net_amount", "tax")
    assert amounts(document, *fields) == [
        ("1000.00", "500.00", "1500.00", "125.00", "1375.00", "0.00"),
        ("200.00", "0.00", "200.00", "20.00", "180.00", "0.00"),
    ]
    assert [line["cost_code"] for line in document["lines"]] == ["03-101", "03-102"]


def test_sage_300_combines_work_and_stored_materials_into_one_amount_without_tax():
    """Sage 300 CRE gets one amount per line (work + materials) and no tax."""
    document = build_document(exported(ErpSystem.SAGE_300_CRE))
    assert amounts(document, "amount", "retainage", "net_amount") == [
        ("1500.00", "125.00", "1375.00"),
        ("200.00", "20.00", "180.00"),
    ]
    for line in document["lines"]:
        assert not {"work_completed", "materials_stored", "tax"} & set(line)
    assert "tax" not in document["totals"]


@pytest.mark.parametrize(
    "system", [ErpSystem.VIEWPOINT_VISTA, ErpSystem.ACUMATICA, ErpSystem.YARDI_VOYAGER]
)
def test_vista_acumatica_and_yardi_ignore_stored_materials_and_their_retainage(system):
    """Only work completed (and its retainage) is exported."""
    document = build_document(exported(system))
    assert amounts(document, "work_completed", "amount", "retainage", "net_amount") == [
        ("1000.00", "1000.00", "100.00", "900.00"),
        ("200.00", "200.00", "20.00", "180.00"),
    ]
    assert all("materials_stored" not in line for line in document["lines"])


def test_quickbooks_carries_the_retainage_on_the_retainage_item():
    """QuickBooks Desktop gets the lines without retainage, then one line on the
    connection's retainage item that subtracts it."""
    document = build_document(exported(ErpSystem.QUICKBOOKS_DESKTOP, retainage_item="Ret-10"))
    *sov_lines, retainage_line = document["lines"]
    assert all("retainage" not in line for line in sov_lines)
    assert (retainage_line["item"], retainage_line["amount"]) == ("Ret-10", "-145.00")
    assert document["totals"]["amount"] == "1555.00"


@pytest.mark.parametrize("system", ErpSystem.values)
def test_totals_are_sums_of_the_exported_lines(system):
    """Every total equals the sum of that amount over the document's lines (those that
    carry it)."""
    document = build_document(exported(system, retainage_item="Retainage"))
    for field, total in document["totals"].items():
        values = [Decimal(line[field]) for line in document["lines"] if field in line]
        assert Decimal(total) == sum(values)
    assert document["totals"]


def test_totals_of_the_sage_300_document():
    """For the two sample lines: 1700.00 billed, 145.00 retained, 1555.00 net."""
    totals = build_document(exported(ErpSystem.SAGE_300_CRE))["totals"]
    assert totals == {"amount": "1700.00", "retainage": "145.00", "net_amount": "1555.00"}


def test_an_invoice_edited_after_it_was_sent_is_not_exported():
    """The document must be what the approver accepted: a revision mismatch is a
    permanent error."""
    item = exported(ErpSystem.SAGE_INTACCT)
    Invoice.objects.filter(pk=item.invoice_id).update(revision=item.invoice_revision + 1)
    item.invoice.refresh_from_db()
    with pytest.raises(PermanentExportError, match="changed after it was sent"):
        build_document(item)


def test_a_rule_broken_since_sending_is_a_permanent_error():
    """The system's rules are checked again at export: QuickBooks Desktop without a
    retainage item cannot export."""
    item = exported(ErpSystem.QUICKBOOKS_DESKTOP, retainage_item="")
    with pytest.raises(PermanentExportError, match="needs a retainage item"):
        build_document(item)


def test_quickbooks_receives_the_first_11_characters_of_a_longer_commitment_number():
    """QuickBooks Desktop cuts commitment numbers to 11 characters; only the header's
    number is cut, the invoice's own number stays."""
    item = exported(ErpSystem.QUICKBOOKS_DESKTOP, retainage_item="Ret-10")
    commitment = item.invoice.commitment
    commitment.number = "SC-2026-00042"
    commitment.save(update_fields=["number"])
    header = build_document(item)["header"]
    assert (header["commitment_number"], header["invoice_number"]) == ("SC-2026-000", "INV-3")


def test_a_system_that_refuses_long_texts_exports_them_whole():
    """Sage 300 CRE refuses long commitment numbers rather than cutting them, so what it
    exports is the number as it stands."""
    item = exported(ErpSystem.SAGE_300_CRE)
    assert build_document(item)["header"]["commitment_number"] == "SC-042"


def test_a_limit_broken_since_sending_is_a_permanent_error():
    """The length limits are checked again at export: a vendor renamed past Vista's 60
    characters cannot export."""
    item = exported(ErpSystem.VIEWPOINT_VISTA)
    vendor = item.invoice.commitment.vendor
    vendor.name = "N" * 61
    vendor.save(update_fields=["name"])
    with pytest.raises(PermanentExportError, match="accepts vendor names of at most 60"):
        build_document(item)


def test_the_document_lists_each_attachment_with_name_type_size_and_hash(settings, tmp_path):
    item = exported(ErpSystem.VIEWPOINT_VISTA)
    invoice = item.invoice
    admin = invoice.created_by
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    Invoice.objects.filter(pk=invoice.pk).update(erp_status="failed_to_export")
    upload = files.pdf_upload("Pay App 3.pdf")
    first = attachment_add(user=admin, invoice_id=invoice.pk, upload=upload)
    second = attachment_add(user=admin, invoice_id=invoice.pk, upload=files.csv_upload("qty.csv"))
    Invoice.objects.filter(pk=invoice.pk).update(erp_status="exporting")
    item.invoice.refresh_from_db()

    document = build_document(item)

    assert document["attachments"] == [
        {
            "id": first.pk,
            "name": "Pay App 3.pdf",
            "file_name": f"{first.pk}-Pay App 3.pdf",
            "content_type": "application/pdf",
            "size": first.size,
            "sha256": first.sha256,
        },
        {
            "id": second.pk,
            "name": "qty.csv",
            "file_name": f"{second.pk}-qty.csv",
            "content_type": "text/csv",
            "size": second.size,
            "sha256": second.sha256,
        },
    ]
    assert json.dumps(build_document(item)) == json.dumps(document)


def test_an_invoice_without_attachments_lists_none():
    assert build_document(exported(ErpSystem.SAGE_300_CRE))["attachments"] == []
