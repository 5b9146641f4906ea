"""API tokens: the page that makes them, their hashing, expiry, revocation, and how the
API answers each kind of credential."""

from __future__ import annotations

import datetime
import hashlib
import re

import pytest
from django.contrib.admin.sites import site as admin_site
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.admin import ApiTokenAdmin
from api.forms import EXPIRY_IN_PAST
from api.models import ApiToken
from api.services import (
    TOKEN_EXPIRED,
    TOKEN_REVOKED,
    TOKEN_UNKNOWN,
    TOKEN_USER_INACTIVE,
    api_token_create,
    api_token_revoke,
)
from core.errors import ActionRefused
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKENS_PAGE = "/account/api-tokens/"


def projects(api_client, key: str):
    return api_client.get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Bearer {key}")


def create_on_page(client, name="Reporting", expires_on="") -> tuple[str, object]:
    response = client.post(TOKENS_PAGE, {"name": name, "expires_on": expires_on})
    assert response.status_code == 200
    match = re.search(r'id="new-token"[^>]*value="([^"]+)"', response.content.decode())
    assert match, "the new key is shown"
    return match.group(1), response


def test_user_menu_links_to_the_api_tokens_page(client):
    client.force_login(UserFactory.create())
    assert f'href="{TOKENS_PAGE}"' in client.get(reverse("projects:list")).content.decode()


