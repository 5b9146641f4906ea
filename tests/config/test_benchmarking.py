"""The benchmark's instruments report what they measure."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import RequestFactory

from config.benchmarking import QueryCountMiddleware, floor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_query_count_header_counts_the_requests_queries():
    def view(request):
        list(get_user_model().objects.all())
        get_user_model().objects.filter(username="nobody").exists()
        return HttpResponse("ok")

    response = QueryCountMiddleware(view)(RequestFactory().get("/"))
    assert response["X-Query-Count"] == "2"


def test_floor_renders_for_a_logged_in_user():
    request = RequestFactory().get("/benchmark/floor/")
    request.user = UserFactory(username="floor-user")
    response = floor(request)
    assert response.status_code == 200
    assert b"floor-user" in response.content
