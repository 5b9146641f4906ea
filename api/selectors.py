from __future__ import annotations

from django.contrib.auth import models as auth_models
from django.db.models import QuerySet

from api.models import ApiToken


def user_api_tokens(user: auth_models.User) -> QuerySet[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they say when)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
