"""Attachments through the pages: the upload, download and remove permission matrix
(every role against every state), forged uploads, the download's headers, the lists on
the invoice page and the approver's review, the paperclip counts, and the signed links
the HTTP ERP connector sends."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from erp_integrations.models import ExportState
from invoices import attachments
from invoices.attachment_links import attachment_link_token
from invoices.attachments import attachment_add
from invoices.models import InvoiceAttachment, InvoiceStatus
from invoices.views import ALREADY_REMOVED, ATTACHED, REMOVED
from tests import attachment_files as files
from tests.factories import CommitmentFactory, InvoiceFactory, UserFactory
from tests.invoices.test_views import INVOICE_PAGE_QUERIES
from tests.world import build_world

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
REQUEST_KINDS = pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
ROLES = (
    "superuser",
    "project_admin",
    "standard",
    "read_only",
    "invoice_contact",
    "approver",
    "erp_standard_without_push",
    "outsider",
)


@pytest.fixture
def world():
    return build_world()


def invoice_url(name, invoice, *extra):
    commitment = invoice.commitment
    return reverse(name, args=[commitment.project_id, commitment.pk, invoice.pk, *extra])


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def attach(world, invoice, upload=None):
    return attachment_add(
        user=world.users["project_admin"],
        invoice_id=invoice.pk,
        upload=upload or files.pdf_upload(),
    )


def invoice_in(world, state: str):
    """An invoice in one of the matrix's states: the contact's own Draft, an Approved
    invoice not sent, and Approved ones in ERP Integrations."""
    if state == "draft":
        return world.invoice(status=InvoiceStatus.DRAFT, created_by=world.users["invoice_contact"])
    erp_state = None if state == "approved" else state
    return world.invoice(status=InvoiceStatus.APPROVED, erp_state=erp_state)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


# --- Upload ------------------------------------------------------------------------------

OK, NOT_FOUND = "ok", "404"
UPLOAD_STATES = ("draft", "approved", ExportState.READY_TO_EXPORT, ExportState.SYNCED)
UPLOAD = {
    # Standard and above add to any invoice they see, also while it waits in ERP
    # Integrations; nobody adds to an exported one.
    "superuser": (OK, OK, OK, attachments.EXPORTED),
    "project_admin": (OK, OK, OK, attachments.EXPORTED),
    "standard": (OK, OK, OK, attachments.EXPORTED),
    "read_only": (attachments.MAY_NOT_ADD,) * 4,
    # The invoice contact adds to the invoices he may edit: his own Draft.
    "invoice_contact": (OK, *(attachments.MAY_NOT_ADD,) * 3),
    # The approver reads the review page; the invoice page is not theirs.
    "approver": (NOT_FOUND,) * 4,
    "erp_standard_without_push": (NOT_FOUND,) * 4,
    "outsider": (NOT_FOUND,) * 4,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state_index", range(len(UPLOAD_STATES)), ids=UPLOAD_STATES)
def test_upload_matrix(client, world, settings, role, state_index):
    invoice = invoice_in(world, UPLOAD_STATES[state_index])
    expected = UPLOAD[role][state_index]
    client.force_login(world.users[role])

    response = client.post(
        invoice_url("invoices:attachment_upload", invoice), {"file": files.pdf_upload("pay.pdf")}
    )

    if expected == NOT_FOUND:
        assert response.status_code == 404
    elif expected == OK:
        assertRedirects(response, invoice.get_absolute_url(), fetch_redirect_response=False)
        assert messages_of(response) == [ATTACHED.format(name="pay.pdf", label=invoice.label)]
    else:
        assert messages_of(response) == [expected.format(label=invoice.label)]
    assert invoice.attachments.count() == (1 if expected == OK else 0)
    assert len(stored_files(settings)) == (1 if expected == OK else 0)


@REQUEST_KINDS
def test_upload_shows_the_attachment_in_place(client, world, headers):
    invoice = invoice_in(world, "draft")
    client.force_login(world.users["invoice_contact"])
    response = client.post(
        invoice_url("invoices:attachment_upload", invoice),
        {"file": files.pdf_upload("Pay App 3.pdf")},
        follow=not headers,
        **headers,
    )
    assertContains(response, 'id="invoice-main"')
    assertContains(response, "Pay App 3.pdf</a>")
    assertContains(response, ATTACHED.format(name="Pay App 3.pdf", label=invoice.label))


@pytest.mark.parametrize(
    ("make_upload", "limit", "message"),
    [
        (
            lambda: files.executable_named_pdf("pay.pdf"),
            None,
            attachments.WRONG_TYPE.format(name="pay.pdf"),
        ),
        (
            lambda: files.pdf_upload("huge.pdf"),
            100,
            attachments.TOO_LARGE.format(name="huge.pdf", limit="100 bytes"),
        ),
    ],
    ids=["wrong-type-named-pdf", "over-the-limit"],
)
@REQUEST_KINDS
def test_a_forged_upload_gets_its_message_and_stores_nothing(
    client, world, settings, headers, make_upload, limit, message
):
    if limit:
        settings.ATTACHMENT_MAX_BYTES = limit
    invoice = invoice_in(world, "draft")
    client.force_login(world.users["invoice_contact"])
    response = client.post(
        invoice_url("invoices:attachment_upload", invoice), {"file": make_upload()}, **headers
    )
    assert messages_of(response) == [message]
    assert not InvoiceAttachment.objects.exists()
    assert stored_files(settings) == []


def test_an_upload_without_a_file_says_to_choose_one(client, world):
    invoice = invoice_in(world, "draft")
    client.force_login(world.users["invoice_contact"])
    response = client.post(invoice_url("invoices:attachment_upload", invoice), {}, **HTMX)
    assert messages_of(response) == [attachments.NO_FILE]


def test_upload_is_post_only(client, world):
    invoice = invoice_in(world, "draft")
    client.force_login(world.users["project_admin"])
    assert client.get(invoice_url("invoices:attachment_upload", invoice)).status_code == 405


# --- Download ----------------------------------------------------------------------------

DOWNLOAD_STATES = ("draft", ExportState.READY_TO_EXPORT, ExportState.SYNCED, "private")
DOWNLOAD = {
    # Who sees the invoice page downloads its attachments; whoever opens the review page of
    # an invoice sent to ERP Integrations downloads those it lists; nobody else learns they
    # exist.
    "superuser": (200, 200, 200, 200),
    "project_admin": (200, 200, 200, 200),
    "standard": (200, 200, 200, 404),
    "read_only": (200, 200, 200, 404),
    "invoice_contact": (200, 200, 200, 404),
    "approver": (404, 200, 200, 404),
    # Standard on ERP Integrations without "Can push to accounting" is no approver, but
    # opens the review page, read-only, with its attachment list: its links open too.
    "erp_standard_without_push": (404, 200, 200, 404),
    "outsider": (404, 404, 404, 404),
}


def download_target(world, state):
    if state == "private":
        private = CommitmentFactory(project=world.project, is_private=True)
        invoice = InvoiceFactory(commitment=private, created_by=world.users["project_admin"])
    else:
        invoice = invoice_in(world, "draft")
    attachment = attach(world, invoice)
    if state in (ExportState.READY_TO_EXPORT, ExportState.SYNCED):
        world.export_item(invoice, state)
    return invoice, attachment


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state_index", range(len(DOWNLOAD_STATES)), ids=DOWNLOAD_STATES)
def test_download_matrix(client, world, role, state_index):
    invoice, attachment = download_target(world, DOWNLOAD_STATES[state_index])
    client.force_login(world.users[role])
    response = client.get(invoice_url("invoices:attachment", invoice, attachment.pk))
    assert response.status_code == DOWNLOAD[role][state_index]


def test_another_companys_user_gets_404(client, world):
    invoice, attachment = download_target(world, ExportState.READY_TO_EXPORT)
    other = build_world()
    client.force_login(other.users["approver"])
    assert client.get(invoice_url("invoices:attachment", invoice, attachment.pk)).status_code == 404


def test_download_of_another_invoices_attachment_is_404(client, world):
    _invoice, attachment = download_target(world, "draft")
    other = invoice_in(world, "approved")
    client.force_login(world.users["project_admin"])
    assert client.get(invoice_url("invoices:attachment", other, attachment.pk)).status_code == 404


def test_anonymous_download_goes_to_the_login_page(client, world):
    invoice, attachment = download_target(world, "draft")
    response = client.get(invoice_url("invoices:attachment", invoice, attachment.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_pdf_downloads_inline_with_its_sniffed_type_and_no_sniffing(client, world):
    invoice = invoice_in(world, "draft")
    upload = files.pdf_upload("Pay App.pdf")
    content = upload.read()
    attachment = attach(world, invoice, upload)
    client.force_login(world.users["read_only"])

    response = client.get(invoice_url("invoices:attachment", invoice, attachment.pk))

    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Pay App.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response  # the PDF viewer is a plugin


def test_a_word_document_downloads_as_an_attachment(client, world):
    invoice = invoice_in(world, "draft")
    attachment = attach(world, invoice, files.docx_upload("Lien waiver.docx"))
    client.force_login(world.users["project_admin"])
    response = client.get(invoice_url("invoices:attachment", invoice, attachment.pk))
    assert response["Content-Disposition"] == 'attachment; filename="Lien waiver.docx"'


def test_a_name_with_quotes_and_accents_is_offered_safely(client, world):
    invoice = invoice_in(world, "draft")
    attachment = attach(world, invoice, files.pdf_upload('Façade "final".pdf'))
    client.force_login(world.users["project_admin"])
    response = client.get(invoice_url("invoices:attachment", invoice, attachment.pk))
    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''Fa%C3%A7ade%20%22final%22.pdf"
    )


def test_a_file_missing_from_storage_is_404_not_500(client, world):
    invoice = invoice_in(world, "draft")
    attachment = attach(world, invoice)
    Path(attachment.file.path).unlink()
    client.force_login(world.users["project_admin"])
    assert client.get(invoice_url("invoices:attachment", invoice, attachment.pk)).status_code == 404


def test_media_files_have_no_public_url(client, world):
    invoice = invoice_in(world, "draft")
    attachment = attach(world, invoice)
    client.force_login(world.users["project_admin"])
    assert client.get(f"/media/{attachment.file.name}").status_code == 404


# --- Remove ------------------------------------------------------------------------------

REMOVE_STATES = (
    "draft",
    "approved",
    ExportState.READY_TO_EXPORT,
    ExportState.REJECTED,
    ExportState.SYNCED,
)
REMOVE = {
    "superuser": (OK, OK, attachments.REMOVE_WHILE_LOCKED, OK, attachments.EXPORTED),
    "project_admin": (OK, OK, attachments.REMOVE_WHILE_LOCKED, OK, attachments.EXPORTED),
    "standard": (OK, OK, attachments.REMOVE_WHILE_LOCKED, OK, attachments.EXPORTED),
    "read_only": (attachments.MAY_NOT_REMOVE,) * 5,
    "invoice_contact": (OK, *(attachments.MAY_NOT_REMOVE,) * 4),
    "approver": (NOT_FOUND,) * 5,
    "erp_standard_without_push": (NOT_FOUND,) * 5,
    "outsider": (NOT_FOUND,) * 5,
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("state_index", range(len(REMOVE_STATES)), ids=REMOVE_STATES)
def test_remove_matrix(client, world, role, state_index, django_capture_on_commit_callbacks):
    state = REMOVE_STATES[state_index]
    invoice = invoice_in(world, "draft" if state == "draft" else "approved")
    attachment = attach(world, invoice, files.pdf_upload("old.pdf"))
    if state not in ("draft", "approved"):
        world.export_item(invoice, state)
    expected = REMOVE[role][state_index]
    client.force_login(world.users[role])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invoice_url("invoices:attachment_remove", invoice, attachment.pk), **HTMX
        )

    if expected == NOT_FOUND:
        assert response.status_code == 404
    elif expected == OK:
        assert messages_of(response) == [REMOVED.format(name="old.pdf", label=invoice.label)]
    else:
        assert messages_of(response) == [expected.format(label=invoice.label)]
    assert invoice.attachments.exists() == (expected != OK)
    assert Path(attachment.file.path).exists() == (expected != OK)


@REQUEST_KINDS
def test_removing_twice_says_it_is_gone(client, world, headers):
    invoice = invoice_in(world, "approved")
    attachment = attach(world, invoice)
    client.force_login(world.users["project_admin"])
    remove_url = invoice_url("invoices:attachment_remove", invoice, attachment.pk)
    client.post(remove_url, **headers)
    response = client.post(remove_url, **headers)
    assert messages_of(response)[-1] == ALREADY_REMOVED.format(label=invoice.label)


# --- Where they show ---------------------------------------------------------------------


def test_the_invoice_page_lists_attachments_with_size_who_and_when(client, world):
    invoice = invoice_in(world, "draft")
    attachment = attach(world, invoice, files.pdf_upload("Pay App 3.pdf"))
    client.force_login(world.users["invoice_contact"])
    response = client.get(invoice.get_absolute_url())
    assertContains(response, "Pay App 3.pdf</a>")
    assertContains(response, invoice_url("invoices:attachment", invoice, attachment.pk))
    assertContains(response, f"{attachment.size}\xa0bytes")
    assertContains(response, world.users["project_admin"].get_username())
    assertContains(response, "Remove<span")
    assertContains(response, 'hx-encoding="multipart/form-data"')
    assertContains(response, 'enctype="multipart/form-data"')


def test_a_read_only_member_sees_the_list_without_the_form_or_remove(client, world):
    invoice = invoice_in(world, "draft")
    attach(world, invoice, files.pdf_upload("Pay App 3.pdf"))
    client.force_login(world.users["read_only"])
    response = client.get(invoice.get_absolute_url())
    assertContains(response, "Pay App 3.pdf</a>")
    assertNotContains(response, "Remove<span")
    assertNotContains(response, "Add an attachment")


def test_a_locked_invoice_offers_the_upload_and_says_why_nothing_can_be_removed(client, world):
    invoice = invoice_in(world, "approved")
    attach(world, invoice)
    world.export_item(invoice, ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])
    response = client.get(invoice.get_absolute_url())
    assertContains(response, "Add an attachment")
    assertNotContains(response, "Remove<span")
    assertContains(response, attachments.REMOVE_WHILE_LOCKED.format(label=invoice.label))


def test_a_synced_invoice_says_its_attachments_can_no_longer_change(client, world):
    invoice = invoice_in(world, ExportState.SYNCED)
    client.force_login(world.users["project_admin"])
    response = client.get(invoice.get_absolute_url())
    assertNotContains(response, "Add an attachment")
    assertContains(response, attachments.EXPORTED.format(label=invoice.label))


def test_the_review_page_lists_attachments_with_pdfs_opening_in_a_new_tab(client, world):
    invoice = invoice_in(world, "approved")
    attachment = attach(world, invoice, files.pdf_upload("Pay App 3.pdf"))
    item = world.export_item(invoice, ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])
    response = client.get(reverse("erp_integrations:review", args=[world.company.pk, item.pk]))
    download = invoice_url("invoices:attachment", invoice, attachment.pk)
    assertContains(
        response, f'<a href="{download}" target="_blank" rel="noopener">Pay App 3.pdf</a>'
    )
    assertNotContains(response, "Add an attachment")
    assertNotContains(response, "Remove<span")


def test_the_invoices_tab_shows_a_paperclip_count(client, world):
    invoice = invoice_in(world, "approved")
    attach(world, invoice)
    attach(world, invoice)
    invoice_in(world, "approved")  # none: no paperclip
    client.force_login(world.users["project_admin"])
    response = client.get(
        reverse("commitments:invoices", args=[world.project.pk, world.commitment.pk])
    )
    assertContains(response, '<span class="visually-hidden"> attachments</span>', count=1)
    assertContains(response, 'title="2 attachments"')


def test_the_erp_queue_rows_show_a_paperclip_count(client, world):
    invoice = invoice_in(world, "approved")
    attach(world, invoice)
    world.export_item(invoice, ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])
    response = client.get(reverse("erp_integrations:queue", args=[world.company.pk]))
    assertContains(response, 'title="1 attachment"')


@pytest.mark.parametrize("kind", ["plain", "htmx"])
def test_invoice_page_queries_do_not_grow_with_attachments(
    client, world, django_assert_num_queries, kind
):
    few, many = invoice_in(world, "approved"), invoice_in(world, "approved")
    attach(world, few)
    for _ in range(20):
        attach(world, many)
    for invoice in (few, many):
        world.export_item(invoice, ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])
    headers = HTMX if kind == "htmx" else {}
    for invoice, count in ((few, 1), (many, 20)):
        with django_assert_num_queries(INVOICE_PAGE_QUERIES[kind]):
            response = client.get(invoice.get_absolute_url(), **headers)
        assert response.content.decode().count(">pay-application.pdf</a>") == count


# --- Signed links for the ERP ------------------------------------------------------------


def link_url(attachment, expires_at):
    return reverse("attachment-link", args=[attachment_link_token(attachment.pk, expires_at)])


@pytest.mark.parametrize("state", [ExportState.EXPORTING, ExportState.SYNCED])
def test_a_signed_link_downloads_without_a_session_once_exported(client, world, state):
    invoice = invoice_in(world, "approved")
    attachment = attach(world, invoice)
    world.export_item(invoice, state)
    response = client.get(link_url(attachment, timezone.now() + datetime.timedelta(hours=1)))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "state", [None, ExportState.READY_TO_EXPORT, ExportState.REJECTED, ExportState.FAILED_TO_EXPORT]
)
def test_a_signed_link_opens_nothing_of_an_invoice_not_exported(client, world, state):
    invoice = invoice_in(world, "approved")
    attachment = attach(world, invoice)
    if state:
        world.export_item(invoice, state)
    response = client.get(link_url(attachment, timezone.now() + datetime.timedelta(hours=1)))
    assert response.status_code == 404


def test_an_expired_link_is_404(client, world):
    invoice = invoice_in(world, "approved")
    attachment = attach(world, invoice)
    world.export_item(invoice, ExportState.SYNCED)
    response = client.get(link_url(attachment, timezone.now() - datetime.timedelta(seconds=1)))
    assert response.status_code == 404


def test_a_link_for_another_attachment_cannot_be_forged(client, world):
    invoice = invoice_in(world, "approved")
    first, second = attach(world, invoice), attach(world, invoice)
    world.export_item(invoice, ExportState.SYNCED)
    token = attachment_link_token(first.pk, timezone.now() + datetime.timedelta(hours=1))
    payload = token.split(":", 1)[0]
    claims = json.loads(signing.b64_decode(payload.encode()))
    other_payload = signing.b64_encode(
        json.dumps({**claims, "a": second.pk}, separators=(",", ":")).encode()
    ).decode()
    forged = other_payload + token[len(payload) :]
    assert forged != token
    assert client.get(reverse("attachment-link", args=[forged])).status_code == 404
    assert client.get(reverse("attachment-link", args=[token + "x"])).status_code == 404
    outsider = UserFactory()
    client.force_login(outsider)  # a session adds nothing
    assert client.get(reverse("attachment-link", args=["garbage"])).status_code == 404
