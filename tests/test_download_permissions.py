"""Who may download what: the invoice's PDF and its PDF with attachments (from the invoice
page and from the approver's review page) and the CSV exports (the commitment's Invoices
tab, each ERP Integrations tab), every role of tests/access_world.py against every
invoice state there.

A download checks the permission of the page it sits on, so the whole matrix asserts
that the download answers as its page does; the roles DESIGN.md names are written out
by hand as well, so the matrix does not rest on the pages alone. The PDFs' rendering is
replaced here by a stub (tested in tests/invoices/test_pdf.py and
test_pdf_with_attachments.py): these tests are
about who gets it.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from erp_integrations.models import ExportItem
from erp_integrations.selectors import QUEUE_TABS
from tests.access_world import ROLES, AccessWorld

HTMX = {"HTTP_HX_REQUEST": "true"}
REQUEST_KINDS = pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
INVOICES = (
    "draft",
    "revise_and_resubmit",
    "approved",
    "locked",
    "private_draft",
    "private_locked",
    "other_company_locked",
)
QUEUED = ("locked", "private_locked", "other_company_locked")
COMMITMENTS = ("public", "private", "other_project_commitment", "other_company_commitment")
PUBLIC = ("draft", "revise_and_resubmit", "approved", "locked")
PRIVATE = ("private_draft", "private_locked")


@pytest.fixture(autouse=True)
def _stub_pdf(monkeypatch):
    monkeypatch.setattr("invoices.pdf.render_pay_application", lambda invoice: b"%PDF-stub")
    monkeypatch.setattr(
        "invoices.pdf_with_attachments.write_pay_application_with_attachments",
        lambda invoice, output: output.write(b"%PDF-stub"),
    )


# Each PDF download of a page, and the same with the invoice's attachments appended.
INVOICE_PDFS = pytest.mark.parametrize(
    "pdf", ["invoices:pdf", "invoices:pdf_with_attachments"], ids=["pdf", "with_attachments"]
)
REVIEW_PDFS = pytest.mark.parametrize(
    "pdf",
    ["erp_integrations:review_pdf", "erp_integrations:review_pdf_with_attachments"],
    ids=["pdf", "with_attachments"],
)


def get_as(client, w: AccessWorld, role: str, url: str, headers=None):
    if role != "anonymous":
        client.force_login(w.users[role])
    return client.get(url, **(headers or {}))


def invoice_url(name: str, w: AccessWorld, invoice_name: str) -> str:
    invoice = w.invoices[invoice_name]
    commitment = invoice.commitment
    return reverse(name, args=[commitment.project_id, commitment.pk, invoice.pk])


def item_of(w: AccessWorld, invoice_name: str) -> ExportItem:
    return ExportItem.objects.get(invoice=w.invoices[invoice_name])


def review_url(name: str, w: AccessWorld, invoice_name: str, company=None) -> str:
    item = item_of(w, invoice_name)
    return reverse(name, args=[(company or item.company).pk, item.pk])


def commitment_url(name: str, w: AccessWorld, commitment_name: str) -> str:
    commitment = w.commitments[commitment_name]
    return reverse(name, args=[commitment.project_id, commitment.pk])


def answer(response) -> int | str:
    """The status, with a redirect to the login page told apart from a 200."""
    if response.status_code == 302 and response.url.startswith(reverse("login")):
        return "login"
    return response.status_code


# --- The whole matrix: each download answers as its page -------------------------------


@INVOICE_PDFS
@pytest.mark.parametrize("invoice_name", INVOICES)
@pytest.mark.parametrize("role", ROLES)
def test_invoice_pdf_answers_as_the_invoice_page(client, access, role, invoice_name, pdf):
    page = answer(
        get_as(client, access, role, invoice_url("invoices:detail", access, invoice_name))
    )
    download = answer(get_as(client, access, role, invoice_url(pdf, access, invoice_name)))

    assert download == page


@REVIEW_PDFS
@pytest.mark.parametrize("invoice_name", QUEUED)
@pytest.mark.parametrize("role", ROLES)
def test_review_pdf_answers_as_the_review_page(client, access, role, invoice_name, pdf):
    page = answer(
        get_as(client, access, role, review_url("erp_integrations:review", access, invoice_name))
    )
    download = answer(get_as(client, access, role, review_url(pdf, access, invoice_name)))

    assert download == page


@pytest.mark.parametrize("commitment_name", COMMITMENTS)
@pytest.mark.parametrize("role", ROLES)
def test_invoices_csv_answers_as_the_invoices_tab(client, access, role, commitment_name):
    tab = answer(
        get_as(
            client, access, role, commitment_url("commitments:invoices", access, commitment_name)
        )
    )
    download = answer(
        get_as(
            client,
            access,
            role,
            commitment_url("commitments:invoices_csv", access, commitment_name),
        )
    )

    assert download == tab


@pytest.mark.parametrize("slug", [tab.slug for tab in QUEUE_TABS])
@pytest.mark.parametrize("company", ["company", "other_company"])
@pytest.mark.parametrize("role", ROLES)
def test_queue_csv_answers_as_the_queue_tab(client, access, role, company, slug):
    company_id = getattr(access, company).pk
    tab = answer(
        get_as(client, access, role, reverse("erp_integrations:tab", args=[company_id, slug]))
    )
    download = answer(
        get_as(client, access, role, reverse("erp_integrations:tab_csv", args=[company_id, slug]))
    )

    assert download == tab


# --- The named roles, by hand ----------------------------------------------------------
# pat: project admin; riley: Standard; casey: Read Only; sam: invoice contact on the
# public commitment; alex: the accounting approver; and the other company's approver.

INVOICE_PDF_OK = {
    "project_admin": PUBLIC + PRIVATE,
    "standard": PUBLIC,
    "read_only": PUBLIC,
    "invoice_contact": PUBLIC,
    "approver": (),  # reviews invoices in the queue, not on the project's pages
}


@INVOICE_PDFS
@REQUEST_KINDS
@pytest.mark.parametrize("invoice_name", INVOICES)
@pytest.mark.parametrize("role", INVOICE_PDF_OK)
def test_invoice_pdf_by_role(client, access, role, invoice_name, headers, pdf):
    response = get_as(client, access, role, invoice_url(pdf, access, invoice_name), headers)

    assert response.status_code == (200 if invoice_name in INVOICE_PDF_OK[role] else 404)


@INVOICE_PDFS
@pytest.mark.parametrize("invoice_name", INVOICES)
def test_another_companys_approver_gets_404_for_the_invoice_pdf(client, access, invoice_name, pdf):
    client.force_login(access.other_company_approver)

    response = client.get(invoice_url(pdf, access, invoice_name))

    assert response.status_code == 404


@REVIEW_PDFS
@REQUEST_KINDS
@pytest.mark.parametrize("invoice_name", QUEUED)
@pytest.mark.parametrize(
    "role", ["project_admin", "standard", "read_only", "invoice_contact", "approver"]
)
def test_review_pdf_by_role(client, access, role, invoice_name, headers, pdf):
    """Only the approver, and only for the items in his company's queue."""
    in_his_queue = role == "approver" and invoice_name != "other_company_locked"

    response = get_as(
        client,
        access,
        role,
        review_url(pdf, access, invoice_name, company=access.company),
        headers,
    )

    assert response.status_code == (200 if in_his_queue else 404)


