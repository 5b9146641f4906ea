"""After an htmx action the focus lands on what the action reports, not on the page
itself (the button that had the focus was swapped away)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_commitments import open_invoices_tab
from tests.browser.test_erp_integrations import INV_3, INV_4, row_of
from tests.browser.test_invoices import open_invoice

pytestmark = pytest.mark.django_db(transaction=True)


def focused_tag(page) -> str:
    return page.evaluate("document.activeElement.tagName")


def test_focus_lands_on_the_result_panel_after_a_bulk_retrieve(demo, log_in):
    page = log_in("pat")
    open_invoices_tab(page)
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("checkbox", name="Select INV-3").check()

    page.get_by_role("button", name="Retrieve from ERP").click()

    result = page.get_by_role("status").filter(has_text="Retrieve from ERP: what happened")
    expect(result).to_be_focused()
    assert "INV-3: retrieved from ERP Integrations." in page.evaluate(
        "document.activeElement.textContent"
    )


def test_focus_lands_on_the_invoice_heading_after_retrieving_it(demo, log_in):
    """The invoice page's region is swapped whole; the focus goes to its heading, with
    the message (an alert) saying what happened."""
    page = log_in("pat")
    open_invoice(page, "INV-3")
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("button", name="Retrieve from ERP").click()

    expect(page.get_by_role("alert").filter(has_text="INV-3: retrieved")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_focused()
    assert focused_tag(page) == "H1"


def open_erp_integrations(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    expect(row_of(page, INV_3)).to_be_visible()


def test_focus_lands_on_the_result_after_accepting_a_row(demo, log_in):
    page = log_in("alex")
    open_erp_integrations(page)

    row_of(page, INV_3).get_by_role("button", name=f"Accept {INV_3}").click()

    result = page.get_by_role("status", name="What happened")
    expect(result).to_contain_text("INV-3: accepted.")
    expect(result).to_be_focused()


def test_focus_lands_on_the_result_after_a_reject_without_a_reason(demo, log_in):
    page = log_in("alex")
    open_erp_integrations(page)

    row_of(page, INV_4).get_by_text("Reject").first.click()
    page.get_by_role("button", name=f"Reject {INV_4}").click()

    result = page.get_by_role("status", name="What happened")
    expect(result).to_contain_text("Enter a reason for the rejection.")
    expect(result).to_be_focused()
