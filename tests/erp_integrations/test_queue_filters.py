"""The ERP Integrations queue at volume: filters, search, sort, totals, the URL that keeps
them, and what bad filter input does (never a 500)."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from erp_integrations.models import ExportItem, ExportState
from erp_integrations.selectors import PAGE_SIZE
from tests.factories import CommitmentFactory, ProjectFactory, UserFactory, VendorFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-queue"}
READY = ExportState.READY_TO_EXPORT


def tab_url(world, slug="ready-to-export", query=""):
    url = reverse("erp_integrations:tab", args=[world.company.pk, slug])
    return f"{url}?{query}" if query else url


def href(url: str) -> str:
    return f'href="{escape(url)}"'


def listed(response) -> list[ExportItem]:
    return list(response.context["page"].items)


def item_of(invoice) -> ExportItem:
    return ExportItem.objects.get(invoice=invoice)


def invoice_on(world, commitment, state=READY, due="100.00"):
    """An invoice of `commitment` (another of the world's company) in the queue, whose
    one line makes its current payment due `due`."""
    original = world.commitment
    world.commitment = commitment
    try:
        invoice = world.invoice(erp_state=state)
    finally:
        world.commitment = original
    line = invoice.lines.get()
    line.work_completed_this_period = Decimal(due)
    line.materials_presently_stored = Decimal("0.00")
    line.work_retainage_percent = Decimal("0.00")
    line.save()
    return invoice


@pytest.fixture
def queue():
    """Two projects of one company, each with a commitment of its own vendor, and items
    waiting on both; alex-like approver logged in."""
    world = build_world()
    other_project = ProjectFactory.create(company=world.company, name="Harbor Lofts")
    other_vendor = VendorFactory.create(company=world.company, name="Zenith Steel")
    other = CommitmentFactory.create(project=other_project, vendor=other_vendor, number="PO-777")
    here = [invoice_on(world, world.commitment, due="100.00") for _ in range(3)]
    there = [invoice_on(world, other, due="250.00") for _ in range(2)]
    return world, other, here, there


def logged_in(client, world, role="approver"):
    client.force_login(world.users[role])
    return client


# --- Filters --------------------------------------------------------------------------


def test_project_filter_lists_only_that_projects_items(client, queue):
    world, other, _here, there = queue

    response = logged_in(client, world).get(tab_url(world, query=f"project={other.project_id}"))

    assert {item.invoice_id for item in listed(response)} == {invoice.pk for invoice in there}


def test_contract_company_filter_lists_only_that_vendors_items(client, queue):
    world, _other, here, _there = queue

    response = logged_in(client, world).get(
        tab_url(world, query=f"vendor={world.commitment.vendor_id}")
    )

    assert {item.invoice_id for item in listed(response)} == {invoice.pk for invoice in here}


def test_sender_filter_lists_only_what_they_sent(client, queue):
    world, _other, _here, there = queue
    sender = UserFactory.create(first_name="Robin", last_name="Sender")
    ExportItem.objects.filter(invoice=there[0]).update(sent_by=sender)

    response = logged_in(client, world).get(tab_url(world, query=f"sent_by={sender.pk}"))

    assert [item.invoice_id for item in listed(response)] == [there[0].pk]
    assertContains(response, "Robin Sender")


def test_sent_date_range_keeps_items_sent_within_it(client, queue):
    world, _other, here, _there = queue
    sent = {
        here[0]: datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC),
        here[1]: datetime.datetime(2026, 3, 15, 12, tzinfo=datetime.UTC),
        here[2]: datetime.datetime(2026, 4, 1, 12, tzinfo=datetime.UTC),
    }
    for invoice, at in sent.items():
        ExportItem.objects.filter(invoice=invoice).update(sent_at=at)

    response = logged_in(client, world).get(
        tab_url(world, query="sent_from=2026-03-01&sent_to=2026-03-15")
    )

    assert {item.invoice_id for item in listed(response)} == {here[0].pk, here[1].pk}


@pytest.mark.parametrize("search", ["INV-{}", "inv {}", "#{}", " INV-{} "])
def test_search_finds_an_invoice_by_its_number(client, queue, search):
    world, _other, _here, there = queue
    wanted = there[1]

    response = logged_in(client, world).get(tab_url(world), {"q": search.format(wanted.number)})

    assert [item.invoice_id for item in listed(response)] == [wanted.pk]


def test_search_finds_items_by_commitment_number(client, queue):
    world, _other, _here, there = queue

    response = logged_in(client, world).get(tab_url(world, query="q=po-77"))

    assert {item.invoice_id for item in listed(response)} == {invoice.pk for invoice in there}


def test_tab_counts_follow_the_filters(client, queue):
    world, other, _here, _there = queue
    invoice_on(world, other, state=ExportState.SYNCED)

    response = logged_in(client, world).get(tab_url(world, query=f"project={other.project_id}"))

    counts = {count.tab.slug: count.count for count in response.context["tab_counts"]}
    assert counts["ready-to-export"] == 2
    assert counts["synced"] == 1


def test_another_companys_project_is_not_a_choice(client, queue):
    """The choices are the company's own: another company's project id is refused with
    a message and filters nothing."""
    world, _other, _here, _there = queue
    foreign = ProjectFactory.create(name="Elsewhere Tower")

    response = logged_in(client, world).get(tab_url(world, query=f"project={foreign.pk}"))

    assert response.status_code == 200
    assert len(listed(response)) == 5
    assertContains(response, "Select a valid choice")
    assertNotContains(response, "Elsewhere Tower")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sent_from=2026-13-45", "Enter a valid date."),
        ("sent_to=yesterday", "Enter a valid date."),
        ("project=99999999999999999999999999", "Select a valid choice"),
        ("vendor=-1", "Select a valid choice"),
        ("sent_by=abc", "Select a valid choice"),
        ("sort=price", "Select a valid choice"),
        ("sort=-pk", "Select a valid choice"),
    ],
)
@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_bad_filter_input_is_ignored_with_a_message(client, queue, query, message, headers):
    world, _other, _here, _there = queue

    response = logged_in(client, world).get(tab_url(world, query=query), **headers)

    assert response.status_code == 200
    assert len(listed(response)) == 5
    assertContains(response, message)


def test_bad_input_beside_a_good_filter_leaves_the_good_one_working(client, queue):
    world, other, _here, there = queue

    response = logged_in(client, world).get(
        tab_url(world, query=f"project={other.project_id}&sent_from=nope")
    )

    assert {item.invoice_id for item in listed(response)} == {invoice.pk for invoice in there}
    assertContains(response, "Enter a valid date.")


# --- Sort -----------------------------------------------------------------------------


def test_queue_sorts_by_contract_company_both_ways(client, queue):
    world, _other, _here, _there = queue
    client = logged_in(client, world)

    ascending = client.get(tab_url(world, query="sort=vendor"))
    descending = client.get(tab_url(world, query="sort=-vendor"))

    names = [item.invoice.commitment.vendor.name for item in listed(ascending)]
    assert names == sorted(names)
    assert names[-1] == "Zenith Steel"
    assert [item.pk for item in listed(descending)][:2] == sorted(
        (item.pk for item in listed(ascending)[-2:]), reverse=True
    )
    assertContains(ascending, 'aria-sort="ascending"')
    assertContains(descending, 'aria-sort="descending"')


def test_sort_header_links_keep_the_filters_and_turn_the_sort(client, queue):
    world, other, _here, _there = queue

    response = logged_in(client, world).get(
        tab_url(world, query=f"project={other.project_id}&sort=commitment")
    )

    assertContains(
        response, href(tab_url(world, query=f"project={other.project_id}&sort=-commitment"))
    )
    assertContains(response, href(tab_url(world, query=f"project={other.project_id}&sort=vendor")))


def test_default_order_is_newest_sending_first(client, queue):
    world, _other, _here, _there = queue

    response = logged_in(client, world).get(tab_url(world))

    sent = [item.sent_at for item in listed(response)]
    assert sent == sorted(sent, reverse=True)
    # "Sent" is the sort in effect, newest first; its link sorts oldest first.
    assertContains(response, href(tab_url(world, query="sort=sent")))


# --- The URL keeps them ---------------------------------------------------------------


def test_tab_links_and_pages_carry_the_filters(client):
    world = build_world()
    for _ in range(PAGE_SIZE + 1):
        world.invoice(erp_state=READY)
    query = f"vendor={world.commitment.vendor_id}&sort=-invoice"

    response = logged_in(client, world).get(tab_url(world, query=query), **HTMX)

    assertContains(response, href(tab_url(world, "synced", query)))
    assertContains(response, href(tab_url(world, query=query + "&page=2")))
    assertContains(response, f'hx-get="{escape(tab_url(world, "synced", query))}"')
    assertContains(response, f'<input type="hidden" name="query" value="{escape(query)}">')


def test_filter_form_shows_the_filters_in_effect(client, queue):
    world, other, _here, _there = queue

    response = logged_in(client, world).get(
        tab_url(world, query=f"project={other.project_id}&q=PO-777&sort=-vendor")
    )

    selected = f'<option value="{other.project_id}" selected>{other.project}</option>'
    assertContains(response, selected)
    assertContains(response, 'value="PO-777"')
    assertContains(response, '<input type="hidden" name="sort" value="-vendor">', html=True)


def test_accept_from_a_filtered_tab_shows_it_filtered_again(client, queue, dummy_tasks):
    world, other, _here, there = queue
    query = f"project={other.project_id}"

    response = logged_in(client, world).post(
        reverse("erp_integrations:accept", args=[world.company.pk]),
        {"item_ids": [item_of(there[0]).pk], "tab": "ready-to-export", "query": query},
        **HTMX,
    )

    assert item_of(there[0]).state == ExportState.EXPORTING
    assert [item.invoice_id for item in listed(response)] == [there[1].pk]


def test_plain_accept_from_a_filtered_tab_returns_to_it(client, queue, dummy_tasks):
    world, other, _here, there = queue
    query = f"project={other.project_id}&sort=-sent"

    response = logged_in(client, world).post(
        reverse("erp_integrations:accept", args=[world.company.pk]),
        {"item_ids": [item_of(there[0]).pk], "tab": "ready-to-export", "query": query},
    )

    assertRedirects(response, tab_url(world, query=query), fetch_redirect_response=False)


# --- Totals ---------------------------------------------------------------------------


def test_page_shows_its_total_amount_due_and_each_rows_amount_for_the_checked_total(client, queue):
    world, _other, _here, _there = queue

    response = logged_in(client, world).get(tab_url(world))

    # three of $100.00 and two of $250.00
    assert response.context["page"].total_due == Decimal("800.00")
    assertContains(response, "Amount due on this page: <strong>$800.00</strong>")
    assertContains(response, 'data-amount-due="250.00"', count=2)
    assertContains(response, 'data-amount-due="100.00"', count=3)
    assertContains(response, "data-checked-total hidden")


def test_filtered_total_is_the_filtered_rows(client, queue):
    world, other, _here, _there = queue

    response = logged_in(client, world).get(tab_url(world, query=f"project={other.project_id}"))

    assertContains(response, "Amount due on this page: <strong>$500.00</strong>")


def test_viewer_without_push_gets_the_page_total_but_no_checked_total(client, queue):
    world, _other, _here, _there = queue

    response = logged_in(client, world, "erp_standard_without_push").get(tab_url(world))

    assertContains(response, "$800.00")
    assertNotContains(response, "data-checked-total")


# --- CSV ------------------------------------------------------------------------------


def test_csv_export_link_and_file_follow_the_filters(client, queue):
    world, other, _here, there = queue
    query = f"project={other.project_id}"
    client = logged_in(client, world)
    csv_url = reverse("erp_integrations:tab_csv", args=[world.company.pk, "ready-to-export"])

    page = client.get(tab_url(world, query=query))
    response = client.get(f"{csv_url}?{query}")

    assertContains(page, f'href="{csv_url}?{query}"')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + len(there)
    assert {row[0] for row in rows[1:]} == {invoice.label for invoice in there}


# --- Query counts ---------------------------------------------------------------------

# A filtered tab costs what the unfiltered one does (tests/erp_integrations/test_views.py)
# plus one query for each chosen project, contract company and sender: the form checks the
# id is one of its choices. The search, the dates and the sort cost nothing more.
FILTERED_QUERIES_PLAIN = 14 + 3
FILTERED_QUERIES_HTMX = 11 + 3


@pytest.mark.parametrize("size", [5, 60])
@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, FILTERED_QUERIES_PLAIN), (HTMX, FILTERED_QUERIES_HTMX)],
    ids=["plain", "htmx"],
)
def test_filtered_tab_queries_do_not_grow_with_rows(
    client, django_assert_num_queries, size, headers, expected
):
    world = build_world()
    for _ in range(size):
        world.invoice(erp_state=READY)
    sender = world.users["project_admin"]
    query = (
        f"project={world.project.pk}&vendor={world.commitment.vendor_id}&sent_by={sender.pk}"
        f"&q=SC&sent_from=2000-01-01&sent_to={timezone.localdate().isoformat()}&sort=-vendor"
    )
    client = logged_in(client, world)

    with django_assert_num_queries(expected):
        response = client.get(tab_url(world, query=query), **headers)

    assert len(listed(response)) == min(size, PAGE_SIZE)


def test_filter_form_request_pushes_the_url_without_its_blank_fields(client, queue):
    world, other, _here, _there = queue
    form_query = f"q=&project={other.project_id}&vendor=&sent_by=&sent_from=&sent_to="

    response = logged_in(client, world).get(tab_url(world, query=form_query), **HTMX)

    assert response["HX-Push-Url"] == tab_url(world, query=f"project={other.project_id}")


def test_a_tab_link_request_leaves_the_url_to_htmx(client, queue):
    world, other, _here, _there = queue

    response = logged_in(client, world).get(
        tab_url(world, query=f"project={other.project_id}"), **HTMX
    )

    assert "HX-Push-Url" not in response
