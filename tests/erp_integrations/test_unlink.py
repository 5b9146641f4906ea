"""Unlink: the accounting approver unlinks a synced invoice that was deleted in the ERP.
The invoice is back to Not Sent, unlocked, and a later send is a new export document."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection
from django.http import Http404
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from core.errors import ActionRefused
from erp_integrations import exporting, services, systems
from erp_integrations.models import REJECTION_REASON_MAX_LENGTH, ErpSystem, ExportItem, ExportState
from invoices.locking import lock_message
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceErpStatus
from invoices.services import invoice_update
from tests.erp_integrations.email_tasks import email_tasks, run_enqueued
from tests.world import build_world

pytestmark = pytest.mark.django_db

REASON = "Deleted in Sage: wrong billing period"
# Pinned: a bulk unlink costs this many queries, whatever its size.
BULK_UNLINK_QUERIES = 14


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def unlink(world, *items, role="approver", reason=REASON):
    return services.export_items_unlink(
        user=fresh(world.users[role]),
        company_id=world.company.pk,
        export_item_ids=[item.pk for item in items],
        reason=reason,
    )


def synced(world, **invoice_fields):
    invoice = world.invoice(**invoice_fields)
    return invoice, world.export_item(invoice, ExportState.SYNCED)


def test_unlink_puts_the_invoice_back_to_not_sent_unlocked(world):
    invoice, item = synced(world)

    (result,) = unlink(world, item).results

    assert result.outcome == services.Outcome.DONE
    invoice.refresh_from_db()
    assert invoice.erp_status == InvoiceErpStatus.NOT_SENT
    assert not invoice.is_locked
    assert lock_message(invoice) is None
    assert invoice.is_sendable


def test_unlink_keeps_the_item_with_its_erp_reference_as_a_record(world):
    _invoice, item = synced(world)
    reference = item.erp_reference

    unlink(world, item)

    item.refresh_from_db()
    assert item.state == ExportState.UNLINKED
    assert item.erp_reference == reference
    assert item.unlinked_by == world.users["approver"]
    assert item.unlinked_at is not None
    assert item.unlink_reason == REASON
    assert not item.is_active


def test_unlink_records_the_status_the_erp_reference_and_the_reason_in_history(world):
    invoice, item = synced(world)

    action = unlink(world, item)

    rows = {
        row.changed: (row.from_value, row.to_value, row.action_by, row.batch_id)
        for row in ChangeHistoryEntry.objects.filter(invoice=invoice)
    }
    approver = world.users["approver"]
    assert rows == {
        "ERP Status": ("Synced", "Not Sent", approver, action.batch_id),
        "ERP Reference": (item.erp_reference, "", approver, action.batch_id),
        "Unlink Reason": ("", REASON, approver, action.batch_id),
    }


def test_an_unlinked_invoice_can_be_edited(world):
    invoice, item = synced(world)
    line = invoice.lines.get()
    unlink(world, item)

    invoice_update(
        user=fresh(world.users["project_admin"]),
        invoice_id=invoice.pk,
        lines={line.pk: {"work_completed_this_period": "1234.00"}},
    )

    line.refresh_from_db()
    assert line.work_completed_this_period == Decimal("1234.00")


def test_sending_again_creates_a_new_item_with_a_new_idempotency_key(world):
    invoice, item = synced(world)
    unlink(world, item)

    (result,) = services.invoices_send_to_erp(
        user=fresh(world.users["project_admin"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk],
    ).results

    assert result.outcome == services.Outcome.DONE
    new = ExportItem.objects.exclude(pk=item.pk).get(invoice=invoice)
    assert new.state == ExportState.READY_TO_EXPORT
    assert new.idempotency_key != item.idempotency_key
    assert new.erp_reference == ""
    item.refresh_from_db()
    assert (item.state, item.erp_reference) == (ExportState.UNLINKED, f"ERP-{invoice.pk}")


def test_exporting_again_writes_a_second_document_beside_the_first(world, settings):
    """End to end on the file connector: export, unlink, send, accept, export again. The
    folder holds two documents, one per idempotency key; the first is left as it was."""
    invoice = world.invoice()
    admin, approver = fresh(world.users["project_admin"]), fresh(world.users["approver"])

    def send_accept_export() -> ExportItem:
        services.invoices_send_to_erp(
            user=admin,
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            invoice_ids=[invoice.pk],
        )
        item = ExportItem.objects.filter(invoice=invoice).latest("pk")
        services.export_items_accept(
            user=approver, company_id=world.company.pk, export_item_ids=[item.pk]
        )
        assert exporting.export_item(item.pk) == exporting.ExportOutcome.SYNCED
        item.refresh_from_db()
        return item

    first = send_accept_export()
    first_document = settings.ERP_EXPORT_DIR / f"{first.idempotency_key}.json"
    before = first_document.read_bytes()
    unlink(world, first)
    second = send_accept_export()

    documents = sorted(path.name for path in settings.ERP_EXPORT_DIR.glob("*.json"))
    assert documents == sorted(
        f"{key}.json" for key in (first.idempotency_key, second.idempotency_key)
    )
    assert first_document.read_bytes() == before
    assert second.erp_reference != first.erp_reference
    assert json.loads(before)  # a whole document, not a partial file


def test_unlinking_twice_is_harmless(world):
    invoice, item = synced(world)
    unlink(world, item)

    (result,) = unlink(world, item).results

    assert result.outcome == services.Outcome.UNCHANGED
    assert result.message == services.ALREADY_UNLINKED.format(
        label=invoice.label, user=world.users["approver"].username
    )
    assert ChangeHistoryEntry.objects.filter(invoice=invoice, changed="ERP Status").count() == 1


@pytest.mark.parametrize(
    "state",
    [ExportState.READY_TO_EXPORT, ExportState.EXPORTING, ExportState.FAILED_TO_EXPORT],
)
def test_only_a_synced_invoice_can_be_unlinked(world, state):
    invoice = world.invoice(erp_state=state)
    item = ExportItem.objects.get(invoice=invoice)

    (result,) = unlink(world, item).results

    assert result.message == services.NOT_SYNCED.format(
        label=invoice.label, erp_status=ExportState(state).label
    )
    assert Invoice.objects.get(pk=invoice.pk).erp_status == state


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", services.UNLINK_REASON_REQUIRED),
        ("   \n", services.UNLINK_REASON_REQUIRED),
        ("x" * (REJECTION_REASON_MAX_LENGTH + 1), services.UNLINK_REASON_TOO_LONG),
    ],
)
def test_unlink_needs_a_reason_of_reasonable_length(world, reason, message):
    invoice, item = synced(world)

    with pytest.raises(ActionRefused, match=message):
        unlink(world, item, reason=reason)

    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.SYNCED


def test_a_reason_of_the_longest_length_is_kept(world):
    _invoice, item = synced(world)
    unlink(world, item, reason="x" * REJECTION_REASON_MAX_LENGTH)
    item.refresh_from_db()
    assert len(item.unlink_reason) == REJECTION_REASON_MAX_LENGTH


@pytest.mark.parametrize(
    "later_state",
    [
        ExportState.READY_TO_EXPORT,
        ExportState.EXPORTING,
        ExportState.FAILED_TO_EXPORT,
        ExportState.SYNCED,
    ],
)
def test_unlink_is_refused_while_a_later_invoice_is_in_erp_integrations_or_synced(
    world, later_state
):
    invoice, item = synced(world, number=3)
    later = world.invoice(number=4, erp_state=later_state)

    (result,) = unlink(world, item).results

    assert result.message == services.LATER_INVOICE_IN_ERP.format(
        label="INV-3", commitment=world.commitment.number, later=later.label
    )
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.SYNCED


@pytest.mark.parametrize(
    "later_state", [None, ExportState.REJECTED, ExportState.RETRIEVED, ExportState.UNLINKED]
)
def test_a_later_invoice_out_of_erp_integrations_does_not_stop_unlink(world, later_state):
    _invoice, item = synced(world, number=3)
    world.invoice(number=4, erp_state=later_state)

    (result,) = unlink(world, item).results

    assert result.outcome == services.Outcome.DONE


def test_an_earlier_invoice_does_not_stop_unlink(world):
    world.invoice(number=2, erp_state=ExportState.SYNCED)
    _invoice, item = synced(world, number=3)

    (result,) = unlink(world, item).results

    assert result.outcome == services.Outcome.DONE


def test_unlinking_the_later_invoice_in_the_same_action_clears_the_way(world):
    """Checked together, INV-4 is unlinked first, then INV-3."""
    earlier, earlier_item = synced(world, number=3)
    later, later_item = synced(world, number=4)

    results = unlink(world, earlier_item, later_item).results

    assert [result.outcome for result in results] == [services.Outcome.DONE] * 2
    assert set(
        Invoice.objects.filter(pk__in=[earlier.pk, later.pk]).values_list("erp_status", flat=True)
    ) == {InvoiceErpStatus.NOT_SENT}


def test_a_later_invoice_refused_in_the_same_action_still_stops_the_earlier(world):
    _earlier, earlier_item = synced(world, number=3)
    world.invoice(number=4, erp_state=ExportState.SYNCED)
    latest = world.invoice(number=5, erp_state=ExportState.READY_TO_EXPORT)
    later_item = ExportItem.objects.get(invoice__number=4, invoice__commitment=world.commitment)

    first, second = unlink(world, earlier_item, later_item).results

    assert second.message == services.LATER_INVOICE_IN_ERP.format(
        label="INV-4", commitment=world.commitment.number, later=latest.label
    )
    assert first.message == services.LATER_INVOICE_IN_ERP.format(
        label="INV-3", commitment=world.commitment.number, later=f"INV-4, {latest.label}"
    )


def test_unlink_is_refused_where_the_erp_system_cannot_unlink(world, monkeypatch):
    """A system whose profile says it cannot unlink refuses, with the system's reason."""
    profile = systems.PROFILES[ErpSystem.SAGE_300_CRE]
    monkeypatch.setitem(
        systems.PROFILES, ErpSystem.SAGE_300_CRE, dataclasses.replace(profile, unlinks=False)
    )
    invoice, item = synced(world)

    (result,) = unlink(world, item).results

    assert result.message == f"{invoice.label}: " + systems.UNLINK_NOT_SUPPORTED.format(
        system="Sage 300 CRE"
    )
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.SYNCED


