"""A send while a site admin turns Direct Export off in Django admin, on PostgreSQL. The
send locks the ERP connection row, so it sees the setting as it stands when it writes:
an item sent directly was sent before the change was saved, and one sent after it waits
for the accounting approver."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.urls import reverse

from erp_integrations.models import ErpConnection, ExportItem, ExportState
from invoices.models import Invoice
from tests.erp_integrations.admin_forms import connection_change_data
from tests.erp_integrations.test_concurrency import ROUNDS, race, send, user
from tests.world import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]

# An admin request (session, middleware, form) takes longer than a send; the send starts
# later in some rounds so that the two meet at each step of the other.
JITTER_SECONDS = (0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15)


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def turn_off_in_admin(world):
    erp_connection = ErpConnection.objects.get(company=world.company)
    url = reverse("admin:erp_integrations_erpconnection_change", args=[erp_connection.pk])
    # Everything as it stands but the box, as the admin who unticks it posts it.
    data = connection_change_data(erp_connection, direct_export=False)

    def action():
        client = Client()
        client.force_login(user(world, "superuser"))
        response = client.post(url, data)
        assert response.status_code == 302, response.content[:500]
        return response.status_code

    return action


def test_send_while_direct_export_is_turned_off(world):
    outcomes = Counter()
    for round_number in range(ROUNDS):
        ErpConnection.objects.filter(company=world.company).update(direct_export=True)
        LogEntry.objects.all().delete()
        invoice = world.invoice()
        delay = JITTER_SECONDS[round_number % len(JITTER_SECONDS)]

        send_invoice = send(world, invoice)

        def send_later(send_invoice=send_invoice, delay=delay):
            time.sleep(delay)
            return send_invoice()

        sent, saved = race(send_later, turn_off_in_admin(world))

        assert not isinstance(sent, Exception), sent
        assert saved == 302, saved
        assert sent.outcome == "done"
        assert ErpConnection.objects.get(company=world.company).direct_export is False
        item = ExportItem.objects.get(invoice=invoice)
        changed_at = LogEntry.objects.get().action_time
        erp_status = Invoice.objects.get(pk=invoice.pk).erp_status
        if item.sent_directly:
            outcomes["sent directly, then turned off"] += 1
            assert item.sent_at < changed_at
            assert erp_status == item.state == ExportState.EXPORTING
            assert item.decided_by_id == item.sent_by_id
        else:
            outcomes["turned off, then sent"] += 1
            assert item.sent_at > changed_at
            assert erp_status == item.state == ExportState.READY_TO_EXPORT
            assert item.decided_by_id is None
    assert sum(outcomes.values()) == ROUNDS
