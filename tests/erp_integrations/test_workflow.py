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
from erp_integrations.models import ExportItem, ExportState
from invoices.models import ERP_WORKFLOW, ErpActor, Invoice, InvoiceErpStatus
from tests.world import build_world

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
    "retrieve": run_retrieve,
    "accept": approver_runner(services.export_items_accept),
    "reject": approver_runner(services.export_items_reject, reason="Wrong period"),
    "retry": approver_runner(services.export_items_retry),
    "export_succeeded": export_runner(Connector()),
    "export_failed": export_runner(Connector(PermanentExportError("No such vendor."))),
}

# What the user reads when the table refuses the action from the status. The world's
# items were decided by the approver and retrieved by the project admin.
APPROVER = "approver"
PROJECT_ADMIN = "project_admin"
DECIDED_ELSEWHERE = {
    S.EXPORTING: (services.ACCEPTED_BY, APPROVER),
    S.SYNCED: (services.ACCEPTED_BY, APPROVER),
    S.FAILED_TO_EXPORT: (services.ACCEPTED_BY, APPROVER),
    S.REJECTED: (services.REJECTED_BY, APPROVER),
    S.RETRIEVED: (services.RETRIEVED_BEFORE_DECISION, PROJECT_ADMIN),
}
# Per action, per status: the refusal, or (its format, the role whose name it shows).
REFUSALS: dict[str, Mapping[InvoiceErpStatus, str | tuple[str, str]]] = {
    "send": {
        S.READY_TO_EXPORT: services.ALREADY_IN_ERP,
        S.EXPORTING: services.ALREADY_IN_ERP,
        S.FAILED_TO_EXPORT: services.ALREADY_IN_ERP,
        S.SYNCED: services.ALREADY_SYNCED,
    },
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
}
VERBS = {"accept": "accepted", "reject": "rejected", "retry": "sent to export again"}


def expected_refusal(world, action: str, status: InvoiceErpStatus, invoice: Invoice) -> str:
    refusal = REFUSALS[action][status]
    if isinstance(refusal, tuple):
        template, role = refusal
        user = world.users[role]
        return template.format(label=invoice.label, user=user.get_full_name() or user.username)
    return refusal.format(label=invoice.label, erp_status=status.label, verb=VERBS.get(action))


def statuses_for(action: str) -> list[InvoiceErpStatus]:
    """Every status the action can be asked from: the project admin's actions name an
    invoice, which may not have been sent; the others name an export item."""
    if ERP_WORKFLOW.transitions[action].by == ErpActor.PROJECT_ADMIN:
        return list(InvoiceErpStatus)
    return [InvoiceErpStatus(state) for state in ExportState.values]


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
        assert (erp_status, item.state) == (transition.to_status, transition.to_status)
    else:
        assert erp_status == status
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
