"""The company's approver emails setting (per send, digest only, both): which emails the
accounting approvers get, and its change in Django admin, recorded like Direct Export's."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from erp_integrations import services
from erp_integrations.digest_delivery import send_erp_digests
from erp_integrations.models import ApproverEmails, ErpConnection, ExportState
from erp_integrations.notifications import notify_export_failed
from tests.erp_integrations.admin_forms import connection_change_data
from tests.world import build_world

pytestmark = pytest.mark.django_db

SENT_SUBJECT = "1 invoice(s) ready to export"
DIGEST_SUBJECT = "ERP digest: 1 invoice ready to export"


@pytest.fixture
def world():
    return build_world()


def send_and_digest(world, mode: str) -> list:
    """The subjects the approver receives for one invoice sent, then the day's digest."""
    ErpConnection.objects.filter(company=world.company).update(approver_emails=mode)
    invoice = world.invoice()
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.invoices_send_to_erp(
            user=world.users["project_admin"],
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            invoice_ids=[invoice.pk],
        )
    send_erp_digests()
    return [
        message.subject for message in mail.outbox if message.to == [world.users["approver"].email]
    ]


@pytest.mark.parametrize(
    ("mode", "subjects"),
    [
        (ApproverEmails.PER_SEND, [SENT_SUBJECT]),
        (ApproverEmails.DIGEST_ONLY, [DIGEST_SUBJECT]),
        (ApproverEmails.BOTH, [SENT_SUBJECT, DIGEST_SUBJECT]),
    ],
)
def test_the_approver_gets_the_emails_the_setting_names(world, mode, subjects):
    assert send_and_digest(world, mode) == subjects


def test_failed_export_alerts_do_not_depend_on_the_setting(world):
    """The setting is about invoices sent; an export that failed is told at once."""
    ErpConnection.objects.filter(company=world.company).update(
        approver_emails=ApproverEmails.DIGEST_ONLY
    )
    item = world.export_item(world.invoice(), ExportState.FAILED_TO_EXPORT)

    assert notify_export_failed([item.pk]) == 1


def admin_change(client, world, user, mode: str):
    connection = ErpConnection.objects.get(company=world.company)
    client.force_login(user)
    data = connection_change_data(connection, approver_emails=mode)
    url = reverse("admin:erp_integrations_erpconnection_change", args=[connection.pk])
    return client.post(url, data)


def test_a_site_admin_changes_the_setting_in_django_admin_and_it_is_recorded(client, world):
    superuser = world.users["superuser"]

    response = admin_change(client, world, superuser, ApproverEmails.BOTH)

    assert response.status_code == 302
    assert ErpConnection.objects.get(company=world.company).approver_emails == ApproverEmails.BOTH
    entry = LogEntry.objects.get(object_id=str(world.company.erp_connection.pk))
    assert (entry.user, entry.action_flag) == (superuser, CHANGE)
    assert "Approver emails" in entry.get_change_message()


def test_an_unknown_value_is_refused_and_changes_nothing(client, world):
    response = admin_change(client, world, world.users["superuser"], "hourly")

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert ErpConnection.objects.get(company=world.company).approver_emails == (
        ApproverEmails.DIGEST_ONLY
    )
    assert not LogEntry.objects.exists()


@pytest.mark.parametrize(
    "role",
    [
        "project_admin",
        "standard",
        "read_only",
        "invoice_contact",
        "approver",
        "erp_standard_without_push",
        "outsider",
    ],
)
def test_no_one_else_changes_the_setting(client, world, role):
    response = admin_change(client, world, world.users[role], ApproverEmails.PER_SEND)

    assert response.status_code in (302, 403)
    assert ErpConnection.objects.get(company=world.company).approver_emails == (
        ApproverEmails.DIGEST_ONLY
    )
    assert not LogEntry.objects.exists()
