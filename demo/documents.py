"""Documents the demo data attaches to invoices (a pay application, a lien waiver),
written at seed time: a one-page PDF of a few lines of text, built here byte by byte so
that nothing is downloaded and no PDF library is needed to seed."""

from __future__ import annotations


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def text_pdf(lines: list[str], *, title: str = "") -> bytes:
    """A valid one-page PDF (US Letter, Helvetica) showing `lines`, the first one larger.
    Text is Latin-1; other characters become "?"."""
    commands = ["BT", "/F1 16 Tf", "72 720 Td", "20 TL"]
    for index, line in enumerate(lines):
        if index == 1:
            commands.append("/F1 11 Tf")
        safe = _escape(line.encode("latin-1", "replace").decode("latin-1"))
        commands.append(f"({safe}) Tj T*")
    commands.append("ET")
    stream = "\n".join(commands).encode("latin-1")
    info = f"<< /Title ({_escape(title)}) /Producer (seed_demo) >>" if title else "<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        info.encode("latin-1", "replace"),
    ]
    output = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        output += b"%010d 00000 n \n" % offset
    output += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\n" % (
        len(objects) + 1,
        len(objects),
    )
    output += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(output)
