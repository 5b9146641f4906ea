"""Sending an invoice back to Revise & Resubmit emails the commitment's invoice contacts
once the move commits, with the reviewer's comment and a link to the invoice; a refused
move, or any other move, emails no one."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from guardian.shortcuts import assign_perm

from commitments.models import INVOICE_CONTACT_PERMISSION
from commitments.services import commitment_add_invoice_contact
from core.errors import ActionRefused
from erp_integrations.models import ExportState
from invoices import services
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceStatus
from tests.erp_integrations.email_tasks import run_enqueued
from tests.factories import UserFactory, VendorEmployeeFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

COMMENT = "Line 3 bills 60% but the site shows 40%; please correct and resubmit."


@pytest.fixture
def world(dummy_tasks, settings):
    settings.SITE_URL = "https://erp.example.com"
    world = build_world()
    admin = world.users["project_admin"]
    admin.first_name, admin.last_name = "Robin", "Reviewer"
    admin.save()
    return world


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def send_back(world, invoice, *, comment="", role="project_admin"):
    return services.invoice_set_status(
        user=fresh(world.users[role]),
        invoice_id=invoice.pk,
        status=InvoiceStatus.REVISE_AND_RESUBMIT,
        comment=comment,
    )


def test_each_invoice_contact_with_email_is_emailed_on_commit(world, dummy_tasks):
    contact = world.users["invoice_contact"]
    without_email = UserFactory.create(email="")
    VendorEmployeeFactory.create(user=without_email, vendor=world.commitment.vendor)
    commitment_add_invoice_contact(commitment=world.commitment, user=without_email)
    through_group = UserFactory.create()
    group = Group.objects.create(name="Vendor billing")
    through_group.groups.add(group)
    assign_perm(INVOICE_CONTACT_PERMISSION, group, world.commitment)
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)

    with TestCase.captureOnCommitCallbacks(execute=True):
        send_back(world, invoice, comment=f"  {COMMENT}  ")
        assert dummy_tasks.results == []

    assert run_enqueued(dummy_tasks) == [2]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [contact.email, through_group.email]
    )
    commitment = world.commitment
    link = "https://erp.example.com" + reverse(
        "invoices:detail", args=[commitment.project_id, commitment.pk, invoice.pk]
    )
    for message in mail.outbox:
        assert message.to != [""]
        assert invoice.label in message.subject
        assert commitment.number in message.subject
        for part in (
            invoice.label,
            commitment.number,
            str(commitment.project),
            "Robin Reviewer",
            COMMENT,
            link,
        ):
            assert part in message.body
    assert list(
        ChangeHistoryEntry.objects.filter(invoice=invoice)
        .order_by("pk")
        .values_list("changed", "to_value")
    ) == [("Status", "Revise & Resubmit"), (services.REVIEW_COMMENT_CHANGE, COMMENT)]


def test_without_a_comment_the_email_says_so(world, dummy_tasks):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)

    with TestCase.captureOnCommitCallbacks(execute=True):
        send_back(world, invoice)

    assert run_enqueued(dummy_tasks) == [1]
    (message,) = mail.outbox
    assert "They left no comment." in message.body
    assert not ChangeHistoryEntry.objects.filter(
        invoice=invoice, changed=services.REVIEW_COMMENT_CHANGE
    ).exists()


@pytest.mark.parametrize(
    ("role", "erp_state", "refusal"),
    [
        ("standard", None, "Only a project admin can review"),
        ("project_admin", ExportState.READY_TO_EXPORT, "is locked"),
    ],
)
def test_a_refused_move_emails_no_one(world, dummy_tasks, role, erp_state, refusal):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW, erp_state=erp_state)

    with (
        TestCase.captureOnCommitCallbacks(execute=True) as callbacks,
        pytest.raises(ActionRefused, match=refusal),
    ):
        send_back(world, invoice, comment=COMMENT, role=role)

    assert callbacks == []
    assert dummy_tasks.results == []
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice).exists()


def test_a_comment_over_the_limit_is_refused_and_changes_nothing(world, dummy_tasks):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)

    with (
        TestCase.captureOnCommitCallbacks(execute=True) as callbacks,
        pytest.raises(ValidationError, match="at most 2000 characters"),
    ):
        send_back(world, invoice, comment="x" * (services.MAX_REVIEW_COMMENT + 1))

    assert callbacks == []
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.UNDER_REVIEW
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice).exists()


def test_other_moves_email_no_one_and_keep_no_comment(world, dummy_tasks):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)

    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        services.invoice_set_status(
            user=fresh(world.users["project_admin"]),
            invoice_id=invoice.pk,
            status=InvoiceStatus.APPROVED,
            comment=COMMENT,
        )

    assert callbacks == []
    assert dummy_tasks.results == []
    assert list(ChangeHistoryEntry.objects.filter(invoice=invoice).values_list("changed")) == [
        ("Status",)
    ]


# Lock and load the invoice with its commitment and project, the admin's project level,
# the lock checks (export item, later invoices), the history rows in one insert and the
# invoice's update. The comment adds no query; the email's queries run in its task.
STATUS_MOVE_QUERIES = 7


@pytest.mark.parametrize("comment", ["", COMMENT])
def test_status_move_query_count(world, django_assert_num_queries, comment):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW, lines=5)
    admin = fresh(world.users["project_admin"])

    with django_assert_num_queries(STATUS_MOVE_QUERIES):
        services.invoice_set_status(
            user=admin,
            invoice_id=invoice.pk,
            status=InvoiceStatus.REVISE_AND_RESUBMIT,
            comment=comment,
        )


def test_the_page_posts_the_comment(client, world, dummy_tasks):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["project_admin"])
    status_url = reverse(
        "invoices:set_status",
        args=[world.commitment.project_id, world.commitment.pk, invoice.pk],
    )

    page = client.get(invoice.get_absolute_url()).content.decode()
    assert 'name="comment" maxlength="2000"' in page
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(status_url, {"status": "revise_and_resubmit", "comment": COMMENT})

    run_enqueued(dummy_tasks)
    (message,) = mail.outbox
    assert COMMENT in message.body
