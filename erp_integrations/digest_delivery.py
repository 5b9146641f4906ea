"""Sending the daily ERP digest: one email a day to each accounting approver with
something waiting (`manage.py send_erp_digest`, or the `send_erp_digest` task).

Exactly once per approver and day, whatever runs at once: before it sends, a run claims
the approver's day by inserting an `ErpDigestDelivery` row in a transaction of its own.
The (user, date) unique constraint lets one insert win, on any number of hosts against
one database; the others skip that approver. No lock file, no lock held while mailing.

When one email fails (the mail server refuses it, or is down), the run records the row
Failed with the error and goes on with the next approver; a later run the same day
claims a Failed row again (a conditional update, which one run wins) and retries it. A run
that dies between its claim and the mail server's answer leaves the row Sending, and
nothing retries it that day: the email may have gone, and a duplicate digest is worse
than a missing one, which the next day's digest makes up for (it lists all that still
waits). Site admins see these rows in Django admin.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from core.display import display_name, money
from erp_integrations.digest import CompanyDigest, company_digest
from erp_integrations.digest_subscriptions import notifications_url, unsubscribe_url
from erp_integrations.models import (
    DIGEST_MODES,
    DigestDeliveryStatus,
    ErpDigestDelivery,
    ErpDigestSubscription,
    ExportItem,
)
from erp_integrations.selectors import item_name
from projects.models import Company
from projects.permissions import accounting_approvers

logger = logging.getLogger(__name__)


@dataclass
class DigestRun:
    """What one run did, by user id."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    # Another run (earlier today, or running now) has claimed the approver's day.
    already_claimed: list[int] = field(default_factory=list)
    nothing_to_send: list[int] = field(default_factory=list)


def digest_recipients() -> dict[User, list[Company]]:
    """Each subscribed accounting approver with an email address, with the companies (by
    name) whose digest they receive: those whose ERP connection sends digests. One query
    for the companies and one per company for its approvers."""
    companies = Company.objects.filter(erp_connection__approver_emails__in=DIGEST_MODES).order_by(
        "name", "pk"
    )
    unsubscribed = ErpDigestSubscription.objects.filter(subscribed=False).values("user_id")
    recipients: dict[int, tuple[User, list[Company]]] = {}
    for company in companies:
        approvers = (
            accounting_approvers(company)
            .exclude(email="")
            .exclude(pk__in=unsubscribed)
            .order_by("pk")
        )
        for approver in approvers:
            recipients.setdefault(approver.pk, (approver, []))[1].append(company)
    return dict(recipients.values())


def claim_digest(user_id: int, day: datetime.date) -> bool:
    """Claim the user's digest of `day` for this run. False when another run holds it:
    it was sent, or is being sent, by another run. A Failed one is claimed again."""
    now = timezone.now()
    try:
        # Committed at once (a transaction, or a savepoint inside the caller's): another
        # run's insert of the same (user, date) waits for it, then fails.
        with transaction.atomic():
            ErpDigestDelivery.objects.create(
                user_id=user_id, date=day, status=DigestDeliveryStatus.SENDING, claimed_at=now
            )
        return True
    except IntegrityError:
        # One UPDATE: of two runs retrying the same Failed row, the second finds it
        # Sending once the first commits, and updates nothing.
        retried = ErpDigestDelivery.objects.filter(
            user_id=user_id, date=day, status=DigestDeliveryStatus.FAILED
        ).update(status=DigestDeliveryStatus.SENDING, claimed_at=now, error="")
        return retried == 1


def _record(user_id: int, day: datetime.date, status: str, error: str = "") -> None:
    sent_at = timezone.now() if status == DigestDeliveryStatus.SENT else None
    ErpDigestDelivery.objects.filter(
        user_id=user_id, date=day, status=DigestDeliveryStatus.SENDING
    ).update(status=status, sent_at=sent_at, error=error)


def waiting_for(sent_at: datetime.datetime, now: datetime.datetime) -> str:
    """How long an item has waited, as the email says it: "3 days", "less than a day"."""
    days = (now - sent_at).days
    if days < 1:
        return "less than a day"
    return "1 day" if days == 1 else f"{days:,} days"


