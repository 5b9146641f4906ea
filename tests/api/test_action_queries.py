"""The API's bulk actions cost the same number of queries for 5 ids as for 50 (and, across
a project's commitments, for 6 ids on 3 commitments as for 60). Each count
is pinned: the request's own (the token with its user, its last use) and the service's
(tests/erp_integrations/test_query_counts.py pins the services alone)."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from erp_integrations.models import ExportItem, ExportState
from tests.api.conftest import bearer
from tests.factories import CommitmentFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

# Pinned: a change that makes an API bulk action cost more queries shows up here.
API_BULK_SEND_QUERIES = 15
API_BULK_RETRIEVE_QUERIES = 14
API_BULK_ACCEPT_QUERIES = 15
API_BULK_REJECT_QUERIES = 15
API_BULK_UNLINK_QUERIES = 16
API_PROJECT_SEND_QUERIES = 15
API_PROJECT_RETRIEVE_QUERIES = 14

SIZES = [5, 50]


def count_queries(api_client, url, body, user) -> tuple[int, dict]:
    headers = bearer(user)
    with CaptureQueriesContext(connection) as captured:
        response = api_client.post(url, body, format="json", **headers)
    assert response.status_code == 200, response.content
    return len(captured), response.json()


def invoices_in(world, count, erp_state=None):
    return [world.invoice(erp_state=erp_state, lines=2) for _ in range(count)]


def commitment_url(world, verb):
    return f"/api/v1/projects/{world.project.pk}/commitments/{world.commitment.pk}/invoices/{verb}/"


def project_url(world, verb):
    return f"/api/v1/projects/{world.project.pk}/invoices/{verb}/"


def invoices_across_commitments(world, count, erp_state=None):
    """`count` invoices spread over three commitments of the project."""
    commitments = [
        world,
        *(
            dataclasses.replace(world, commitment=CommitmentFactory.create(project=world.project))
            for _ in range(2)
        ),
    ]
    return [
        invoice
        for on_commitment in commitments
        for invoice in invoices_in(on_commitment, count // len(commitments), erp_state)
    ]


def items_url(world, verb):
    return f"/api/v1/companies/{world.company.pk}/erp/items/{verb}/"


def item_ids(invoices):
    return list(ExportItem.objects.filter(invoice__in=invoices).values_list("pk", flat=True))


@pytest.mark.parametrize("size", SIZES)
def test_api_bulk_send_queries_do_not_grow(api_client, dummy_tasks, size):
    world = build_world()
    ids = [invoice.pk for invoice in invoices_in(world, size)]
    queries, body = count_queries(
        api_client, commitment_url(world, "send"), {"ids": ids}, world.users["project_admin"]
    )
    assert [result["code"] for result in body["results"]] == ["sent"] * size
    assert queries == API_BULK_SEND_QUERIES


@pytest.mark.parametrize("size", SIZES)
def test_api_bulk_retrieve_queries_do_not_grow(api_client, dummy_tasks, size):
    world = build_world()
    ids = [invoice.pk for invoice in invoices_in(world, size, ExportState.READY_TO_EXPORT)]
    queries, body = count_queries(
        api_client, commitment_url(world, "retrieve"), {"ids": ids}, world.users["project_admin"]
    )
    assert [result["code"] for result in body["results"]] == ["retrieved"] * size
    assert queries == API_BULK_RETRIEVE_QUERIES


@pytest.mark.parametrize("size", SIZES)
def test_api_bulk_accept_queries_do_not_grow(api_client, dummy_tasks, size):
    world = build_world()
    ids = item_ids(invoices_in(world, size, ExportState.READY_TO_EXPORT))
    queries, body = count_queries(
        api_client, items_url(world, "accept"), {"ids": ids}, world.users["approver"]
    )
    assert [result["code"] for result in body["results"]] == ["accepted"] * size
    assert queries == API_BULK_ACCEPT_QUERIES


@pytest.mark.parametrize("size", SIZES)
def test_api_bulk_reject_queries_do_not_grow(api_client, dummy_tasks, size):
    world = build_world()
    ids = item_ids(invoices_in(world, size, ExportState.READY_TO_EXPORT))
    queries, body = count_queries(
        api_client,
        items_url(world, "reject"),
        {"ids": ids, "reason": "Wrong period"},
        world.users["approver"],
    )
    assert [result["code"] for result in body["results"]] == ["rejected"] * size
    assert queries == API_BULK_REJECT_QUERIES


@pytest.mark.parametrize("size", SIZES)
def test_api_bulk_unlink_queries_do_not_grow(api_client, dummy_tasks, size):
    world = build_world()
    ids = item_ids(invoices_in(world, size, ExportState.SYNCED))
    queries, body = count_queries(
        api_client,
        items_url(world, "unlink"),
        {"ids": ids, "reason": "Deleted in the ERP", "confirm": True},
        world.users["approver"],
    )
    assert [result["code"] for result in body["results"]] == ["unlinked"] * size
    assert queries == API_BULK_UNLINK_QUERIES


@pytest.mark.parametrize("size", [6, 60])
def test_api_project_send_queries_do_not_grow(api_client, dummy_tasks, size):
    world = build_world()
    ids = [invoice.pk for invoice in invoices_across_commitments(world, size)]
    queries, body = count_queries(
        api_client, project_url(world, "send"), {"ids": ids}, world.users["project_admin"]
    )
    assert [result["code"] for result in body["results"]] == ["sent"] * size
    assert queries == API_PROJECT_SEND_QUERIES


@pytest.mark.parametrize("size", [6, 60])
def test_api_project_retrieve_queries_do_not_grow(api_client, dummy_tasks, size):
    world = build_world()
    ready = ExportState.READY_TO_EXPORT
    ids = [invoice.pk for invoice in invoices_across_commitments(world, size, ready)]
    queries, body = count_queries(
        api_client, project_url(world, "retrieve"), {"ids": ids}, world.users["project_admin"]
    )
    assert [result["code"] for result in body["results"]] == ["retrieved"] * size
    assert queries == API_PROJECT_RETRIEVE_QUERIES
