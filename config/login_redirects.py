"""Login redirects that bring the user back to the page they were on.

`login_required` answers an anonymous request (an expired session, typically) with a
redirect to the login page and `next` set to the URL asked for. Two kinds of request
need something else:

- an htmx request (other than a history restore): htmx would follow the redirect itself,
  swap the login page into the region (a tab panel, a polled list) and push the login
  URL into the address bar. It gets 204 with `HX-Redirect`, so the browser goes to the
  login page, and `next` is the page the user is on (htmx's `HX-Current-URL`).
- a POST (or any other method but GET and HEAD): its URL is an action that answers only
  POST, so after logging in the browser's GET of `next` would be a 405. `next` is the
  page the form was on (the Referer, when it is this site), else the project list.

Register after AuthenticationMiddleware and django-htmx's HtmxMiddleware.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from core.htmx import HtmxHttpRequest, wants_partial

SAFE_METHODS = ("GET", "HEAD")


class LoginRedirectMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not _is_login_redirect_for(request, response):
            return response
        # A history restore (Back to a pushed URL htmx has not cached) swaps the whole
        # body and ignores HX-Redirect: it follows the plain redirect like a page load.
        if wants_partial(request):
            login_url = redirect_to_login(_htmx_next(request))["Location"]
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
        elif request.method not in SAFE_METHODS:
            response = redirect_to_login(_form_page(request))
        # The same URL is answered differently with and without htmx. (Views say so with
        # core.htmx's decorators; this answer is the middleware's own.)
        patch_vary_headers(response, ["HX-Request"])
        return response


def _is_login_redirect_for(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether `response` sends an anonymous user to log in and come back to this very
    request (what `login_required` does), not some other redirect to the login page
    (the one after logging out, say)."""
    if response.status_code != 302 or request.user.is_authenticated:
        return False
    location = urlsplit(response["Location"])
    if location.path != resolve_url(settings.LOGIN_URL):
        return False
    return parse_qs(location.query).get(REDIRECT_FIELD_NAME) == [request.get_full_path()]


def _same_site_path(request: HttpRequest, url: str | None) -> str | None:
    """The path (and query) of `url` when it is a URL of this site, else None."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    if not parts.path.startswith("/"):
        return None
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _form_page(request: HttpRequest) -> str:
    """Where to come back to after logging in from a POST: the page the form was on."""
    return _same_site_path(request, request.headers.get("Referer")) or reverse("projects:list")


def _htmx_next(request: HttpRequest) -> str:
    """Where to come back to after logging in from an htmx request: the page the user is
    on; failing that, the URL asked for (a GET's URL is also a whole page) or the page of
    the form."""
    current = _same_site_path(request, request.headers.get("HX-Current-URL"))
    if current:
        return current
    if request.method in SAFE_METHODS:
        return request.get_full_path()
    return _form_page(request)
