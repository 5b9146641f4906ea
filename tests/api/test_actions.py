"""The action endpoints: each goes through the page's service and answers what it did to
each invoice, with the reason's stable code."""

from __future__ import annotations

import pytest
from django.core import mail

from erp_integrations import services
from erp_integrations.models import ApproverEmails, ErpConnection, ExportItem, ExportState
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceErpStatus, InvoiceStatus
from tests.api.conftest import bearer
from tests.erp_integrations.test_services import ALL_STATES, RETRIEVE_OUTCOMES
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def item_of(invoice) -> ExportItem:
    return ExportItem.objects.filter(invoice=invoice).latest("pk")


def erp_status(invoice) -> str:
    return Invoice.objects.get(pk=invoice.pk).erp_status


def bulk_url(world, verb: str) -> str:
    return f"/api/v1/projects/{world.project.pk}/commitments/{world.commitment.pk}/invoices/{verb}/"


def items_url(world, verb: str, item=None) -> str:
    where = f"{item.pk}/" if item else ""
    return f"/api/v1/companies/{world.company.pk}/erp/items/{where}{verb}/"


def post(api_client, url, user, body=None):
    return api_client.post(url, body if body is not None else {}, format="json", **bearer(user))


# --- Send and retrieve, one invoice ------------------------------------------------------


def test_send_one_invoice_moves_it_to_ready_to_export(api_client, world):
    invoice = world.invoice()
    response = post(
        api_client, f"/api/v1/invoices/{invoice.pk}/send/", world.users["project_admin"]
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": invoice.pk,
        "label": invoice.label,
        "ok": True,
        "outcome": "done",
        "code": "sent",
        "message": services.SENT.format(label=invoice.label),
    }
    assert erp_status(invoice) == InvoiceErpStatus.READY_TO_EXPORT
    assert item_of(invoice).sent_by == world.users["project_admin"]


