"""Bad input to the action endpoints: each is a JSON error with its code, changes
nothing, and is never a 500."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from api.action_serializers import MAX_IDS, TOO_MANY_IDS
from api.models import ApiToken
from api.services import TOKEN_EXPIRED, TOKEN_REVOKED, api_token_create, api_token_revoke
from erp_integrations.models import ExportItem, ExportState
from invoices.models import ChangeHistoryEntry, Invoice
from tests.api.conftest import bearer
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(dummy_tasks):
    return build_world()


@pytest.fixture
def ready(world):
    return world.invoice(erp_state=ExportState.READY_TO_EXPORT)


def snapshot():
    """What an action could change: every invoice's ERP status, every item's state, the
    history's size."""
    return (
        sorted(Invoice.objects.values_list("pk", "erp_status")),
        sorted(ExportItem.objects.values_list("pk", "state")),
        ChangeHistoryEntry.objects.count(),
    )


def bulk_endpoints(world):
    """(url, user, extra fields a valid body needs) of every bulk action."""
    commitment = f"/api/v1/projects/{world.project.pk}/commitments/{world.commitment.pk}/invoices"
    items = f"/api/v1/companies/{world.company.pk}/erp/items"
    admin, approver = world.users["project_admin"], world.users["approver"]
    project = f"/api/v1/projects/{world.project.pk}/invoices"
    return [
        (f"{commitment}/send/", admin, {}),
        (f"{commitment}/retrieve/", admin, {}),
        (f"{project}/send/", admin, {}),
        (f"{project}/retrieve/", admin, {}),
        (f"{items}/accept/", approver, {}),
        (f"{items}/reject/", approver, {"reason": "Wrong period"}),
        (f"{items}/retry/", approver, {}),
        (f"{items}/unlink/", approver, {"reason": "Deleted", "confirm": True}),
    ]


BAD_IDS = {
    "not a list": ("5", "invalid_id"),
    "text ids": (["5"], "invalid_id"),
    "decimal ids": ([1.5], "invalid_id"),
    "boolean ids": ([True], "invalid_id"),
    "null ids": ([None], "invalid_id"),
    "zero": ([0], "id_out_of_range"),
    "negative": ([-3], "id_out_of_range"),
    "beyond 2**63-1": ([2**63], "id_out_of_range"),
    "huge": ([10**40], "id_out_of_range"),
    "duplicates": ([7, 8, 7], "duplicate_ids"),
    "ten thousand": (list(range(1, 10_001)), "too_many_ids"),
}


@pytest.mark.parametrize("case", BAD_IDS)
def test_bad_ids_are_refused_with_their_code(api_client, world, ready, case):
    ids, code = BAD_IDS[case]
    before = snapshot()
    for url, user, extra in bulk_endpoints(world):
        response = api_client.post(url, {"ids": ids, **extra}, format="json", **bearer(user))
        assert response.status_code == 400, (url, response.content)
        body = response.json()
        assert body["code"] == code, (url, body)
        assert "ids" in body["errors"]
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", [1, 3], ids=["commitment", "project"])
def test_too_many_ids_says_the_limit(api_client, world, ready, endpoint):
    url, user, _ = bulk_endpoints(world)[endpoint]
    response = api_client.post(
        url, {"ids": list(range(1, MAX_IDS + 2))}, format="json", **bearer(user)
    )
    assert response.json()["message"] == TOO_MANY_IDS
    # At the limit it is read (and each id reported on its own).
    response = api_client.post(
        url, {"ids": list(range(1, MAX_IDS + 1))}, format="json", **bearer(user)
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == MAX_IDS


def test_missing_ids_is_invalid(api_client, world, ready):
    for url, user, extra in bulk_endpoints(world):
        response = api_client.post(url, extra, format="json", **bearer(user))
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["errors"]["ids"]


def test_unknown_fields_are_refused(api_client, world, ready):
    """A misspelt field must not be read as "nothing asked" (or "not confirmed")."""
    before = snapshot()
    item = ExportItem.objects.get(invoice=ready)
    cases = [
        (bulk_endpoints(world)[0][0], world.users["project_admin"], {"id": [ready.pk]}),
        (bulk_endpoints(world)[1][0], world.users["project_admin"], {"ids": [ready.pk], "x": 1}),
        (bulk_endpoints(world)[2][0], world.users["project_admin"], {"id": [ready.pk]}),
        (bulk_endpoints(world)[3][0], world.users["project_admin"], {"ids": [ready.pk], "x": 1}),
        (f"/api/v1/invoices/{ready.pk}/retrieve/", world.users["project_admin"], {"force": True}),
        (
            f"/api/v1/companies/{world.company.pk}/erp/items/{item.pk}/accept/",
            world.users["approver"],
            {"reason": "not taken here"},
        ),
    ]
    for url, user, body in cases:
        response = api_client.post(url, body, format="json", **bearer(user))
        assert response.status_code == 400, url
        assert response.json()["code"] == "unknown_field", (url, response.json())
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    ['{"ids": [1,', "not json", '{"ids": [1]} trailing', "\x00\xff", '{"ids": [NaN]}'],
    ids=["truncated", "text", "trailing", "binary", "not-a-number"],
)
def test_malformed_json_is_refused(api_client, world, ready, body):
    before = snapshot()
    for url, user, _ in bulk_endpoints(world):
        response = api_client.generic(
            "POST", url, body, content_type="application/json", **bearer(user)
        )
        assert response.status_code == 400, url
        assert response.json()["code"] == "malformed_request"
    assert snapshot() == before


