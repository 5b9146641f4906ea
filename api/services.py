"""Creating, revoking and checking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import models as auth_models
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from core.errors import ActionRefused

# Keys start with this, so a leaked key is recognisable (e.g. by secret scanners).
KEY_PREFIX = "erp_"
# A token's last use is written at most this often: a busy integration does not turn
# every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)

TOKEN_UNKNOWN = "The API token is not valid."
TOKEN_EXPIRED = "The API token has expired."
TOKEN_REVOKED = "The API token has been revoked."
TOKEN_USER_INACTIVE = "The API token's user account is deactivated."
EXPIRY_IN_PAST = "The expiry date must be in the future."
ALREADY_REVOKED = "This API token is already revoked."


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    key: str  # shown to its user once, never stored


@transaction.atomic
def api_token_create(
    *, user: auth_models.User, name: str, expires_at: datetime | None = None
) -> NewToken:
    if expires_at is not None and expires_at <= timezone.now():
        raise ActionRefused(EXPIRY_IN_PAST)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=hash_key(key),
        key_prefix=key[: len(KEY_PREFIX) + 4],
        expires_at=expires_at,
    )
    return NewToken(token=token, key=key)


@transaction.atomic
def api_token_revoke(*, token_id: int, user: auth_models.User | None = None) -> ApiToken:
    """Revoke a token: of `user`'s own when given (the API tokens page), any (Django admin).
    Raises ApiToken.DoesNotExist for a token that is not theirs."""
    tokens = ApiToken.objects.select_for_update()
    if user is not None:
        tokens = tokens.filter(user=user)
    token = tokens.get(pk=token_id)
    if token.revoked_at is not None:
        raise ActionRefused(ALREADY_REVOKED)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token


class TokenRefused(Exception):
    """The key authenticates no one: `code` says why, `str()` is the message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def api_token_authenticate(key: str) -> ApiToken:
    """The usable token (with its user) the key belongs to, its last use recorded; or
    TokenRefused with the reason."""
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None:
        raise TokenRefused("token_invalid", TOKEN_UNKNOWN)
    now = timezone.now()
    if token.is_revoked:
        raise TokenRefused("token_revoked", TOKEN_REVOKED)
    if token.is_expired(now):
        raise TokenRefused("token_expired", TOKEN_EXPIRED)
    if not token.user.is_active:
        raise TokenRefused("token_user_inactive", TOKEN_USER_INACTIVE)
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # A plain UPDATE, no lock: two requests at once may both write, and either time
        # is right.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
