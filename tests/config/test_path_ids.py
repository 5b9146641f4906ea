"""Every URL with an id in its path answers 404 for an id no database row can have, never
a 500: the `dbid` path converter refuses it before a view runs."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.converters import LARGEST_ID
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Just past the range of a BigAutoField (SQLite's driver cannot bind 2**63), zero, and
# one digit more than any id has.
IDS_NO_ROW_CAN_HAVE = [LARGEST_ID + 1, 0, 10**19]
# A path parameter that names a row.
ID_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w*(?:id|pk))>")
# Where a parameter is not an id, a value the pattern accepts.
OTHER_PARAMETERS = {"<slug:tab>": "ready-to-export"}


def _routes(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def routes_with_ids(*, admin: bool) -> list[str]:
    return [
        route
        for route in _routes(get_resolver().url_patterns)
        if ID_PARAMETER.search(route) and route.startswith("admin/") == admin
    ]


def url_with_ids(route: str, value: int) -> str:
    for parameter, other in OTHER_PARAMETERS.items():
        route = route.replace(parameter, other)
    return "/" + ID_PARAMETER.sub(str(value), route)


@pytest.fixture
def superuser_client():
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_every_app_route_with_an_id_uses_the_database_id_converter():
    """No app URL takes an id with another converter, which would let any number through."""
    routes = routes_with_ids(admin=False)

    assert len(routes) >= 15
    assert {match["converter"] for route in routes for match in ID_PARAMETER.finditer(route)} == {
        "dbid"
    }


@pytest.mark.parametrize("value", IDS_NO_ROW_CAN_HAVE)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_id_no_row_can_have_is_a_404_on_every_app_url(superuser_client, method, value):
    """As a superuser, who may see everything: 404 on every URL, for GET and POST."""
    answers = {
        url: getattr(superuser_client, method)(url).status_code
        for url in map(lambda route: url_with_ids(route, value), routes_with_ids(admin=False))
    }

    assert answers == dict.fromkeys(answers, 404)


def test_an_id_no_row_can_have_is_never_a_500_in_django_admin(superuser_client):
    """Django admin answers an unknown object with a redirect to its index, a 404, or a
    403 where no one may delete."""
    answers = {
        url: superuser_client.get(url).status_code
        for url in map(
            lambda route: url_with_ids(route, LARGEST_ID + 1), routes_with_ids(admin=True)
        )
    }

    assert len(answers) >= 40
    assert {url: status for url, status in answers.items() if status >= 500} == {}
    assert set(answers.values()) <= {302, 403, 404}


def test_the_largest_id_still_reaches_the_view(superuser_client):
    """The range ends at the largest BigAutoField id, not before: that id is a view's
    own 404 ("No such invoice"), not the resolver's."""
    url = reverse("invoices:detail", args=[1, 1, LARGEST_ID])

    response = superuser_client.get(url)

    assert response.status_code == 404
    assert response.resolver_match.view_name == "invoices:detail"