@pytest.mark.parametrize("system", ErpSystem.values)
def test_no_system_refuses_to_unlink_without_published_evidence(system):
    """Only Sage 100 Contractor and Acumatica publish the unlink steps; no system is known
    to refuse, so none does; the panel says which is documented."""
    profile = systems.profile_for(system)
    assert profile.unlink_refusal is None
    assert profile.unlink_note in profile.things_to_know
    documented = {ErpSystem.SAGE_100_CONTRACTOR, ErpSystem.ACUMATICA}
    assert (profile.unlinks is True) == (system in documented)


@pytest.mark.parametrize(
    "role",
    ["project_admin", "standard", "read_only", "invoice_contact", "erp_standard_without_push"],
)
def test_only_the_accounting_approver_unlinks(world, role):
    invoice, item = synced(world)

    with pytest.raises((ActionRefused, Http404)) as refusal:
        unlink(world, item, role=role)

    if isinstance(refusal.value, ActionRefused):
        assert str(refusal.value) == services.NOT_ACCOUNTING_APPROVER
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.SYNCED


def test_another_companys_item_is_not_found(world):
    other = build_world()
    invoice = other.invoice(erp_state=ExportState.SYNCED)
    item = ExportItem.objects.get(invoice=invoice)

    (result,) = unlink(world, item).results

    assert result.message == services.NOT_FOUND_IN_QUEUE.format(label=f"#{item.pk}")
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.SYNCED


