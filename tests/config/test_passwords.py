"""Password self-service with Django's views and the site's templates: a signed-in user
changes the password (with the old one), anyone asks for a reset link by email, the link
works once and expires, and the reset page says the same whether or not the email exists."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from pytest_django.asserts import assertContains, assertRedirects, assertTemplateUsed

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "granite-ledger-42"
WRONG_OLD_PASSWORD_MESSAGE = "Your old password was entered incorrectly. Please enter it again."


@pytest.fixture
def pat():
    return UserFactory(username="pat", email="pat@summit.example")


def reset_link(email_body: str) -> str:
    link = re.search(r"https?://testserver(/password/reset/\S+/)", email_body)
    assert link is not None, email_body
    return link.group(1)


def ask_for_reset(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def set_new_password(client, link: str, password: str = NEW_PASSWORD):
    """Open the emailed link (Django moves the token into the session and redirects) and
    submit the new password."""
    response = client.get(link)
    if response.status_code != 302:
        return response
    return client.post(response["Location"], {"new_password1": password, "new_password2": password})


def test_the_user_menu_links_to_change_password(client, pat):
    client.force_login(pat)

    response = client.get(reverse("projects:list"))

    assertContains(response, f'href="{reverse("password_change")}"')


def test_the_login_page_links_to_the_password_reset(client):
    response = client.get(reverse("login"))

    assertContains(response, f'href="{reverse("password_reset")}"')
    assertContains(response, "Forgot your password?")


def test_change_password_needs_a_signed_in_user(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_change_password_uses_the_sites_template(client, pat):
    client.force_login(pat)

    response = client.get(reverse("password_change"))

    assertTemplateUsed(response, "registration/password_change_form.html")
    assertContains(response, "ERP Invoices")
    assertContains(response, 'autocomplete="current-password"')


def test_change_password_with_the_old_one_changes_it_and_keeps_the_session(client, pat):
    client.force_login(pat)

    response = client.post(
        reverse("password_change"),
        {"old_password": "demo", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assertRedirects(response, reverse("password_change_done"))
    pat.refresh_from_db()
    assert pat.check_password(NEW_PASSWORD)
    assert client.get(reverse("projects:list")).status_code == 200


def test_change_password_refuses_a_wrong_old_password(client, pat):
    client.force_login(pat)

    response = client.post(
        reverse("password_change"),
        {"old_password": "guess", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assertContains(response, WRONG_OLD_PASSWORD_MESSAGE)
    pat.refresh_from_db()
    assert pat.check_password("demo")


def test_the_reset_email_carries_a_link_that_sets_the_new_password(client, pat):
    ask_for_reset(client, "pat@summit.example")
    (email,) = mail.outbox

    response = set_new_password(client, reset_link(email.body))

    assertRedirects(response, reverse("password_reset_complete"))
    pat.refresh_from_db()
    assert pat.check_password(NEW_PASSWORD)
    assert email.to == ["pat@summit.example"]
    assert email.subject == "Reset your ERP Invoices password"


def test_the_reset_link_works_once(client, pat):
    ask_for_reset(client, "pat@summit.example")
    link = reset_link(mail.outbox[0].body)
    set_new_password(client, link)

    response = set_new_password(client, link, password="another-granite-43")

    assertContains(response, "This reset link no longer works")
    pat.refresh_from_db()
    assert pat.check_password(NEW_PASSWORD)


def test_the_reset_link_expires(client, pat, settings):
    ask_for_reset(client, "pat@summit.example")
    link = reset_link(mail.outbox[0].body)
    settings.PASSWORD_RESET_TIMEOUT = -1

    response = set_new_password(client, link)

    assertContains(response, "This reset link no longer works")
    pat.refresh_from_db()
    assert pat.check_password("demo")


def test_reset_links_work_for_one_day_by_default():
    assert settings.PASSWORD_RESET_TIMEOUT == 24 * 60 * 60


def test_an_unknown_email_gets_the_same_page_and_no_email(client, pat):
    known = ask_for_reset(client, "pat@summit.example")
    unknown = ask_for_reset(client, "nobody@summit.example")

    assertRedirects(unknown, reverse("password_reset_done"))
    assert unknown["Location"] == known["Location"]
    assert len(mail.outbox) == 1
    page = client.get(reverse("password_reset_done"))
    assertContains(page, "If an account has that email address")
    assertContains(page, "within 24 hours")


def test_the_reset_pages_use_the_sites_templates(client):
    response = client.get(reverse("password_reset"))

    assertTemplateUsed(response, "registration/password_reset_form.html")
    assertContains(response, "ERP Invoices")
