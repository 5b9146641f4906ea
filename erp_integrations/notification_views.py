"""The user's "Notifications" page (the daily ERP digest on or off) and the page the
unsubscribe link of every digest opens, without a password.

Only accounting approvers receive the digest, so only they may change it; anyone else
sees that they receive none, and a POST of theirs is refused and changes nothing. The
unsubscribe link carries a signed, expiring token (`digest_subscriptions`): opening it
shows a confirmation, and only the button's POST unsubscribes, so a mail scanner that
fetches every link of an email unsubscribes no one.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.htmx import AuthenticatedHttpRequest, render_region, vary_on_htmx, wants_partial
from erp_integrations.digest_subscriptions import (
    UNSUBSCRIBE_LINK_MAX_AGE,
    digest_companies,
    digest_subscription_set,
    is_subscribed,
    user_for_unsubscribe_token,
)

DIGEST_REGION = "erp-digest"
NO_DIGEST = (
    "You are not an accounting approver of any company, so you receive no ERP digest "
    "and have nothing to subscribe to."
)
CHOOSE = "Choose Subscribe or Unsubscribe."
SUBSCRIBED = "You are subscribed to the daily ERP digest."
UNSUBSCRIBED = "You are unsubscribed from the daily ERP digest."
BAD_LINK = (
    "This unsubscribe link does not work: it was changed, or it is older than "
    f"{UNSUBSCRIBE_LINK_MAX_AGE.days} days. Nothing was changed. Sign in and open "
    "Notifications to stop the ERP digest."
)
CHOICES = {"subscribe": True, "unsubscribe": False}


def _notifications_context(request: AuthenticatedHttpRequest, error: str = "") -> dict:
    companies = list(digest_companies(request.user).select_related("erp_connection"))
    return {
        "companies": companies,
        "subscribed": bool(companies) and is_subscribed(request.user),
        "error": error,
    }


def _render_notifications(
    request: AuthenticatedHttpRequest, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = _notifications_context(request, error)
    if wants_partial(request):
        response = render_region(request, "erp_integrations/notifications.html#digest", context)
        response.status_code = status
        return response
    return render(request, "erp_integrations/notifications.html", context, status=status)


@vary_on_htmx
@require_http_methods(["GET", "POST"])
@login_required
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The page, and its Subscribe / Unsubscribe button."""
    if request.method == "GET":
        return _render_notifications(request)
    if not digest_companies(request.user).exists():
        return _render_notifications(request, error=NO_DIGEST, status=403)
    choice = request.POST.get("digest", "")
    if choice not in CHOICES:
        return _render_notifications(request, error=CHOOSE, status=400)
    digest_subscription_set(user=request.user, subscribed=CHOICES[choice])
    messages.success(request, SUBSCRIBED if CHOICES[choice] else UNSUBSCRIBED)
    if wants_partial(request):
        return _render_notifications(request)
    return redirect("erp_integrations:notifications")


@never_cache
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the confirmation, with the button. POST: unsubscribe the token's user. A bad
    token (altered, forged, expired, or its user gone) gets 400 and changes nothing."""
    user = user_for_unsubscribe_token(token)
    if user is None:
        response = render(
            request, "erp_integrations/digest_unsubscribe.html", {"error": BAD_LINK}, status=400
        )
    elif request.method == "POST":
        digest_subscription_set(user=user, subscribed=False)
        response = render(
            request,
            "erp_integrations/digest_unsubscribe.html",
            {"done": True, "email": user.email, "message": UNSUBSCRIBED},
        )
    else:
        response = render(
            request, "erp_integrations/digest_unsubscribe.html", {"email": user.email}
        )
    # The token is in the URL: no other site may learn it from the Referer. Not
    # "no-referrer", which makes the browser send "Origin: null" with the button's POST,
    # and Django's CSRF check refuses that.
    response["Referrer-Policy"] = "same-origin"
    return response
