"""Two runs of the daily digest at the same moment, on PostgreSQL (two hosts' cron, say):
each approver gets exactly one email, whichever run claims their day.

Each run is a thread with its own database connection; a barrier releases both at once,
and every scenario is repeated, each round a day of its own."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from erp_integrations.digest_delivery import send_erp_digests
from erp_integrations.models import DigestDeliveryStatus, ErpDigestDelivery, ExportState
from projects.models import ToolLevel
from projects.services import company_set_erp_integrations_level, company_set_push_to_accounting
from tests.erp_integrations.test_concurrency import race
from tests.factories import UserFactory
from tests.world import build_world

ROUNDS = 10
APPROVERS = 4

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


@pytest.fixture
def approvers():
    world = build_world()
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    world.invoice(erp_state=ExportState.FAILED_TO_EXPORT)
    users = [world.users["approver"]]
    for _ in range(APPROVERS - 1):
        user = UserFactory.create()
        company_set_erp_integrations_level(user=user, company=world.company, level=ToolLevel.ADMIN)
        company_set_push_to_accounting(user=user, company=world.company, allowed=True)
        users.append(user)
    return users


def test_two_runs_at_once_send_each_approver_exactly_one_digest(approvers):
    today = timezone.localdate()
    for round_number in range(ROUNDS):
        day = today + datetime.timedelta(days=round_number)
        mail.outbox.clear()

        first, second = race(
            lambda day=day: send_erp_digests(day=day), lambda day=day: send_erp_digests(day=day)
        )

        assert not isinstance(first, Exception), first
        assert not isinstance(second, Exception), second
        emailed = Counter(message.to[0] for message in mail.outbox)
        assert emailed == {user.email: 1 for user in approvers}
        # Every approver was sent by one run and skipped by the other.
        assert sorted(first.sent + second.sent) == sorted(user.pk for user in approvers)
        assert sorted(first.already_claimed + second.already_claimed) == sorted(
            user.pk for user in approvers
        )
        assert not first.failed and not second.failed
        statuses = ErpDigestDelivery.objects.filter(date=day).values_list("status", flat=True)
        assert list(statuses) == [DigestDeliveryStatus.SENT] * APPROVERS


def test_two_runs_retrying_the_same_failed_digest_send_it_once(approvers):
    approver = approvers[0]
    today = timezone.localdate()
    for round_number in range(ROUNDS):
        day = today + datetime.timedelta(days=round_number)
        ErpDigestDelivery.objects.bulk_create(
            ErpDigestDelivery(
                user=user,
                date=day,
                status=(
                    DigestDeliveryStatus.FAILED if user == approver else DigestDeliveryStatus.SENT
                ),
                claimed_at=timezone.now(),
                sent_at=None if user == approver else timezone.now(),
                error="ConnectionRefusedError" if user == approver else "",
            )
            for user in approvers
        )
        mail.outbox.clear()

        first, second = race(
            lambda day=day: send_erp_digests(day=day), lambda day=day: send_erp_digests(day=day)
        )

        assert [message.to for message in mail.outbox] == [[approver.email]]
        assert first.sent + second.sent == [approver.pk]
        delivery = ErpDigestDelivery.objects.get(user=approver, date=day)
        assert (delivery.status, delivery.error) == (DigestDeliveryStatus.SENT, "")
