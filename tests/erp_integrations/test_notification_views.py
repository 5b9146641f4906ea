"""The Notifications page (the daily ERP digest on or off) and the unsubscribe link of the
digest: every role, subscribed or not, and anonymous visitors with and without a token."""

from __future__ import annotations

import time

import pytest
from django.core import signing
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from erp_integrations.digest_subscriptions import (
    UNSUBSCRIBE_LINK_MAX_AGE,
    digest_subscription_set,
    is_subscribed,
    unsubscribe_token,
)
from erp_integrations.models import ApproverEmails, ErpConnection, ErpDigestSubscription
from erp_integrations.notification_views import (
    BAD_LINK,
    CHOOSE,
    NO_DIGEST,
    SUBSCRIBED,
    UNSUBSCRIBED,
)
from tests.conftest import HX_REQUEST
from tests.world import ROLES, build_world

pytestmark = pytest.mark.django_db

PAGE = reverse("erp_integrations:notifications")
STATUS_SUBSCRIBED = "You are subscribed to the daily ERP digest."
STATUS_UNSUBSCRIBED = "You are unsubscribed from the daily ERP digest."
NOT_AN_APPROVER = "You are not an accounting approver of any company"


@pytest.fixture
def world():
    return build_world()


def unsubscribe_url(user_id: int) -> str:
    return reverse("erp_integrations:digest_unsubscribe", args=[unsubscribe_token(user_id)])


def subscription_rows() -> list[tuple[int, bool]]:
    return list(ErpDigestSubscription.objects.values_list("user_id", "subscribed"))


def given(world, role: str, subscribed: bool):
    user = world.users[role]
    if not subscribed:
        digest_subscription_set(user=user, subscribed=False)
    return user


# --- The page, for every role ------------------------------------------------------------


@pytest.mark.parametrize("subscribed", [True, False], ids=["subscribed", "unsubscribed"])
@pytest.mark.parametrize("role", ROLES)
def test_the_page_shows_the_digest_to_approvers_and_none_to_others(client, world, role, subscribed):
    client.force_login(given(world, role, subscribed))

    response = client.get(PAGE)

    assert response.status_code == 200
    if role == "approver":
        assertContains(response, STATUS_SUBSCRIBED if subscribed else STATUS_UNSUBSCRIBED)
        assertContains(response, "Unsubscribe" if subscribed else "Subscribe")
        assertContains(response, f"{world.company.name}:")
        assertNotContains(response, NOT_AN_APPROVER)
    else:
        assertContains(response, NOT_AN_APPROVER)
        assertNotContains(response, 'name="digest"')


@pytest.mark.parametrize("subscribed", [True, False], ids=["subscribed", "unsubscribed"])
@pytest.mark.parametrize("choice", ["subscribe", "unsubscribe"])
@pytest.mark.parametrize("role", ROLES)
def test_only_an_approver_changes_the_digest(client, world, role, subscribed, choice):
    user = given(world, role, subscribed)
    before = subscription_rows()
    client.force_login(user)

    response = client.post(PAGE, {"digest": choice})

    if role == "approver":
        assert response.status_code == 302
        assert response["Location"] == PAGE
        assert is_subscribed(user) is (choice == "subscribe")
        shown = client.get(response["Location"])
        assertContains(shown, SUBSCRIBED if choice == "subscribe" else UNSUBSCRIBED)
    else:
        assert response.status_code == 403
        assertContains(response, NO_DIGEST, status_code=403)
        assert subscription_rows() == before


def test_an_htmx_change_answers_the_region(client, world):
    client.force_login(world.users["approver"])

    response = client.post(PAGE, {"digest": "unsubscribe"}, **HX_REQUEST)

    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="erp-digest"')
    assert STATUS_UNSUBSCRIBED in content
    assert UNSUBSCRIBED in content  # the message, out of band
    assert not is_subscribed(world.users["approver"])


@pytest.mark.parametrize("headers", [{}, HX_REQUEST], ids=["plain", "htmx"])
@pytest.mark.parametrize("value", ["", "maybe", "UNSUBSCRIBE"])
def test_a_bad_choice_is_refused_and_changes_nothing(client, world, value, headers):
    client.force_login(world.users["approver"])

    response = client.post(PAGE, {"digest": value}, **headers)

    assertContains(response, CHOOSE, status_code=400)
    assert subscription_rows() == []


