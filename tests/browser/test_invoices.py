"""The invoice page through Chromium: the reference procedure for retrieving one
invoice, the lock banner and the disabled Edit, and refusals."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from erp_integrations.services import NOT_PROJECT_ADMIN
from invoices.models import InvoiceErpStatus
from tests.browser.conftest import save_screenshot
from tests.browser.test_commitments import demo_invoice, invoice_row, open_invoices_tab

pytestmark = pytest.mark.django_db(transaction=True)


def open_invoice(page, label: str):
    """... → "Invoices" tab → find the invoice and click "View"."""
    open_invoices_tab(page)
    invoice_row(page, label).get_by_role("link", name=f"View {label}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(label)


def test_pat_retrieves_one_invoice_from_its_page(demo, log_in, page):
    """The reference procedure: the locked invoice says who sent it and until when;
    "Retrieve from ERP" unlocks it in place. INV-4 is the commitment's latest invoice in
    ERP Integrations, so once retrieved it can be corrected."""
    page = log_in("pat")
    open_invoice(page, "INV-4")

    banner = page.get_by_role("status").filter(has_text="is locked")
    expect(banner).to_contain_text("Pat Morgan sent it to ERP Integrations on")
    expect(banner).to_contain_text(
        "It stays locked until the accounting approver accepts or rejects it, or it is "
        "retrieved from ERP."
    )
    expect(page.get_by_role("button", name="Edit")).to_be_disabled()
    expect(page.get_by_text("Edit is unavailable while the invoice is locked.")).to_be_visible()
    save_screenshot(page, "invoice")

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retrieve from ERP").click()

    expect(
        page.get_by_role("alert").filter(has_text="INV-4: retrieved from ERP Integrations.")
    ).to_be_visible()
    expect(page.get_by_text("is locked")).to_have_count(0)
    expect(page.get_by_role("button", name="Re-send to ERP")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_be_visible()
    expect(page.get_by_role("heading", name="Change History")).to_be_visible()
    expect(page.get_by_role("cell", name="Retrieved", exact=True)).to_be_visible()
    assert demo_invoice(4).erp_status == InvoiceErpStatus.RETRIEVED


def test_pat_edits_a_retrieved_invoice(demo, log_in, page):
    """Once retrieved, the invoice can be corrected on its edit page."""
    page = log_in("pat")
    open_invoice(page, "INV-4")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retrieve from ERP").click()
    page.get_by_role("link", name="Edit").click()

    field = page.get_by_label(
        "Work completed this period, 01-500 Mobilization & General Conditions"
    )
    # The lines table sits under its legend, on screen, not pushed beside it.
    expect(field).to_be_in_viewport()
    field.fill("4000.00")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert").filter(has_text="INV-4 saved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/invoices/\d+/$"))
    assert (
        demo_invoice(4).lines.get(sov_line__cost_code="01-500").work_completed_this_period == 4000
    )


def test_bad_edit_shows_the_error_beside_the_field(demo, log_in, page):
    page = log_in("pat")
    open_invoice(page, "INV-6")  # Draft
    page.get_by_role("link", name="Edit").click()

    page.get_by_label("Work retainage %, 01-500 Mobilization & General Conditions").fill("150")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert").filter(has_text="Nothing was saved")).to_be_visible()
    expect(page.get_by_text("Ensure this value is less than or equal to 100.")).to_be_visible()


@pytest.mark.parametrize("username", ["riley", "casey", "sam"])
def test_users_who_may_not_act_see_no_erp_buttons_on_the_invoice(demo, log_in, page, username):
    page = log_in(username)
    open_invoice(page, "INV-3")

    expect(page.get_by_role("status").filter(has_text="is locked")).to_be_visible()
    expect(page.get_by_role("button", name="Retrieve from ERP")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Send to ERP"))).to_have_count(0)


def test_forged_retrieve_of_one_invoice_is_refused(demo, log_in, page):
    """casey (Read Only) posts "Retrieve from ERP" by hand: refused, nothing changes."""
    page = log_in("casey")
    open_invoice(page, "INV-3")
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")

    response = page.request.post(
        page.url + "retrieve-from-erp/",
        headers={"X-CSRFToken": token, "Referer": page.url},
    )

    assert response.ok
    assert NOT_PROJECT_ADMIN.replace("'", "&#x27;") in response.text()
    assert demo_invoice(3).erp_status == InvoiceErpStatus.READY_TO_EXPORT
    page.reload()
    expect(page.get_by_role("status").filter(has_text="INV-3 is locked")).to_be_visible()