@REVIEW_PDFS
@pytest.mark.parametrize("invoice_name", QUEUED)
def test_another_companys_approver_gets_404_for_our_review_pdf(client, access, invoice_name, pdf):
    client.force_login(access.other_company_approver)

    response = client.get(review_url(pdf, access, invoice_name, company=access.company))

    assert response.status_code == 404


@REVIEW_PDFS
def test_another_companys_approver_downloads_his_own_queues_pdf(client, access, pdf):
    client.force_login(access.other_company_approver)

    response = client.get(review_url(pdf, access, "other_company_locked"))

    assert response.status_code == 200


INVOICES_CSV_OK = {
    "project_admin": ("public", "private"),
    "standard": ("public",),
    "read_only": ("public",),
    "invoice_contact": ("public",),
    "approver": (),
}


@REQUEST_KINDS
@pytest.mark.parametrize("commitment_name", COMMITMENTS)
@pytest.mark.parametrize("role", INVOICES_CSV_OK)
def test_invoices_csv_by_role(client, access, role, commitment_name, headers):
    response = get_as(
        client,
        access,
        role,
        commitment_url("commitments:invoices_csv", access, commitment_name),
        headers,
    )

    assert response.status_code == (200 if commitment_name in INVOICES_CSV_OK[role] else 404)


@REQUEST_KINDS
@pytest.mark.parametrize("slug", [tab.slug for tab in QUEUE_TABS])
@pytest.mark.parametrize(
    "role", ["project_admin", "standard", "read_only", "invoice_contact", "approver"]
)
def test_queue_csv_by_role(client, access, role, slug, headers):
    response = get_as(
        client,
        access,
        role,
        reverse("erp_integrations:tab_csv", args=[access.company.pk, slug]),
        headers,
    )

    assert response.status_code == (200 if role == "approver" else 404)


@pytest.mark.parametrize("slug", [tab.slug for tab in QUEUE_TABS])
def test_another_companys_approver_gets_404_for_our_queue_csv(client, access, slug):
    client.force_login(access.other_company_approver)

    response = client.get(reverse("erp_integrations:tab_csv", args=[access.company.pk, slug]))

    assert response.status_code == 404


def test_anonymous_downloads_go_to_the_login_page(client, access):
    urls = [
        invoice_url("invoices:pdf", access, "approved"),
        invoice_url("invoices:pdf_with_attachments", access, "approved"),
        review_url("erp_integrations:review_pdf", access, "locked"),
        review_url("erp_integrations:review_pdf_with_attachments", access, "locked"),
        commitment_url("commitments:invoices_csv", access, "public"),
        reverse("erp_integrations:tab_csv", args=[access.company.pk, "ready-to-export"]),
    ]

    assert [answer(client.get(url)) for url in urls] == ["login"] * 6