def test_unlink_emails_the_sender_once_it_commits(world, dummy_tasks):
    sender = world.users["project_admin"]
    sender.email = "pat@example.com"
    sender.save()
    invoice, item = synced(world)

    with TestCase.captureOnCommitCallbacks(execute=True):
        unlink(world, item)
        assert dummy_tasks.results == []

    assert email_tasks(dummy_tasks) == [
        ("send_invoices_unlinked_email", {"export_item_ids": [item.pk]})
    ]
    run_enqueued(dummy_tasks)
    (message,) = mail.outbox
    assert message.to == ["pat@example.com"]
    assert REASON in message.body
    assert item.erp_reference in message.body
    assert invoice.label in message.body


@pytest.mark.parametrize("size", [5, 50])
def test_bulk_unlink_queries_do_not_grow(world, size):
    items = [synced(world)[1] for _ in range(size)]
    approver = fresh(world.users["approver"])
    with CaptureQueriesContext(connection) as captured:
        services.export_items_unlink(
            user=approver,
            company_id=world.company.pk,
            export_item_ids=[item.pk for item in items],
            reason=REASON,
        )
    assert ExportItem.objects.filter(state=ExportState.UNLINKED).count() == size
    assert len(captured) == BULK_UNLINK_QUERIES


def test_unlinked_item_is_never_exported_again(world):
    """A task that meets an unlinked item (enqueued twice, or a sweep) skips it: the old
    document is never delivered again under its key."""
    invoice, item = synced(world)
    unlink(world, item)
    assert exporting.export_item(item.pk) == exporting.ExportOutcome.SKIPPED
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.NOT_SENT
