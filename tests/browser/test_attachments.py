"""Attachments through Chromium as the demo users: sam attaches a pay application PDF to
his draft and submits it, pat approves it and sends it to ERP Integrations, and alex opens
the attachment from the review page and accepts the invoice, which exports with it."""

from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from demo.documents import text_pdf
from invoices.models import InvoiceErpStatus
from tests.browser.test_commitments import demo_invoice, open_invoices_tab
from tests.browser.test_invoice_review import log_out
from tests.browser.test_invoices import open_invoice

pytestmark = pytest.mark.django_db(transaction=True)

PAY_APPLICATION = "Pay Application INV-7.pdf"
INV_7 = "INV-7 of SC-001 (RMC-101)"


def test_sam_attaches_a_pay_application_that_alex_opens_before_accepting(
    demo, log_in, page, settings, live_server
):
    # Sam starts INV-7 and fills in one line.
    page = log_in("sam")
    open_invoices_tab(page)
    page.get_by_role("link", name="New invoice").click()
    page.get_by_role("button", name="Create invoice").click()
    page.get_by_label("Work completed this period, 01-500 Mobilization & General Conditions").fill(
        "4500.00"
    )
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert").filter(has_text="INV-7 saved.")).to_be_visible()

    # He attaches the signed pay application on the invoice page, then submits.
    page.get_by_label("Add an attachment").set_input_files(
        files=[
            {
                "name": PAY_APPLICATION,
                "mimeType": "application/pdf",
                "buffer": text_pdf(["Application and Certificate for Payment INV-7"]),
            }
        ]
    )
    page.get_by_role("button", name="Attach", exact=True).click()
    expect(
        page.get_by_role("alert").filter(has_text=f"{PAY_APPLICATION} attached to INV-7.")
    ).to_be_visible()
    attachments = page.get_by_role("table", name="Attachments of INV-7")
    expect(attachments.get_by_role("link", name=PAY_APPLICATION)).to_be_visible()
    expect(attachments).to_contain_text("Sam Ortiz")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("alert").filter(has_text="INV-7 is now Under Review.")).to_be_visible()

    # Pat approves it and sends it to ERP Integrations from its page.
    log_out(page)
    page = log_in("pat")
    open_invoice(page, "INV-7")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="INV-7 is now Approved.")).to_be_visible()
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send to ERP").click()
    expect(page.get_by_role("status").filter(has_text="INV-7 is locked")).to_be_visible()
    # Locked: more backup may come, but nothing can be removed.
    expect(page.get_by_label("Add an attachment")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(f"Remove {PAY_APPLICATION}"))).to_have_count(
        0
    )

    # Alex reviews it: the pay application is listed and opens in a new tab.
    log_out(page)
    page = log_in("alex")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    page.get_by_role("link", name=f"Review {INV_7}").click()
    link = page.get_by_role("table", name="Attachments of INV-7").get_by_role(
        "link", name=PAY_APPLICATION
    )
    expect(link).to_have_attribute("target", "_blank")
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline;")
    assert response.body().startswith(b"%PDF-")
    with page.context.expect_page() as opened:
        link.click()
    assert opened.value.url.endswith(link.get_attribute("href"))
    opened.value.close()

    # Beside "Download PDF": the pay application with the attachment's pages appended.
    bundle = page.get_by_role("link", name="Download PDF with attachments of INV-7")
    response = page.request.get(live_server.url + bundle.get_attribute("href"))
    assert response.ok
    assert response.headers["content-type"] == "application/pdf"
    text = " ".join(sheet.extract_text() for sheet in PdfReader(BytesIO(response.body())).pages)
    assert "Application and Certificate for Payment INV-7" in text

    page.get_by_role("button", name="Accept INV-7").click()
    expect(page.get_by_role("alert").filter(has_text="INV-7: accepted.")).to_be_visible()

    # The export carries the pay application beside its document.
    invoice = demo_invoice(7)
    assert invoice.erp_status == InvoiceErpStatus.SYNCED
    key = str(invoice.export_items.get().idempotency_key)
    document = json.loads((settings.ERP_EXPORT_DIR / f"{key}.json").read_text())
    (entry,) = document["attachments"]
    assert entry["name"] == PAY_APPLICATION
    assert (settings.ERP_EXPORT_DIR / key / entry["file_name"]).read_bytes().startswith(b"%PDF-")
