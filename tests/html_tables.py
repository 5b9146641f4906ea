"""The rows of a page's table as a user reads them, for tests that compare an export
with the table it exports."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser


class _TableBody(HTMLParser):
    """The text of each cell of each body row of the page's tables."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_body = False
        self._cell: list[str] | None = None
        self._hidden = 0  # depth inside visually-hidden text (read by screen readers only)

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self._hidden or "visually-hidden" in classes:
            self._hidden += 1 if tag not in ("input", "br") else 0
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag in ("td", "th") and self._in_body:
            self._cell = []

    def handle_endtag(self, tag):
        if self._hidden:
            self._hidden -= 1
        if tag == "tbody":
            self._in_body = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(re.sub(r"\s+", " ", "".join(self._cell)).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None and not self._hidden:
            self._cell.append(data + " ")


def table_body_rows(html: str) -> list[list[str]]:
    parser = _TableBody()
    parser.feed(html)
    return parser.rows


def csv_rows(content: bytes) -> list[list[str]]:
    """A CSV download read back: it must start with UTF-8's byte order mark."""
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
