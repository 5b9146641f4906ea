"""The pull connector's API: an ERP agent claims accepted items under a lease and reports
each one synced or failed, through the worker's attempts, backoff and history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from erp_integrations import exporting
from erp_integrations.exporting import ExportOutcome, export_items, retry_delay
from erp_integrations.models import ConnectorKind, ErpConnection, ExportItem, ExportState
from erp_integrations.payloads import build_document
from erp_integrations.pull import ALREADY_SYNCED, LEASE_LOST, NOT_CLAIMED
from invoices.attachment_links import attachment_for_link
from invoices.models import ChangeHistoryEntry, InvoiceErpStatus
from tests.erp_integrations.agents import accepted_invoices, agent_world, new_agent
from tests.factories import InvoiceAttachmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return agent_world()


def expire_leases(item_ids) -> None:
    """Move the items' leases into the past, as if the agents holding them went quiet."""
    ExportItem.objects.filter(pk__in=item_ids).update(
        claim_expires_at=timezone.now() - timedelta(seconds=1)
    )


def history_count(item: ExportItem) -> int:
    return ChangeHistoryEntry.objects.filter(invoice_id=item.invoice_id).count()


# --- Claim -------------------------------------------------------------------------------


def test_claim_answers_each_item_with_the_document_the_push_connectors_send(world, settings):
    settings.ERP_AGENT_LEASE_SECONDS = 120
    (item,) = accepted_invoices(world, 1)
    response = new_agent(world).claim(5)
    assert response.status_code == 200
    (claimed,) = response.json()["items"]
    item.refresh_from_db()
    expected = build_document(ExportItem.objects.get(pk=item.pk))
    assert claimed["document"] == expected
    assert claimed["id"] == item.pk
    assert claimed["idempotency_key"] == str(item.idempotency_key)
    assert claimed["document"]["header"]["idempotency_key"] == str(item.idempotency_key)
    assert claimed["attempt"] == item.attempts == 1
    assert item.claim_expires_at == item.export_started_at + timedelta(seconds=120)


def test_claim_gives_each_attachment_a_signed_download_link(world):
    (item,) = accepted_invoices(world, 1)
    attachment = InvoiceAttachmentFactory.create(invoice=item.invoice)
    (claimed,) = new_agent(world).claim().json()["items"]
    (entry,) = claimed["document"]["attachments"]
    assert entry["id"] == attachment.pk and entry["sha256"] == attachment.sha256
    token = entry["download_url"].rstrip("/").rsplit("/", 1)[1]
    assert attachment_for_link(token) == attachment


def test_claim_takes_at_most_limit_items_oldest_first_and_leases_them_to_the_agent(world):
    items = accepted_invoices(world, 5)
    first = new_agent(world, "first").claim(3).json()["items"]
    second = new_agent(world, "second").claim(3).json()["items"]
    assert [entry["id"] for entry in first] == [item.pk for item in items[:3]]
    assert [entry["id"] for entry in second] == [item.pk for item in items[3:]]
    assert new_agent(world, "third").claim(3).json() == {"items": []}


def test_claim_passes_over_items_not_exporting_and_retries_not_due(world):
    ready = world.export_item(world.invoice(), ExportState.READY_TO_EXPORT)
    failed = world.export_item(world.invoice(), ExportState.FAILED_TO_EXPORT)
    (waiting,) = accepted_invoices(world, 1)
    ExportItem.objects.filter(pk=waiting.pk).update(
        next_retry_at=timezone.now() + timedelta(minutes=1)
    )
    assert new_agent(world).claim(10).json() == {"items": []}
    for item in (ready, failed, waiting):
        assert ExportItem.objects.get(pk=item.pk).attempts == 0


