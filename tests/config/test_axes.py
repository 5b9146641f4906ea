"""Login throttling (django-axes): after LOGIN_FAILURE_LIMIT failed logins in a row, a
username and client IP pair is locked out for the cooling-off period, on the site login and
on Django admin's login alike, and a site admin sees and lifts the lockout in Django admin."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from pytest_django.asserts import assertContains, assertRedirects

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LOCKOUT_MESSAGE = "from this device is paused for 15 minutes after 5 failed attempts."
WRONG = "not-the-password"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pat():
    return UserFactory(username="pat", is_staff=True)


def log_in(client, path: str, password: str, username: str = "pat", **headers):
    return client.post(path, {"username": username, "password": password}, **headers)


def fail_five_times(client, path: str, **headers):
    for _ in range(5):
        response = log_in(client, path, WRONG, **headers)
    return response


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_defaults_are_five_failures_and_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60


def test_four_failures_do_not_lock_the_user_out(client, pat):
    for _ in range(4):
        log_in(client, reverse("login"), WRONG)

    response = log_in(client, reverse("login"), "demo")

    assertRedirects(response, reverse("projects:list"), fetch_redirect_response=False)
    assert is_logged_in(client)


def test_the_fifth_failure_shows_the_lockout_page(client, pat):
    response = fail_five_times(client, reverse("login"))

    assert response.status_code == 429
    assertContains(response, "Too many failed logins", status_code=429)
    assertContains(response, LOCKOUT_MESSAGE, status_code=429)


def test_the_right_password_is_refused_after_five_failures(client, pat):
    fail_five_times(client, reverse("login"))

    response = log_in(client, reverse("login"), "demo")

    assertContains(response, LOCKOUT_MESSAGE, status_code=429)
    assert not is_logged_in(client)


def test_the_lockout_page_is_the_sites_page(client, pat):
    """Not a bare 403: the site's layout, a way back to log in and to reset the password."""
    response = fail_five_times(client, reverse("login"))

    assertContains(response, "ERP Invoices", status_code=429)
    assertContains(response, f'href="{reverse("login")}"', status_code=429)
    assertContains(response, f'href="{reverse("password_reset")}"', status_code=429)


def test_the_admin_login_locks_out_after_five_failures(client, pat):
    admin_login = reverse("admin:login")
    fail_five_times(client, admin_login)

    response = log_in(client, admin_login, "demo")

    assertContains(response, LOCKOUT_MESSAGE, status_code=429)
    assert not is_logged_in(client)


def test_failures_on_the_admin_login_count_for_the_site_login(client, pat):
    for _ in range(3):
        log_in(client, reverse("admin:login"), WRONG)
    for _ in range(2):
        log_in(client, reverse("login"), WRONG)

    response = log_in(client, reverse("login"), "demo")

    assertContains(response, LOCKOUT_MESSAGE, status_code=429)


def test_a_success_starts_the_count_again(client, pat):
    for _ in range(4):
        log_in(client, reverse("login"), WRONG)
    log_in(client, reverse("login"), "demo")
    client.post(reverse("logout"))
    for _ in range(4):
        log_in(client, reverse("login"), WRONG)

    response = log_in(client, reverse("login"), "demo")

    assertRedirects(response, reverse("projects:list"), fetch_redirect_response=False)


def test_the_lockout_is_of_the_username_and_ip_pair(client, pat):
    """Another user from the same address, and the same user from another address, still
    log in."""
    UserFactory(username="riley")
    fail_five_times(client, reverse("login"), REMOTE_ADDR="203.0.113.7")

    other_user = log_in(client, reverse("login"), "demo", username="riley")
    client.post(reverse("logout"))
    other_address = log_in(client, reverse("login"), "demo", REMOTE_ADDR="203.0.113.8")

    assert other_user.status_code == 302
    assert other_address.status_code == 302


def lockout_age(minutes: int) -> None:
    """Move the lockout's last failure `minutes` into the past, as if that time had gone."""
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=minutes))


def test_the_lockout_holds_during_the_cooling_off(client, pat):
    fail_five_times(client, reverse("login"))
    lockout_age(14)

    response = log_in(client, reverse("login"), "demo")

    assertContains(response, LOCKOUT_MESSAGE, status_code=429)


def test_the_lockout_ends_after_the_cooling_off(client, pat):
    fail_five_times(client, reverse("login"))
    lockout_age(16)

    response = log_in(client, reverse("login"), "demo")

    assertRedirects(response, reverse("projects:list"), fetch_redirect_response=False)


def test_an_attempt_during_the_lockout_does_not_extend_it(client, pat):
    """The page promises 15 minutes from the lockout; retrying does not restart them."""
    fail_five_times(client, reverse("login"))
    lockout_age(10)
    log_in(client, reverse("login"), WRONG)
    lockout_age(16)

    response = log_in(client, reverse("login"), "demo")

    assertRedirects(response, reverse("projects:list"), fetch_redirect_response=False)


def test_the_failure_limit_comes_from_the_settings(client, pat, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        log_in(client, reverse("login"), WRONG)

    response = log_in(client, reverse("login"), "demo")

    assert response.status_code == 429


def test_x_forwarded_for_is_ignored_by_default(client, pat):
    """A client cannot dodge the lockout by writing a new address into the header."""
    for number in range(5):
        log_in(client, reverse("login"), WRONG, HTTP_X_FORWARDED_FOR=f"198.51.100.{number}")

    response = log_in(client, reverse("login"), "demo", HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert response.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_behind_a_trusted_proxy_the_client_is_the_address_the_proxy_saw(client, pat, settings):
    """With one proxy (TRUSTED_PROXY_COUNT=1), the client is the right-most address of
    X-Forwarded-For; addresses the client put on its left are not taken for its own."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False
    for number in range(5):
        log_in(
            client,
            reverse("login"),
            WRONG,
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{number}, 203.0.113.7",
        )

    locked = log_in(
        client, reverse("login"), "demo", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    other_client = log_in(
        client, reverse("login"), "demo", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.8"
    )

    assert locked.status_code == 429
    assert other_client.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.7"}


def test_the_site_admin_sees_the_lockout_in_django_admin(client, admin_client, pat):
    fail_five_times(client, reverse("login"), REMOTE_ADDR="203.0.113.7")

    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"))

    assertContains(response, "203.0.113.7")
    assertContains(response, ">pat<")


def test_the_site_admin_lifts_the_lockout_by_deleting_the_attempt(client, admin_client, pat):
    fail_five_times(client, reverse("login"))
    attempt = AccessAttempt.objects.get()

    admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    response = log_in(client, reverse("login"), "demo")

    assertRedirects(response, reverse("projects:list"), fetch_redirect_response=False)


def test_trusted_proxy_count_configures_the_client_ip_from_x_forwarded_for():
    """TRUSTED_PROXY_COUNT=1 gives the settings the test above runs with."""
    code = (
        "from django.conf import settings;"
        "print(settings.AXES_IPWARE_META_PRECEDENCE_ORDER, settings.AXES_IPWARE_PROXY_COUNT,"
        " settings.IPWARE_STRICT)"
    )
    completed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=os.environ | {"TRUSTED_PROXY_COUNT": "1"},
        capture_output=True,
        text=True,
        check=True,
    )

    assert completed.stdout.splitlines()[-1] == "('HTTP_X_FORWARDED_FOR', 'REMOTE_ADDR') 0 False"
