"""Two actors on one invoice at the same moment, one through the API and one through the
pages, on PostgreSQL: exactly one wins, the other is told what happened, and invoice and
export item agree. The API and the page call the same services, which lock the same rows
(tests/erp_integrations/test_concurrency.py races the services alone)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from erp_integrations import services
from erp_integrations.models import ExportItem, ExportState
from invoices.models import Invoice
from tests.api.conftest import bearer
from tests.erp_integrations.test_concurrency import race
from tests.world import build_world

ROUNDS = 10

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ready_invoice(world) -> tuple[Invoice, ExportItem]:
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    return invoice, ExportItem.objects.get(invoice=invoice)


def api_accept(world, item):
    headers = bearer(world.users["approver"])
    url = f"/api/v1/companies/{world.company.pk}/erp/items/{item.pk}/accept/"
    return lambda: APIClient().post(url, {}, format="json", **headers)


def api_retrieve(world, invoice):
    headers = bearer(world.users["project_admin"])
    url = f"/api/v1/invoices/{invoice.pk}/retrieve/"
    return lambda: APIClient().post(url, {}, format="json", **headers)


def page_retrieve(world, invoice):
    client = page_client(world.users["project_admin"])
    url = reverse("invoices:retrieve", args=[world.project.pk, world.commitment.pk, invoice.pk])
    return lambda: client.post(url, follow=True)


def page_accept(world, item):
    client = page_client(world.users["approver"])
    url = reverse("erp_integrations:accept", args=[world.company.pk])
    return lambda: client.post(url, {"item_ids": [item.pk], "tab": "ready-to-export"}, follow=True)


def settled(invoice, item) -> str:
    invoice.refresh_from_db()
    item.refresh_from_db()
    assert invoice.erp_status == item.state
    assert item.state in (ExportState.EXPORTING, ExportState.RETRIEVED)
    return "accept" if item.state == ExportState.EXPORTING else "retrieve"


def test_api_accept_against_page_retrieve(world):
    """The approver accepts through the API while the project admin clicks "Retrieve from
    ERP": one wins; the API's loser gets 409 `already_retrieved`, the page's loser the
    page's message."""
    winners = Counter()
    for _ in range(ROUNDS):
        invoice, item = ready_invoice(world)
        accepted, retrieved = race(api_accept(world, item), page_retrieve(world, invoice))
        assert not isinstance(accepted, Exception), accepted
        assert not isinstance(retrieved, Exception), retrieved
        winner = settled(invoice, item)
        winners[winner] += 1
        if winner == "accept":
            assert accepted.status_code == 200
            assert accepted.json()["code"] == "accepted"
            assert services.ALREADY_ACCEPTED.format(label=invoice.label) in retrieved.text
        else:
            assert accepted.status_code == 409
            assert accepted.json()["code"] == "already_retrieved"
            assert "retrieved from ERP Integrations." in retrieved.text
    assert sum(winners.values()) == ROUNDS


def test_api_retrieve_against_page_accept(world):
    """The reverse: the admin retrieves through the API while the approver clicks
    "Accept"."""
    winners = Counter()
    for _ in range(ROUNDS):
        invoice, item = ready_invoice(world)
        retrieved, accepted = race(api_retrieve(world, invoice), page_accept(world, item))
        assert not isinstance(accepted, Exception), accepted
        assert not isinstance(retrieved, Exception), retrieved
        winner = settled(invoice, item)
        winners[winner] += 1
        if winner == "retrieve":
            assert retrieved.status_code == 200
            assert retrieved.json()["code"] == "retrieved"
            assert (
                services.RETRIEVED_BEFORE_DECISION.format(
                    label=invoice.label, user=world.users["project_admin"].username
                )
                in accepted.text
            )
        else:
            assert retrieved.status_code == 409
            assert retrieved.json() == {
                "code": "already_accepted",
                "message": services.ALREADY_ACCEPTED.format(label=invoice.label),
            }
            assert f"{invoice.label}: accepted." in accepted.text
    assert sum(winners.values()) == ROUNDS


def api_project_retrieve(world, invoice):
    headers = bearer(world.users["project_admin"])
    url = f"/api/v1/projects/{world.project.pk}/invoices/retrieve/"
    return lambda: APIClient().post(url, {"ids": [invoice.pk]}, format="json", **headers)


def test_api_retrieve_across_commitments_against_page_accept(world):
    """The admin retrieves through the project's endpoint (the Invoicing tool's) while the
    approver clicks "Accept": one wins; the API reports the loss in the invoice's result."""
    winners = Counter()
    for _ in range(ROUNDS):
        invoice, item = ready_invoice(world)
        retrieved, accepted = race(api_project_retrieve(world, invoice), page_accept(world, item))
        assert not isinstance(accepted, Exception), accepted
        assert not isinstance(retrieved, Exception), retrieved
        winner = settled(invoice, item)
        winners[winner] += 1
        assert retrieved.status_code == 200
        [result] = retrieved.json()["results"]
        if winner == "retrieve":
            assert (result["ok"], result["code"]) == (True, "retrieved")
            assert f"{invoice.label}: accepted." not in accepted.text
        else:
            assert (result["ok"], result["code"]) == (False, "already_accepted")
            assert result["label"] == f"{world.commitment.number} {invoice.label}"
            assert f"{invoice.label}: accepted." in accepted.text
    assert sum(winners.values()) == ROUNDS
