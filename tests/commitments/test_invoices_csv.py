"""The Invoices tab's "Export CSV": the tab's table, row for row, as a streamed download.
Who may download it: tests/test_download_permissions.py."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils.dateformat import format as format_date
from pytest_django.asserts import assertContains

from core.display import money
from invoices.csv_export import INVOICES_TAB_HEADER
from invoices.models import InvoiceStatus
from tests.factories import (
    InvoiceAttachmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    SovLineFactory,
)
from tests.html_tables import csv_rows, table_body_rows
from tests.world import build_world

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world():
    return build_world(number="SC-001")


def tab_url(name, commitment):
    return reverse(name, args=[commitment.project_id, commitment.pk])


def add_invoices(world, count):
    """`count` invoices on the commitment's two SOV lines, each billing different
    amounts, in a mix of statuses and ERP states."""
    sov_lines = [SovLineFactory(commitment=world.commitment) for _ in range(2)]
    statuses = [InvoiceStatus.APPROVED, InvoiceStatus.DRAFT, InvoiceStatus.UNDER_REVIEW]
    invoices = []
    for number in range(1, count + 1):
        invoice = InvoiceFactory(
            commitment=world.commitment,
            number=number,
            status=statuses[number % len(statuses)],
            billing_period_start=datetime.date(2026, 1, 1) + datetime.timedelta(days=number),
            billing_period_end=datetime.date(2026, 1, 20) + datetime.timedelta(days=number),
        )
        for position, sov_line in enumerate(sov_lines):
            InvoiceLineFactory(
                invoice=invoice,
                sov_line=sov_line,
                work_completed_this_period=Decimal(number * 100 + position) + Decimal("0.25"),
                materials_presently_stored=Decimal(position * 50),
                work_retainage_percent=Decimal("7.50"),
                materials_retainage_percent=Decimal("5.00"),
            )
        invoices.append(invoice)
    world.export_item(invoices[0], "synced")
    if count > 1:
        InvoiceAttachmentFactory.create_batch(2, invoice=invoices[1])
    return invoices


def download(client, commitment, headers=None):
    response = client.get(tab_url("commitments:invoices_csv", commitment), **(headers or {}))
    return response, b"".join(response.streaming_content)


def as_the_table_shows(row: list[str]) -> list[str]:
    """A CSV row in the words of the tab's table: money, and the period as
    "Jan 2, 2026 \u2013 Jan 21, 2026"."""
    number, start, end, status, erp_status, *amounts, attachments = row
    period = " \u2013 ".join(
        format_date(datetime.date.fromisoformat(day), "M j, Y") for day in (start, end)
    )
    paperclip = f"\U0001f4ce {attachments}" if attachments != "0" else ""
    return [number, period, status, erp_status, *(money(Decimal(a)) for a in amounts), paperclip]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_csv_matches_the_invoices_table_row_for_row(client, world, headers):
    add_invoices(world, 4)
    client.force_login(world.users["project_admin"])

    page = client.get(tab_url("commitments:invoices", world.commitment))
    _, content = download(client, world.commitment, headers)

    header, *rows = csv_rows(content)
    assert header == list(INVOICES_TAB_HEADER)
    # The table's cells after the checkbox, up to the "View" link.
    table = [cells[1:-1] for cells in table_body_rows(page.content.decode())]
    assert [as_the_table_shows(row) for row in rows] == table
    assert len(rows) == 4


def test_csv_writes_amounts_as_plain_decimals_and_dates_as_iso(client, world):
    add_invoices(world, 1)
    client.force_login(world.users["read_only"])

    _, content = download(client, world.commitment)

    assert csv_rows(content)[1] == [
        "INV-1",
        "2026-01-02",
        "2026-01-21",
        "Draft",
        "Synced",
        "251.50",
        "251.50",
        "17.61",
        "233.89",
        "0",
    ]


def test_csv_is_a_streamed_utf8_download_named_after_the_commitment(client, world):
    add_invoices(world, 1)
    client.force_login(world.users["read_only"])

    response, content = download(client, world.commitment)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="SC-001-invoices.csv"'
    assert content.startswith(b"\xef\xbb\xbfNumber,")


def test_csv_of_a_commitment_without_invoices_has_the_header_only(client, world):
    client.force_login(world.users["read_only"])

    _, content = download(client, world.commitment)

    assert csv_rows(content) == [list(INVOICES_TAB_HEADER)]


def test_invoices_tab_offers_export_csv(client, world):
    add_invoices(world, 1)
    client.force_login(world.users["read_only"])

    response = client.get(tab_url("commitments:invoices", world.commitment))

    assertContains(response, f'href="{tab_url("commitments:invoices_csv", world.commitment)}"')
    assertContains(response, "Export CSV")


@pytest.mark.parametrize("count", [2, 25])
def test_csv_queries_do_not_grow_with_rows(client, world, django_assert_num_queries, count):
    add_invoices(world, count)
    client.force_login(world.users["read_only"])

    # Session, user and the access checks before the first byte; the invoices and their
    # billing (two queries) while the file is written.
    with django_assert_num_queries(9):
        _, content = download(client, world.commitment)

    assert len(csv_rows(content)) == count + 1
