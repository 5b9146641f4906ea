"""The daily ERP digest through Chromium: alex, the demo's accounting approver, receives
the digest, unsubscribes through the link in the email without signing in, and then finds
the digest off on the Notifications page, where he subscribes again."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from erp_integrations.digest_subscriptions import is_subscribed

pytestmark = pytest.mark.django_db(transaction=True)


def test_alex_unsubscribes_from_the_digest_through_its_link(
    demo, live_server, settings, log_in, page
):
    settings.SITE_URL = live_server.url
    call_command("send_erp_digest", stdout=StringIO())
    (email,) = mail.outbox
    assert email.to == ["alex@summit.example"]
    assert "Ready to Export: 3 invoices" in email.body
    unsubscribe_link = re.search(r"Unsubscribe from the digest: (\S+)", email.body)
    assert unsubscribe_link is not None

    # Opened from the email, signed out: a confirmation first.
    page.goto(unsubscribe_link.group(1))
    expect(page.get_by_text("Stop the daily ERP digest to alex@summit.example?")).to_be_visible()
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_text("You are unsubscribed from the daily ERP digest.")).to_be_visible()

    page = log_in("alex")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Daily ERP digest")).to_be_visible()
    expect(page.get_by_text("You are unsubscribed from the daily ERP digest.")).to_be_visible()
    assert not is_subscribed(User.objects.get(username="alex"))

    page.get_by_role("button", name="Subscribe").click()
    digest = page.get_by_role("region", name="Daily ERP digest")
    expect(digest.get_by_text("You are subscribed to the daily ERP digest.")).to_be_visible()
    expect(page.get_by_role("button", name="Unsubscribe")).to_be_visible()
    assert is_subscribed(User.objects.get(username="alex"))
