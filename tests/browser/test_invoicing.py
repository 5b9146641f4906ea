"""The project's Invoicing tool, driven through Chromium as the demo users: pat filters
Riverside Medical Center's invoices (the demo's biggest project) by ERP status, sends two
invoices of different commitments to ERP and retrieves them again, with a result line per
invoice; the filters survive a reload and Back; and the same without JavaScript."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from invoices.models import Invoice, InvoiceErpStatus

pytestmark = pytest.mark.django_db(transaction=True)

# Approved and never sent, on two commitments of the project.
SC_001_INV_5 = ("SC-001", 5)
PO_001_INV_1 = ("PO-001", 1)


def demo_invoice(commitment: str, number: int) -> Invoice:
    return Invoice.objects.get(
        commitment__project__number="RMC-101", commitment__number=commitment, number=number
    )


def open_invoicing(page):
    """Project → "Invoicing" in its tool menu, as a user clicks."""
    page.get_by_role("link", name="Riverside Medical Center").first.click()
    page.get_by_role("navigation", name="Project tools").get_by_role(
        "link", name="Invoicing"
    ).click()
    expect(page.get_by_role("heading", level=1, name="Invoicing")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/invoicing/$"))


def filter_by_erp_status(page, status: str):
    page.get_by_label("ERP status", exact=True).select_option(label=status)
    page.get_by_role("button", name="Filter").click()


def table(page):
    return page.get_by_role("table", name=re.compile("invoices of Riverside Medical Center"))


def row_of(page, commitment: str, number: int):
    return (
        table(page)
        .get_by_role("row")
        .filter(has=page.get_by_role("checkbox", name=f"Select INV-{number} of {commitment}"))
    )


def test_pat_sends_and_retrieves_invoices_of_two_commitments(demo, log_in, page):
    page = log_in("pat")
    open_invoicing(page)
    page.on("dialog", lambda dialog: dialog.accept())

    filter_by_erp_status(page, "Not Sent")
    expect(page).to_have_url(re.compile(r"\?erp_status=not_sent$"))
    expect(table(page).get_by_text("Ready to Export")).to_have_count(0)
    for commitment, number in (SC_001_INV_5, PO_001_INV_1):
        row_of(page, commitment, number).get_by_role("checkbox").check()
    page.get_by_role("button", name="Send to ERP").click()

    result = page.get_by_role("status").filter(has_text="Send to ERP: what happened")
    expect(result).to_contain_text("SC-001 INV-5: sent to ERP Integrations.")
    expect(result).to_contain_text("PO-001 INV-1: sent to ERP Integrations.")
    expect(result.get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_role("alert").filter(has_text="Send to ERP: 2 sent.")).to_be_visible()
    # Still filtered by Not Sent: the sent invoices have left the list.
    expect(row_of(page, *SC_001_INV_5)).to_have_count(0)
    assert demo_invoice(*SC_001_INV_5).erp_status == InvoiceErpStatus.READY_TO_EXPORT
    assert demo_invoice(*PO_001_INV_1).erp_status == InvoiceErpStatus.READY_TO_EXPORT

    filter_by_erp_status(page, "Ready to Export")
    for commitment, number in (SC_001_INV_5, PO_001_INV_1):
        row_of(page, commitment, number).get_by_role("checkbox").check()
    page.get_by_role("button", name="Retrieve from ERP").click()

    result = page.get_by_role("status").filter(has_text="Retrieve from ERP: what happened")
    expect(result).to_contain_text("SC-001 INV-5: retrieved from ERP Integrations.")
    expect(result).to_contain_text("PO-001 INV-1: retrieved from ERP Integrations.")
    expect(result.get_by_role("listitem")).to_have_count(2)
    expect(result).to_be_focused()
    assert demo_invoice(*SC_001_INV_5).erp_status == InvoiceErpStatus.RETRIEVED
    assert demo_invoice(*PO_001_INV_1).erp_status == InvoiceErpStatus.RETRIEVED


def test_the_filters_and_sort_survive_a_reload_and_back(demo, log_in, page):
    page = log_in("pat")
    open_invoicing(page)

    filter_by_erp_status(page, "Synced")
    expect(page).to_have_url(re.compile(r"\?erp_status=synced$"))
    table(page).get_by_role("link", name=re.compile("^Billing period")).click()
    expect(page).to_have_url(re.compile(r"\?erp_status=synced&sort=billing_period$"))
    expect(table(page).get_by_role("row")).to_have_count(3)  # the header and two synced

    page.reload()
    expect(page.get_by_label("ERP status", exact=True)).to_have_value("synced")
    expect(table(page).get_by_role("row")).to_have_count(3)

    page.go_back()
    expect(page).to_have_url(re.compile(r"\?erp_status=synced$"))
    expect(page.get_by_label("ERP status", exact=True)).to_have_value("synced")
    expect(table(page).get_by_role("row")).to_have_count(3)


def test_casey_sees_no_private_invoice_and_no_actions(demo, log_in, page):
    """Read Only on the project, not on SC-002's access list."""
    page = log_in("casey")
    open_invoicing(page)

    expect(table(page).get_by_text("SC-001").first).to_be_visible()
    expect(table(page).get_by_text("SC-002")).to_have_count(0)
    expect(page.get_by_role("button", name="Retrieve from ERP")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)


def test_send_works_without_javascript(demo, browser, live_server):
    """With JavaScript off the filters are a GET form and the actions post and redirect
    back to the filtered page, with a message per invoice."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    open_invoicing(page)
    filter_by_erp_status(page, "Not Sent")

    for commitment, number in (SC_001_INV_5, PO_001_INV_1):
        row_of(page, commitment, number).get_by_role("checkbox").check()
    page.get_by_role("button", name="Send to ERP").click()

    expect(page).to_have_url(re.compile(r"/invoicing/\?erp_status=not_sent$"))
    expect(page.get_by_role("alert").filter(has_text="SC-001 INV-5: sent")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="PO-001 INV-1: sent")).to_be_visible()
    assert demo_invoice(*PO_001_INV_1).erp_status == InvoiceErpStatus.READY_TO_EXPORT
    context.close()
