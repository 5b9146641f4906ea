"""Two actors on the same invoice at the same moment, on PostgreSQL: exactly one wins,
the other is told plainly what happened, and the state is consistent.

Each actor runs in its own thread with its own database connection; a barrier releases
both at once, and every scenario is repeated many times.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections

from core.errors import ActionRefused
from erp_integrations import services
from erp_integrations.models import ExportItem, ExportState
from invoices.models import ChangeHistoryEntry, Invoice
from tests.world import build_world

ROUNDS = 25

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]


def race(*actions, timeout: float = 300):
    """Run the actions in parallel threads, released together; return their results (or
    the exception each raised). Other race tests of the project call it too."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait()
            results[index] = action()
        except Exception as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Generous, for a busy machine; a thread still running is a deadlock, not a result.
        thread.join(timeout=timeout)
        assert not thread.is_alive(), "an actor did not finish: deadlock?"
    return results


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def user(world, role):
    return get_user_model().objects.get(pk=world.users[role].pk)


def retrieve(world, invoice):
    def action():
        (result,) = services.invoices_retrieve_from_erp(
            user=user(world, "project_admin"),
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            invoice_ids=[invoice.pk],
        ).results
        return result

    return action


def send(world, invoice):
    def action():
        (result,) = services.invoices_send_to_erp(
            user=user(world, "project_admin"),
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            invoice_ids=[invoice.pk],
        ).results
        return result

    return action


def decide(world, item, verb):
    def action():
        kwargs = {"reason": "Wrong period"} if verb == "reject" else {}
        (result,) = getattr(services, f"export_items_{verb}")(
            user=user(world, "approver"),
            company_id=world.company.pk,
            export_item_ids=[item.pk],
            **kwargs,
        ).results
        return result

    return action


def ready_invoice(world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    return invoice, ExportItem.objects.get(invoice=invoice)


def test_accept_and_retrieve_at_once(world):
    """Either the approver's accept or the admin's retrieve wins; the loser's message
    names what happened, and invoice and item agree."""
    winners = Counter()
    for _ in range(ROUNDS):
        invoice, item = ready_invoice(world)
        accepted, retrieved = race(decide(world, item, "accept"), retrieve(world, invoice))
        assert not isinstance(accepted, Exception), accepted
        assert not isinstance(retrieved, Exception), retrieved
        assert [accepted.outcome, retrieved.outcome].count("done") == 1
        invoice.refresh_from_db()
        item.refresh_from_db()
        assert invoice.erp_status == item.state
        if accepted.outcome == "done":
            winners["accept"] += 1
            assert item.state == ExportState.EXPORTING
            assert retrieved.message == services.ALREADY_ACCEPTED.format(label=invoice.label)
        else:
            winners["retrieve"] += 1
            assert item.state == ExportState.RETRIEVED
            assert accepted.message == services.RETRIEVED_BEFORE_DECISION.format(
                label=invoice.label, user=world.users["project_admin"].username
            )
    assert sum(winners.values()) == ROUNDS


def test_two_retrieves_at_once(world):
    """A double click: one retrieve does it, the other reports it already done, and the
    history holds one retrieval."""
    for _ in range(ROUNDS):
        invoice, _ = ready_invoice(world)
        first, second = race(retrieve(world, invoice), retrieve(world, invoice))
        assert sorted([first.outcome, second.outcome]) == ["done", "unchanged"]
        invoice.refresh_from_db()
        assert invoice.erp_status == "retrieved"
        assert ChangeHistoryEntry.objects.filter(invoice=invoice, to_value="Retrieved").count() == 1


def test_accept_and_reject_at_once(world):
    """Two approvers: one accepts, one rejects; exactly one decision stands."""
    for _ in range(ROUNDS):
        invoice, item = ready_invoice(world)
        accepted, rejected = race(decide(world, item, "accept"), decide(world, item, "reject"))
        assert [accepted.outcome, rejected.outcome].count("done") == 1
        item.refresh_from_db()
        invoice.refresh_from_db()
        assert invoice.erp_status == item.state
        if accepted.outcome == "done":
            assert item.state == ExportState.EXPORTING
            assert rejected.message.startswith(f"{invoice.label}: already accepted by")
        else:
            assert (item.state, item.rejection_reason) == (ExportState.REJECTED, "Wrong period")
            assert accepted.message.startswith(f"{invoice.label}: already rejected by")


def test_send_twice_at_once_creates_one_export_item(world):
    """Two admins send the same invoice at once: one export item, one refusal."""
    for _ in range(ROUNDS):
        invoice = world.invoice()
        first, second = race(send(world, invoice), send(world, invoice))
        assert sorted([first.outcome, second.outcome]) == ["done", "refused"]
        assert ExportItem.objects.filter(invoice=invoice).count() == 1
        assert Invoice.objects.get(pk=invoice.pk).erp_status == "ready_to_export"


def test_refusal_raises_nothing_half_done(world):
    """A refused single action leaves no trace: no history row, no state change."""
    invoice, item = ready_invoice(world)
    decide(world, item, "accept")()
    with pytest.raises(ActionRefused):
        services.invoice_retrieve_from_erp(user=user(world, "project_admin"), invoice_id=invoice.pk)
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice, to_value="Retrieved").exists()
