"""The accounting approver works the ERP Integrations page in a browser."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from commitments.models import CommitmentErpStatus
from erp_integrations.services import REJECTION_REASON_REQUIRED, invoices_send_to_erp
from invoices.models import Invoice, InvoiceErpStatus, InvoiceStatus
from tests.browser.conftest import save_screenshot

INV_3 = "INV-3 of SC-001 (RMC-101)"
INV_4 = "INV-4 of SC-001 (RMC-101)"
REASON = "Billing period overlaps INV-3; please resubmit for September."


def row_of(page, name):
    """The queue row whose review link names the invoice."""
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=f"Review {name}"))


def open_tab(page, label):
    page.get_by_role("navigation", name="ERP Integrations tabs").get_by_role(
        "link", name=label
    ).click()
    expect(
        page.get_by_role("navigation", name="ERP Integrations tabs").get_by_role("link", name=label)
    ).to_have_attribute("aria-current", "page")


@pytest.mark.django_db(transaction=True)
def test_alex_accepts_one_invoice_and_rejects_another(demo, log_in):
    """alex opens ERP Integrations, is refused an empty reason, accepts INV-3 (it syncs)
    and rejects INV-4 with a reason."""
    page = log_in("alex")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()

    expect(page.get_by_role("heading", name="ERP Integrations", exact=True)).to_be_visible()
    expect(
        page.get_by_role("heading", name="Things to know about your ERP integration")
    ).to_be_visible()
    expect(page.get_by_text("Tax is not exported.")).to_be_visible()
    expect(row_of(page, INV_3)).to_be_visible()
    expect(row_of(page, INV_4)).to_be_visible()
    expect(page.get_by_role("checkbox", name=f"Select {INV_3}")).to_be_visible()
    save_screenshot(page, "erp_integrations")

    # An empty reason is refused, and INV-4 stays Ready to Export.
    row_of(page, INV_4).get_by_text("Reject").first.click()
    page.get_by_role("button", name=f"Reject {INV_4}").click()
    expect(page.get_by_role("status").get_by_text(REJECTION_REASON_REQUIRED)).to_be_visible()
    expect(row_of(page, INV_4)).to_be_visible()

    # Accept INV-3: the demo exports at once through the file connector.
    row_of(page, INV_3).get_by_role("button", name=f"Accept {INV_3}").click()
    expect(page.get_by_role("status").get_by_text("INV-3: accepted.")).to_be_visible()
    accepted = page.get_by_role("alert").filter(has_text="Accepted 1 invoice for export.")
    expect(accepted).to_be_visible()
    expect(row_of(page, INV_3)).to_have_count(0)

    # Reject INV-4 with a reason.
    row_of(page, INV_4).get_by_text("Reject").first.click()
    page.get_by_label(f"Reason for rejecting {INV_4}").fill(REASON)
    page.get_by_role("button", name=f"Reject {INV_4}").click()
    expect(page.get_by_role("status").get_by_text("INV-4: rejected.")).to_be_visible()
    expect(row_of(page, INV_4)).to_have_count(0)

    open_tab(page, "Synced")
    expect(page).to_have_url(re.compile(r"/erp-integrations/synced/$"))
    expect(row_of(page, INV_3)).to_be_visible()

    open_tab(page, "Rejected")
    expect(row_of(page, INV_4)).to_contain_text(REASON)
    expect(row_of(page, INV_4)).to_contain_text("Alex Rivera")


@pytest.mark.django_db(transaction=True)
def test_alex_rejects_all_checked_invoices_at_once(demo, log_in, live_server):
    """Select all, a reason and "Reject checked" (after confirming) reject every listed
    invoice."""
    page = log_in("alex")
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()

    page.get_by_role("checkbox", name="Select all invoices on this page").check()
    expect(page.get_by_role("checkbox", name=f"Select {INV_4}")).to_be_checked()
    page.get_by_label("Reason for rejecting the checked invoices").fill("Wrong cost codes")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reject checked").click()

    expect(page.get_by_role("alert").filter(has_text="Rejected 3 invoices.")).to_be_visible()
    expect(page.get_by_text("No invoices are ready to export.")).to_be_visible()
    open_tab(page, "Rejected")
    expect(page.get_by_text("Wrong cost codes")).to_have_count(3)


@pytest.mark.django_db(transaction=True)
def test_back_from_a_review_to_a_tab_opened_by_htmx_shows_the_whole_page(demo, log_in):
    """The Synced tab, opened in place by htmx (its URL pushed), then a review, then Back:
    the browser shows the whole Synced page (navigation, styles), not the region htmx
    fetched for that URL from its cache (the responses say they vary on htmx headers)."""
    page = log_in("alex")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    open_tab(page, "Synced")
    expect(page).to_have_url(re.compile(r"/erp-integrations/synced/$"))
    page.get_by_role("link", name=re.compile(r"^Review INV-")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Review .* invoice INV-"))).to_be_visible()

    page.go_back()

    expect(page).to_have_url(re.compile(r"/erp-integrations/synced/$"))
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page.get_by_role("heading", name="ERP Integrations", exact=True)).to_be_visible()
    expect(
        page.get_by_role("navigation", name="ERP Integrations tabs").get_by_role(
            "link", name="Synced"
        )
    ).to_have_attribute("aria-current", "page")


def send_a_riverside_invoice():
    """pat sends one more of Riverside's approved invoices, so three of its invoices wait
    beside Harbor View's one."""
    pat = get_user_model().objects.get(username="pat")
    waiting = Invoice.objects.filter(
        commitment__project__number="RMC-101",
        commitment__erp_status=CommitmentErpStatus.SYNCED,
        status=InvoiceStatus.APPROVED,
        erp_status=InvoiceErpStatus.NOT_SENT,
    ).select_related("commitment")
    for invoice in waiting.order_by("pk")[:1]:
        invoices_send_to_erp(
            user=pat,
            project_id=invoice.commitment.project_id,
            commitment_id=invoice.commitment_id,
            invoice_ids=[invoice.pk],
        )