def test_an_expired_lease_returns_the_item_to_the_pool(world):
    (item,) = accepted_invoices(world, 1)
    new_agent(world, "gone").claim()
    assert new_agent(world, "other").claim().json() == {"items": []}
    expire_leases([item.pk])
    (claimed,) = new_agent(world, "other").claim().json()["items"]
    assert claimed["id"] == item.pk and claimed["attempt"] == 2


def test_an_item_whose_agents_never_reported_fails_once_its_attempts_are_used_up(world, settings):
    settings.ERP_EXPORT_MAX_ATTEMPTS = 1
    (item,) = accepted_invoices(world, 1)
    new_agent(world, "gone").claim()
    expire_leases([item.pk])
    assert new_agent(world, "other").claim().json() == {"items": []}
    item.refresh_from_db()
    assert item.state == ExportState.FAILED_TO_EXPORT
    assert item.last_error == exporting.INTERRUPTED.format(attempts=1)


def test_an_item_whose_document_cannot_be_built_fails_at_claim_and_is_not_answered(
    world, django_capture_on_commit_callbacks
):
    """The invoice changed after it was sent: the push path fails it, so does a claim."""
    changed, fine = accepted_invoices(world, 2)
    changed.invoice.__class__.objects.filter(pk=changed.invoice_id).update(revision=99)
    with django_capture_on_commit_callbacks(execute=True):
        claimed = new_agent(world).claim(5).json()["items"]
    assert [entry["id"] for entry in claimed] == [fine.pk]
    changed.refresh_from_db()
    assert changed.state == ExportState.FAILED_TO_EXPORT
    assert "changed after it was sent" in changed.last_error
    assert mail.outbox and changed.invoice.label in mail.outbox[0].body


def test_a_claim_on_a_pushing_connection_is_refused_and_takes_nothing(world):
    ErpConnection.objects.filter(company=world.company).update(connector=ConnectorKind.FILE)
    (item,) = accepted_invoices(world, 1)
    response = new_agent(world).claim()
    assert response.status_code == 409
    assert response.json()["code"] == "connector_not_agent"
    assert ExportItem.objects.get(pk=item.pk).attempts == 0


def test_claim_query_count_does_not_grow_with_the_items(world, django_assert_num_queries):
    """Twenty items cost the queries of two: the documents' amounts and attachments are
    read for all of them at once."""
    accepted_invoices(world, 22)
    for item in ExportItem.objects.all()[:4]:
        InvoiceAttachmentFactory.create(invoice_id=item.invoice_id)
    agent = new_agent(world)
    agent.claim(1)  # the token's last use is written once a minute: not in the counts
    with CaptureQueriesContext(connection) as two:
        assert len(agent.claim(2).json()["items"]) == 2
    with django_assert_num_queries(len(two.captured_queries)):
        assert len(agent.claim(19).json()["items"]) == 19


# --- Synced ------------------------------------------------------------------------------


def test_a_report_costs_a_fixed_number_of_queries(world, django_assert_num_queries):
    """Authenticate, open the company, lock the invoice and the item, save both, write
    the history row: the rows are locked once, not again by the outcome's recording."""
    first, second = accepted_invoices(world, 2)
    agent = new_agent(world)
    agent.claim(2)
    agent.synced(first.pk, "AP-1")  # the token's last use is written once a minute
    with django_assert_num_queries(12):
        assert agent.synced(second.pk, "AP-2").json()["state"] == ExportState.SYNCED


def test_synced_marks_the_item_and_its_invoice_synced_with_the_reference(world):
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    before = history_count(item)
    response = agent.synced(item.pk, "AP-1001")
    assert response.status_code == 200
    assert response.json()["state"] == ExportState.SYNCED
    assert response.json()["erp_reference"] == "AP-1001"
    item.refresh_from_db()
    assert (item.state, item.erp_reference, item.export_started_at) == (
        ExportState.SYNCED,
        "AP-1001",
        None,
    )
    item.invoice.refresh_from_db()
    assert item.invoice.erp_status == InvoiceErpStatus.SYNCED
    assert history_count(item) == before + 1


