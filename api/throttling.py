"""Rate limits: per API token, or per user for the browser's session."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import token_of


class ApiRateThrottle(SimpleRateThrottle):
    """The `api` rate of REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (API_THROTTLE_RATE), counted
    per token: two tokens of one user have a budget each. Session requests count per user,
    anonymous ones (refused anyway) per address. Beyond it DRF answers 429 with
    Retry-After."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read at each request, not once at import as DRF's class attribute is, so a
        # changed setting applies (DRF reloads api_settings when settings change).
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str:
        token = token_of(request)
        if token is not None:
            identity = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            identity = f"user-{request.user.pk}"
        else:
            identity = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": identity}
