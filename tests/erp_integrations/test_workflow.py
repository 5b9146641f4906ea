"""The ERP transition table, walked: every action from every status either moves the
invoice and its export item as `ERP_WORKFLOW` says, or is refused with its message and
changes nothing."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from django.contrib.auth import get_user_model

from erp_integrations import exporting, services
from erp_integrations.connectors import PermanentExportError
from erp_integrations.exporting import ExportOutcome
from erp_integrations.models import ErpConnection, ExportItem, ExportState
from invoices.models import ERP_WORKFLOW, ErpActor, Invoice, InvoiceErpStatus
from tests.world import build_world, invoice_status_of

pytestmark = pytest.mark.django_db

S = InvoiceErpStatus


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def latest_item(invoice: Invoice) -> ExportItem | None:
    return ExportItem.objects.filter(invoice=invoice).order_by("-pk").first()


class Connector:
    """Delivers every document, or refuses every one with `error`."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def deliver(self, document: dict, *, idempotency_key: str, attachments=()) -> str:
        if self.error:
            raise self.error
        return "ERP-1"


# Each action as its service runs it; returns the message the user reads about the invoice
# (None from the export worker, which skips an item it may not export).
def run_send(world, invoice, monkeypatch):
    (result,) = services.invoices_send_to_erp(
        user=fresh(world.users["project_admin"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk],
    ).results
    return result.message


def run_retrieve(world, invoice, monkeypatch):
    (result,) = services.invoices_retrieve_from_erp(
        user=fresh(world.users["project_admin"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk],
    ).results
    return result.message


def run_send_direct(world, invoice, monkeypatch):
    ErpConnection.objects.filter(company=world.company).update(direct_export=True)
    return run_send(world, invoice, monkeypatch)


def approver_runner(service, **extra):
    def run(world, invoice, monkeypatch):
        (result,) = service(
            user=fresh(world.users["approver"]),
            company_id=world.company.pk,
            export_item_ids=[latest_item(invoice).pk],
            **extra,
        ).results
        return result.message

    return run


def export_runner(connector):
    def run(world, invoice, monkeypatch):
        monkeypatch.setattr(exporting, "connector_for", lambda connection: connector)
        outcome = exporting.export_item(latest_item(invoice).pk)
        return None if outcome == ExportOutcome.SKIPPED else outcome

    return run


RUNNERS = {
    "send": run_send,
    "send_direct": run_send_direct,
    "retrieve": run_retrieve,
    "accept": approver_runner(services.export_items_accept),
    "reject": approver_runner(services.export_items_reject, reason="Wrong period"),
    "retry": approver_runner(services.export_items_retry),
    "unlink": approver_runner(services.export_items_unlink, reason="Deleted in the ERP"),
    "export_succeeded": export_runner(Connector()),
    "export_failed": export_runner(Connector(PermanentExportError("No such vendor."))),
}

# What the user reads when the table refuses the action from the status. The world's
# items were decided by the approver and retrieved by the project admin.
APPROVER = "approver"
PROJECT_ADMIN = "project_admin"
DECIDED_ELSEWHERE: dict[str, str | tuple[str, str]] = {
    S.EXPORTING: (services.ACCEPTED_BY, APPROVER),
    S.SYNCED: (services.ACCEPTED_BY, APPROVER),
    S.FAILED_TO_EXPORT: (services.ACCEPTED_BY, APPROVER),
    S.REJECTED: (services.REJECTED_BY, APPROVER),
    S.RETRIEVED: (services.RETRIEVED_BEFORE_DECISION, PROJECT_ADMIN),
    ExportState.UNLINKED: (services.UNLINKED_BY, APPROVER),
}
# Per action, per status: the refusal, or (its format, the role whose name it shows).
SEND_REFUSALS: dict[str, str | tuple[str, str]] = {
    S.READY_TO_EXPORT: services.ALREADY_IN_ERP,
    S.EXPORTING: services.ALREADY_IN_ERP,
    S.FAILED_TO_EXPORT: services.ALREADY_IN_ERP,
    S.SYNCED: services.ALREADY_SYNCED,
}
REFUSALS: dict[str, Mapping[str, str | tuple[str, str]]] = {
    "send": SEND_REFUSALS,
    "send_direct": SEND_REFUSALS,
    "retrieve": {
        S.NOT_SENT: services.NOT_SENT,
        S.EXPORTING: services.ALREADY_ACCEPTED,
        S.SYNCED: services.ALREADY_ACCEPTED,
        S.FAILED_TO_EXPORT: services.ALREADY_ACCEPTED_EXPORT_FAILED,
        S.REJECTED: services.ALREADY_REJECTED,
        S.RETRIEVED: services.ALREADY_RETRIEVED,
    },
    "accept": DECIDED_ELSEWHERE,
    "reject": {
        status: refusal
        for status, refusal in DECIDED_ELSEWHERE.items()
        if status != S.FAILED_TO_EXPORT
    },
    "retry": {
        S.READY_TO_EXPORT: services.NOT_DECIDABLE,
        **{
            status: refusal
            for status, refusal in DECIDED_ELSEWHERE.items()
            if status != S.FAILED_TO_EXPORT
        },
    },
    "unlink": {
        S.READY_TO_EXPORT: services.NOT_SYNCED,
        S.EXPORTING: services.NOT_SYNCED,
        S.FAILED_TO_EXPORT: services.NOT_SYNCED,
        S.REJECTED: (services.REJECTED_BY, APPROVER),
        S.RETRIEVED: (services.RETRIEVED_BEFORE_DECISION, PROJECT_ADMIN),
        ExportState.UNLINKED: (services.ALREADY_UNLINKED, APPROVER),
    },
}
VERBS = {"accept": "accepted", "reject": "rejected", "retry": "sent to export again"}


def expected_refusal(world, action: str, status: str, invoice: Invoice) -> str:
    refusal = REFUSALS[action][status]
    if isinstance(refusal, tuple):
        template, role = refusal
        user = world.users[role]
        return template.format(label=invoice.label, user=user.get_full_name() or user.username)
    label = dict(ExportState.choices + InvoiceErpStatus.choices)[status]
    return refusal.format(label=invoice.label, erp_status=label, verb=VERBS.get(action))


def statuses_for(action: str) -> list[str]:
    """Every status the action can be asked from: the project admin's actions name an
    invoice, which may not have been sent; the others name an export item."""
    if ERP_WORKFLOW.transitions[action].by == ErpActor.PROJECT_ADMIN:
        return list(InvoiceErpStatus)
    return list(ExportState.values)


WALK = [(action, status) for action in ERP_WORKFLOW.transitions for status in statuses_for(action)]


def test_every_action_of_the_table_is_walked():
    assert set(RUNNERS) == set(ERP_WORKFLOW.transitions)


@pytest.mark.parametrize(("action", "status"), WALK, ids=[f"{a}-from-{s}" for a, s in WALK])
def test_each_action_from_each_status_moves_as_the_table_says_or_is_refused(
    world, monkeypatch, action, status
):
    transition = ERP_WORKFLOW.transitions[action]
    invoice = world.invoice(erp_state=None if status == S.NOT_SENT else status)
    message = RUNNERS[action](world, invoice, monkeypatch)
    erp_status = Invoice.objects.get(pk=invoice.pk).erp_status
    item = latest_item(invoice)
    if transition.allows(status):
        assert (erp_status, item.state) == (transition.to_status, transition.item_state)
    else:
        assert erp_status == invoice_status_of(status)
        assert item is None or item.state == status
        if transition.by == ErpActor.EXPORT_WORKER:
            assert message is None
        else:
            assert message == expected_refusal(world, action, status, invoice)


def test_locked_statuses_are_those_an_invoice_cannot_be_sent_from():
    assert ERP_WORKFLOW.locked_statuses == (
        S.READY_TO_EXPORT,
        S.EXPORTING,
        S.SYNCED,
        S.FAILED_TO_EXPORT,
    )


def test_in_erp_integrations_statuses_are_the_locked_ones_not_yet_exported():
    assert ERP_WORKFLOW.in_erp_integrations_statuses == (
        S.READY_TO_EXPORT,
        S.EXPORTING,
        S.FAILED_TO_EXPORT,
    )


def test_the_approver_decides_ready_and_failed_invoices():
    assert ERP_WORKFLOW.decidable_statuses == (S.READY_TO_EXPORT, S.FAILED_TO_EXPORT)


def test_accepted_statuses_are_the_locked_ones_past_acceptance():
    assert ERP_WORKFLOW.accepted_statuses == (S.EXPORTING, S.SYNCED, S.FAILED_TO_EXPORT)


def test_the_approver_acts_on_decidable_and_synced_invoices():
    assert ERP_WORKFLOW.approver_statuses == (
        S.READY_TO_EXPORT,
        S.SYNCED,
        S.FAILED_TO_EXPORT,
    )


def test_unlink_moves_the_invoice_to_not_sent_and_its_item_to_unlinked():
    assert ERP_WORKFLOW.unlink.to_status == S.NOT_SENT
    assert ERP_WORKFLOW.unlink.item_state == ExportState.UNLINKED
