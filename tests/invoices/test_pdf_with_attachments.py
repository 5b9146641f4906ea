""" "Download PDF with attachments": the pay application, then the pages of the invoice's
PDF attachments, then a last page listing the attachments that are not in the document
(not PDFs, or PDFs that could not be appended) with the reason. Read back with pypdf.
Who may download it: tests/test_download_permissions.py."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject, NumberObject
from pytest_django.asserts import assertContains

from demo.documents import text_pdf
from invoices.pdf_with_attachments import (
    MISSING,
    NOT_A_PDF,
    PASSWORD_PROTECTED,
    write_pay_application_with_attachments,
)
from tests.attachment_files import PNG_1X1
from tests.factories import InvoiceAttachmentFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world(number="SC-001")


@pytest.fixture
def invoice(world):
    return world.invoice(lines=3)


def url(name, invoice):
    commitment = invoice.commitment
    return reverse(name, args=[commitment.project_id, commitment.pk, invoice.pk])


def pages_of(content: bytes) -> list[str]:
    """Each page's text, every run of whitespace as one space."""
    return [re.sub(r"\s+", " ", page.extract_text()) for page in PdfReader(BytesIO(content)).pages]


def pdf_of_pages(*texts: str) -> bytes:
    """A PDF with one page per text."""
    writer = PdfWriter()
    for text in texts:
        writer.append(PdfReader(BytesIO(text_pdf([text]))))
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def encrypted_pdf(text: str, *, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=BytesIO(text_pdf([text])))
    # RC4: pypdf encrypts and decrypts it without a crypto library.
    writer.encrypt(user_password, owner_password="owner-secret", algorithm="RC4-128")
    output = BytesIO()
    writer.write(output)
    return output.getvalue()


def attach(invoice, name: str, content: bytes, content_type: str = "application/pdf", **kwargs):
    return InvoiceAttachmentFactory(
        invoice=invoice,
        original_name=name,
        file=ContentFile(content, name="stored.bin"),
        size=len(content),
        content_type=content_type,
        **kwargs,
    )