def test_subscribing_twice_is_harmless(client, world):
    client.force_login(world.users["approver"])

    client.post(PAGE, {"digest": "unsubscribe"})
    client.post(PAGE, {"digest": "unsubscribe"})

    assert subscription_rows() == [(world.users["approver"].pk, False)]


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_anonymous_visitor_is_asked_to_sign_in(client, world, method):
    response = getattr(client, method)(PAGE, {"digest": "unsubscribe"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert subscription_rows() == []


def test_the_user_menu_links_the_page(client, world):
    client.force_login(world.users["read_only"])

    response = client.get(reverse("projects:list"))

    assertContains(response, f'href="{PAGE}">Notifications</a>')


# --- The unsubscribe link -----------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [None, "approver", "outsider"])
def test_opening_the_link_asks_for_confirmation_and_changes_nothing(client, world, signed_in):
    """What a mail scanner fetching the link gets: a page with a button, nothing done."""
    approver = world.users["approver"]
    if signed_in:
        client.force_login(world.users[signed_in])

    response = client.get(unsubscribe_url(approver.pk))

    assertContains(response, f"Stop the daily ERP digest to {approver.email}?")
    assertContains(response, '<button type="submit" class="btn btn-danger">Unsubscribe</button>')
    assert response["Referrer-Policy"] == "same-origin"
    assert is_subscribed(approver)


@pytest.mark.parametrize("signed_in", [None, "outsider"])
def test_confirming_unsubscribes_the_links_user_without_a_password(client, world, signed_in):
    approver = world.users["approver"]
    if signed_in:
        client.force_login(world.users[signed_in])

    response = client.post(unsubscribe_url(approver.pk))

    assertContains(response, UNSUBSCRIBED)
    assert not is_subscribed(approver)
    assert subscription_rows() == [(approver.pk, False)]


def test_confirming_twice_is_harmless(client, world):
    approver = world.users["approver"]
    url = unsubscribe_url(approver.pk)

    client.post(url)
    response = client.post(url)

    assertContains(response, UNSUBSCRIBED)
    assert subscription_rows() == [(approver.pk, False)]


def tampered(token: str) -> str:
    value, signature = token.rsplit(":", 1)
    return f"{value}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}"


def bad_tokens(world) -> dict[str, str]:
    approver = world.users["approver"]
    other = world.users["outsider"]
    token = unsubscribe_token(approver.pk)
    user_part, timestamp, signature = token.split(":")
    return {
        "tampered signature": tampered(token),
        "another user's id": f"{other.pk}:{timestamp}:{signature}",
        "no signature": user_part,
        "garbage": "not-a-token",
        "another salt": signing.TimestampSigner(salt="invoices.attachment-link").sign(
            str(approver.pk)
        ),
        "not a number": signing.TimestampSigner(salt="erp_integrations.digest-unsubscribe").sign(
            "alex"
        ),
    }


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "kind",
    [
        "tampered signature",
        "another user's id",
        "no signature",
        "garbage",
        "another salt",
        "not a number",
    ],
)
def test_a_bad_token_is_refused_plainly_and_changes_nothing(client, world, kind, method):
    url = reverse("erp_integrations:digest_unsubscribe", args=[bad_tokens(world)[kind]])

    response = getattr(client, method)(url)

    assertContains(response, BAD_LINK, status_code=400)
    assert subscription_rows() == []


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_token_is_refused_and_changes_nothing(client, world, monkeypatch, method):
    approver = world.users["approver"]
    signed_at = time.time() - UNSUBSCRIBE_LINK_MAX_AGE.total_seconds() - 60
    monkeypatch.setattr(signing.time, "time", lambda: signed_at)
    url = unsubscribe_url(approver.pk)
    monkeypatch.undo()

    response = getattr(client, method)(url)

    assertContains(response, BAD_LINK, status_code=400)
    assert is_subscribed(approver)


def test_a_token_still_valid_near_its_age_limit_works(client, world, monkeypatch):
    approver = world.users["approver"]
    signed_at = time.time() - UNSUBSCRIBE_LINK_MAX_AGE.total_seconds() + 3600
    monkeypatch.setattr(signing.time, "time", lambda: signed_at)
    url = unsubscribe_url(approver.pk)
    monkeypatch.undo()

    client.post(url)

    assert not is_subscribed(approver)


def test_the_token_of_a_deactivated_user_is_refused(client, world):
    approver = world.users["approver"]
    approver.is_active = False
    approver.save(update_fields=["is_active"])

    response = client.post(unsubscribe_url(approver.pk))

    assertContains(response, BAD_LINK, status_code=400)
    assert subscription_rows() == []


def test_the_link_answers_only_get_and_post(client, world):
    response = client.put(unsubscribe_url(world.users["approver"].pk))

    assert response.status_code == 405
    assert subscription_rows() == []


def test_the_page_says_which_companies_send_no_digest(client, world):
    ErpConnection.objects.filter(company=world.company).update(
        approver_emails=ApproverEmails.PER_SEND
    )
    client.force_login(world.users["approver"])

    response = client.get(PAGE)

    text = " ".join(response.content.decode().split())
    assert (
        f"{world.company.name}: Per send: an email each time invoices are sent; "
        "this company sends no digest." in text
    )
