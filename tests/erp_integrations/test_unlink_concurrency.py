"""Unlink against a second actor at the same moment, on PostgreSQL: another unlink, a
re-send of the same invoice, a send of a later invoice of the commitment, and an export
finishing. Each scenario runs many rounds; the outcome may differ from round to round,
but invoice, export items and history always agree."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db import connection

from erp_integrations import exporting, services
from erp_integrations.models import ExportItem, ExportState
from invoices.models import ChangeHistoryEntry, InvoiceErpStatus
from tests.erp_integrations.test_concurrency import ROUNDS, race, send, user
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


def unlink(world, item, role="approver"):
    def action():
        (result,) = services.export_items_unlink(
            user=user(world, role),
            company_id=world.company.pk,
            export_item_ids=[item.pk],
            reason="Deleted in the ERP",
        ).results
        return result

    return action


def synced(world, **fields):
    invoice = world.invoice(erp_state=ExportState.SYNCED, **fields)
    return invoice, ExportItem.objects.get(invoice=invoice)


JITTER_SECONDS = (0, 0.005, 0.01, 0.02, 0.04)


def unlink_rows(invoice):
    return ChangeHistoryEntry.objects.filter(invoice=invoice, changed="Unlink Reason").count()


def test_two_unlinks_at_once(world):
    """A double click, or two approvers: one unlinks, the other is told it is done; the
    history holds one unlink."""
    for _ in range(ROUNDS):
        invoice, item = synced(world)
        first, second = race(unlink(world, item), unlink(world, item))
        assert not isinstance(first, Exception), first
        assert not isinstance(second, Exception), second
        assert sorted([first.outcome, second.outcome]) == ["done", "unchanged"]
        invoice.refresh_from_db()
        item.refresh_from_db()
        assert (invoice.erp_status, item.state) == (InvoiceErpStatus.NOT_SENT, ExportState.UNLINKED)
        assert unlink_rows(invoice) == 1


def test_unlink_and_resend_at_once(world):
    """The project admin sends the invoice again while the approver unlinks it. The send
    either waits for the unlink and sends a new document, or comes first and is told the
    invoice is synced; the unlink always stands."""
    outcomes = Counter()
    for _ in range(ROUNDS):
        invoice, item = synced(world)
        unlinked, sent = race(unlink(world, item), send(world, invoice))
        assert not isinstance(unlinked, Exception), unlinked
        assert not isinstance(sent, Exception), sent
        assert unlinked.outcome == "done"
        invoice.refresh_from_db()
        item.refresh_from_db()
        assert item.state == ExportState.UNLINKED
        items = ExportItem.objects.filter(invoice=invoice)
        if sent.outcome == "done":
            outcomes["sent after the unlink"] += 1
            new = items.exclude(pk=item.pk).get()
            assert invoice.erp_status == new.state == ExportState.READY_TO_EXPORT
            assert new.idempotency_key != item.idempotency_key
        else:
            outcomes["send refused, still synced"] += 1
            assert sent.message == services.ALREADY_SYNCED.format(label=invoice.label)
            assert invoice.erp_status == InvoiceErpStatus.NOT_SENT
            assert items.count() == 1
    assert sum(outcomes.values()) == ROUNDS


def test_unlink_and_a_send_of_a_later_invoice_at_once(world):
    """Unlinking INV-n while INV-n+1 is sent: either the unlink comes first and the send
    follows it, or the send comes first and the unlink is refused because the later
    invoice is in ERP Integrations. Never both with the send first."""
    outcomes = Counter()
    for round_number in range(ROUNDS):
        earlier, item = synced(world, number=2 * round_number + 1)
        later = world.invoice(number=2 * round_number + 2)
        unlinked, sent = race(unlink(world, item), send(world, later))
        assert not isinstance(unlinked, Exception), unlinked
        assert not isinstance(sent, Exception), sent
        assert sent.outcome == "done"
        earlier.refresh_from_db()
        if unlinked.outcome == "done":
            outcomes["unlink first"] += 1
            unlinked_at = ExportItem.objects.get(pk=item.pk).unlinked_at
            sent_at = ExportItem.objects.get(invoice=later).sent_at
            assert unlinked_at < sent_at
            assert earlier.erp_status == InvoiceErpStatus.NOT_SENT
        else:
            outcomes["send first"] += 1
            assert unlinked.message == services.LATER_INVOICE_IN_ERP.format(
                label=earlier.label, commitment=world.commitment.number, later=later.label
            )
            assert earlier.erp_status == InvoiceErpStatus.SYNCED
    assert sum(outcomes.values()) == ROUNDS


def test_unlink_while_the_export_finishes(world):
    """The worker records the export's success while the approver unlinks: either the
    export lands first and the unlink then finds it Synced, or the unlink finds it still
    Exporting and is refused. The item is never unlinked before it synced."""
    outcomes = Counter()
    for round_number in range(ROUNDS):
        invoice = world.invoice(erp_state=ExportState.EXPORTING)
        item = ExportItem.objects.get(invoice=invoice)
        claim = exporting.claim_export(item.pk, worker="test")
        assert isinstance(claim, exporting.Claim)
        reference = f"ERP-{invoice.pk}"

        # The unlink's access checks take longer than the worker's two short queries, so
        # the worker starts a little later in some rounds, to meet the unlink at each of
        # its steps.
        delay = JITTER_SECONDS[round_number % len(JITTER_SECONDS)]

        def finish(claim=claim, reference=reference, delay=delay):
            time.sleep(delay)
            return exporting.finish_export(claim, reference=reference)

        unlinked, finished = race(unlink(world, item), finish)
        assert not isinstance(unlinked, Exception), unlinked
        assert not isinstance(finished, Exception), finished
        assert finished.outcome == exporting.ExportOutcome.SYNCED
        invoice.refresh_from_db()
        item.refresh_from_db()
        assert item.erp_reference == reference
        if unlinked.outcome == "done":
            outcomes["export first"] += 1
            assert (invoice.erp_status, item.state) == (
                InvoiceErpStatus.NOT_SENT,
                ExportState.UNLINKED,
            )
            assert item.unlinked_at > item.synced_at
        else:
            outcomes["unlink refused while exporting"] += 1
            assert unlinked.message == services.NOT_SYNCED.format(
                label=invoice.label, erp_status=ExportState.EXPORTING.label
            )
            assert (invoice.erp_status, item.state) == (InvoiceErpStatus.SYNCED, ExportState.SYNCED)
    assert sum(outcomes.values()) == ROUNDS
