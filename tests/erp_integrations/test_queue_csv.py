"""Each ERP Integrations tab's "Export CSV": every item of the tab (not one page), with
the columns of the tab's table, row for row, streamed. Who may download it:
tests/test_download_permissions.py."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from pytest_django.asserts import assertContains

from core.display import money
from erp_integrations.csv_export import queue_tab_header
from erp_integrations.models import ExportState
from erp_integrations.selectors import QUEUE_TABS, TABS_BY_STATE
from tests.factories import (
    CommitmentFactory,
    InvoiceAttachmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    SovLineFactory,
    VendorFactory,
)
from tests.html_tables import csv_rows, table_body_rows
from tests.world import build_world

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
TAB_STATES = [tab.state for tab in QUEUE_TABS]


@pytest.fixture
def world():
    world = build_world()
    approver = world.users["approver"]
    approver.first_name, approver.last_name = "Alex", "Approver"
    approver.save(update_fields=["first_name", "last_name"])
    return world


def queued(world, state, count, *, amounts=("1000.00", "250.50")):
    """`count` invoices of the world's commitment with an item in `state`, sent a minute
    apart (the newest last)."""
    sov_lines = [SovLineFactory(commitment=world.commitment) for _ in amounts]
    start = world.commitment.invoices.count()
    items = []
    for offset in range(count):
        invoice = InvoiceFactory(commitment=world.commitment, number=start + offset + 1)
        for sov_line, amount in zip(sov_lines, amounts, strict=True):
            InvoiceLineFactory(
                invoice=invoice, sov_line=sov_line, work_completed_this_period=Decimal(amount)
            )
        item = world.export_item(invoice, state)
        item.sent_at = timezone.now() - datetime.timedelta(minutes=count - offset)
        if state == ExportState.FAILED_TO_EXPORT:
            item.last_error = "ERP said no" if offset % 2 else ""
            item.attempts = offset + 1
        if state == ExportState.SYNCED:
            item.synced_at = item.sent_at + datetime.timedelta(seconds=30)
        item.save()
        items.append(item)
    InvoiceAttachmentFactory(invoice=items[0].invoice)
    return items


def csv_url(world, state):
    return reverse("erp_integrations:tab_csv", args=[world.company.pk, TABS_BY_STATE[state].slug])


def tab_url(world, state):
    return reverse("erp_integrations:tab", args=[world.company.pk, TABS_BY_STATE[state].slug])


def download(client, world, state, headers=None):
    response = client.get(csv_url(world, state), **(headers or {}))
    return response, b"".join(response.streaming_content)


def when(iso: str) -> str:
    return format_date(datetime.datetime.fromisoformat(iso), "M j, Y g:i A")


def who_when(who: str, at: str) -> str:
    return f"{who} {when(at)}".strip()


def as_the_table_shows(state, row: list[str]) -> list[str]:
    """A CSV row in the words of the tab's table (its two-line cells joined)."""
    invoice, attachments, project, project_number, commitment, title, vendor, due = row[:8]
    sent_by, sent_at = row[8:10]
    extra = row[10:]
    cells = [
        f"{invoice} \U0001f4ce {attachments}" if attachments != "0" else invoice,
        f"{project} {project_number}",
        f"{commitment} {title}",
        vendor,
        money(Decimal(due)),
        who_when(sent_by, sent_at),
    ]
    if state in (ExportState.EXPORTING, ExportState.SYNCED, ExportState.FAILED_TO_EXPORT):
        decided_by, decided_at, *extra = extra
        cells.append(who_when(decided_by, decided_at))
    if state == ExportState.EXPORTING:
        cells += extra
    elif state == ExportState.SYNCED:
        synced_at, reference = extra
        cells += [when(synced_at), reference]
    elif state == ExportState.FAILED_TO_EXPORT:
        error, attempts = extra
        cells.append(f"{error} {attempts} attempt{'s' if attempts != '1' else ''}")
    elif state == ExportState.REJECTED:
        decided_by, decided_at, reason = extra
        cells += [who_when(decided_by, decided_at), reason]
    return cells


@pytest.mark.parametrize("state", TAB_STATES)
def test_csv_matches_the_tabs_table_row_for_row(client, world, state):
    queued(world, state, 3)
    client.force_login(world.users["erp_standard_without_push"])  # no checkboxes to skip

    page = client.get(tab_url(world, state))
    _, content = download(client, world, state)

    header, *rows = csv_rows(content)
    assert header == list(queue_tab_header(TABS_BY_STATE[state]))
    assert [as_the_table_shows(state, row) for row in rows] == table_body_rows(
        page.content.decode()
    )
    assert len(rows) == 3


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_csv_has_every_item_of_the_tab_not_one_page(client, world, monkeypatch, headers):
    monkeypatch.setattr("erp_integrations.selectors.PAGE_SIZE", 2)
    items = queued(world, ExportState.READY_TO_EXPORT, 5)
    queued(world, ExportState.REJECTED, 1)
    client.force_login(world.users["approver"])

    _, content = download(client, world, ExportState.READY_TO_EXPORT, headers)

    invoices = [row[0] for row in csv_rows(content)[1:]]
    assert invoices == [item.invoice.label for item in reversed(items)]  # newest first


