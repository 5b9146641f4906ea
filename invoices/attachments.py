"""Attachments of invoices: what an upload must be, and the services that add and remove
them.

An upload is judged by its content, not its name: its type comes from its first bytes
(the `filetype` library). CSV has no magic bytes, so a file is taken as CSV only when its
name says `.csv` and its content is UTF-8 text that parses as CSV. The user's file name
is cleaned and kept for display; the stored file gets a generated name
(`invoices.models.attachment_storage_path`).

Adding is allowed while the invoice is in ERP Integrations (backup often arrives late)
and does not unlock anything; removing only while it is unlocked; neither once it is
exported (Synced) or while it exports. Both lock the invoice row, so they serialize with
the ERP transitions, and both write a change history row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass
from functools import partial

import filetype
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.http import Http404

from core.errors import ActionRefused
from invoices.history import history_entry, record_history
from invoices.models import (
    ATTACHMENT_EXTENSIONS,
    Invoice,
    InvoiceAttachment,
    InvoiceErpStatus,
)
from invoices.permissions import (
    access_invoice_on_project,
    can_add_attachment,
    can_remove_attachment,
)

MAY_NOT_ADD = "You may not add attachments to {label}."
MAY_NOT_REMOVE = "You may not remove attachments from {label}."
EXPORTED = "{label} was exported to the ERP: its attachments can no longer change."
EXPORTING = (
    "{label} is being exported to the ERP right now: its attachments cannot change while "
    "it exports."
)
REMOVE_WHILE_LOCKED = (
    "{label} is locked in ERP Integrations: attachments can be added to it but not removed "
    "until it is retrieved or rejected."
)
NO_FILE = "Choose a file to attach."
EMPTY_FILE = "{name} is empty."
TOO_LARGE = "{name} is larger than {limit}, the largest file an invoice may have attached."
WRONG_TYPE = (
    "{name} is not a PDF, PNG, JPEG, HEIC, XLSX, DOCX or CSV file (judged by its content, "
    "not its name)."
)
TOO_MANY = "{label} already has {limit} attachments, the most an invoice may have."
NO_SUCH_ATTACHMENT = "No such attachment."
HISTORY_CHANGED = "Attachment"

# Longest original name kept (file systems cap a name at 255 bytes; the file connector
# writes "<id>-<name>").
MAX_NAME_CHARACTERS = 150
CSV_CONTENT_TYPE = "text/csv"
# How much of a CSV file is parsed to decide that it is one (all of it is decoded).
CSV_SAMPLE_CHARACTERS = 64 * 1024


def max_bytes() -> int:
    return settings.ATTACHMENT_MAX_BYTES


def max_per_invoice() -> int:
    return settings.ATTACHMENTS_PER_INVOICE


def describe_size(size: int) -> str:
    """ "25 MB", "312 KB", "87 bytes": the sizes the pages and messages show."""
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            return (
                f"{value:.0f} {unit}"
                if value >= 10 or value == int(value)
                else f"{value:.1f} {unit}"
            )
    return "1 byte" if size == 1 else f"{size} bytes"


def clean_name(name: str) -> str:
    """The user's file name, safe to show and to offer back as a download name: path
    separators become underscores, control and format characters go, whitespace is
    collapsed, and a long name is shortened keeping its extension."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("/", "_").replace("\\", "_")
    name = "".join(
        " " if character.isspace() else character
        for character in name
        if unicodedata.category(character) not in ("Cc", "Cf") or character.isspace()
    )
    name = " ".join(name.split()).strip(" .")
    if len(name) > MAX_NAME_CHARACTERS:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = f"{stem[: MAX_NAME_CHARACTERS - len(extension) - 1]}.{extension}"
        else:
            name = name[:MAX_NAME_CHARACTERS]
    return name or "attachment"


@dataclass(frozen=True)
class CheckedUpload:
    name: str
    content_type: str
    size: int
    sha256: str


def check_upload(upload: UploadedFile | None) -> CheckedUpload:
    """The upload's cleaned name, sniffed type, size and SHA-256; ValidationError with the
    reason when it is missing, empty, too large or of a type not accepted."""
    if upload is None:
        raise ValidationError(NO_FILE)
    name = clean_name(upload.name or "")
    digest = hashlib.sha256()
    size = 0
    head = b""
    for chunk in upload.chunks():
        if len(head) < 8192:
            head += chunk[: 8192 - len(head)]
        size += len(chunk)
        if size > max_bytes():
            raise ValidationError(TOO_LARGE.format(name=name, limit=describe_size(max_bytes())))
        digest.update(chunk)
    if size == 0:
        raise ValidationError(EMPTY_FILE.format(name=name))
    content_type = _sniff(upload, name, head)
    if content_type is None:
        raise ValidationError(WRONG_TYPE.format(name=name))
    return CheckedUpload(name=name, content_type=content_type, size=size, sha256=digest.hexdigest())


