"""The CSV writer every export uses: cells, formula injection, chunks, and file names."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from core.csv_export import BYTE_ORDER_MARK, ROWS_PER_CHUNK, csv_cell, csv_chunks
from core.downloads import download_name


@pytest.mark.parametrize(
    ("text", "written"),
    [
        (
            '=HYPERLINK("http://evil.example","Click")',
            '\'=HYPERLINK("http://evil.example","Click")',
        ),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
    ],
)
def test_text_that_a_spreadsheet_would_run_is_prefixed(text, written):
    assert csv_cell(text) == written


@pytest.mark.parametrize("text", ["Keystone Concrete", "SC-001", "12", " =not first", "a=b"])
def test_other_text_is_written_as_it_is(text):
    assert csv_cell(text) == text


def test_a_negative_amount_stays_a_number():
    assert csv_cell(Decimal("-12.50")) == "-12.50"


def test_amounts_are_plain_decimals_without_grouping_or_exponent():
    assert csv_cell(Decimal("1234567.80")) == "1234567.80"
    assert csv_cell(Decimal("0E-2")) == "0.00"


def test_dates_are_iso_8601():
    assert csv_cell(datetime.date(2026, 3, 9)) == "2026-03-09"


def test_times_are_iso_8601_in_the_sites_time_zone(settings):
    settings.TIME_ZONE = "America/New_York"
    moment = datetime.datetime(2026, 3, 9, 18, 30, 5, 123, tzinfo=ZoneInfo("UTC"))

    with timezone.override("America/New_York"):
        assert csv_cell(moment) == "2026-03-09T14:30:05-04:00"


def test_nothing_is_an_empty_cell():
    assert csv_cell(None) == ""


def test_file_starts_with_the_byte_order_mark_and_the_header():
    text = "".join(csv_chunks(["Invoice", "Amount"], [["INV-1", Decimal("1.50")]]))

    assert text == f"{BYTE_ORDER_MARK}Invoice,Amount\r\nINV-1,1.50\r\n"


def test_header_cells_are_guarded_too():
    text = "".join(csv_chunks(["=Invoice"], []))

    assert text == f"{BYTE_ORDER_MARK}'=Invoice\r\n"


def test_rows_are_written_in_chunks_as_they_are_read():
    read = []

    def rows():
        for number in range(ROWS_PER_CHUNK * 2 + 1):
            read.append(number)
            yield [number]

    chunks = csv_chunks(["Number"], rows())
    first = next(chunks)

    assert len(read) == ROWS_PER_CHUNK  # the rest is not read yet
    assert first.count("\r\n") == ROWS_PER_CHUNK + 1
    assert len(list(chunks)) == 2


def test_download_name_keeps_no_path_characters():
    assert download_name("../SC 1/\\2", "invoices", extension="csv") == "SC-1-2-invoices.csv"


def test_download_name_of_nothing_usable_is_download():
    assert download_name("//", extension="pdf") == "download.pdf"