@pytest.mark.parametrize("body", [[1, 2], "ids", 5, None])
def test_a_body_that_is_not_an_object_is_refused(api_client, world, ready, body):
    for url, user, _ in bulk_endpoints(world)[1:4:2]:
        response = api_client.generic(
            "POST", url, json.dumps(body), content_type="application/json", **bearer(user)
        )
        assert response.status_code == 400, url
        assert response.json()["code"] == "invalid"


def test_a_reason_of_the_wrong_type_is_refused(api_client, world, ready):
    item = ExportItem.objects.get(invoice=ready)
    url = f"/api/v1/companies/{world.company.pk}/erp/items/{item.pk}/reject/"
    for reason in (12, True, ["Wrong"], {"text": "Wrong"}):
        response = api_client.post(
            url, {"reason": reason}, format="json", **bearer(world.users["approver"])
        )
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
        assert response.json()["errors"]["reason"]
    item.refresh_from_db()
    assert item.state == ExportState.READY_TO_EXPORT


def test_a_form_encoded_body_is_refused_as_unsupported(api_client, world, ready):
    url, user, _ = bulk_endpoints(world)[1]
    response = api_client.post(url, {"ids": [ready.pk]}, **bearer(user))  # multipart
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_get_on_an_action_is_not_allowed(api_client, world, ready):
    response = api_client.get(
        f"/api/v1/invoices/{ready.pk}/retrieve/", **bearer(world.users["project_admin"])
    )
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.parametrize("invoice_id", ["0", "-1", str(2**63), "9" * 30, "abc"])
def test_a_path_id_out_of_range_is_a_json_404(api_client, world, invoice_id):
    response = api_client.post(
        f"/api/v1/invoices/{invoice_id}/send/",
        {},
        format="json",
        **bearer(world.users["project_admin"]),
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_expired_token_is_refused(api_client, world, ready):
    token = api_token_create(user=world.users["project_admin"], name="old")
    ApiToken.objects.filter(pk=token.token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = api_client.post(
        f"/api/v1/invoices/{ready.pk}/retrieve/",
        {},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token.key}",
    )
    assert response.status_code == 401
    assert response.json() == {"code": "token_expired", "message": TOKEN_EXPIRED}
    assert Invoice.objects.get(pk=ready.pk).erp_status == "ready_to_export"


def test_a_revoked_token_is_refused(api_client, world, ready):
    token = api_token_create(user=world.users["project_admin"], name="gone")
    api_token_revoke(token_id=token.token.pk)
    response = api_client.post(
        f"/api/v1/invoices/{ready.pk}/retrieve/",
        {},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token.key}",
    )
    assert response.status_code == 401
    assert response.json() == {"code": "token_revoked", "message": TOKEN_REVOKED}
    assert Invoice.objects.get(pk=ready.pk).erp_status == "ready_to_export"


def test_another_companys_token_sees_nothing_here(api_client, world, ready):
    """An approver's and a project admin's token of another company: 404, as for any
    object they may not see, and nothing changes."""
    other = build_world()
    item = ExportItem.objects.get(invoice=ready)
    before = snapshot()
    for url, user in (
        (f"/api/v1/invoices/{ready.pk}/retrieve/", other.users["project_admin"]),
        (
            f"/api/v1/projects/{world.project.pk}/commitments/{world.commitment.pk}/invoices/retrieve/",
            other.users["project_admin"],
        ),
        (
            f"/api/v1/companies/{world.company.pk}/erp/items/{item.pk}/accept/",
            other.users["approver"],
        ),
    ):
        body = (
            {} if url.endswith(f"{ready.pk}/retrieve/") or "items/" in url else {"ids": [ready.pk]}
        )
        response = api_client.post(url, body, format="json", **bearer(user))
        assert response.status_code == 404, url
        assert response.json()["code"] == "not_found"
    # And their approver acting on our item through their own company: not found there.
    response = api_client.post(
        f"/api/v1/companies/{other.company.pk}/erp/items/accept/",
        {"ids": [item.pk]},
        format="json",
        **bearer(other.users["approver"]),
    )
    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "not_found"
    assert snapshot() == before


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.dictionaries(
        st.sampled_from(["ids", "reason", "confirm", "id", ""]), JSON_VALUES, max_size=4
    )
)
def test_no_body_makes_a_500(api_client, world, body):
    """Any JSON object to any bulk action: a 200 or a JSON error, never a server error."""
    for url, user, _ in bulk_endpoints(world):
        response = api_client.post(url, body, format="json", **bearer(user))
        assert response.status_code in (200, 400), (url, body, response.content)
        assert set(response.json()) >= (
            {"results"} if response.status_code == 200 else {"code", "message"}
        )