def _queue_url(company: Company, tab: str | None = None) -> str:
    if tab is None:
        path = reverse("erp_integrations:queue", args=[company.pk])
    else:
        path = reverse("erp_integrations:tab", args=[company.pk, tab])
    return f"{settings.SITE_URL}{path}"


def _failed_line(item: ExportItem) -> str:
    error = " ".join(item.last_error.split())
    return f"{item_name(item)}: {error}" if error else item_name(item)


def _section(digest: CompanyDigest, now: datetime.datetime) -> dict:
    """One company's part of the email, as the template shows it."""
    oldest = digest.oldest
    return {
        "company": digest.company,
        "waiting_count": digest.waiting_count,
        "amount_due": money(digest.amount_due),
        "projects": [
            {
                "name": f"{project.name} ({project.number})",
                "waiting": project.waiting,
                "amount_due": money(project.amount_due),
                "oldest_for": waiting_for(project.oldest_sent_at, now)
                if project.oldest_sent_at
                else "",
            }
            for project in digest.waiting_projects
        ],
        "oldest": (
            {
                "name": item_name(oldest),
                "sent_by": display_name(oldest.sent_by),
                "sent_on": timezone.localtime(oldest.sent_at).date(),
                "waiting_for": waiting_for(oldest.sent_at, now),
            }
            if oldest
            else None
        ),
        "failed_count": digest.failed_count,
        "failed": [_failed_line(item) for item in digest.failed_items],
        "failed_not_listed": digest.failed_not_listed,
        "queue_url": _queue_url(digest.company),
        "failed_url": _queue_url(digest.company, "failed-to-export"),
    }


def digest_message(
    user: User, digests: Iterable[CompanyDigest], *, now: datetime.datetime
) -> EmailMessage:
    """The user's digest email: a section per company with something waiting or failed,
    the link to their Notifications page and their unsubscribe link."""
    sections = [_section(digest, now) for digest in digests]
    waiting = sum(section["waiting_count"] for section in sections)
    failed = sum(section["failed_count"] for section in sections)
    unsubscribe = unsubscribe_url(user.pk)
    context = {
        "name": display_name(user),
        "sections": sections,
        "waiting": waiting,
        "failed": failed,
        "notifications_url": notifications_url(),
        "unsubscribe_url": unsubscribe,
    }
    # A header is one line, whatever the template's line breaks.
    subject = " ".join(
        render_to_string("erp_integrations/email/digest_subject.txt", context).split()
    )
    return EmailMessage(
        subject=subject,
        body=render_to_string("erp_integrations/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        # Mail programs offer "Unsubscribe" from this header; it opens the confirmation
        # page, like the link in the body.
        headers={"List-Unsubscribe": f"<{unsubscribe}>"},
    )


def send_erp_digests(*, day: datetime.date | None = None) -> DigestRun:
    """Send each recipient (`digest_recipients`) their digest of `day` (today in the
    site's time zone), unless nothing waits and nothing failed in their companies or
    another run claimed it (`claim_digest`). Each company's digest is built once, however
    many approvers it has. An email that fails is recorded and retried by a later run;
    it does not stop the others."""
    day = day or timezone.localdate()
    now = timezone.now()
    run = DigestRun()
    digests: dict[int, CompanyDigest] = {}
    recipients = digest_recipients()
    # One message at a time, each through its own connection to the mail server: a
    # failure (a refused address, a dropped connection) stays with its message.
    for user, companies in recipients.items():
        for company in companies:
            if company.pk not in digests:
                digests[company.pk] = company_digest(company)
        sections = [digests[c.pk] for c in companies if not digests[c.pk].is_empty]
        if not sections:
            run.nothing_to_send.append(user.pk)
            continue
        if not claim_digest(user.pk, day):
            run.already_claimed.append(user.pk)
            continue
        try:
            digest_message(user, sections, now=now).send()
        except Exception as error:
            # Whatever failed (the mail server, the address, the network), it is this
            # approver's email, not the run: record it, retry it on the next run.
            logger.exception("The ERP digest to user %s failed", user.pk)
            run.failed[user.pk] = f"{type(error).__name__}: {error}"
            _record(user.pk, day, DigestDeliveryStatus.FAILED, run.failed[user.pk])
            continue
        _record(user.pk, day, DigestDeliveryStatus.SENT)
        run.sent.append(user.pk)
    return run
