"""Corrections after export and exporting without the approver, through Chromium as the
demo users: alex unlinks a synced invoice and pat corrects it and sends it again; with
Direct Export switched on in Django admin, pat's send reaches Synced without alex."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from erp_integrations.models import ErpConnection, ExportItem, ExportState
from invoices.models import InvoiceErpStatus
from tests.browser.test_commitments import demo_invoice
from tests.browser.test_erp_integrations import INV_3, open_tab, row_of
from tests.browser.test_invoice_review import log_out
from tests.browser.test_invoices import open_invoice

pytestmark = pytest.mark.django_db(transaction=True)

INV_2 = "INV-2 of SC-001 (RMC-101)"
REASON = "Deleted in Sage 300 CRE: the August quantities were wrong."


def open_erp_integrations(page):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    expect(page.get_by_role("heading", name="ERP Integrations", exact=True)).to_be_visible()


def test_alex_unlinks_a_synced_invoice_and_pat_corrects_and_sends_it_again(demo, log_in, page):
    first_item = ExportItem.objects.get(invoice=demo_invoice(2))
    page = log_in("alex")
    open_erp_integrations(page)
    open_tab(page, "Synced")

    # The page says first what unlinking means, then asks for a reason and a confirmation.
    expect(
        page.get_by_text("Unlink an invoice only after it was deleted in the ERP")
    ).to_be_visible()
    page.get_by_role("checkbox", name=f"Select {INV_2}").check()
    page.get_by_label("Reason for unlinking the checked invoices").fill(REASON)
    page.get_by_label("The checked invoices were deleted in the ERP").check()
    page.get_by_role("button", name="Unlink checked").click()

    # INV-3 and INV-4 wait in Ready to Export, and their previous work comes from INV-2.
    expect(
        page.get_by_role("status").get_by_text("INV-2: a later invoice of SC-001")
    ).to_be_visible()
    expect(row_of(page, INV_2)).to_be_visible()

    # alex rejects them, then unlinks INV-2 from its row.
    open_tab(page, "Ready to Export")
    page.get_by_role("checkbox", name="Select all invoices on this page").check()
    page.get_by_label("Reason for rejecting the checked invoices").fill("INV-2 is being corrected")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reject checked").click()
    expect(page.get_by_text("No invoices are ready to export.")).to_be_visible()

    open_tab(page, "Synced")
    row_of(page, INV_2).get_by_text("Unlink").first.click()
    page.get_by_label(f"Reason for unlinking {INV_2}").fill(REASON)
    page.get_by_label(f"{INV_2} was deleted in the ERP").check()
    page.get_by_role("button", name=f"Unlink {INV_2}").click()
    expect(
        page.get_by_role("status").get_by_text("INV-2: unlinked from the ERP; it is Not Sent.")
    ).to_be_visible()
    expect(row_of(page, INV_2)).to_have_count(0)
    log_out(page)

    # pat finds INV-2 unlocked, says why, corrects it and sends it again.
    page = log_in("pat")
    open_invoice(page, "INV-2")
    banner = page.get_by_role("status").filter(has_text="Unlinked from the ERP by Alex Rivera")
    expect(banner).to_contain_text(REASON)
    expect(banner).to_contain_text(first_item.erp_reference)
    expect(page.get_by_text("is locked")).to_have_count(0)
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Work completed this period, 01-500 Mobilization & General Conditions").fill(
        "2500.00"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").filter(has_text="INV-2 saved.")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send to ERP").click()
    expect(
        page.get_by_role("alert").filter(has_text="INV-2: sent to ERP Integrations.")
    ).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="INV-2 is locked")).to_be_visible()

    invoice = demo_invoice(2)
    assert invoice.erp_status == InvoiceErpStatus.READY_TO_EXPORT
    first_item.refresh_from_db()
    second_item = ExportItem.objects.exclude(pk=first_item.pk).get(invoice=invoice)
    assert first_item.state == ExportState.UNLINKED
    assert second_item.idempotency_key != first_item.idempotency_key
    assert second_item.invoice_revision > first_item.invoice_revision


def test_with_direct_export_on_pat_sends_an_invoice_and_it_syncs_without_alex(
    demo, log_in, page, live_server
):
    # The site admin switches Direct Export on in Django admin.
    page = log_in("admin")
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="ERP connections").click()
    page.get_by_role("link", name=re.compile(r"^Summit Builders")).click()
    page.get_by_label("Direct export").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    log_out(page)

    # pat is told before the click that the invoice exports at once.
    page = log_in("pat")
    open_invoice(page, "INV-5")
    expect(page.get_by_role("note")).to_contain_text("Direct Export is on.")
    messages = []

    def accept(dialog):
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Send to ERP").click()
    expect(
        page.get_by_role("alert").filter(
            has_text="INV-5: sent to ERP and exporting (Direct Export)."
        )
    ).to_be_visible()
    assert "Direct Export is on" in messages[0]
    expect(page.get_by_role("button", name="Retrieve from ERP")).to_have_count(0)

    # The demo exports at once (file connector, immediate tasks): a reload shows Synced.
    page.reload()
    expect(page.get_by_role("status").filter(has_text="INV-5 is locked")).to_contain_text(
        "exported to the ERP"
    )
    item = ExportItem.objects.get(invoice=demo_invoice(5))
    assert item.state == ExportState.SYNCED
    assert item.sent_directly
    assert item.decided_by.username == "pat"
    assert ErpConnection.objects.get().direct_export is True
    log_out(page)

    # alex sees it on the Synced tab, accepted with Direct Export by pat; Ready to Export
    # holds only what was sent before.
    page = log_in("alex")
    open_erp_integrations(page)
    expect(row_of(page, "INV-5 of SC-001 (RMC-101)")).to_have_count(0)
    expect(row_of(page, INV_3)).to_be_visible()
    open_tab(page, "Synced")
    expect(row_of(page, "INV-5 of SC-001 (RMC-101)")).to_contain_text("Direct Export")