def test_synced_twice_answers_the_same_and_changes_nothing(world):
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    first = agent.synced(item.pk, "AP-1001")
    stored = ExportItem.objects.values().get(pk=item.pk)
    entries = history_count(item)
    second = agent.synced(item.pk, "AP-1001")
    assert (second.status_code, second.json()) == (200, first.json())
    assert ExportItem.objects.values().get(pk=item.pk) == stored
    assert history_count(item) == entries


def test_synced_again_with_another_reference_is_refused(world):
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    agent.synced(item.pk, "AP-1001")
    response = agent.synced(item.pk, "AP-2002")
    assert response.status_code == 409
    assert response.json() == {
        "code": "already_synced",
        "message": ALREADY_SYNCED.format(
            label=item.invoice.label, reference="AP-1001", what="synced again as AP-2002"
        ),
    }
    assert ExportItem.objects.get(pk=item.pk).erp_reference == "AP-1001"


def test_a_report_after_the_lease_passed_to_another_agent_is_refused(world):
    (item,) = accepted_invoices(world, 1)
    slow, other = new_agent(world, "slow"), new_agent(world, "other")
    slow.claim()
    expire_leases([item.pk])
    other.claim()
    for response in (slow.synced(item.pk, "AP-1"), slow.failed(item.pk, "x", transient=True)):
        assert response.status_code == 409
        assert response.json() == {
            "code": "lease_lost",
            "message": LEASE_LOST.format(label=item.invoice.label),
        }
    item.refresh_from_db()
    assert item.state == ExportState.EXPORTING and item.attempts == 2
    assert other.synced(item.pk, "AP-1").status_code == 200


def test_a_report_after_the_lease_ran_out_unclaimed_still_counts(world):
    """Nobody took the item over: the agent's late report is the attempt's outcome."""
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    expire_leases([item.pk])
    assert agent.synced(item.pk, "AP-1").json()["state"] == ExportState.SYNCED


def test_two_agents_on_one_token_hold_their_leases_apart_by_name(world):
    (item,) = accepted_invoices(world, 1)
    first = new_agent(world, "first")
    second = type(first)(client=first.client, company_id=first.company_id, name="second")
    first.claim()
    assert second.synced(item.pk, "AP-1").json()["code"] == "lease_lost"


def test_a_report_on_an_item_never_claimed_is_refused(world):
    (item,) = accepted_invoices(world, 1)
    response = new_agent(world).synced(item.pk, "AP-1")
    assert response.status_code == 409
    assert response.json() == {
        "code": "not_claimed",
        "message": NOT_CLAIMED.format(label=item.invoice.label),
    }


def test_a_report_on_an_item_not_exporting_is_refused(world):
    item = world.export_item(world.invoice(), ExportState.READY_TO_EXPORT)
    response = new_agent(world).synced(item.pk, "AP-1")
    assert response.status_code == 409
    assert response.json()["code"] == "not_exporting"


# --- Failed ------------------------------------------------------------------------------


def test_a_transient_failure_retries_after_the_push_connectors_backoff(world, settings):
    settings.ERP_EXPORT_RETRY_BASE_SECONDS = 30
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    response = agent.failed(item.pk, "The ERP is closing the month.", transient=True)
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.state == ExportState.EXPORTING
    assert item.last_error == "The ERP agent reported: The ERP is closing the month."
    assert item.next_retry_at == item.claim_expires_at + retry_delay(1)
    assert response.json()["next_retry_at"] is not None
    assert agent.claim().json() == {"items": []}  # not due yet
    ExportItem.objects.filter(pk=item.pk).update(next_retry_at=timezone.now())
    (again,) = agent.claim().json()["items"]
    assert again["attempt"] == 2


