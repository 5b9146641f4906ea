"""The Commitments tool and the commitment's Invoices tab, driven through Chromium as
the demo users: the bulk "Retrieve from ERP" of the reference procedure, a bulk "Send to
ERP", a mixed retrieval, and the refusals for users who may not act."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from erp_integrations.services import ALREADY_ACCEPTED, NOT_PROJECT_ADMIN
from invoices.models import Invoice, InvoiceErpStatus
from tests.browser.conftest import save_screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def demo_invoice(number: int) -> Invoice:
    return Invoice.objects.get(
        commitment__project__number="RMC-101", commitment__number="SC-001", number=number
    )


def open_invoices_tab(page):
    """Project → Commitments tool → SC-001 "View" → "Invoices" tab, as a user clicks."""
    page.get_by_role("link", name="Riverside Medical Center").first.click()
    page.get_by_role("link", name="Commitments", exact=True).click()
    page.get_by_role("link", name="View SC-001").click()
    page.get_by_role("tab", name="Invoices").click()
    expect(page.get_by_role("tab", name="Invoices")).to_have_attribute("aria-selected", "true")
    expect(page).to_have_url(re.compile(r"/commitments/\d+/invoices/$"))


def invoice_row(page, label: str):
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=label, exact=True))


def test_pat_finds_a_commitment_in_the_commitments_tool(demo, log_in, page):
    """The tool lists the project's commitments with their amounts and filters them."""
    page = log_in("pat")
    page.get_by_role("link", name="Riverside Medical Center").first.click()
    page.get_by_role("link", name="Commitments", exact=True).click()

    table = page.get_by_role("table", name="Commitments")
    expect(table.get_by_role("cell", name="SC-001", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="Concrete & Foundations")).to_be_visible()
    expect(table.get_by_role("cell", name="Keystone Concrete")).to_be_visible()
    expect(table.get_by_role("cell", name="$1,500,000.00")).to_be_visible()
    expect(table.get_by_role("cell", name="PO-001", exact=True)).to_be_visible()
    save_screenshot(page, "commitments")

    page.get_by_label("Search number or title").fill("Electrical")
    page.get_by_role("button", name="Filter").click()

    expect(table.get_by_role("cell", name="SC-003", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="SC-001", exact=True)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"\?.*q=Electrical"))


def test_pat_retrieves_two_invoices_from_the_invoices_tab(demo, log_in, page):
    """The reference procedure: check the Ready to Export invoices, "Retrieve from ERP";
    the table and a result panel update in place."""
    page = log_in("pat")
    open_invoices_tab(page)
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("checkbox", name="Select INV-3").check()
    page.get_by_role("checkbox", name="Select INV-4").check()
    page.get_by_role("button", name="Retrieve from ERP").click()

    result = page.get_by_role("status").filter(has_text="Retrieve from ERP: what happened")
    expect(result).to_contain_text("INV-3: retrieved from ERP Integrations.")
    expect(result).to_contain_text("INV-4: retrieved from ERP Integrations.")
    expect(invoice_row(page, "INV-3")).to_contain_text("Retrieved")
    expect(invoice_row(page, "INV-4")).to_contain_text("Retrieved")
    expect(page.get_by_role("alert").filter(has_text="2 retrieved")).to_be_visible()
    save_screenshot(page, "invoices_tab")
    assert demo_invoice(3).erp_status == InvoiceErpStatus.RETRIEVED
    assert demo_invoice(4).erp_status == InvoiceErpStatus.RETRIEVED


def test_pat_sends_the_approved_invoice_to_erp(demo, log_in, page):
    """Bulk "Send to ERP" of the Approved invoice that was never sent."""
    page = log_in("pat")
    open_invoices_tab(page)
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("checkbox", name="Select INV-5").check()
    page.get_by_role("button", name="Send to ERP").click()

    expect(page.get_by_role("status")).to_contain_text("INV-5: sent to ERP Integrations.")
    expect(invoice_row(page, "INV-5")).to_contain_text("Ready to Export")
    assert demo_invoice(5).erp_status == InvoiceErpStatus.READY_TO_EXPORT


def test_mixed_retrieve_reports_the_refused_invoice_with_its_reason(demo, log_in, page):
    """A Synced invoice is refused ("already accepted"), the Ready to Export one is
    retrieved; each is reported on its own."""
    page = log_in("pat")
    open_invoices_tab(page)
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("checkbox", name="Select INV-1").check()
    page.get_by_role("checkbox", name="Select INV-3").check()
    page.get_by_role("button", name="Retrieve from ERP").click()

    result = page.get_by_role("status").filter(has_text="what happened")
    expect(result).to_contain_text("INV-3: retrieved from ERP Integrations.")
    expect(result).to_contain_text(ALREADY_ACCEPTED.format(label="INV-1"))
    expect(invoice_row(page, "INV-1")).to_contain_text("Synced")
    assert demo_invoice(1).erp_status == InvoiceErpStatus.SYNCED
    assert demo_invoice(3).erp_status == InvoiceErpStatus.RETRIEVED


