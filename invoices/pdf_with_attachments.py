"""The pay application with the invoice's attachments: the pay application PDF
(invoices/pdf.py), then each PDF attachment's pages (pypdf), then a last page, printed
like the pay application, that says where each appended attachment starts and lists
the attachments that are not in the document: those that are not PDFs, and the PDFs that
could not be appended (protected by a password, broken, missing from storage), each with
the reason.

Memory: each attachment is read from storage through its file handle (pypdf reads what
it needs from it) and closed once its pages are copied; the finished document is written
to a temporary file that spills to disk past `SPOOL_BYTES` and is streamed from there.
What stays in memory while the document is built is pypdf's copy of the appended pages.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from django.http import FileResponse
from django.template.loader import render_to_string
from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from pypdf.errors import PdfReadError

from core.downloads import as_download, download_name
from invoices.attachments import describe_size
from invoices.models import Invoice, InvoiceAttachment
from invoices.pdf import html_to_pdf, render_pay_application

logger = logging.getLogger(__name__)

PDF_CONTENT_TYPE = "application/pdf"
# The finished document stays in memory up to this size, then goes to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024

NOT_A_PDF = "Not a PDF: open it from the invoice page."
PASSWORD_PROTECTED = "Could not be appended: the PDF is protected by a password."
UNREADABLE = "Could not be appended: the file is not a readable PDF ({error})."
NO_PAGES = "Could not be appended: the PDF has no pages."
MISSING = "Could not be appended: the file is missing from storage."


@dataclass(frozen=True)
class AttachmentPlace:
    """Where an attachment is in the document: its first page and page count when its
    pages were appended, or why it is not there."""

    attachment: InvoiceAttachment
    first_page: int | None = None
    page_count: int = 0
    reason: str | None = None

    @property
    def last_page(self) -> int | None:
        return None if self.first_page is None else self.first_page + self.page_count - 1

    @property
    def size(self) -> str:
        return describe_size(self.attachment.size)


def with_attachments_filename(invoice: Invoice) -> str:
    """ "SC-001-INV-3-with-attachments.pdf"."""
    return download_name(
        invoice.commitment.number, invoice.label, "with-attachments", extension="pdf"
    )


def attachments_to_print(invoice: Invoice) -> list[InvoiceAttachment]:
    """The invoice's attachments in the order the pages list them, with who added each:
    one query, however many there are."""
    return list(
        InvoiceAttachment.objects.filter(invoice=invoice)
        .select_related("added_by")
        .order_by("added_at", "pk")
    )


def _unlocked(reader) -> bool:
    """Whether an encrypted PDF opens without a password (many are encrypted only to
    restrict printing or copying, with an empty user password)."""
    try:
        return bool(reader.decrypt(""))
    except (PdfReadError, NotImplementedError, ValueError):
        # DependencyError (an AES cipher with no crypto library) is a PdfReadError.
        return False


def append_attachment(writer, attachment: InvoiceAttachment) -> AttachmentPlace:
    """Append the attachment's pages to `writer`; on any failure the writer is left as
    it was and the place says why."""
    first_page = len(writer.pages) + 1
    try:
        handle = attachment.file.open("rb")
    except OSError:
        return AttachmentPlace(attachment, reason=MISSING)
    try:
        with handle:
            reader = PdfReader(handle)
            if reader.is_encrypted and not _unlocked(reader):
                return AttachmentPlace(attachment, reason=PASSWORD_PROTECTED)
            if len(reader.pages) == 0:
                return AttachmentPlace(attachment, reason=NO_PAGES)
            writer.append(reader, import_outline=False)
    # A malformed file makes pypdf raise nearly anything (its own errors, but also
    # KeyError, TypeError, RecursionError...): one bad attachment must not stop the
    # document, so every failure is reported on the last page instead.
    except Exception as error:
        logger.info("Attachment %s not appended: %r", attachment.pk, error)
        while len(writer.pages) >= first_page:
            del writer.pages[len(writer.pages) - 1]
        return AttachmentPlace(attachment, reason=UNREADABLE.format(error=_describe(error)))
    return AttachmentPlace(attachment, first_page, len(writer.pages) - first_page + 1)


def _describe(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = text[:120]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def attachment_list_html(
    invoice: Invoice, places: list[AttachmentPlace], *, pay_application_pages: int, page: int
) -> str:
    """The last page: where the appended attachments are, and the others with why."""
    commitment = invoice.commitment
    return render_to_string(
        "invoices/pay_application_attachments.html",
        {
            "invoice": invoice,
            "commitment": commitment,
            "project": commitment.project,
            "appended": [place for place in places if place.first_page is not None],
            "not_appended": [place for place in places if place.first_page is None],
            "pay_application_pages": pay_application_pages,
            "page": page,
            "printed_at": timezone.localtime(),
        },
    )


def write_pay_application_with_attachments(invoice: Invoice, output: IO[bytes]) -> None:
    """Write the pay application, the invoice's PDF attachments and the last page to
    `output`. `invoice` must have its commitment, project, company and vendor loaded."""
    # The pay application's own document (its title and metadata) is the base.
    writer = PdfWriter(clone_from=BytesIO(render_pay_application(invoice)))
    pay_application_pages = len(writer.pages)
    places = []
    for attachment in attachments_to_print(invoice):
        if attachment.content_type == PDF_CONTENT_TYPE:
            places.append(append_attachment(writer, attachment))
        else:
            places.append(AttachmentPlace(attachment, reason=NOT_A_PDF))
    last_page = html_to_pdf(
        attachment_list_html(
            invoice,
            places,
            pay_application_pages=pay_application_pages,
            page=len(writer.pages) + 1,
        )
    )
    writer.append(PdfReader(BytesIO(last_page)), import_outline=False)
    writer.write(output)


def pay_application_with_attachments_response(invoice: Invoice) -> FileResponse:
    """ "Download PDF with attachments", streamed from a temporary file. The caller has
    checked that the user may see the invoice, as for the plain PDF."""
    output = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the response closes it)
    try:
        write_pay_application_with_attachments(invoice, output)
    except BaseException:
        output.close()
        raise
    output.seek(0)
    filename = with_attachments_filename(invoice)
    response = FileResponse(
        output, as_attachment=True, filename=filename, content_type=PDF_CONTENT_TYPE
    )
    as_download(response, filename)
    return response
