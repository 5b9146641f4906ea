"""The invoice as a pay application PDF: its G702 figures, what the PDF says (read back
with pypdf), the download it comes as, and what WeasyPrint may load while printing.
Who may download it: tests/test_download_permissions.py."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from pypdf import PdfReader
from pytest_django.asserts import assertContains

from core.display import money
from invoices.amounts import invoice_amounts, pay_application_summary
from invoices.pdf import (
    BASE_URL,
    pay_application_filename,
    pay_application_html,
    static_files_fetcher,
    static_path_of,
)
from tests.factories import (
    ChangeHistoryEntryFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    SovLineFactory,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world(number="SC-001")


def billed(world, number, amounts, *, retainage=Decimal("10.00"), **invoice_fields):
    """Invoice `number` of the world's commitment, billing `amounts` (work completed) on
    the commitment's SOV lines in order, creating them (scheduled $250,000.00) as needed."""
    sov_lines = list(world.commitment.sov_lines.order_by("position"))
    while len(sov_lines) < len(amounts):
        sov_lines.append(
            SovLineFactory(commitment=world.commitment, scheduled_value=Decimal("250000.00"))
        )
    invoice = InvoiceFactory(
        commitment=world.commitment,
        number=number,
        billing_period_start=datetime.date(2026, number, 1),
        billing_period_end=datetime.date(2026, number, 28),
        billing_date=datetime.date(2026, number, 28),
        **invoice_fields,
    )
    for sov_line, amount in zip(sov_lines, amounts, strict=False):
        InvoiceLineFactory(
            invoice=invoice,
            sov_line=sov_line,
            work_completed_this_period=Decimal(amount),
            work_retainage_percent=retainage,
        )
    return invoice


def url(name, invoice):
    commitment = invoice.commitment
    return reverse(name, args=[commitment.project_id, commitment.pk, invoice.pk])


def pdf_text(content: bytes) -> str:
    reader = PdfReader(BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    """Text with every run of whitespace as one space (the PDF wraps long lines)."""
    return re.sub(r"\s+", " ", text)


# --- The G702 figures ------------------------------------------------------------------


def test_summary_of_a_first_invoice_has_no_previous_certificates(world):
    first = billed(world, 1, ["1000.00", "500.00"])

    summary = pay_application_summary(invoice_amounts(first).totals)

    assert summary.original_contract_sum == Decimal("500000.00")
    assert summary.net_change_by_change_orders == Decimal("0.00")
    assert summary.contract_sum_to_date == Decimal("500000.00")
    assert summary.total_completed_and_stored_to_date == Decimal("1500.00")
    assert summary.retainage_to_date == Decimal("150.00")
    assert summary.total_earned_less_retainage == Decimal("1350.00")
    assert summary.previous_certificates_for_payment == Decimal("0.00")
    assert summary.current_payment_due == Decimal("1350.00")
    assert summary.balance_to_finish_including_retainage == Decimal("498650.00")


def test_summary_previous_certificates_are_the_earlier_invoices_earned_less_retainage(world):
    first = billed(world, 1, ["1000.00", "500.00"])
    second = billed(world, 2, ["2000.00", "0.00"])

    first_summary = pay_application_summary(invoice_amounts(first).totals)
    summary = pay_application_summary(invoice_amounts(second).totals)

    assert summary.previous_certificates_for_payment == first_summary.total_earned_less_retainage
    assert summary.total_completed_and_stored_to_date == Decimal("3500.00")
    assert summary.retainage_to_date == Decimal("350.00")
    assert summary.current_payment_due == Decimal("1800.00")


def test_summary_current_payment_due_is_the_invoices_current_payment_due(world):
    billed(world, 1, ["1000.33", "500.17"], retainage=Decimal("7.50"))
    second = billed(world, 2, ["2000.05", "12.35"], retainage=Decimal("7.50"))
    totals = invoice_amounts(second).totals

    summary = pay_application_summary(totals)

    assert summary.current_payment_due == totals.current_payment_due


# --- What the PDF says -------------------------------------------------------------------


def test_pdf_shows_the_invoice_number_contract_sum_and_payment_due_as_the_page_does(client, world):
    billed(world, 1, ["12345.67", "2000.00"])
    invoice = billed(world, 2, ["54321.09", "7000.00", "1500.50"])
    totals = invoice_amounts(invoice).totals
    contract_sum, payment_due = money(totals.scheduled_value), money(totals.current_payment_due)
    client.force_login(world.users["project_admin"])

    page = client.get(url("invoices:detail", invoice))
    response = client.get(url("invoices:pdf", invoice))

    for shown in (invoice.label, contract_sum, payment_due):
        assertContains(page, shown)
    text = flat(pdf_text(response.content))
    assert "INV-2" in text
    assert f"Original contract sum {contract_sum}" in text
    assert f"Current payment due {payment_due}" in text


def test_pdf_has_a_continuation_sheet_row_per_sov_line(client, world):
    invoice = billed(world, 1, ["100.00", "200.00", "300.00"])
    client.force_login(world.users["read_only"])

    text = flat(pdf_text(client.get(url("invoices:pdf", invoice)).content))

    assert "Continuation Sheet" in text
    for line, _ in invoice_amounts(invoice).lines:
        assert f"{line.sov_line.cost_code} {line.sov_line.description}" in text
    assert "Grand totals" in text


def test_pdf_of_a_locked_invoice_says_it_is_locked(client, world):
    invoice = billed(world, 1, ["100.00"])
    world.export_item(invoice, "ready_to_export")
    client.force_login(world.users["project_admin"])

    text = flat(pdf_text(client.get(url("invoices:pdf", invoice)).content))

    assert "ERP status: Ready to Export. Locked. INV-1 is locked:" in text


def test_pdf_lists_the_latest_change_history_entries(world):
    invoice = billed(world, 1, ["100.00"])
    for number in range(12):
        ChangeHistoryEntryFactory(invoice=invoice, changed=f"Change number {number}")

    html = pay_application_html(invoice)

    assert "Change number 11" in html
    assert "Change number 2" in html
    assert "Change number 1<" not in html  # the 11th and 12th newest are left out
    assert "The 10 latest entries" in html


def test_review_page_pdf_is_the_same_pay_application(client, world):
    invoice = billed(world, 1, ["4321.00"])
    item = world.export_item(invoice, "ready_to_export")
    client.force_login(world.users["approver"])

    response = client.get(reverse("erp_integrations:review_pdf", args=[world.company.pk, item.pk]))

    text = flat(pdf_text(response.content))
    assert "Current payment due $3,888.90" in text


# --- The download ------------------------------------------------------------------------


def test_pdf_downloads_under_the_commitment_and_invoice_name(client, world):
    invoice = billed(world, 3, ["100.00"])
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:pdf", invoice))

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="SC-001-INV-3.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")