def test_failed_twice_answers_the_same_and_changes_nothing(world):
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    first = agent.failed(item.pk, "ERP busy", transient=True)
    stored = ExportItem.objects.values().get(pk=item.pk)
    second = agent.failed(item.pk, "ERP busy", transient=True)
    assert (second.status_code, second.json()) == (200, first.json())
    assert ExportItem.objects.values().get(pk=item.pk) == stored


def test_a_permanent_failure_fails_the_export_and_emails_the_approvers(
    world, django_capture_on_commit_callbacks
):
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    with django_capture_on_commit_callbacks(execute=True):
        response = agent.failed(item.pk, "Vendor V00000 is not in the ERP.", transient=False)
    assert response.json()["state"] == ExportState.FAILED_TO_EXPORT
    item.invoice.refresh_from_db()
    assert item.invoice.erp_status == InvoiceErpStatus.FAILED_TO_EXPORT
    (email,) = mail.outbox
    assert email.to == [world.users["approver"].email]
    assert "Vendor V00000 is not in the ERP." in email.body
    with django_capture_on_commit_callbacks(execute=True):
        again = agent.failed(item.pk, "Vendor V00000 is not in the ERP.", transient=False)
    assert again.json() == response.json()
    assert len(mail.outbox) == 1


def test_a_transient_failure_on_the_last_attempt_gives_up(world, settings):
    settings.ERP_EXPORT_MAX_ATTEMPTS = 2
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    agent.failed(item.pk, "busy", transient=True)
    ExportItem.objects.filter(pk=item.pk).update(next_retry_at=timezone.now())
    agent.claim()
    response = agent.failed(item.pk, "busy", transient=True)
    assert response.json()["state"] == ExportState.FAILED_TO_EXPORT
    assert response.json()["last_error"] == exporting.GAVE_UP.format(
        error="The ERP agent reported: busy", attempts=2
    )


def test_failed_after_synced_is_refused_and_changes_nothing(world):
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    agent.synced(item.pk, "AP-1")
    stored = ExportItem.objects.values().get(pk=item.pk)
    response = agent.failed(item.pk, "timeout", transient=True)
    assert response.status_code == 409
    assert response.json()["code"] == "already_synced"
    assert ExportItem.objects.values().get(pk=item.pk) == stored


def test_synced_after_failed_is_refused_until_the_item_is_claimed_again(world):
    """Reporting a failure gave the item back; its document is created by the next
    claim's attempt, with the same idempotency key."""
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    agent.failed(item.pk, "timeout", transient=True)
    stored = ExportItem.objects.values().get(pk=item.pk)
    response = agent.synced(item.pk, "AP-1")
    assert response.status_code == 409
    assert response.json()["code"] == "not_claimed"
    assert ExportItem.objects.values().get(pk=item.pk) == stored


# --- Bad input ---------------------------------------------------------------------------

BAD_CLAIMS = [
    ({"limit": "5"}, "limit"),
    ({"limit": 5.0}, "limit"),
    ({"limit": True}, "limit"),
    ({"limit": 0}, "limit"),
    ({"limit": 101}, "limit"),
    ({"limit": 5, "lease": 600}, "lease"),
    ({"agent": 7}, "agent"),
    ({"agent": "x" * 33}, "agent"),
]