def test_select_all_checks_every_invoice(demo, log_in, page):
    page = log_in("pat")
    open_invoices_tab(page)

    page.get_by_role("checkbox", name="Select all invoices").check()

    for number in range(1, 7):
        expect(page.get_by_role("checkbox", name=f"Select INV-{number}")).to_be_checked()


def test_retrieve_without_a_checked_invoice_asks_for_one(demo, log_in, page):
    page = log_in("pat")
    open_invoices_tab(page)
    page.on("dialog", lambda dialog: dialog.accept())

    page.get_by_role("button", name="Retrieve from ERP").click()

    expect(page.get_by_role("status")).to_contain_text("Select at least one invoice.")


@pytest.mark.parametrize("username", ["riley", "casey", "sam"])
def test_users_who_may_not_act_see_no_bulk_actions(demo, log_in, page, username):
    """Standard (riley), Read Only (casey) and the invoice contact (sam) see the
    invoices but neither the buttons nor the checkboxes."""
    page = log_in(username)
    open_invoices_tab(page)

    expect(invoice_row(page, "INV-3")).to_contain_text("Ready to Export")
    expect(page.get_by_role("button", name="Retrieve from ERP")).to_have_count(0)
    expect(page.get_by_role("button", name="Send to ERP")).to_have_count(0)
    expect(page.get_by_role("checkbox")).to_have_count(0)


def test_casey_does_not_see_the_private_commitment(demo, log_in, page):
    """SC-002 is private and casey is not on its access list."""
    page = log_in("casey")
    page.get_by_role("link", name="Riverside Medical Center").first.click()
    page.get_by_role("link", name="Commitments", exact=True).click()

    table = page.get_by_role("table", name="Commitments")
    expect(table.get_by_role("cell", name="SC-001", exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="SC-002", exact=True)).to_have_count(0)


@pytest.mark.parametrize("username", ["riley", "casey", "sam"])
def test_forged_bulk_retrieve_is_refused_and_changes_nothing(demo, log_in, page, username):
    """A hand-made POST of "Retrieve from ERP" by a user who may not act is refused
    with the reason, and the invoice stays in ERP Integrations."""
    page = log_in(username)
    open_invoices_tab(page)
    invoice = demo_invoice(3)
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")

    response = page.request.post(
        page.url + "retrieve-from-erp/",
        form={"invoice_ids": str(invoice.pk)},
        headers={"X-CSRFToken": token, "Referer": page.url},
    )

    assert response.ok
    assert NOT_PROJECT_ADMIN.replace("'", "&#x27;") in response.text()
    assert demo_invoice(3).erp_status == InvoiceErpStatus.READY_TO_EXPORT


def test_tabs_move_with_the_arrow_keys(demo, log_in, page):
    """The tab list is keyboard usable: ArrowRight selects and focuses the next tab."""
    page = log_in("pat")
    open_invoices_tab(page)

    page.get_by_role("tab", name="Invoices").focus()
    page.keyboard.press("ArrowRight")

    history = page.get_by_role("tab", name="Change History")
    expect(history).to_have_attribute("aria-selected", "true")
    expect(history).to_be_focused()
    expect(page.get_by_role("tabpanel")).to_contain_text("ERP Status")
    expect(page).to_have_url(re.compile(r"/history/$"))


def test_a_failed_tab_load_shows_an_error_in_the_panel(demo, log_in, page):
    """When the server fails, the tab panel says so instead of going blank."""
    page = log_in("pat")
    open_invoices_tab(page)
    page.route("**/history/", lambda route: route.fulfill(status=500, body="Server Error"))

    page.get_by_role("tab", name="Change History").click()

    expect(page.get_by_role("tabpanel").get_by_role("alert")).to_contain_text(
        "This part of the page could not be loaded."
    )


def test_bulk_retrieve_works_without_javascript(demo, browser, live_server):
    """With JavaScript off the tab is a plain page and the form posts normally; the
    result comes back as messages after the redirect."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("pat")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    open_invoices_tab(page)

    page.get_by_role("checkbox", name="Select INV-1").check()
    page.get_by_role("checkbox", name="Select INV-4").check()
    page.get_by_role("button", name="Retrieve from ERP").click()

    expect(page.get_by_role("alert").filter(has_text="INV-4: retrieved")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="INV-1: already accepted")).to_be_visible()
    expect(invoice_row(page, "INV-4")).to_contain_text("Retrieved")
    assert demo_invoice(4).erp_status == InvoiceErpStatus.RETRIEVED
    context.close()
