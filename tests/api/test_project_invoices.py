"""The project's invoices through the API, as its Invoicing tool lists them: the invoices
of every commitment the caller sees, the tool's filters and sorts (the same filter set),
cursor pages in the sort asked for, and 404 for whoever may not open the project."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from invoices.filters import SORTABLE_COLUMNS, invoicing_filter
from invoices.models import Invoice
from projects.models import Project
from tests.api.conftest import bearer
from tests.factories import CommitmentFactory
from tests.invoices.test_invoicing import on
from tests.invoices.test_invoicing import spread as spread  # the tool's tests' fixtures
from tests.invoices.test_invoicing import world as world
from tests.world import World, build_world

pytestmark = pytest.mark.django_db


def invoices_url(world: World) -> str:
    return f"/api/v1/projects/{world.project.pk}/invoices/"


def list_all(api_client, world: World, role="project_admin", **params) -> list[dict]:
    """Every invoice the list gives, following the `next` links."""
    headers = bearer(world.users[role])
    response = api_client.get(invoices_url(world), params, **headers)
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    while response.json()["next"]:
        response = api_client.get(response.json()["next"], **headers)
        assert response.status_code == 200, response.content
        rows += response.json()["results"]
    return rows


def ids(rows) -> list[int]:
    return [row["id"] for row in rows]


def tool_ids(world: World, role="project_admin", **params) -> list[int]:
    """The invoices the Invoicing tool's filter set selects, in the tool's order."""
    data = QueryDict(mutable=True)
    data.update({name: str(value) for name, value in params.items()})
    filters = invoicing_filter(
        data, user=world.users[role], project=Project.objects.get(pk=world.project.pk)
    )
    return list(filters.qs.values_list("pk", flat=True))


def test_lists_every_commitments_invoices_with_lines_and_totals(api_client, world, spread):
    rows = list_all(api_client, world)

    assert ids(rows) == tool_ids(world)
    assert set(ids(rows)) == {spread[name].pk for name in ("ready", "draft", "synced")}
    row = next(row for row in rows if row["id"] == spread["synced"].pk)
    assert row["commitment_id"] == spread["second"].pk
    assert row["erp_status"] == "synced"
    assert len(row["lines"]) == 1
    assert set(row["totals"]) >= {"current_payment_due"}


def test_a_private_commitments_invoices_are_listed_only_to_those_who_see_it(api_client, world):
    shown = world.invoice()
    hidden = on(world, CommitmentFactory(project=world.project, is_private=True))

    assert ids(list_all(api_client, world, role="read_only")) == [shown.pk]
    assert set(ids(list_all(api_client, world))) == {shown.pk, hidden.pk}


def test_filters_select_what_the_tool_selects(api_client, world, spread):
    cases = [
        {"status": "draft"},
        {"erp_status": "ready_to_export"},
        {"erp_status": "synced"},
        {"billing_period": "2026-01"},
        {"billing_period": "2026-02", "sort": "-invoice"},
        {"commitment": spread["second"].pk},
        {"vendor": world.commitment.vendor_id, "status": "approved"},
        {"erp_status": "not_sent", "status": "approved"},
    ]
    for params in cases:
        assert ids(list_all(api_client, world, **params)) == tool_ids(world, **params), params
    assert ids(list_all(api_client, world, erp_status="synced")) == [spread["synced"].pk]


@pytest.fixture
def many(world, spread):
    """More rows than a page of two, several sharing a sort column's value (a vendor, a
    status, a month), so that the cursor must page past ties."""
    third = CommitmentFactory(
        project=world.project, number="SC-050", vendor=world.commitment.vendor
    )
    for month in (1, 3, 3):
        on(
            world,
            third,
            billing_period_start=datetime.date(2026, month, 1),
            billing_period_end=datetime.date(2026, month, 28),
        )


@pytest.mark.parametrize("sort", [f"{sign}{name}" for name in SORTABLE_COLUMNS for sign in "+-"])
def test_every_sort_pages_through_in_the_tools_order(api_client, world, many, sort):
    """Cursor pages of two follow the sort asked for, with every invoice once, in the
    order the tool shows them."""
    sort = sort.lstrip("+")
    rows = list_all(api_client, world, sort=sort, page_size=2)
    assert ids(rows) == tool_ids(world, sort=sort)
    assert len(rows) == 6


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"billing_period": "2026-13"}, "billing_period", "invalid"),
        ({"billing_period": "2025-07"}, "billing_period", "invalid"),  # no invoice's month
        ({"commitment": "abc"}, "commitment", "invalid"),
        ({"vendor": "999999"}, "vendor", "invalid"),
        ({"status": "nonsense"}, "status", "invalid"),
        ({"erp_status": "lost"}, "erp_status", "invalid"),
        ({"sort": "amount"}, "sort", "invalid"),
        ({"page": "2"}, "page", "unknown_field"),
        ({"colour": "red"}, "colour", "unknown_field"),
    ],
)
def test_bad_filter_input_is_a_400_naming_the_field(api_client, world, spread, params, field, code):
    headers = bearer(world.users["project_admin"])
    response = api_client.get(invoices_url(world), params, **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert field in body["errors"]


def test_a_commitment_the_caller_does_not_see_is_not_a_filter_choice(api_client, world):
    hidden = CommitmentFactory(project=world.project, is_private=True)
    elsewhere = build_world().commitment
    headers = bearer(world.users["read_only"])
    for commitment in (hidden, elsewhere):
        response = api_client.get(invoices_url(world), {"commitment": commitment.pk}, **headers)
        assert response.status_code == 400
        assert "commitment" in response.json()["errors"]


@pytest.mark.parametrize("role", ["approver", "erp_standard_without_push", "outsider"])
def test_who_may_not_open_the_project_gets_404(api_client, world, role):
    world.invoice()
    response = api_client.get(invoices_url(world), **bearer(world.users[role]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_another_projects_member_gets_404(api_client, world):
    world.invoice()
    other = build_world()
    response = api_client.get(invoices_url(world), **bearer(other.users["project_admin"]))
    assert response.status_code == 404


# Pinned, for a caller whose token was used within the last minute: the token with its
# user (1), the project's access check (1), the filters' choices asked for (commitment,
# vendor, billing period: 3), the page of invoices (1) and all their lines with the
# earlier billing for the amounts (1). Without filters, the choices cost nothing.
FILTERED_LIST_QUERIES = 7
UNFILTERED_LIST_QUERIES = 4


@pytest.mark.parametrize("size", [3, 30])
def test_list_queries_do_not_grow_with_rows(api_client, size):
    world = build_world()
    commitments = [world.commitment, *CommitmentFactory.create_batch(2, project=world.project)]
    for index in range(size):
        on(
            world,
            commitments[index % len(commitments)],
            lines=2,
            billing_period_start=datetime.date(2026, 3, 1),
            billing_period_end=datetime.date(2026, 3, 31),
        )
    query = {
        "status": "approved",
        "erp_status": "not_sent",
        "vendor": world.commitment.vendor_id,
        "commitment": world.commitment.pk,
        "billing_period": "2026-03",
        "sort": "-vendor",
        "page_size": 200,
    }
    headers = bearer(world.users["project_admin"])
    api_client.get(invoices_url(world), **headers)  # the token's last use, written once
    with CaptureQueriesContext(connection) as filtered:
        response = api_client.get(invoices_url(world), query, **headers)
    with CaptureQueriesContext(connection) as unfiltered:
        everything = api_client.get(invoices_url(world), {"page_size": 200}, **headers)

    assert len(response.json()["results"]) == world.commitment.invoices.count()
    assert len(everything.json()["results"]) == size
    assert (len(filtered), len(unfiltered)) == (FILTERED_LIST_QUERIES, UNFILTERED_LIST_QUERIES)


def test_send_across_commitments_answers_each_invoice_named_by_its_commitment(api_client, world):
    second = CommitmentFactory(project=world.project, number="SC-900")
    here, there = world.invoice(), on(world, second)
    elsewhere = build_world().invoice()  # another project's
    asked = [there.pk, elsewhere.pk, here.pk]
    headers = bearer(world.users["standard"])
    refused = api_client.post(
        f"{invoices_url(world)}send/", {"ids": [here.pk]}, format="json", **headers
    )
    assert refused.json()["results"][0]["code"] == "not_project_admin"

    response = api_client.post(
        f"{invoices_url(world)}send/",
        {"ids": asked},
        format="json",
        **bearer(world.users["project_admin"]),
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["id"], r["ok"], r["code"]) for r in results] == [
        (there.pk, True, "sent"),
        (elsewhere.pk, False, "not_found"),
        (here.pk, True, "sent"),
    ]
    assert results[0]["label"] == f"SC-900 {there.label}"
    assert results[2]["label"] == f"{world.commitment.number} {here.label}"
    statuses = dict(Invoice.objects.filter(pk__in=asked).values_list("pk", "erp_status"))
    assert statuses[elsewhere.pk] == "not_sent"
    assert statuses[here.pk] == statuses[there.pk] == "ready_to_export"