@pytest.mark.parametrize(("body", "field"), BAD_CLAIMS)
def test_a_bad_claim_is_refused_with_the_field_and_takes_nothing(world, body, field):
    (item,) = accepted_invoices(world, 1)
    response = new_agent(world).post("claim/", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert ExportItem.objects.get(pk=item.pk).attempts == 0


BAD_REPORTS = [
    ("synced/", {}, "reference"),
    ("synced/", {"reference": ""}, "reference"),
    ("synced/", {"reference": 1001}, "reference"),
    ("synced/", {"reference": "x" * 129}, "reference"),
    ("synced/", {"reference": "AP-1", "state": "synced"}, "state"),
    ("failed/", {"error": "x"}, "transient"),
    ("failed/", {"error": "x", "transient": "false"}, "transient"),
    ("failed/", {"error": "x", "transient": 0}, "transient"),
    ("failed/", {"error": ["x"], "transient": True}, "error"),
    ("failed/", {"error": "x" * 2001, "transient": True}, "error"),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD_REPORTS)
def test_a_bad_report_is_refused_with_the_field_and_changes_nothing(world, path, body, field):
    (item,) = accepted_invoices(world, 1)
    agent = new_agent(world)
    agent.claim()
    stored = ExportItem.objects.values().get(pk=item.pk)
    response = agent.post(f"{item.pk}/{path}", body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert ExportItem.objects.values().get(pk=item.pk) == stored


@pytest.mark.parametrize("path", ["claim/", "1/synced/", "1/failed/"])
def test_malformed_json_or_a_body_not_an_object_is_refused(world, path):
    agent = new_agent(world)
    malformed = agent.client.post(
        f"/api/v1/companies/{world.company.pk}/erp/exports/{path}",
        data=b'{"limit": ',
        content_type="application/json",
    )
    assert malformed.status_code == 400
    assert malformed.json()["code"] == "malformed_request"
    not_an_object = agent.post(path, [1, 2])
    assert not_an_object.status_code == 400
    assert not_an_object.json()["code"] == "invalid"


def test_a_get_is_not_allowed(world):
    agent = new_agent(world)
    response = agent.client.get(f"/api/v1/companies/{world.company.pk}/erp/exports/claim/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- Who may pull ------------------------------------------------------------------------

NOT_AGENTS = [
    "approver",
    "project_admin",
    "standard",
    "read_only",
    "invoice_contact",
    "erp_standard_without_push",
    "outsider",
]


@pytest.mark.parametrize("role", NOT_AGENTS)
def test_only_the_erp_agent_privilege_opens_the_endpoints(world, role):
    """An approver or a project admin of the company gets 404, as for a company they may
    not see: pulling exports is the agent's alone."""
    (item,) = accepted_invoices(world, 1)
    caller = new_agent(world, user=world.users[role])
    for response in (
        caller.claim(),
        caller.synced(item.pk, "AP-1"),
        caller.failed(item.pk, "x", transient=True),
    ):
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "No such company."}
    assert ExportItem.objects.get(pk=item.pk).attempts == 0


@pytest.mark.parametrize("role", ["agent", "superuser"])
def test_the_erp_agent_and_a_site_admin_may_pull(world, role):
    accepted_invoices(world, 1)
    assert len(new_agent(world, user=world.users[role]).claim().json()["items"]) == 1


def test_another_companys_agent_sees_neither_the_company_nor_its_items(world):
    (item,) = accepted_invoices(world, 1)
    other = agent_world()
    (other_item,) = accepted_invoices(other, 1)
    outsider = new_agent(other)
    outsider.company_id = world.company.pk
    assert outsider.claim().status_code == 404
    # Its own company's URL with this company's item: no such item there.
    own = new_agent(other)
    own.claim()
    response = own.synced(item.pk, "AP-1")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "No such item."}
    assert ExportItem.objects.get(pk=item.pk).attempts == 0
    assert ExportItem.objects.get(pk=other_item.pk).attempts == 1


def test_a_request_without_a_token_is_401(world, api_client):
    response = api_client.post(
        f"/api/v1/companies/{world.company.pk}/erp/exports/claim/", {}, format="json"
    )
    assert response.status_code == 401


# --- The push worker ---------------------------------------------------------------------


def test_the_export_worker_leaves_an_agent_connections_items_alone(world):
    (item,) = accepted_invoices(world, 1)
    outcomes = export_items([item.pk]).outcomes
    assert outcomes[ExportOutcome.SKIPPED] == [item.pk]
    assert ExportItem.objects.get(pk=item.pk).attempts == 0
    assert (
        exporting.stalled_export_ids(timezone.now() + timedelta(hours=1), retries_deferred=False)
        == []
    )
