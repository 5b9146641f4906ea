"""The review workflow before ERP, through Chromium as the demo users: the invoice
contact creates an invoice from the Invoices tab, fills it in and submits it; the
project admin approves it and sends it to ERP Integrations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from invoices.models import ChangeHistoryEntry, InvoiceErpStatus, InvoiceStatus
from tests.browser.test_commitments import demo_invoice, invoice_row, open_invoices_tab
from tests.browser.test_invoices import open_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()


def test_sam_creates_and_submits_an_invoice_and_pat_approves_and_sends_it(demo, log_in, page):
    # Sam, the invoice contact, starts INV-7 from the Invoices tab of SC-001.
    page = log_in("sam")
    open_invoices_tab(page)
    page.get_by_role("link", name="New invoice").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("New")
    # The period after INV-6's (October 2026).
    expect(page.get_by_label("Billing period start")).to_have_value("2026-11-01")
    expect(page.get_by_label("Billing period end")).to_have_value("2026-11-30")
    page.get_by_role("button", name="Create invoice").click()

    expect(page).to_have_url(re.compile(r"/invoices/\d+/edit/$"))
    expect(page.get_by_role("alert").filter(has_text="INV-7 created.")).to_be_visible()
    page.get_by_label("Work completed this period, 01-500 Mobilization & General Conditions").fill(
        "4500.00"
    )
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert").filter(has_text="INV-7 saved.")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()

    expect(page.get_by_role("alert").filter(has_text="INV-7 is now Under Review.")).to_be_visible()
    expect(page.get_by_role("button", name="Submit for review")).to_have_count(0)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    assert demo_invoice(7).status == InvoiceStatus.UNDER_REVIEW

    # Pat, the project admin, reviews it and approves it.
    log_out(page)
    page = log_in("pat")
    open_invoice(page, "INV-7")
    expect(page.get_by_role("button", name="Approve", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Revise & Resubmit")).to_be_visible()
    page.get_by_role("button", name="Approve", exact=True).click()

    expect(page.get_by_role("alert").filter(has_text="INV-7 is now Approved.")).to_be_visible()
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    expect(page.get_by_role("cell", name="Under Review", exact=True).first).to_be_visible()

    # Back on the Invoices tab, the bulk "Send to ERP".
    page.get_by_role("link", name="Invoices", exact=True).click()
    page.on("dialog", lambda dialog: dialog.accept())
    expect(invoice_row(page, "INV-7")).to_contain_text("Approved")
    page.get_by_role("checkbox", name="Select INV-7").check()
    page.get_by_role("button", name="Send to ERP").click()

    expect(page.get_by_role("status")).to_contain_text("INV-7: sent to ERP Integrations.")
    expect(invoice_row(page, "INV-7")).to_contain_text("Ready to Export")
    invoice = demo_invoice(7)
    assert invoice.status == InvoiceStatus.APPROVED
    assert invoice.erp_status == InvoiceErpStatus.READY_TO_EXPORT
    assert invoice.created_by.username == "sam"
    assert list(
        ChangeHistoryEntry.objects.filter(invoice=invoice, changed="Status")
        .order_by("created_at", "pk")
        .values_list("action_by__username", "to_value")
    ) == [("sam", "Under Review"), ("pat", "Approved")]
