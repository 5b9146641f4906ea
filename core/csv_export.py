"""CSV downloads: streamed as they are written, and safe to open in a spreadsheet.

- UTF-8 with a byte order mark, so Excel reads the accents of a vendor's name.
- Amounts as plain decimals ("1234.50"), dates and times as ISO 8601.
- Formula injection (OWASP, "CSV Injection"): a text cell that starts with `=`, `+`, `-`,
  `@`, a tab or a carriage return is prefixed with `'`, so a spreadsheet shows it as text
  instead of running it. Numbers are written by the export itself, not typed by a user,
  and stay numbers: a negative amount is "-12.50", not "'-12.50", which a spreadsheet
  would no longer add up. Only text cells (names, titles, reasons, errors) are guarded.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone

from core.downloads import as_download

BYTE_ORDER_MARK = "\ufeff"
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Rows written into one chunk of the response: one socket write per chunk, not per row.
ROWS_PER_CHUNK = 500

Cell = str | int | Decimal | datetime.date | datetime.datetime | None


def csv_cell(value: Cell) -> str | int:
    """One cell as the file holds it (see the module's docstring)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat(timespec="seconds")
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """The file in pieces of ROWS_PER_CHUNK rows: the byte order mark and the header
    first, then the rows as `rows` yields them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BYTE_ORDER_MARK)
    writer.writerow([csv_cell(name) for name in header])
    for written, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(value) for value in row])
        if written % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> StreamingHttpResponse:
    """A CSV download written while it is sent: `rows` is read lazily (a server-side
    cursor's iterator), so a long list never sits in memory whole."""
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in csv_chunks(header, rows)),
        content_type="text/csv; charset=utf-8",
    )
    as_download(response, filename)
    return response
