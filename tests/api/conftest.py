from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.services import api_token_create


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """The throttle counts requests in Django's cache: each test starts from none (ids
    are reused across rolled-back tests)."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def bearer(user, **kwargs) -> dict[str, str]:
    """Request headers that authenticate as `user` with a new token of theirs."""
    key = api_token_create(user=user, name="test", **kwargs).key
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
