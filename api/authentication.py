"""`Authorization: Bearer <key>` with a personal API token (api.models.ApiToken)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from api.models import ApiToken
from api.services import TokenRefused, api_token_authenticate

MALFORMED_HEADER = "The Authorization header must be 'Bearer <key>'."


class BearerTokenAuthentication(BaseAuthentication):
    """A request with a Bearer token acts as the token's user; one without is left to
    the session authentication that follows (which checks CSRF)."""

    keyword = "Bearer"

    def authenticate(self, request: Request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED_HEADER, code="token_malformed")
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed(
                MALFORMED_HEADER, code="token_malformed"
            ) from None
        try:
            token = api_token_authenticate(key)
        except TokenRefused as refused:
            raise exceptions.AuthenticationFailed(str(refused), code=refused.code) from None
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer an unauthenticated request 401 (with this challenge), not 403.
        return f'{self.keyword} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = BearerTokenAuthentication
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token from the 'API tokens' page.",
        }


def token_of(request: Request) -> ApiToken | None:
    return request.auth if isinstance(request.auth, ApiToken) else None