def test_pdf_file_name_turns_path_characters_into_dashes(world):
    world.commitment.number = "../SC 7/\\x"
    invoice = InvoiceFactory(commitment=world.commitment, number=4)

    assert pay_application_filename(invoice) == "SC-7-x-INV-4.pdf"


def test_invoice_page_offers_download_pdf(client, world):
    invoice = billed(world, 1, ["100.00"])
    client.force_login(world.users["read_only"])

    response = client.get(url("invoices:detail", invoice))

    assertContains(response, f'href="{url("invoices:pdf", invoice)}"')
    assertContains(response, "Download PDF")


def test_review_page_offers_download_pdf(client, world):
    item = world.export_item(billed(world, 1, ["100.00"]), "ready_to_export")
    client.force_login(world.users["approver"])

    response = client.get(reverse("erp_integrations:review", args=[world.company.pk, item.pk]))

    pdf_url = reverse("erp_integrations:review_pdf", args=[world.company.pk, item.pk])
    assertContains(response, f'href="{pdf_url}"')


@pytest.mark.parametrize("line_count", [1, 30])
def test_print_template_queries_do_not_grow_with_lines_or_history(
    world, django_assert_num_queries, line_count
):
    invoice = billed(world, 1, ["100.00"] * line_count)
    world.export_item(invoice, "ready_to_export")
    for _ in range(line_count):
        ChangeHistoryEntryFactory(invoice=invoice)

    # The invoice's lines with their billing, its latest export item, its history.
    with django_assert_num_queries(3):
        pay_application_html(invoice)


# --- What WeasyPrint may load --------------------------------------------------------------


def test_fetcher_serves_the_print_stylesheet():
    response = static_files_fetcher().fetch(f"{BASE_URL}static/css/print.css")

    assert response.content_type == "text/css"
    assert b"@page" in response.read()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/static/css/print.css",
        "file:///etc/passwd",
        f"{BASE_URL}static/../config/settings.py",
        f"{BASE_URL}media/anything.png",
        "data:text/css,body{}",
    ],
)
def test_fetcher_refuses_anything_but_the_sites_static_files(url):
    with pytest.raises(ValueError):
        static_files_fetcher().fetch(url)


def test_static_path_of_a_static_url_drops_the_query():
    assert static_path_of(f"{BASE_URL}static/css/print.css?v=2") == "css/print.css"
