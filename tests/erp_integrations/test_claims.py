"""Claims under PostgreSQL, with real row locks and threads: a heartbeat keeps a long
delivery's claim, and an item whose rows another transaction holds does not hold up the
rest of its batch."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction

from erp_integrations import exporting
from erp_integrations.exporting import ExportOutcome
from erp_integrations.models import ExportItem, ExportState
from invoices.models import Invoice
from tests.world import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


@pytest.fixture
def world():
    return build_world()


class SlowConnector:
    def __init__(self, seconds: float = 0, during=None) -> None:
        self.seconds = seconds
        self.during = during
        self.delivered: list[int] = []

    def deliver(self, document: dict, *, idempotency_key: str, attachments=()) -> str:
        if self.during:
            time.sleep(self.seconds / 2)
            self.during()
            time.sleep(self.seconds / 2)
        else:
            time.sleep(self.seconds)
        self.delivered.append(document["header"]["invoice_id"])
        return f"ERP-{document['header']['invoice_id']}"


def test_a_heartbeat_keeps_a_delivery_that_outlasts_its_lease_claimed(world, settings, monkeypatch):
    """The claim is renewed while the worker delivers: another worker cannot take the
    item over although the delivery takes longer than a lease."""
    settings.ERP_EXPORT_LEASE_SECONDS = 0.9
    item = world.export_item(world.invoice(), ExportState.EXPORTING)
    seen = {}

    def meanwhile() -> None:
        held = ExportItem.objects.get(pk=item.pk)
        assert held.claim_expires_at is not None and held.export_started_at is not None
        seen["renewed"] = held.claim_expires_at - held.export_started_at
        seen["other worker"] = exporting.claim_export(item.pk, worker="other")

    connector = SlowConnector(seconds=2.4, during=meanwhile)
    monkeypatch.setattr(exporting, "connector_for", lambda connection: connector)
    outcomes = exporting.export_items([item.pk]).outcomes
    assert outcomes[ExportOutcome.SYNCED] == [item.pk]
    assert seen["other worker"] == ExportOutcome.SKIPPED
    assert seen["renewed"] > timedelta(seconds=0.9)
    assert ExportItem.objects.get(pk=item.pk).attempts == 1


def test_a_locked_item_does_not_hold_up_the_rest_of_its_batch(world, monkeypatch):
    """While another transaction holds the first item's invoice, the worker exports the
    rest of the batch, then comes back to it."""
    items = [world.export_item(world.invoice(), ExportState.EXPORTING) for _ in range(3)]
    locked, release = threading.Event(), threading.Event()

    def hold_the_first_invoice() -> None:
        try:
            with transaction.atomic():
                Invoice.objects.select_for_update().get(pk=items[0].invoice_id)
                locked.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    connector = SlowConnector()
    monkeypatch.setattr(exporting, "connector_for", lambda connection: connector)
    holder = threading.Thread(target=hold_the_first_invoice)
    holder.start()
    assert locked.wait(timeout=30)
    releaser = threading.Timer(1.0, release.set)
    releaser.start()
    try:
        outcomes = exporting.export_items([item.pk for item in items]).outcomes
    finally:
        release.set()
        holder.join()
    assert connector.delivered == [items[1].invoice_id, items[2].invoice_id, items[0].invoice_id]
    assert sorted(outcomes[ExportOutcome.SYNCED]) == sorted(item.pk for item in items)
