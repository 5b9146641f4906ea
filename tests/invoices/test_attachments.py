"""Adding and removing invoice attachments (invoices.attachments): who may, in which ERP
status, which files, and what is stored and recorded. A refused upload stores nothing
and changes no row."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404

from core.errors import ActionRefused
from erp_integrations.models import ExportState
from invoices import attachments
from invoices.attachments import attachment_add, attachment_remove, clean_name
from invoices.models import ChangeHistoryEntry, InvoiceAttachment, InvoiceStatus
from tests import attachment_files as files
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def add(world, invoice, upload, role="project_admin"):
    return attachment_add(user=world.users[role], invoice_id=invoice.pk, upload=upload)


def assert_nothing_stored(settings, invoice):
    assert stored_files(settings) == []
    assert not InvoiceAttachment.objects.filter(invoice=invoice).exists()
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice, changed="Attachment").exists()


def test_add_stores_the_file_under_a_generated_name_with_its_facts(world, settings):
    invoice = world.invoice()
    upload = files.pdf_upload("Pay App #3.pdf")
    content = upload.read()

    attachment = add(world, invoice, upload)

    attachment.refresh_from_db()
    assert attachment.original_name == "Pay App #3.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.added_by == world.users["project_admin"]
    assert attachment.file.name.startswith(f"invoice-attachments/{invoice.pk}/")
    assert attachment.file.name.endswith(".pdf")
    assert "Pay App" not in attachment.file.name
    assert [path.read_bytes() for path in stored_files(settings)] == [content]


def test_add_is_recorded_in_the_change_history(world):
    invoice = world.invoice()
    add(world, invoice, files.pdf_upload("pay-app.pdf"))
    entry = ChangeHistoryEntry.objects.get(invoice=invoice)
    assert (entry.changed, entry.from_value, entry.to_value) == ("Attachment", "", "pay-app.pdf")
    assert entry.action_by == world.users["project_admin"]


@pytest.mark.parametrize(
    ("make_upload", "content_type"),
    [
        (files.pdf_upload, "application/pdf"),
        (files.png_upload, "image/png"),
        (files.jpeg_upload, "image/jpeg"),
        (files.heic_upload, "image/heic"),
        (files.xlsx_upload, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            files.docx_upload,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (files.csv_upload, "text/csv"),
    ],
)
def test_add_accepts_each_type_judged_by_its_content(world, make_upload, content_type):
    attachment = add(world, world.invoice(), make_upload())
    assert attachment.content_type == content_type


def test_a_png_named_pdf_is_stored_as_the_png_it_is(world):
    attachment = add(world, world.invoice(), files.png_upload("scan.pdf"))
    assert attachment.content_type == "image/png"
    assert attachment.file.name.endswith(".png")


def test_add_refuses_another_type_named_pdf_and_stores_nothing(world, settings):
    invoice = world.invoice()
    with pytest.raises(ValidationError) as refused:
        add(world, invoice, files.executable_named_pdf("pay-application.pdf"))
    assert refused.value.messages == [attachments.WRONG_TYPE.format(name="pay-application.pdf")]
    assert_nothing_stored(settings, invoice)


def test_add_refuses_text_that_is_not_named_csv(world, settings):
    invoice = world.invoice()
    with pytest.raises(ValidationError) as refused:
        add(world, invoice, files.csv_upload("quantities.txt"))
    assert refused.value.messages == [attachments.WRONG_TYPE.format(name="quantities.txt")]
    assert_nothing_stored(settings, invoice)


def test_add_refuses_a_csv_name_on_content_that_is_not_utf8_text(world, settings):
    invoice = world.invoice()
    with pytest.raises(ValidationError) as refused:
        add(world, invoice, files.csv_upload("data.csv", content=b"\xff\xfe\x00a,\x00b"))
    assert refused.value.messages == [attachments.WRONG_TYPE.format(name="data.csv")]
    assert_nothing_stored(settings, invoice)


def test_add_refuses_a_file_over_the_limit_and_stores_nothing(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    invoice = world.invoice()
    with pytest.raises(ValidationError) as refused:
        add(world, invoice, files.pdf_upload("big.pdf"))
    assert refused.value.messages == [
        attachments.TOO_LARGE.format(name="big.pdf", limit="100 bytes")
    ]
    assert_nothing_stored(settings, invoice)


def test_the_default_limit_is_25_mb(settings):
    assert settings.ATTACHMENT_MAX_BYTES == 25 * 1024 * 1024
    assert attachments.describe_size(settings.ATTACHMENT_MAX_BYTES) == "25 MB"


def test_add_refuses_an_empty_file(world, settings):
    invoice = world.invoice()
    with pytest.raises(ValidationError) as refused:
        add(world, invoice, SimpleUploadedFile("empty.pdf", b""))
    assert refused.value.messages == [attachments.EMPTY_FILE.format(name="empty.pdf")]
    assert_nothing_stored(settings, invoice)


def test_add_refuses_no_file(world, settings):
    invoice = world.invoice()
    with pytest.raises(ValidationError) as refused:
        add(world, invoice, None)
    assert refused.value.messages == [attachments.NO_FILE]


def test_add_refuses_one_more_than_the_limit_per_invoice(world, settings):
    settings.ATTACHMENTS_PER_INVOICE = 2
    invoice = world.invoice()
    add(world, invoice, files.pdf_upload("one.pdf"))
    add(world, invoice, files.pdf_upload("two.pdf"))
    with pytest.raises(ValidationError) as refused:
        add(world, invoice, files.pdf_upload("three.pdf"))
    assert refused.value.messages == [attachments.TOO_MANY.format(label=invoice.label, limit=2)]
    assert invoice.attachments.count() == 2
    assert len(stored_files(settings)) == 2


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("../../etc/passwd.pdf", "_.._etc_passwd.pdf"),
        ("C:\\Users\\sam\\pay app.pdf", "C:_Users_sam_pay app.pdf"),
        ("pay\x00app\x1b[31m.pdf", "payapp[31m.pdf"),
        ("pay\u202eapp.pdf", "payapp.pdf"),
        ("line\nbreak.pdf", "line break.pdf"),
        ("...", "attachment"),
        ("a" * 300 + ".pdf", "a" * 146 + ".pdf"),
    ],
)
def test_clean_name_removes_separators_and_control_characters(raw, cleaned):
    assert clean_name(raw) == cleaned


def test_add_stores_the_cleaned_name_never_the_path(world, settings):
    upload = files.pdf_upload("x.pdf")
    upload.name = "..\\..\\evil\x07.pdf"  # what a hand-made request could carry
    attachment = add(world, world.invoice(), upload)
    assert attachment.original_name == "_.._evil.pdf"
    assert Path(attachment.file.path).is_relative_to(Path(settings.MEDIA_ROOT))


@pytest.mark.parametrize("role", ["project_admin", "standard", "superuser"])
def test_members_from_standard_up_may_add_to_an_approved_invoice(world, role):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    assert add(world, invoice, files.pdf_upload(), role=role).invoice_id == invoice.pk


def test_the_invoice_contact_may_add_to_his_own_draft(world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT, created_by=world.users["invoice_contact"])
    assert add(world, invoice, files.pdf_upload(), role="invoice_contact").pk


def test_the_invoice_contact_may_not_add_to_an_invoice_he_may_not_edit(world, settings):
    invoice = world.invoice(
        status=InvoiceStatus.APPROVED, created_by=world.users["invoice_contact"]
    )
    with pytest.raises(ActionRefused) as refused:
        add(world, invoice, files.pdf_upload(), role="invoice_contact")
    assert str(refused.value) == attachments.MAY_NOT_ADD.format(label=invoice.label)
    assert_nothing_stored(settings, invoice)


def test_a_read_only_member_may_not_add(world, settings):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    with pytest.raises(ActionRefused) as refused:
        add(world, invoice, files.pdf_upload(), role="read_only")
    assert str(refused.value) == attachments.MAY_NOT_ADD.format(label=invoice.label)
    assert_nothing_stored(settings, invoice)


@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_who_may_not_see_the_draft_gets_404(world, settings, role):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    with pytest.raises(Http404):
        add(world, invoice, files.pdf_upload(), role=role)
    assert_nothing_stored(settings, invoice)


@pytest.mark.parametrize(
    "state", [ExportState.READY_TO_EXPORT, ExportState.FAILED_TO_EXPORT, ExportState.REJECTED]
)
def test_add_is_allowed_while_in_erp_integrations_and_unlocks_nothing(world, state):
    invoice = world.invoice(erp_state=state)
    revision = invoice.revision
    add(world, invoice, files.pdf_upload("lien-waiver.pdf"))
    invoice.refresh_from_db()
    assert invoice.erp_status == state
    assert invoice.revision == revision


def test_add_onto_a_synced_invoice_is_refused_and_stores_nothing(world, settings):
    invoice = world.invoice(erp_state=ExportState.SYNCED)
    with pytest.raises(ActionRefused) as refused:
        add(world, invoice, files.pdf_upload())
    assert str(refused.value) == attachments.EXPORTED.format(label=invoice.label)
    assert_nothing_stored(settings, invoice)


def test_add_while_exporting_is_refused(world, settings):
    invoice = world.invoice(erp_state=ExportState.EXPORTING)
    with pytest.raises(ActionRefused) as refused:
        add(world, invoice, files.pdf_upload())
    assert str(refused.value) == attachments.EXPORTING.format(label=invoice.label)
    assert_nothing_stored(settings, invoice)


def test_remove_deletes_the_row_and_the_file_after_commit(
    world, settings, django_capture_on_commit_callbacks
):
    invoice = world.invoice()
    attachment = add(world, invoice, files.pdf_upload("old.pdf"))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachment_remove(
            user=world.users["project_admin"], invoice_id=invoice.pk, attachment_id=attachment.pk
        )
    assert not InvoiceAttachment.objects.filter(pk=attachment.pk).exists()
    assert len(stored_files(settings)) == 1  # not before the commit
    for callback in callbacks:
        callback()
    assert stored_files(settings) == []


def test_remove_is_recorded_in_the_change_history(world):
    invoice = world.invoice()
    attachment = add(world, invoice, files.pdf_upload("old.pdf"))
    attachment_remove(
        user=world.users["standard"], invoice_id=invoice.pk, attachment_id=attachment.pk
    )
    entry = ChangeHistoryEntry.objects.filter(invoice=invoice).order_by("-pk").first()
    assert (entry.changed, entry.from_value, entry.to_value) == ("Attachment", "old.pdf", "")
    assert entry.action_by == world.users["standard"]


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (ExportState.READY_TO_EXPORT, attachments.REMOVE_WHILE_LOCKED),
        (ExportState.FAILED_TO_EXPORT, attachments.REMOVE_WHILE_LOCKED),
        (ExportState.EXPORTING, attachments.EXPORTING),
        (ExportState.SYNCED, attachments.EXPORTED),
    ],
)
def test_remove_is_refused_while_locked_and_keeps_the_file(world, settings, state, message):
    invoice = world.invoice()
    attachment = add(world, invoice, files.pdf_upload())
    world.export_item(invoice, state)
    with pytest.raises(ActionRefused) as refused:
        attachment_remove(
            user=world.users["project_admin"], invoice_id=invoice.pk, attachment_id=attachment.pk
        )
    assert str(refused.value) == message.format(label=invoice.label)
    assert InvoiceAttachment.objects.filter(pk=attachment.pk).exists()
    assert len(stored_files(settings)) == 1


@pytest.mark.parametrize("state", [ExportState.REJECTED, ExportState.RETRIEVED])
def test_remove_is_allowed_once_rejected_or_retrieved(world, state):
    invoice = world.invoice()
    attachment = add(world, invoice, files.pdf_upload())
    world.export_item(invoice, state)
    attachment_remove(
        user=world.users["project_admin"], invoice_id=invoice.pk, attachment_id=attachment.pk
    )
    assert not invoice.attachments.exists()


def test_a_read_only_member_may_not_remove(world):
    invoice = world.invoice()
    attachment = add(world, invoice, files.pdf_upload())
    with pytest.raises(ActionRefused) as refused:
        attachment_remove(
            user=world.users["read_only"], invoice_id=invoice.pk, attachment_id=attachment.pk
        )
    assert str(refused.value) == attachments.MAY_NOT_REMOVE.format(label=invoice.label)
    assert invoice.attachments.count() == 1


def test_removing_another_invoices_attachment_is_404(world):
    invoice, other = world.invoice(), world.invoice()
    attachment = add(world, other, files.pdf_upload())
    with pytest.raises(Http404):
        attachment_remove(
            user=world.users["project_admin"], invoice_id=invoice.pk, attachment_id=attachment.pk
        )
    assert other.attachments.count() == 1


def test_deleting_an_invoice_deletes_its_files_after_commit(
    world, settings, django_capture_on_commit_callbacks
):
    invoice = world.invoice()
    add(world, invoice, files.pdf_upload())
    with django_capture_on_commit_callbacks(execute=True):
        invoice.delete()
    assert stored_files(settings) == []
