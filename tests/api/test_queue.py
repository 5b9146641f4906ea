"""The ERP Integrations queue through the API: the page's tabs as `state`, the page's
filters and sorts (the same filter set), cursor pages, and 404 for whoever may not open
the page."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from erp_integrations.filters import queue_filter
from erp_integrations.models import ExportItem, ExportState
from tests.api.conftest import bearer
from tests.erp_integrations.test_queue_filters import invoice_on
from tests.erp_integrations.test_queue_filters import queue as queue  # the page tests' fixture
from tests.world import build_world

pytestmark = pytest.mark.django_db

READY = ExportState.READY_TO_EXPORT


def queue_url(world) -> str:
    return f"/api/v1/companies/{world.company.pk}/erp/items/"


def list_all(api_client, world, role="approver", **params) -> list[dict]:
    """Every item the list gives, following the `next` links."""
    headers = bearer(world.users[role])
    response = api_client.get(queue_url(world), params, **headers)
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    while response.json()["next"]:
        response = api_client.get(response.json()["next"], **headers)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
    return rows


def ids(rows) -> list[int]:
    return [row["id"] for row in rows]


def page_ids(world, state=READY, **params) -> list[int]:
    """The items the page's filter set selects, in the page's order."""
    data = QueryDict(mutable=True)
    data.update({name: str(value) for name, value in params.items()})
    return list(
        queue_filter(data, world.company).qs.filter(state=state).values_list("pk", flat=True)
    )


def test_lists_the_ready_to_export_items_newest_first(api_client, queue):
    world, _other, here, there = queue
    rows = list_all(api_client, world)

    expected = [ExportItem.objects.get(invoice=invoice).pk for invoice in [*here, *there]]
    assert ids(rows) == sorted(expected, reverse=True)  # sent one after another
    row = rows[-1]
    invoice = here[0]
    assert row["invoice_id"] == invoice.pk
    assert row["invoice_label"] == invoice.label
    assert row["commitment_number"] == world.commitment.number
    assert row["project_id"] == world.project.pk
    assert row["vendor"] == {"id": world.commitment.vendor_id, "name": world.commitment.vendor.name}
    assert row["state"] == READY
    assert row["current_payment_due"] == "100.00"
    assert row["name"] == f"{invoice.label} of {world.commitment.number} ({world.project.number})"


@pytest.mark.parametrize(
    "state", [state for state in ExportState if state not in ("retrieved", "unlinked")]
)
def test_state_picks_the_tab(api_client, state):
    world = build_world()
    invoice = world.invoice(erp_state=state)
    world.invoice(erp_state=READY if state != READY else ExportState.REJECTED)

    rows = list_all(api_client, world, state=state)

    assert ids(rows) == [ExportItem.objects.get(invoice=invoice).pk]


def test_filters_select_what_the_page_selects(api_client, queue):
    world, other, _here, _there = queue
    today = timezone.localdate()
    cases = [
        {"project": other.project_id},
        {"vendor": other.vendor_id},
        {"sent_by": world.users["project_admin"].pk},
        {"q": other.number},
        {"q": "INV-1"},
        {"sent_from": today.isoformat(), "sent_to": today.isoformat()},
        {"sent_to": (today - datetime.timedelta(days=1)).isoformat()},
        {"project": world.project.pk, "sort": "-vendor"},
    ]
    for params in cases:
        assert ids(list_all(api_client, world, **params)) == page_ids(world, **params), params


@pytest.mark.parametrize(
    "sort",
    [
        "invoice",
        "-invoice",
        "project",
        "-project",
        "commitment",
        "vendor",
        "-vendor",
        "sent",
        "-sent",
    ],
)
def test_every_sort_pages_through_in_the_pages_order(api_client, queue, sort):
    """Cursor pages of two follow the sort asked for, with every item once, in the order
    the page shows them."""
    world, *_ = queue
    rows = list_all(api_client, world, sort=sort, page_size=2)
    assert ids(rows) == page_ids(world, sort=sort)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sent_from": "yesterday"}, "sent_from"),
        ({"project": "abc"}, "project"),
        ({"sort": "price"}, "sort"),
        ({"state": "lost"}, "state"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_filter_input_is_a_400_naming_the_field(api_client, queue, params, field):
    world, *_ = queue
    response = api_client.get(queue_url(world), params, **bearer(world.users["approver"]))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == ("unknown_field" if field == "colour" else "invalid")
    assert field in body["errors"]


def test_another_companys_project_is_not_a_filter_choice(api_client, queue):
    world, *_ = queue
    foreign = build_world().project
    response = api_client.get(
        queue_url(world), {"project": foreign.pk}, **bearer(world.users["approver"])
    )
    assert response.status_code == 400
    assert "project" in response.json()["errors"]


@pytest.mark.parametrize("role", ["project_admin", "standard", "read_only", "outsider"])
def test_who_may_not_open_the_page_gets_404(api_client, queue, role):
    world, *_ = queue
    response = api_client.get(queue_url(world), **bearer(world.users[role]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_tool_member_without_push_reads_the_queue(api_client, queue):
    world, *_ = queue
    assert len(list_all(api_client, world, role="erp_standard_without_push")) == 5


def test_another_companys_approver_gets_404(api_client, queue):
    world, *_ = queue
    other = build_world()
    response = api_client.get(queue_url(world), **bearer(other.users["approver"]))
    assert response.status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_list_queries_do_not_grow_with_rows(api_client, size):
    world = build_world()
    for _ in range(size):
        invoice_on(world, world.commitment)
    headers = bearer(world.users["approver"])
    query = {
        "project": world.project.pk,
        "vendor": world.commitment.vendor_id,
        "sent_by": world.users["project_admin"].pk,
        "q": "SC",
        "sent_from": "2000-01-01",
        "sort": "-vendor",
    }
    with CaptureQueriesContext(connection) as captured:
        response = api_client.get(queue_url(world), query, **headers)
    assert len(response.json()["results"]) == size
    assert len(captured) == QUEUE_LIST_QUERIES


# Pinned: the token and its last use (2), the company and the caller's grants on it (3),
# the filters' choices asked for (project, vendor, sender: 3), the page, and its amounts.
QUEUE_LIST_QUERIES = 10
