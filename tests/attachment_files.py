"""Uploads for the attachment tests: real files of each accepted type, and forgeries."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from demo.documents import text_pdf


def pdf_upload(
    name: str = "pay-application.pdf", text: str = "Pay Application"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text_pdf([text]), content_type="application/pdf")


# A 1x1 PNG and the start of a JPEG (JFIF): what a phone or scanner writes first.
PNG_1X1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
JPEG_START = bytes.fromhex("ffd8ffe000104a46494600010100000100010000") + b"\x00" * 64


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG_1X1, content_type="image/png")


def jpeg_upload(name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, JPEG_START, content_type="image/jpeg")


def heic_upload(name: str = "photo.heic") -> SimpleUploadedFile:
    content = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    return SimpleUploadedFile(name, content, content_type="image/heic")


def office_upload(name: str, folder: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}/document.xml", "<document/>")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def xlsx_upload(name: str = "backup.xlsx") -> SimpleUploadedFile:
    return office_upload(name, "xl")


def docx_upload(name: str = "lien-waiver.docx") -> SimpleUploadedFile:
    return office_upload(name, "word")


def csv_upload(name: str = "quantities.csv", content: bytes | None = None) -> SimpleUploadedFile:
    content = content if content is not None else "\ufeffitem,qty\nRebar,12\nForms,3\n".encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def executable_named_pdf(name: str = "pay-application.pdf") -> SimpleUploadedFile:
    """A Windows executable dressed up as a PDF: the name and the declared type lie."""
    return SimpleUploadedFile(name, b"MZ\x90\x00" + b"\x00" * 200, content_type="application/pdf")