@pytest.mark.django_db(transaction=True)
def test_alex_filters_to_one_project_checks_three_invoices_and_accepts_them(demo, log_in):
    """alex filters the queue to Riverside (the filter lands in the URL and survives Back,
    Forward and a reload), checks its three invoices one by one (the checked total follows each box)
    and accepts them; Harbor View's invoice stays waiting."""
    send_a_riverside_invoice()
    page = log_in("alex")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    expect(
        page.get_by_role("link", name=re.compile(r"^Review INV-1 of SC-001 \(HVO-"))
    ).to_be_visible()

    page.get_by_label("Project", exact=True).select_option(label="RMC-101 Riverside Medical Center")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/erp-integrations/ready-to-export/\?project=\d+$"))
    expect(page.get_by_role("link", name=re.compile(r"\(HVO-"))).to_have_count(0)
    # Back shows the whole queue again, Forward the filtered one, a reload keeps it.
    page.go_back()
    expect(page.get_by_role("link", name=re.compile(r"\(HVO-"))).to_have_count(1)
    page.go_forward()
    expect(page).to_have_url(re.compile(r"\?project=\d+$"))
    expect(page.get_by_role("link", name=re.compile(r"\(HVO-"))).to_have_count(0)
    page.reload()
    expect(page.get_by_label("Project", exact=True)).to_have_value(re.compile(r"^\d+$"))
    boxes = page.get_by_role("checkbox", name=re.compile(r"^Select INV-\d+ of .* \(RMC-101\)$"))
    expect(boxes).to_have_count(3)
    page_total = page.locator(".erp-totals strong").first.inner_text()
    checked = page.get_by_role("paragraph").filter(has_text="Checked:")

    first = boxes.nth(0)
    first.check()
    first_name = first.get_attribute("aria-label").removeprefix("Select ")
    first_amount = row_of(page, first_name).locator("td.num").inner_text()
    expect(checked).to_have_text(f"Checked: {first_amount} (1 invoice)")
    boxes.nth(1).check()
    boxes.nth(2).check()
    expect(checked).to_have_text(f"Checked: {page_total} (3 invoices)")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Accept checked").click()

    expect(
        page.get_by_role("alert").filter(has_text="Accepted 3 invoices for export.")
    ).to_be_visible()
    expect(page.get_by_text("No invoices are ready to export.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?project=\d+$"))
    page.get_by_role("link", name="Clear the filters").click()
    expect(
        page.get_by_role("link", name=re.compile(r"^Review INV-1 of SC-001 \(HVO-"))
    ).to_be_visible()
    expect(page.get_by_role("checkbox", name=re.compile(r"\(RMC-101\)$"))).to_have_count(0)