def download(client, world, invoice) -> bytes:
    client.force_login(world.users["project_admin"])
    response = client.get(url("invoices:pdf_with_attachments", invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content)


def pay_application_pages(client, world, invoice) -> int:
    client.force_login(world.users["project_admin"])
    return len(PdfReader(BytesIO(client.get(url("invoices:pdf", invoice)).content)).pages)


# --- What the document holds -------------------------------------------------------------


def test_document_is_the_pay_application_the_pdf_attachments_and_a_last_page(
    client, world, invoice
):
    attach(invoice, "Pay Application.pdf", text_pdf(["Signed pay application of INV-1"]))
    attach(invoice, "Lien waivers.pdf", pdf_of_pages("Lien waiver one", "Lien waiver two"))
    attach(invoice, "Quantities.csv", b"item,qty\nRebar,12\n", "text/csv")
    attach(invoice, "Site photo.png", PNG_1X1, "image/png")
    summary_pages = pay_application_pages(client, world, invoice)

    pages = pages_of(download(client, world, invoice))

    assert len(pages) == summary_pages + 1 + 2 + 1
    assert "Application and Certificate for Payment" in pages[0]
    assert "Signed pay application of INV-1" in pages[summary_pages]
    assert "Lien waiver one" in pages[summary_pages + 1]
    assert "Lien waiver two" in pages[summary_pages + 2]
    last = pages[-1]
    assert f"Attachments of SC-001 {invoice.label}" in last
    assert f"Pay Application.pdf page {summary_pages + 1}" in last
    assert f"Lien waivers.pdf pages {summary_pages + 2}\u2013{summary_pages + 3}" in last
    assert "Quantities.csv CSV 18 bytes" in last
    assert "Site photo.png PNG image" in last
    assert last.count(NOT_A_PDF) == 2


def test_last_page_says_so_when_there_are_no_attachments(client, world, invoice):
    summary_pages = pay_application_pages(client, world, invoice)

    pages = pages_of(download(client, world, invoice))

    assert len(pages) == summary_pages + 1
    assert "This invoice has no attachments." in pages[-1]


def test_broken_pdf_is_listed_as_not_appended_with_the_reason(client, world, invoice):
    attach(invoice, "Scan.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R >>\n")
    attach(invoice, "Backup.pdf", text_pdf(["Backup that reads fine"]))
    summary_pages = pay_application_pages(client, world, invoice)

    pages = pages_of(download(client, world, invoice))

    assert len(pages) == summary_pages + 1 + 1
    assert "Backup that reads fine" in pages[summary_pages]
    assert re.search(
        r"Scan\.pdf PDF .* Could not be appended: the file is not a readable PDF \(\w+", pages[-1]
    )


def test_a_pdf_that_fails_after_its_first_page_leaves_none_of_its_pages(client, world, invoice):
    """pypdf copies page by page: the pages it copied before a later page failed are
    taken out again, so the document and its last page agree."""
    writer = PdfWriter(clone_from=BytesIO(pdf_of_pages("First page fine", "Second page bad")))
    # An annotation that is a number, not a dictionary: pypdf fails copying that page.
    writer.pages[1][NameObject("/Annots")] = ArrayObject([NumberObject(5)])
    damaged = BytesIO()
    writer.write(damaged)
    attach(invoice, "Damaged.pdf", damaged.getvalue())
    attach(invoice, "Backup.pdf", text_pdf(["Backup after the damaged one"]))
    summary_pages = pay_application_pages(client, world, invoice)

    pages = pages_of(download(client, world, invoice))

    assert len(pages) == summary_pages + 1 + 1
    assert "First page fine" not in " ".join(pages)
    assert "Backup after the damaged one" in pages[summary_pages]
    assert f"Backup.pdf page {summary_pages + 1}" in pages[-1]
    assert "Damaged.pdf PDF" in pages[-1]
    assert "Could not be appended: the file is not a readable PDF (AttributeError" in pages[-1]


def test_password_protected_pdf_is_listed_as_not_appended(client, world, invoice):
    attach(invoice, "Locked.pdf", encrypted_pdf("Secret text", user_password="open-sesame"))
    summary_pages = pay_application_pages(client, world, invoice)

    pages = pages_of(download(client, world, invoice))

    assert len(pages) == summary_pages + 1
    assert "Secret text" not in " ".join(pages)
    assert "Locked.pdf PDF" in pages[-1]
    assert PASSWORD_PROTECTED in pages[-1]


def test_pdf_encrypted_without_a_user_password_is_appended(client, world, invoice):
    """Encrypted only to restrict printing or copying: it opens without a password."""
    attach(invoice, "Restricted.pdf", encrypted_pdf("Restricted text", user_password=""))
    summary_pages = pay_application_pages(client, world, invoice)

    pages = pages_of(download(client, world, invoice))

    assert len(pages) == summary_pages + 1 + 1
    assert "Restricted text" in pages[summary_pages]


def test_attachment_missing_from_storage_is_listed_as_not_appended(client, world, invoice):
    attachment = attach(invoice, "Gone.pdf", text_pdf(["Gone"]))
    attachment.file.storage.delete(attachment.file.name)
    summary_pages = pay_application_pages(client, world, invoice)

    pages = pages_of(download(client, world, invoice))

    assert len(pages) == summary_pages + 1
    assert MISSING in pages[-1]


def test_document_is_built_with_each_attachment_closed_after_its_pages_are_copied(invoice):
    """The attachments are read through their file handles and closed one by one; the
    document is written after all are closed."""
    for number in range(3):
        attach(invoice, f"Backup {number}.pdf", text_pdf([f"Backup number {number}"]))
    output = BytesIO()

    write_pay_application_with_attachments(invoice, output)

    text = " ".join(pages_of(output.getvalue()))
    assert all(f"Backup number {number}" in text for number in range(3))


# --- The download ------------------------------------------------------------------------


def test_download_is_named_after_the_invoice_and_never_sniffed(client, world, invoice):
    client.force_login(world.users["read_only"])

    response = client.get(url("invoices:pdf_with_attachments", invoice))

    assert response["Content-Disposition"] == (
        f'attachment; filename="SC-001-{invoice.label}-with-attachments.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_review_page_download_appends_the_attachments_too(client, world, invoice):
    attach(invoice, "Pay Application.pdf", text_pdf(["Signed pay application for review"]))
    item = world.export_item(invoice, "ready_to_export")
    client.force_login(world.users["approver"])

    response = client.get(
        reverse("erp_integrations:review_pdf_with_attachments", args=[world.company.pk, item.pk])
    )

    assert response.status_code == 200
    text = " ".join(pages_of(b"".join(response.streaming_content)))
    assert "Signed pay application for review" in text


def test_invoice_page_offers_download_pdf_with_attachments(client, world, invoice):
    client.force_login(world.users["read_only"])

    response = client.get(url("invoices:detail", invoice))

    assertContains(response, f'href="{url("invoices:pdf_with_attachments", invoice)}"')
    assertContains(response, "Download PDF with attachments")


def test_review_page_offers_download_pdf_with_attachments(client, world, invoice):
    item = world.export_item(invoice, "ready_to_export")
    client.force_login(world.users["approver"])

    response = client.get(reverse("erp_integrations:review", args=[world.company.pk, item.pk]))

    pdf_url = reverse(
        "erp_integrations:review_pdf_with_attachments", args=[world.company.pk, item.pk]
    )
    assertContains(response, f'href="{pdf_url}"')


# --- Queries -----------------------------------------------------------------------------


@pytest.mark.parametrize("attachment_count", [1, 5])
def test_queries_do_not_grow_with_attachments(
    client, world, invoice, django_assert_num_queries, attachment_count
):
    for number in range(attachment_count):
        attach(invoice, f"Backup {number}.pdf", text_pdf([f"Backup {number}"]))
    attach(invoice, "Quantities.csv", b"item,qty\n", "text/csv")
    client.force_login(world.users["project_admin"])
    client.get(url("invoices:detail", invoice))  # the session and the caches are warm

    # Session, user, the invoice with its commitment, project, company and vendor, two
    # permission lookups (the project's Commitments level), the pay application's lines,
    # export item and history, and the attachments with who added them.
    with django_assert_num_queries(9):
        response = client.get(url("invoices:pdf_with_attachments", invoice))
        b"".join(response.streaming_content)