def test_retrieve_one_invoice_unlocks_it_and_writes_history(api_client, world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    response = post(
        api_client, f"/api/v1/invoices/{invoice.pk}/retrieve/", world.users["project_admin"]
    )

    assert response.status_code == 200
    assert response.json()["code"] == "retrieved"
    assert erp_status(invoice) == InvoiceErpStatus.RETRIEVED
    entry = ChangeHistoryEntry.objects.filter(invoice=invoice).latest("pk")
    assert (entry.to_value, entry.action_by) == ("Retrieved", world.users["project_admin"])


def test_retrieving_an_accepted_invoice_is_a_409_with_code_already_accepted(api_client, world):
    invoice = world.invoice(erp_state=ExportState.EXPORTING)
    response = post(
        api_client, f"/api/v1/invoices/{invoice.pk}/retrieve/", world.users["project_admin"]
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "already_accepted",
        "message": services.ALREADY_ACCEPTED.format(label=invoice.label),
    }
    assert erp_status(invoice) == InvoiceErpStatus.EXPORTING


def test_retrieving_twice_is_harmless_and_says_so(api_client, world):
    invoice = world.invoice(erp_state=ExportState.RETRIEVED)
    response = post(
        api_client, f"/api/v1/invoices/{invoice.pk}/retrieve/", world.users["project_admin"]
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["outcome"], body["code"]) == (True, "unchanged", "already_retrieved")


def test_a_standard_member_is_refused_with_not_project_admin(api_client, world):
    invoice = world.invoice()
    response = post(api_client, f"/api/v1/invoices/{invoice.pk}/send/", world.users["standard"])

    assert response.status_code == 403
    assert response.json() == {"code": "not_project_admin", "message": services.NOT_PROJECT_ADMIN}
    assert erp_status(invoice) == InvoiceErpStatus.NOT_SENT


def test_sending_a_draft_is_refused_with_status_not_sendable(api_client, world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    response = post(
        api_client, f"/api/v1/invoices/{invoice.pk}/send/", world.users["project_admin"]
    )

    assert response.status_code == 409
    assert response.json()["code"] == "status_not_sendable"


def test_an_invoice_the_user_may_not_see_is_404(api_client, world):
    invoice = world.invoice()
    response = post(api_client, f"/api/v1/invoices/{invoice.pk}/send/", world.users["outsider"])

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert erp_status(invoice) == InvoiceErpStatus.NOT_SENT


# --- Send and retrieve, many -----------------------------------------------------------


def test_bulk_retrieve_reports_each_invoice_in_the_order_asked(api_client, world):
    """As the Invoices tab: those that can be retrieved are, the others are reported one by
    one with the reason, and an id of no invoice of the commitment is reported not found."""
    ready = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    accepted = world.invoice(erp_state=ExportState.EXPORTING)
    elsewhere = build_world().invoice(erp_state=ExportState.READY_TO_EXPORT)
    ids = [accepted.pk, elsewhere.pk, ready.pk]

    response = post(
        api_client, bulk_url(world, "retrieve"), world.users["project_admin"], {"ids": ids}
    )

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [(r["id"], r["ok"], r["code"]) for r in results] == [
        (accepted.pk, False, "already_accepted"),
        (elsewhere.pk, False, "not_found"),
        (ready.pk, True, "retrieved"),
    ]
    assert results[0]["message"] == services.ALREADY_ACCEPTED.format(label=accepted.label)
    assert (erp_status(ready), erp_status(accepted), erp_status(elsewhere)) == (
        InvoiceErpStatus.RETRIEVED,
        InvoiceErpStatus.EXPORTING,
        InvoiceErpStatus.READY_TO_EXPORT,
    )
    batch = ChangeHistoryEntry.objects.get(invoice=ready, to_value="Retrieved").batch_id
    assert str(batch) == response.json()["batch_id"]


def test_bulk_send_emails_the_approvers_once_committed(
    api_client, world, django_capture_on_commit_callbacks, settings
):
    """With the company's approver emails per send, as the page's send does."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    ErpConnection.objects.filter(company=world.company).update(
        approver_emails=ApproverEmails.PER_SEND
    )
    invoices = [world.invoice(), world.invoice()]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_client,
            bulk_url(world, "send"),
            world.users["project_admin"],
            {"ids": [invoice.pk for invoice in invoices]},
        )

    assert [r["code"] for r in response.json()["results"]] == ["sent", "sent"]
    assert all(erp_status(invoice) == InvoiceErpStatus.READY_TO_EXPORT for invoice in invoices)
    assert [message.to for message in mail.outbox] == [[world.users["approver"].email]]


def test_bulk_with_no_ids_is_refused_as_the_page_refuses_it(api_client, world):
    response = post(api_client, bulk_url(world, "send"), world.users["project_admin"], {"ids": []})

    assert response.status_code == 400
    assert response.json() == {"code": "nothing_selected", "message": services.NOTHING_SELECTED}


def test_bulk_on_a_commitment_the_user_may_not_see_is_404(api_client, world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    response = post(
        api_client, bulk_url(world, "retrieve"), world.users["outsider"], {"ids": [invoice.pk]}
    )

    assert response.status_code == 404
    assert erp_status(invoice) == InvoiceErpStatus.READY_TO_EXPORT


# --- The accounting approver's actions -------------------------------------------------


def test_accept_one_item_starts_its_export(api_client, world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    item = item_of(invoice)
    response = post(api_client, items_url(world, "accept", item), world.users["approver"])

    assert response.status_code == 200, response.content
    assert response.json()["id"] == item.pk
    assert response.json()["code"] == "accepted"
    item.refresh_from_db()
    assert (item.state, item.decided_by) == (ExportState.EXPORTING, world.users["approver"])


def test_accepting_an_already_accepted_item_is_a_409_already_accepted(api_client, world):
    item = item_of(world.invoice(erp_state=ExportState.EXPORTING))
    response = post(api_client, items_url(world, "accept", item), world.users["approver"])

    assert response.status_code == 409
    assert response.json()["code"] == "already_accepted"


def test_accepting_a_retrieved_item_says_it_was_retrieved(api_client, world):
    item = item_of(world.invoice(erp_state=ExportState.RETRIEVED))
    response = post(api_client, items_url(world, "accept", item), world.users["approver"])

    assert response.status_code == 409
    assert response.json()["code"] == "already_retrieved"


def test_an_item_of_no_such_id_in_the_queue_is_404(api_client, world):
    other = item_of(build_world().invoice(erp_state=ExportState.READY_TO_EXPORT))
    response = post(api_client, items_url(world, "accept", other), world.users["approver"])

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    other.refresh_from_db()
    assert other.state == ExportState.READY_TO_EXPORT


def test_reject_needs_a_reason(api_client, world):
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    for body in ({}, {"reason": "   "}):
        response = post(api_client, items_url(world, "reject", item), world.users["approver"], body)
        assert response.status_code == 400
        assert response.json() == {
            "code": "reason_required",
            "message": services.REJECTION_REASON_REQUIRED,
        }
    item.refresh_from_db()
    assert item.state == ExportState.READY_TO_EXPORT


def test_reject_too_long_a_reason_is_refused(api_client, world):
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    body = {"reason": "x" * 10_000}
    response = post(api_client, items_url(world, "reject", item), world.users["approver"], body)

    assert response.status_code == 400
    assert response.json()["code"] == "reason_too_long"


def test_reject_many_unlocks_them_and_emails_the_sender(
    api_client, world, django_capture_on_commit_callbacks, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    invoices = [world.invoice(erp_state=ExportState.READY_TO_EXPORT) for _ in range(2)]
    ids = [item_of(invoice).pk for invoice in invoices]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_client,
            items_url(world, "reject"),
            world.users["approver"],
            {"ids": ids, "reason": "Wrong period"},
        )

    assert [r["code"] for r in response.json()["results"]] == ["rejected", "rejected"]
    for invoice in invoices:
        item = item_of(invoice)
        assert (item.state, item.rejection_reason) == (ExportState.REJECTED, "Wrong period")
        assert not Invoice.objects.get(pk=invoice.pk).is_locked
    (email,) = mail.outbox
    assert email.to == [world.users["project_admin"].email]  # who sent them
    assert "Wrong period" in email.body


def test_retry_a_failed_item(api_client, world):
    item = item_of(world.invoice(erp_state=ExportState.FAILED_TO_EXPORT))
    response = post(api_client, items_url(world, "retry", item), world.users["approver"])

    assert response.status_code == 200
    assert response.json()["code"] == "retried"
    item.refresh_from_db()
    assert item.state == ExportState.EXPORTING


def test_unlink_needs_a_reason_and_the_confirmation(api_client, world):
    item = item_of(world.invoice(erp_state=ExportState.SYNCED))
    url = items_url(world, "unlink", item)
    approver = world.users["approver"]

    unconfirmed = post(api_client, url, approver, {"reason": "Deleted in the ERP"})
    not_true = post(api_client, url, approver, {"reason": "Deleted", "confirm": "yes"})
    no_reason = post(api_client, url, approver, {"confirm": True})

    assert unconfirmed.status_code == not_true.status_code == no_reason.status_code == 400
    assert unconfirmed.json()["code"] == not_true.json()["code"] == "not_confirmed"
    assert unconfirmed.json()["message"] == services.UNLINK_NOT_CONFIRMED
    assert no_reason.json() == {
        "code": "reason_required",
        "message": services.UNLINK_REASON_REQUIRED,
    }
    item.refresh_from_db()
    assert item.state == ExportState.SYNCED


def test_unlink_a_synced_item(api_client, world):
    invoice = world.invoice(erp_state=ExportState.SYNCED)
    item = item_of(invoice)
    body = {"ids": [item.pk], "reason": "Deleted in the ERP", "confirm": True}
    response = post(api_client, items_url(world, "unlink"), world.users["approver"], body)

    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "unlinked"
    item.refresh_from_db()
    assert (item.state, item.unlink_reason) == (ExportState.UNLINKED, "Deleted in the ERP")
    assert erp_status(invoice) == InvoiceErpStatus.NOT_SENT


def test_a_tool_member_who_is_no_approver_is_refused_with_not_accounting_approver(
    api_client, world
):
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    response = post(
        api_client,
        items_url(world, "accept"),
        world.users["erp_standard_without_push"],
        {"ids": [item.pk]},
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "not_accounting_approver",
        "message": services.NOT_ACCOUNTING_APPROVER,
    }


def test_a_project_admin_gets_404_for_the_companys_queue(api_client, world):
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    response = post(
        api_client, items_url(world, "accept"), world.users["project_admin"], {"ids": [item.pk]}
    )

    assert response.status_code == 404
    item.refresh_from_db()
    assert item.state == ExportState.READY_TO_EXPORT


# The code beside each message of the retrieve table of the service tests.
RETRIEVE_CODES = {
    services.NOT_SENT: "not_sent",
    None: "retrieved",
    services.ALREADY_ACCEPTED: "already_accepted",
    services.ALREADY_ACCEPTED_EXPORT_FAILED: "already_accepted_export_failed",
    services.ALREADY_REJECTED: "already_rejected",
    services.ALREADY_RETRIEVED: "already_retrieved",
}


@pytest.mark.parametrize("state", ALL_STATES)
def test_retrieve_through_the_api_from_each_erp_status(api_client, world, state):
    """The service's answer for each ERP status (RETRIEVE_OUTCOMES), with its code: 200
    when retrieved or already retrieved, 409 with the reason otherwise."""
    invoice = world.invoice(erp_state=state)
    expected = RETRIEVE_OUTCOMES[state]

    response = post(
        api_client, f"/api/v1/invoices/{invoice.pk}/retrieve/", world.users["project_admin"]
    )

    body = response.json()
    assert body["code"] == RETRIEVE_CODES[expected]
    if expected is not None:
        assert body["message"] == expected.format(label=invoice.label)
    refused = expected not in (None, services.ALREADY_RETRIEVED)
    assert response.status_code == (409 if refused else 200)
