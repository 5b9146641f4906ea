"""The commitment list filtered as the Commitments tool filters it: the tool's own filter
set, so the API lists what the tool lists for the same filters."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from commitments.filters import CommitmentFilter
from commitments.models import CommitmentErpStatus, SubcontractStatus
from invoices.selectors import commitments_for_tool
from tests.api.conftest import bearer
from tests.factories import CommitmentFactory, VendorFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = build_world()
    other_vendor = VendorFactory.create(company=world.company, name="Zenith Steel")
    CommitmentFactory.create(project=world.project, vendor=other_vendor, number="PO-777")
    CommitmentFactory.create(
        project=world.project, status=SubcontractStatus.APPROVED, title="Electrical"
    )
    CommitmentFactory.create(project=world.project, is_private=True, number="SC-PRIVATE")
    return world


def url(world) -> str:
    return f"/api/v1/projects/{world.project.pk}/commitments/"


def listed(api_client, world, role="project_admin", **params) -> list[int]:
    response = api_client.get(url(world), params, **bearer(world.users[role]))
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def tool_lists(world, role="project_admin", **params) -> list[int]:
    user = world.users[role]
    data = QueryDict(mutable=True)
    data.update(params)
    filters = CommitmentFilter(
        data, queryset=commitments_for_tool(user, world.project), user=user, project=world.project
    )
    return sorted(filters.qs.values_list("pk", flat=True))


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "PO-777"},
        {"q": "electric"},
        {"status": SubcontractStatus.APPROVED},
        {"erp_status": CommitmentErpStatus.SYNCED},
        {"q": "SC", "status": SubcontractStatus.DRAFT},
    ],
)
@pytest.mark.parametrize("role", ["project_admin", "read_only"])
def test_lists_what_the_tool_lists_for_the_same_filters(api_client, world, role, params):
    assert sorted(listed(api_client, world, role, **params)) == tool_lists(world, role, **params)


def test_vendor_filter_keeps_that_contract_companys_commitments(api_client, world):
    vendor = world.commitment.vendor
    assert listed(api_client, world, vendor=vendor.pk) == [world.commitment.pk]


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"status": "lost"}, "status", "invalid"),
        ({"vendor": "abc"}, "vendor", "invalid"),
        ({"erp_status": "x"}, "erp_status", "invalid"),
        ({"title": "Electrical"}, "title", "unknown_field"),
    ],
)
def test_bad_or_unknown_filters_are_a_400(api_client, world, params, field, code):
    response = api_client.get(url(world), params, **bearer(world.users["project_admin"]))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert field in response.json()["errors"]


def test_another_companys_vendor_is_not_a_choice(api_client, world):
    foreign = build_world().commitment.vendor
    response = api_client.get(
        url(world), {"vendor": foreign.pk}, **bearer(world.users["project_admin"])
    )
    assert response.status_code == 400
    assert "vendor" in response.json()["errors"]
