"""The daily ERP digest: what it tells each accounting approver, to whom it goes, and
`manage.py send_erp_digest`'s once-per-approver-and-day delivery."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.display import money
from erp_integrations import digest_delivery
from erp_integrations.digest import DIGEST_QUERIES, FAILED_LISTED, company_digest
from erp_integrations.digest_delivery import send_erp_digests, waiting_for
from erp_integrations.digest_subscriptions import digest_subscription_set
from erp_integrations.models import (
    ApproverEmails,
    DigestDeliveryStatus,
    ErpConnection,
    ErpDigestDelivery,
    ExportItem,
    ExportState,
)
from erp_integrations.tasks import send_erp_digest
from invoices.amounts import period_amounts_of_invoices
from projects.models import ToolLevel
from projects.services import company_set_erp_integrations_level, company_set_push_to_accounting
from tests.erp_integrations.digest_data import fill_queue
from tests.erp_integrations.email_tasks import UNREACHABLE_MAIL_SERVERS, RefusingMailServer
from tests.factories import UserFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def approver_digests(world) -> list:
    return [message for message in mail.outbox if message.to == [world.users["approver"].email]]


def set_approver_emails(world, mode: str) -> None:
    ErpConnection.objects.filter(company=world.company).update(approver_emails=mode)


# --- What it says ---------------------------------------------------------------------


def test_the_digest_counts_and_totals_the_waiting_invoices_per_project(world):
    """Per project: the Ready to Export invoices, their amount due as the queue sums it,
    and how long the oldest has waited."""
    items = fill_queue(world.company, sender=world.users["project_admin"], projects=3, waiting=9)

    digest = company_digest(world.company)

    assert [p.waiting for p in digest.projects] == [3, 3, 3]
    due = period_amounts_of_invoices(item.invoice_id for item in items)
    assert digest.amount_due == sum(
        (amounts.current_payment_due for amounts in due.values()), Decimal("0.00")
    )
    assert digest.waiting_count == 9
    assert digest.oldest is not None and digest.oldest.pk == items[-1].pk
    assert digest.failed_count == 0 and digest.failed_items == []


def test_the_email_names_each_project_the_oldest_item_its_age_and_the_queue(world):
    now = timezone.now()
    items = fill_queue(
        world.company, sender=world.users["project_admin"], projects=2, waiting=4, now=now
    )
    oldest = ExportItem.objects.select_related("invoice__commitment__project").get(pk=items[-1].pk)
    oldest_project = oldest.invoice.commitment.project
    ExportItem.objects.filter(pk=oldest.pk).update(sent_at=now - datetime.timedelta(days=6))

    send_erp_digests()

    (message,) = mail.outbox
    assert message.to == [world.users["approver"].email]
    assert message.subject == "ERP digest: 4 invoices ready to export"
    digest = company_digest(world.company)
    assert f"Ready to Export: 4 invoices, {money(digest.amount_due)} due" in message.body
    for project in digest.projects:
        assert (
            f"- {project.name} ({project.number}): 2 invoices, {money(project.amount_due)} due"
            in message.body
        )
    assert (
        f"Oldest waiting: {oldest.invoice.label} of {oldest.invoice.commitment.number} "
        f"({oldest_project.number}), sent by" in message.body
    )
    assert "waiting 6 days." in message.body
    assert f"http://testserver-digest/companies/{world.company.pk}/erp-integrations/" in (
        message.body
    )


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver-digest"


def test_the_email_lists_the_failed_exports_with_their_errors(world):
    fill_queue(world.company, sender=world.users["project_admin"], projects=2, waiting=0, failed=3)

    send_erp_digests()

    (message,) = mail.outbox
    assert message.subject == "ERP digest: 0 invoices ready to export, 3 failed to export"
    assert "Nothing waits in Ready to Export." in message.body
    assert "Failed to Export: 3 invoices. Retry or reject them:" in message.body
    for index in range(3):
        assert f"ERP refused document {index}" in message.body


def test_beyond_the_listed_failures_the_email_says_how_many_more_and_links_the_tab(world):
    fill_queue(
        world.company,
        sender=world.users["project_admin"],
        projects=2,
        waiting=1,
        failed=FAILED_LISTED + 5,
    )

    send_erp_digests()

    (message,) = mail.outbox
    assert message.body.count("ERP refused document") == FAILED_LISTED
    assert (
        f"- and 5 more: http://testserver-digest/companies/{world.company.pk}"
        "/erp-integrations/failed-to-export/" in message.body
    )


@pytest.mark.parametrize(
    ("hours", "said"), [(0, "less than a day"), (25, "1 day"), (24 * 400, "400 days")]
)
def test_waiting_for_reads_in_days(hours, said):
    now = timezone.now()
    assert waiting_for(now - datetime.timedelta(hours=hours), now) == said


def test_the_email_carries_the_notifications_and_unsubscribe_links(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)

    send_erp_digests()

    (message,) = mail.outbox
    assert "Your notifications: http://testserver-digest/account/notifications/" in message.body
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://testserver-digest/account/notifications/unsubscribe/")
    assert f"Unsubscribe from the digest: {unsubscribe[1:-1]}" in message.body


def test_items_in_other_states_and_of_other_companies_are_not_in_the_digest(world):
    for state in (ExportState.EXPORTING, ExportState.SYNCED, ExportState.REJECTED):
        world.invoice(erp_state=state)
    other = build_world()
    other.invoice(erp_state=ExportState.READY_TO_EXPORT)

    assert company_digest(world.company).is_empty
    send_erp_digests()

    assert approver_digests(world) == []
    assert len(approver_digests(other)) == 1


# --- At volume ------------------------------------------------------------------------


@pytest.mark.parametrize("waiting", [40, 5_000])
def test_building_the_digest_costs_the_same_queries_at_5000_items_in_40_projects(
    world, django_assert_num_queries, waiting
):
    """Pinned: the per-project counts, the waiting invoices' lines, the oldest item and
    the listed failures, however many items wait in however many projects."""
    fill_queue(
        world.company, sender=world.users["project_admin"], projects=40, waiting=waiting, failed=30
    )

    with django_assert_num_queries(DIGEST_QUERIES):
        digest = company_digest(world.company)

    assert DIGEST_QUERIES == 4
    assert len(digest.projects) == 40
    assert digest.waiting_count == waiting
    assert digest.failed_count == 30
    assert len(digest.failed_items) == FAILED_LISTED


# --- Who receives it ------------------------------------------------------------------


def test_nothing_waiting_and_nothing_failed_sends_no_email(world):
    world.invoice(erp_state=ExportState.SYNCED)

    run = send_erp_digests()

    assert mail.outbox == []
    assert run.nothing_to_send == [world.users["approver"].pk]
    assert not ErpDigestDelivery.objects.exists()


def test_only_the_accounting_approvers_receive_it(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)

    send_erp_digests()

    # Not the other roles, nor the superuser, who may work the queue but holds no grant.
    assert [message.to for message in mail.outbox] == [[world.users["approver"].email]]


def test_an_approver_of_two_companies_gets_one_email_with_both(world):
    other = build_world()
    approver = world.users["approver"]
    company_set_erp_integrations_level(
        user=approver, company=other.company, level=ToolLevel.STANDARD
    )
    company_set_push_to_accounting(user=approver, company=other.company, allowed=True)
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    other.invoice(erp_state=ExportState.FAILED_TO_EXPORT)

    send_erp_digests()

    (message,) = approver_digests(world)
    assert f"== {world.company.name} ==" in message.body
    assert f"== {other.company.name} ==" in message.body
    assert message.subject == "ERP digest: 1 invoice ready to export, 1 failed to export"


def test_an_unsubscribed_approver_receives_none(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    digest_subscription_set(user=world.users["approver"], subscribed=False)

    send_erp_digests()

    assert mail.outbox == []


def test_an_approver_without_an_email_address_receives_none(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    world.users["approver"].email = ""
    world.users["approver"].save(update_fields=["email"])

    assert send_erp_digests().sent == []
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("mode", "digests"),
    [(ApproverEmails.PER_SEND, 0), (ApproverEmails.DIGEST_ONLY, 1), (ApproverEmails.BOTH, 1)],
)
def test_the_digest_follows_the_companys_approver_emails_setting(world, mode, digests):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    set_approver_emails(world, mode)

    send_erp_digests()

    assert len(approver_digests(world)) == digests


def test_digest_only_is_the_default_of_a_new_connection(world):
    assert ErpConnection.objects.get(company=world.company).approver_emails == (
        ApproverEmails.DIGEST_ONLY
    )


# --- Once per approver and day --------------------------------------------------------


def test_a_second_run_the_same_day_sends_nothing(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    approver = world.users["approver"]

    first = send_erp_digests()
    second = send_erp_digests()

    assert first.sent == [approver.pk]
    assert second.sent == [] and second.already_claimed == [approver.pk]
    assert len(mail.outbox) == 1
    delivery = ErpDigestDelivery.objects.get()
    assert (delivery.user, delivery.date, delivery.status) == (
        approver,
        timezone.localdate(),
        DigestDeliveryStatus.SENT,
    )
    assert delivery.sent_at is not None


def test_the_next_day_sends_again(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    today = timezone.localdate()

    send_erp_digests(day=today)
    send_erp_digests(day=today + datetime.timedelta(days=1))

    assert len(mail.outbox) == 2


class FailsFor(RefusingMailServer):
    """Refuses the emails to the addresses in `failing`, delivers the others."""

    failing: set[str] = set()

    def send_messages(self, email_messages):
        if any(message.to[0] in self.failing for message in email_messages):
            return super().send_messages(email_messages)
        mail.outbox.extend(email_messages)
        return len(email_messages)


def second_approver(world):
    user = UserFactory.create()
    company_set_erp_integrations_level(user=user, company=world.company, level=ToolLevel.ADMIN)
    company_set_push_to_accounting(user=user, company=world.company, allowed=True)
    return user


def test_one_failed_email_does_not_stop_the_others_and_is_retried_by_the_next_run(
    world, settings, monkeypatch
):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    approver, other = world.users["approver"], second_approver(world)
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.FailsFor"}}
    monkeypatch.setattr(FailsFor, "failing", {approver.email})

    run = send_erp_digests()

    assert [message.to for message in mail.outbox] == [[other.email]]
    assert list(run.failed) == [approver.pk]
    assert "Connection refused" in run.failed[approver.pk]
    failed = ErpDigestDelivery.objects.get(user=approver)
    assert failed.status == DigestDeliveryStatus.FAILED
    assert "Connection refused" in failed.error

    monkeypatch.setattr(FailsFor, "failing", set())
    retry = send_erp_digests()

    assert retry.sent == [approver.pk]
    assert retry.already_claimed == [other.pk]
    assert [message.to for message in mail.outbox] == [[other.email], [approver.email]]
    assert ErpDigestDelivery.objects.get(user=approver).status == DigestDeliveryStatus.SENT


def test_a_run_that_died_while_sending_is_not_retried_the_same_day(world):
    """A row left Sending may have been mailed: the day is skipped rather than doubled."""
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    approver = world.users["approver"]
    ErpDigestDelivery.objects.create(
        user=approver,
        date=timezone.localdate(),
        status=DigestDeliveryStatus.SENDING,
        claimed_at=timezone.now(),
    )

    assert send_erp_digests().already_claimed == [approver.pk]
    assert mail.outbox == []


def test_each_companys_digest_is_built_once_however_many_approvers(world, monkeypatch):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    for _ in range(3):
        second_approver(world)
    built = []
    original = digest_delivery.company_digest
    monkeypatch.setattr(
        digest_delivery,
        "company_digest",
        lambda company: built.append(company) or original(company),
    )

    send_erp_digests()

    assert len(mail.outbox) == 4
    assert built == [world.company]


# --- The command and the task ---------------------------------------------------------


def test_the_command_sends_and_reports(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    out = StringIO()

    call_command("send_erp_digest", stdout=out)
    call_command("send_erp_digest", stdout=out)

    assert len(mail.outbox) == 1
    assert out.getvalue().splitlines() == [
        "ERP digest: 1 sent, 0 failed, 0 already sent today, 0 with nothing waiting.",
        "ERP digest: 0 sent, 0 failed, 1 already sent today, 0 with nothing waiting.",
    ]


def test_the_command_exits_with_an_error_when_an_email_failed(world, settings):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    settings.MAILERS = {"default": {"BACKEND": UNREACHABLE_MAIL_SERVERS[0]}}
    err = StringIO()

    with pytest.raises(CommandError, match="1 digest\\(s\\) failed; run the command again"):
        call_command("send_erp_digest", stdout=StringIO(), stderr=err)

    assert f"The digest to user {world.users['approver'].pk} failed" in err.getvalue()


def test_the_task_sends_the_digest_once_a_day(world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)

    first = send_erp_digest.enqueue()
    second = send_erp_digest.enqueue()

    assert first.return_value == {
        "sent": 1,
        "failed": 0,
        "already_claimed": 0,
        "nothing_to_send": 0,
    }
    assert second.return_value["sent"] == 0 and second.return_value["already_claimed"] == 1
    assert len(mail.outbox) == 1
