"""Invoice edits and review moves racing the ERP workflow, and two approvers on a failed
export, on PostgreSQL: whichever takes the row lock first wins, the other is refused
plainly or works on what the winner left, and nothing is half done.

Uses the racing harness of tests/erp_integrations/test_concurrency.py.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection

from core.display import display_name
from core.errors import ActionRefused
from erp_integrations import services as erp_services
from erp_integrations.models import ExportItem, ExportState
from invoices import services
from invoices.amounts import invoice_amounts
from invoices.locking import LATER_INVOICE_LOCKED, lock_message
from invoices.models import Invoice, InvoiceStatus
from tests.erp_integrations.test_concurrency import ROUNDS, decide, race, send, user
from tests.factories import InvoiceLineFactory
from tests.world import build_world

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL"
    ),
]

NEW_WORK = Decimal("1234.56")


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def edit_work(world, invoice, line_id):
    def action():
        return services.invoice_update(
            user=user(world, "project_admin"),
            invoice_id=invoice.pk,
            lines={line_id: {"work_completed_this_period": NEW_WORK}},
        )

    return action


def move_to_revise_and_resubmit(world, invoice):
    def action():
        return services.invoice_set_status(
            user=user(world, "project_admin"),
            invoice_id=invoice.pk,
            status=InvoiceStatus.REVISE_AND_RESUBMIT,
        )

    return action


def test_edit_and_send_at_once(world):
    """The edit lands before the send, and the export item records the edited revision;
    or the send lands first and the edit is refused with the lock, changing nothing."""
    winners = Counter()
    for _ in range(ROUNDS):
        invoice = world.invoice()
        line = invoice.lines.get()
        edited, sent = race(edit_work(world, invoice, line.pk), send(world, invoice))

        assert not isinstance(sent, Exception), sent
        assert sent.outcome == "done"
        invoice.refresh_from_db()
        line.refresh_from_db()
        item = ExportItem.objects.get(invoice=invoice)
        assert invoice.erp_status == ExportState.READY_TO_EXPORT
        # The item always records the revision it was sent at: the one that stands.
        assert item.invoice_revision == invoice.revision
        if isinstance(edited, ActionRefused):
            winners["send"] += 1
            assert str(edited) == lock_message(invoice)
            assert line.work_completed_this_period != NEW_WORK
        else:
            assert not isinstance(edited, Exception), edited
            winners["edit"] += 1
            assert line.work_completed_this_period == NEW_WORK
    assert sum(winners.values()) == ROUNDS


def test_status_change_and_send_at_once(world):
    """Sending back to Revise & Resubmit while another admin sends to ERP: the invoice is
    either sent (and the move refused with the lock) or moved (and the send refused
    because the status is not sendable), never both."""
    winners = Counter()
    for _ in range(ROUNDS):
        invoice = world.invoice()
        moved, sent = race(move_to_revise_and_resubmit(world, invoice), send(world, invoice))

        assert not isinstance(sent, Exception), sent
        invoice.refresh_from_db()
        if sent.outcome == "done":
            winners["send"] += 1
            assert isinstance(moved, ActionRefused)
            assert str(moved) == lock_message(invoice)
            assert invoice.status == InvoiceStatus.APPROVED
            assert invoice.erp_status == ExportState.READY_TO_EXPORT
        else:
            winners["move"] += 1
            assert not isinstance(moved, Exception), moved
            assert sent.outcome == "refused"
            assert invoice.status == InvoiceStatus.REVISE_AND_RESUBMIT
            assert not ExportItem.objects.filter(invoice=invoice).exists()
    assert sum(winners.values()) == ROUNDS


def test_two_invoices_created_at_once_get_two_numbers(world):
    """Two members create an invoice on the same commitment at the same moment: the
    commitment's row lock gives them consecutive numbers, never the same one."""
    for _ in range(ROUNDS):
        before = set(world.commitment.invoices.values_list("number", flat=True))

        def create():
            return services.invoice_create(
                user=user(world, "project_admin"),
                project_id=world.project.pk,
                commitment_id=world.commitment.pk,
                billing_period_start=datetime.date(2026, 11, 1),
                billing_period_end=datetime.date(2026, 11, 30),
                billing_date=datetime.date(2026, 11, 30),
            )

        first, second = race(create, create)
        assert isinstance(first, Invoice), first
        assert isinstance(second, Invoice), second
        top = max(before, default=0)
        assert sorted([first.number, second.number]) == [top + 1, top + 2]


def test_retry_and_reject_of_a_failed_export_at_once(world):
    """Two approvers on a Failed to Export item: one retries, one rejects; exactly one
    decision stands and invoice and item agree."""
    winners = Counter()
    for _ in range(ROUNDS):
        invoice = world.invoice(erp_state=ExportState.FAILED_TO_EXPORT)
        item = ExportItem.objects.get(invoice=invoice)
        retried, rejected = race(decide(world, item, "retry"), decide(world, item, "reject"))

        assert [retried.outcome, rejected.outcome].count("done") == 1
        item.refresh_from_db()
        invoice.refresh_from_db()
        assert invoice.erp_status == item.state
        if retried.outcome == "done":
            winners["retry"] += 1
            assert item.state == ExportState.EXPORTING
            assert rejected.message == erp_services.ACCEPTED_BY.format(
                label=invoice.label, user=display_name(item.decided_by)
            )
        else:
            winners["reject"] += 1
            assert (item.state, item.rejection_reason) == (ExportState.REJECTED, "Wrong period")
            assert retried.message == erp_services.REJECTED_BY.format(
                label=invoice.label, user=display_name(item.decided_by)
            )
    assert sum(winners.values()) == ROUNDS


def test_edit_of_an_earlier_invoice_and_send_of_a_later_one_at_once(world):
    """Editing INV-N while another admin sends INV-N+1, whose previous work completed
    comes from INV-N: either the edit lands first and INV-N+1 is sent with the edited
    figures, or the send lands first and the edit is refused with the reason, changing
    nothing; never an edit under a sent invoice."""
    winners = Counter()
    for _ in range(ROUNDS):
        earlier = world.invoice()
        line = earlier.lines.get()
        later = world.invoice(lines=0)
        InvoiceLineFactory(invoice=later, sov_line=line.sov_line)
        edited, sent = race(edit_work(world, earlier, line.pk), send(world, later))

        assert not isinstance(sent, Exception), sent
        assert sent.outcome == "done"
        later.refresh_from_db()
        line.refresh_from_db()
        item = ExportItem.objects.get(invoice=later)
        assert later.erp_status == ExportState.READY_TO_EXPORT
        assert item.invoice_revision == later.revision
        previous = invoice_amounts(later).totals.previous_work_completed
        if isinstance(edited, ActionRefused):
            winners["send"] += 1
            assert str(edited) == LATER_INVOICE_LOCKED.format(
                label=earlier.label, commitment=world.commitment.number, later=later.label
            )
            assert line.work_completed_this_period != NEW_WORK
            assert previous == line.work_completed_this_period
            assert not earlier.history.exists()
        else:
            assert not isinstance(edited, Exception), edited
            winners["edit"] += 1
            assert line.work_completed_this_period == NEW_WORK
            assert previous == NEW_WORK
            # The edit was done before the send began: the send saw the edited figures.
            assert earlier.history.get().created_at < item.sent_at
    assert sum(winners.values()) == ROUNDS
