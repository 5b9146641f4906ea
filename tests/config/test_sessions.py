"""A session ends SESSION_COOKIE_AGE after it was last saved (12 hours by default), so a
forgotten shared tablet does not stay signed in for Django's default two weeks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TWELVE_HOURS = 12 * 60 * 60


def test_sessions_last_twelve_hours_by_default():
    assert settings.SESSION_COOKIE_AGE == TWELVE_HOURS


def test_logging_in_gives_a_session_and_cookie_of_twelve_hours(client):
    UserFactory(username="pat")

    response = client.post(reverse("login"), {"username": "pat", "password": "demo"})

    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert timedelta(hours=11, minutes=59) < remaining <= timedelta(hours=12)
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == TWELVE_HOURS
