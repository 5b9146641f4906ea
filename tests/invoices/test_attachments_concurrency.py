"""Attachments racing each other and the ERP workflow on PostgreSQL: the invoice's row
lock serializes them, so the per-invoice limit holds and an upload never lands on an
invoice that has started exporting.

Uses the racing harness of tests/erp_integrations/test_concurrency.py.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from core.errors import ActionRefused
from erp_integrations.models import ExportState
from invoices import attachments
from invoices.attachments import attachment_add
from tests import attachment_files as files
from tests.erp_integrations.test_concurrency import ROUNDS, decide, race, user
from tests.world import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def upload(world, invoice, name):
    def action():
        return attachment_add(
            user=user(world, "project_admin"), invoice_id=invoice.pk, upload=files.pdf_upload(name)
        )

    return action


def stored(settings) -> int:
    return sum(1 for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())


def test_two_uploads_for_the_last_free_place_store_one(world, settings):
    """One upload takes the last place; the other is told the invoice is full, and its
    file is not stored."""
    settings.ATTACHMENTS_PER_INVOICE = 1
    for _ in range(ROUNDS // 5):
        invoice = world.invoice()
        results = race(upload(world, invoice, "a.pdf"), upload(world, invoice, "b.pdf"))

        refused = [result for result in results if isinstance(result, ValidationError)]
        assert len(refused) == 1, results
        assert refused[0].messages == [attachments.TOO_MANY.format(label=invoice.label, limit=1)]
        assert invoice.attachments.count() == 1
    assert stored(settings) == ROUNDS // 5


def test_upload_and_accept_at_once(world):
    """The upload lands before the accept (and exports with the invoice), or the accept
    lands first and the upload is refused because the invoice is exporting."""
    winners = Counter()
    for _ in range(ROUNDS // 5):
        invoice = world.invoice()
        item = world.export_item(invoice, ExportState.READY_TO_EXPORT)
        added, accepted = race(upload(world, invoice, "late.pdf"), decide(world, item, "accept"))

        assert not isinstance(accepted, Exception), accepted
        assert accepted.outcome == "done"
        if isinstance(added, ActionRefused):
            assert str(added) == attachments.EXPORTING.format(label=invoice.label)
            assert not invoice.attachments.exists()
            winners["accept"] += 1
        else:
            assert not isinstance(added, Exception), added
            assert invoice.attachments.count() == 1
            winners["upload"] += 1
    assert sum(winners.values()) == ROUNDS // 5