def test_csv_guards_text_cells_against_formulas_but_not_amounts(client, world):
    commitment = CommitmentFactory(
        project=world.project,
        number="@SC-9",
        title="+1-2",
        vendor=VendorFactory(company=world.company, name='=HYPERLINK("http://evil.example")'),
    )
    invoice = InvoiceFactory(commitment=commitment, number=1)
    InvoiceLineFactory(
        invoice=invoice,
        sov_line=SovLineFactory(commitment=commitment),
        work_completed_this_period=Decimal("-12.50"),
        work_retainage_percent=Decimal("0.00"),
    )
    item = world.export_item(invoice, ExportState.REJECTED)
    item.rejection_reason = "-see the backup"
    item.save(update_fields=["rejection_reason"])
    client.force_login(world.users["approver"])

    _, content = download(client, world, ExportState.REJECTED)

    row = dict(zip(*csv_rows(content), strict=True))
    assert row["Commitment"] == "'@SC-9"
    assert row["Commitment title"] == "'+1-2"
    assert row["Contract company"] == '\'=HYPERLINK("http://evil.example")'
    assert row["Reason"] == "'-see the backup"
    assert row["Amount due"] == "-12.50"


def test_csv_amount_due_is_the_pages_amount_due(client, world):
    queued(world, ExportState.READY_TO_EXPORT, 1, amounts=("1000.05", "333.33", "0.01"))
    client.force_login(world.users["approver"])

    _, content = download(client, world, ExportState.READY_TO_EXPORT)

    # (1000.05 - 100.01) + (333.33 - 33.33) + (0.01 - 0.00), each line rounded on its own.
    assert csv_rows(content)[1][7] == "1200.05"


def test_csv_lists_an_invoice_without_lines_as_due_nothing(client, world):
    invoice = InvoiceFactory(commitment=world.commitment, number=1)
    world.export_item(invoice, ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])

    _, content = download(client, world, ExportState.READY_TO_EXPORT)

    assert csv_rows(content)[1][7] == "0.00"


def test_csv_lists_each_rejection_of_an_invoice_sent_twice(client, world):
    (first,) = queued(world, ExportState.REJECTED, 1)
    second = world.export_item(first.invoice, ExportState.REJECTED)
    client.force_login(world.users["approver"])

    _, content = download(client, world, ExportState.REJECTED)

    rows = csv_rows(content)[1:]
    assert [row[0] for row in rows] == ["INV-1", "INV-1"]
    assert second.sent_at > first.sent_at
    assert {row[7] for row in rows} == {"1125.45"}


def test_csv_leaves_other_companies_items_out(client, world):
    queued(world, ExportState.READY_TO_EXPORT, 2)
    other = build_world()
    queued(other, ExportState.READY_TO_EXPORT, 3)
    client.force_login(world.users["approver"])

    _, content = download(client, world, ExportState.READY_TO_EXPORT)

    assert len(csv_rows(content)) == 3


def test_csv_is_a_streamed_download_named_after_the_tab(client, world):
    client.force_login(world.users["approver"])

    response, content = download(client, world, ExportState.FAILED_TO_EXPORT)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"]
        == 'attachment; filename="erp-integrations-failed-to-export.csv"'
    )
    assert csv_rows(content) == [list(queue_tab_header(TABS_BY_STATE["failed_to_export"]))]


def test_csv_of_an_unknown_tab_is_404(client, world):
    client.force_login(world.users["approver"])

    response = client.get(reverse("erp_integrations:tab_csv", args=[world.company.pk, "nope"]))

    assert response.status_code == 404


@pytest.mark.parametrize("state", TAB_STATES)
def test_each_tab_with_items_offers_export_csv(client, world, state):
    queued(world, state, 1)
    client.force_login(world.users["approver"])

    response = client.get(tab_url(world, state))

    assertContains(response, f'href="{csv_url(world, state)}"')


@pytest.mark.parametrize("count", [2, 40])
def test_csv_queries_do_not_grow_with_rows(client, world, django_assert_num_queries, count):
    queued(world, ExportState.SYNCED, count)
    client.force_login(world.users["approver"])

    # Session, user and the access checks before the first byte; one query for every
    # item with its lines while the file is written.
    with django_assert_num_queries(6):
        _, content = download(client, world, ExportState.SYNCED)

    assert len(csv_rows(content)) == count + 1
