"""The list endpoints: cursor pages, amounts as the invoice page shows them, a number of
queries that does not grow with the rows, and bad input answered as JSON."""

from __future__ import annotations

import base64
from decimal import Decimal
from urllib.parse import urlencode

import pytest

from invoices.amounts import invoice_amounts
from tests.api.conftest import bearer
from tests.factories import CommitmentFactory, ProjectFactory, SovLineFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

# Pinned, for a caller whose token was used within the last minute (its last use is not
# written again): the token with its user (1), then
# - projects: the page of rows (1);
# - commitments: the project's access check (1) and the page of rows with its totals (1);
# - invoices: the commitment with its project (1), the user's guardian grants on the
#   project and on the commitment, direct and through groups (4, as on the page), the
#   page of invoices (1) and all their lines with the earlier billing for the amounts (1).
PROJECT_LIST_QUERIES = 2
COMMITMENT_LIST_QUERIES = 3
INVOICE_LIST_QUERIES = 8


def invoices_url(world) -> str:
    return f"/api/v1/projects/{world.project.pk}/commitments/{world.commitment.pk}/invoices/"


def test_invoice_list_shows_lines_and_amounts_as_the_amounts_module_derives_them(api_client):
    world = build_world()
    first = world.invoice(lines=2)
    second = world.invoice(lines=1)
    for line in second.lines.all():
        line.work_completed_this_period = Decimal("1000.00")
        line.save()
    response = api_client.get(invoices_url(world), **bearer(world.users["project_admin"]))
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [first.pk, second.pk]
    for row, invoice in zip(rows, (first, second), strict=True):
        amounts = invoice_amounts(invoice)
        assert row["totals"]["current_payment_due"] == str(amounts.totals.current_payment_due)
        assert row["totals"]["retainage_held"] == str(amounts.totals.retainage_held)
        assert [line["id"] for line in row["lines"]] == [line.pk for line, _ in amounts.lines]
        for line_row, (_, line_amounts) in zip(row["lines"], amounts.lines, strict=True):
            assert line_row["amounts"]["balance_to_finish"] == str(line_amounts.balance_to_finish)
    detail = api_client.get(
        f"{invoices_url(world)}{second.pk}/", **bearer(world.users["project_admin"])
    ).json()
    assert detail == rows[1]


def test_cursor_pages_walk_every_invoice_once(api_client):
    world = build_world()
    invoices = [world.invoice() for _ in range(5)]
    headers = bearer(world.users["project_admin"])
    url, seen = f"{invoices_url(world)}?page_size=2", []
    while url:
        page = api_client.get(url, **headers).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == [invoice.pk for invoice in invoices]


def _queries_of(api_client, url, headers, django_assert_num_queries, expected):
    api_client.get(url, **headers)  # the token's first use writes its last use
    with django_assert_num_queries(expected):
        response = api_client.get(url, **headers)
    assert response.status_code == 200
    return len(response.json()["results"])


@pytest.mark.parametrize("rows", [1, 8])
def test_invoice_list_queries_do_not_grow_with_invoices_or_lines(
    api_client, django_assert_num_queries, rows
):
    world = build_world()
    for _ in range(rows):
        world.invoice(lines=3)
    headers = bearer(world.users["read_only"])
    shown = _queries_of(
        api_client, invoices_url(world), headers, django_assert_num_queries, INVOICE_LIST_QUERIES
    )
    assert shown == rows


@pytest.mark.parametrize("rows", [1, 8])
def test_commitment_list_queries_do_not_grow_with_commitments(
    api_client, django_assert_num_queries, rows
):
    world = build_world()
    for _ in range(rows - 1):
        commitment = CommitmentFactory.create(project=world.project)
        SovLineFactory.create(commitment=commitment)
    headers = bearer(world.users["read_only"])
    url = f"/api/v1/projects/{world.project.pk}/commitments/"
    shown = _queries_of(
        api_client, url, headers, django_assert_num_queries, COMMITMENT_LIST_QUERIES
    )
    assert shown == rows


@pytest.mark.parametrize("rows", [1, 8])
def test_project_list_queries_do_not_grow_with_projects(
    api_client, django_assert_num_queries, rows
):
    world = build_world()
    for _ in range(rows - 1):
        ProjectFactory.create(company=world.company)
    headers = bearer(world.users["superuser"])
    shown = _queries_of(
        api_client, "/api/v1/projects/", headers, django_assert_num_queries, PROJECT_LIST_QUERIES
    )
    assert shown >= rows


def _cursor(**fields) -> str:
    return base64.b64encode(urlencode(fields).encode()).decode()


@pytest.mark.parametrize(
    "cursor", ["not-base64!", _cursor(p="not-a-number"), _cursor(o="-1"), _cursor(r="x")]
)
def test_bad_cursor_is_a_json_400(api_client, cursor):
    world = build_world()
    world.invoice()
    response = api_client.get(
        f"{invoices_url(world)}?{urlencode({'cursor': cursor})}",
        **bearer(world.users["project_admin"]),
    )
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert "cursor" in response.json()["errors"]


@pytest.mark.parametrize(
    "cursor",
    [
        base64.b64encode(b"garbage").decode(),
        _cursor(p="99999999999999999999999"),
        _cursor(p="1", r="1", o="99999999999999999999"),
    ],
)
def test_a_cursor_that_decodes_to_a_position_answers_a_page(api_client, cursor):
    """A rewritten cursor that still decodes (no fields; a number beyond every row; a huge
    offset, which DRF caps) reads a page from that position: no error, no 500."""
    world = build_world()
    world.invoice()
    response = api_client.get(
        f"{invoices_url(world)}?{urlencode({'cursor': cursor})}",
        **bearer(world.users["project_admin"]),
    )
    assert response.status_code == 200
    assert set(response.json()) == {"next", "previous", "results"}


@pytest.mark.parametrize("page_size", ["abc", "-3", "0", "100000"])
def test_odd_page_sizes_fall_back_or_are_capped(api_client, page_size):
    world = build_world()
    world.invoice()
    response = api_client.get(
        f"{invoices_url(world)}?page_size={page_size}", **bearer(world.users["project_admin"])
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/projects/0/",
        "/api/v1/projects/99999999999999999999/",
        "/api/v1/projects/9223372036854775807/",
        "/api/v1/projects/9223372036854775808/commitments/",
        "/api/v1/projects/-1/",
        "/api/v1/projects/abc/commitments/",
        "/api/v1/no-such-thing/",
        "/api/v2/projects/",
    ],
)
def test_ids_out_of_range_and_unknown_paths_are_json_404s(api_client, path):
    world = build_world()
    response = api_client.get(path, **bearer(world.users["superuser"]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_largest_invoice_id_under_a_real_commitment_is_a_json_404(api_client):
    world = build_world()
    response = api_client.get(
        f"{invoices_url(world)}9223372036854775807/", **bearer(world.users["superuser"])
    )
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such invoice."}