def test_page_requires_login(client):
    response = client.get(TOKENS_PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_created_key_is_shown_once_and_stored_only_as_its_sha256(client, api_client):
    user = UserFactory.create()
    client.force_login(user)
    key, response = create_on_page(client)
    assert response["Cache-Control"].count("no-store")
    token = ApiToken.objects.get(user=user)
    assert token.name == "Reporting"
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    stored = [str(value) for value in ApiToken.objects.filter(pk=token.pk).values_list()[0]]
    assert key not in stored
    again = client.get(TOKENS_PAGE).content.decode()
    assert key not in again and "Reporting" in again and token.key_prefix in again
    assert projects(api_client, key).status_code == 200


def test_a_used_token_records_when(api_client):
    user = UserFactory.create()
    new = api_token_create(user=user, name="x")
    assert new.token.last_used_at is None
    projects(api_client, new.key)
    new.token.refresh_from_db()
    assert new.token.last_used_at is not None


def test_page_refuses_an_expiry_in_the_past_and_creates_nothing(client):
    user = UserFactory.create()
    client.force_login(user)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(TOKENS_PAGE, {"name": "Old", "expires_on": yesterday.isoformat()})
    assert response.status_code == 400
    assert EXPIRY_IN_PAST in response.content.decode()
    assert not ApiToken.objects.filter(user=user).exists()


def test_page_refuses_a_missing_name(client):
    user = UserFactory.create()
    client.force_login(user)
    assert client.post(TOKENS_PAGE, {"name": ""}).status_code == 400
    assert not ApiToken.objects.exists()


def test_expiry_date_is_the_end_of_that_day(client):
    user = UserFactory.create()
    client.force_login(user)
    today = timezone.localdate()
    create_on_page(client, expires_on=today.isoformat())
    expires_at = ApiToken.objects.get(user=user).expires_at
    assert timezone.localtime(expires_at).date() == today + datetime.timedelta(days=1)
    assert timezone.localtime(expires_at).time() == datetime.time.min


def test_page_create_needs_the_csrf_token():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory.create()
    client.force_login(user)
    assert client.post(TOKENS_PAGE, {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_revoked_token_is_refused_with_its_code(client, api_client):
    user = UserFactory.create()
    client.force_login(user)
    key, _ = create_on_page(client)
    token = ApiToken.objects.get(user=user)
    response = client.post(reverse("api:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    refused = projects(api_client, key)
    assert refused.status_code == 401
    assert refused.json() == {"code": "token_revoked", "message": TOKEN_REVOKED}


def test_revoking_twice_says_so_and_keeps_the_first_time(client):
    user = UserFactory.create()
    client.force_login(user)
    token = api_token_create(user=user, name="x").token
    client.post(reverse("api:token-revoke", args=[token.pk]))
    first = ApiToken.objects.get(pk=token.pk).revoked_at
    response = client.post(reverse("api:token-revoke", args=[token.pk]), follow=True)
    assert "already revoked" in response.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first


def test_nobody_revokes_another_users_token_from_the_page(client, api_client):
    owner, other = UserFactory.create(), UserFactory.create()
    new = api_token_create(user=owner, name="x")
    client.force_login(other)
    assert client.post(reverse("api:token-revoke", args=[new.token.pk])).status_code == 404
    assert projects(api_client, new.key).status_code == 200


def test_page_lists_only_the_users_own_tokens(client):
    owner, other = UserFactory.create(), UserFactory.create()
    api_token_create(user=owner, name="Owner's secret integration")
    client.force_login(other)
    assert "Owner's secret integration" not in client.get(TOKENS_PAGE).content.decode()


def test_expired_token_is_refused_with_its_code(api_client):
    new = api_token_create(user=UserFactory.create(), name="x")
    ApiToken.objects.filter(pk=new.token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = projects(api_client, new.key)
    assert response.status_code == 401
    assert response.json() == {"code": "token_expired", "message": TOKEN_EXPIRED}


def test_unknown_key_is_refused_with_its_code(api_client):
    response = projects(api_client, "erp_not-a-key")
    assert response.status_code == 401
    assert response.json() == {"code": "token_invalid", "message": TOKEN_UNKNOWN}


@pytest.mark.parametrize("header", ["Bearer", "Bearer two parts", "Bearer \xff"])
def test_malformed_authorization_header_is_a_json_401(api_client, header):
    response = api_client.get("/api/v1/projects/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] in {"token_malformed", "token_invalid"}


def test_token_of_a_deactivated_user_is_refused(api_client):
    user = UserFactory.create()
    key = api_token_create(user=user, name="x").key
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = projects(api_client, key)
    assert response.status_code == 401
    assert response.json() == {"code": "token_user_inactive", "message": TOKEN_USER_INACTIVE}


def test_session_authentication_works_and_checks_csrf(access):
    client = Client(enforce_csrf_checks=True)
    client.force_login(access.users["read_only"])
    assert client.get("/api/v1/projects/").status_code == 200
    refused = client.post("/api/v1/projects/", {}, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert "CSRF" in refused.json()["message"]


def test_a_token_needs_no_csrf_token(api_client, access):
    key = api_token_create(user=access.users["read_only"], name="x").key
    response = api_client.post(
        "/api/v1/projects/", {}, format="json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_admin_lists_tokens_without_their_keys_and_revokes_them(client, api_client):
    superuser = UserFactory.create(is_superuser=True, is_staff=True)
    new = api_token_create(user=UserFactory.create(), name="Nightly sync")
    client.force_login(superuser)
    listing = client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert "Nightly sync" in listing and new.token.key_hash not in listing
    response = client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [new.token.pk]},
        follow=True,
    )
    assert "Revoked 1 API token(s)." in response.content.decode()
    assert projects(api_client, new.key).json()["code"] == "token_revoked"


def test_admin_creates_no_token():
    assert isinstance(admin_site._registry[ApiToken], ApiTokenAdmin)
    assert not ApiTokenAdmin(ApiToken, admin_site).has_add_permission(None)


def test_service_revoke_refuses_a_revoked_token():
    token = api_token_create(user=UserFactory.create(), name="x").token
    api_token_revoke(token_id=token.pk)
    with pytest.raises(ActionRefused):
        api_token_revoke(token_id=token.pk)


def test_throttle_answers_429_with_retry_after_per_token(api_client, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "2/minute"},
    }
    user = UserFactory.create()
    first, second = (api_token_create(user=user, name=name).key for name in ("a", "b"))
    assert [projects(api_client, first).status_code for _ in range(2)] == [200, 200]
    throttled = projects(api_client, first)
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "throttled"
    assert 0 < int(throttled["Retry-After"]) <= 60
    # Another token of the same user has its own budget.
    assert projects(api_client, second).status_code == 200