def _sniff(upload: UploadedFile, name: str, head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime if kind.mime in ATTACHMENT_EXTENSIONS else None
    if name.lower().endswith(".csv") and _is_utf8_csv(upload):
        return CSV_CONTENT_TYPE
    return None


def _is_utf8_csv(upload: UploadedFile) -> bool:
    """UTF-8 text (a BOM allowed) without NUL characters whose start parses as CSV."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    sample = io.StringIO()
    try:
        for chunk in upload.chunks():
            text = decoder.decode(chunk)
            if "\x00" in text:
                return False
            if sample.tell() < CSV_SAMPLE_CHARACTERS:
                sample.write(text)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    lines = sample.getvalue()[:CSV_SAMPLE_CHARACTERS].splitlines()
    # The last sampled line may be cut in the middle; parse the complete ones.
    complete = lines if len(lines) == 1 else lines[:-1]
    try:
        rows = list(csv.reader(complete, strict=True))
    except csv.Error:
        return False
    return bool(rows)


def _refuse_state(invoice: Invoice, *, removing: bool) -> None:
    label = invoice.label
    if invoice.erp_status == InvoiceErpStatus.SYNCED:
        raise ActionRefused(EXPORTED.format(label=label))
    if invoice.erp_status == InvoiceErpStatus.EXPORTING:
        raise ActionRefused(EXPORTING.format(label=label))
    if removing and invoice.is_locked:
        raise ActionRefused(REMOVE_WHILE_LOCKED.format(label=label))


def attachment_refusal(user, invoice: Invoice, *, removing: bool = False) -> str | None:
    """Why the user may not add (or remove) attachments on the invoice now, or None: the
    same answer the services give, for the pages to show before the click."""
    allowed = can_remove_attachment if removing else can_add_attachment
    if not allowed(user, invoice):
        return (MAY_NOT_REMOVE if removing else MAY_NOT_ADD).format(label=invoice.label)
    try:
        _refuse_state(invoice, removing=removing)
    except ActionRefused as refusal:
        return str(refusal)
    return None


@transaction.atomic
def attachment_add(
    *,
    user: User,
    invoice_id: int,
    upload: UploadedFile | None,
    commitment_id: int | None = None,
) -> InvoiceAttachment:
    """Attach the uploaded file to the invoice. Holds the invoice's row lock while it
    checks the user, the ERP status and the number of attachments, so a send, an accept
    or another upload waits for it. Raises ActionRefused (may not, exported, exporting)
    or ValidationError (the file itself); either way nothing is stored."""
    invoice = access_invoice_on_project(
        user, invoice_id, commitment_id=commitment_id, for_update=True
    )
    refusal = attachment_refusal(user, invoice)
    if refusal:
        raise ActionRefused(refusal)
    checked = check_upload(upload)
    assert upload is not None  # check_upload refused a missing file
    if invoice.attachments.count() >= max_per_invoice():
        raise ValidationError(TOO_MANY.format(label=invoice.label, limit=max_per_invoice()))
    attachment = InvoiceAttachment(
        invoice=invoice,
        original_name=checked.name,
        size=checked.size,
        content_type=checked.content_type,
        sha256=checked.sha256,
        added_by=user,
    )
    attachment.file.save(checked.name, upload, save=False)
    try:
        attachment.save()
        record_history(
            [history_entry(invoice, action_by=user, changed=HISTORY_CHANGED, to_value=checked.name)]
        )
    except Exception:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
        raise
    return attachment


@transaction.atomic
def attachment_remove(
    *,
    user: User,
    invoice_id: int,
    attachment_id: int,
    commitment_id: int | None = None,
) -> InvoiceAttachment:
    """Remove one attachment of an unlocked invoice (its file goes once the transaction
    commits). Raises ActionRefused, or Http404 when the attachment is not (or no longer)
    the invoice's."""
    invoice = access_invoice_on_project(
        user, invoice_id, commitment_id=commitment_id, for_update=True
    )
    refusal = attachment_refusal(user, invoice, removing=True)
    if refusal:
        raise ActionRefused(refusal)
    attachment = invoice.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(NO_SUCH_ATTACHMENT)
    attachment.delete()
    record_history(
        [
            history_entry(
                invoice,
                action_by=user,
                changed=HISTORY_CHANGED,
                from_value=attachment.original_name,
            )
        ]
    )
    return attachment


@receiver(post_delete, sender=InvoiceAttachment)
def _delete_file_after_commit(sender, instance: InvoiceAttachment, using: str, **kwargs) -> None:
    """Whatever deletes an attachment's row (the service, an invoice deleted in the
    admin), its file goes too, but only once the deletion is committed: a rolled back
    deletion keeps a file its row still names."""
    if instance.file.name:
        storage, name = instance.file.storage, instance.file.name
        transaction.on_commit(partial(storage.delete, name), using=using, robust=True)
