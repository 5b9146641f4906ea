"""Who receives the daily ERP digest, their subscription, and the signed unsubscribe links.

The digest goes to the accounting approvers (the users holding a company's approver
grants, `projects.permissions.accounting_approvers`), each until they unsubscribe. The
link in every digest unsubscribes without a password: its token is the user's id signed
with a timestamp (Django's signing, keyed by SECRET_KEY and salted for this use only), so
it cannot be forged or moved to another user, and it stops working after
UNSUBSCRIBE_LINK_MAX_AGE.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from erp_integrations.models import ErpDigestSubscription
from projects.models import Company
from projects.permissions import User as Visitor
from projects.permissions import granted_approver_companies

UNSUBSCRIBE_SALT = "erp_integrations.digest-unsubscribe"
# Long enough for a digest read after a holiday; a link found later asks to sign in.
UNSUBSCRIBE_LINK_MAX_AGE = datetime.timedelta(days=30)


def digest_companies(user: Visitor) -> QuerySet[Company]:
    """The companies whose digest the user would receive as an accounting approver."""
    return granted_approver_companies(user).order_by("name")


def is_subscribed(user: User) -> bool:
    """Whether the user receives the digest, should they approve for a company (no row:
    subscribed, the default)."""
    return not ErpDigestSubscription.objects.filter(user=user, subscribed=False).exists()


@transaction.atomic
def digest_subscription_set(*, user: User, subscribed: bool) -> ErpDigestSubscription:
    """Subscribe or unsubscribe the user. Doing it twice is harmless. The caller decided
    the user may (their Notifications page, or a valid unsubscribe token)."""
    now = timezone.now()
    # The row exists before it is locked: two first changes at once meet on the unique
    # user, and get_or_create takes the row the other one created.
    ErpDigestSubscription.objects.get_or_create(
        user=user, defaults={"subscribed": True, "changed_at": now}
    )
    subscription = ErpDigestSubscription.objects.select_for_update().get(user=user)
    if subscription.subscribed != subscribed:
        subscription.subscribed = subscribed
        subscription.changed_at = now
        subscription.save(update_fields=["subscribed", "changed_at"])
    return subscription


def unsubscribe_token(user_id: int) -> str:
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign(str(user_id))


def user_for_unsubscribe_token(token: str) -> User | None:
    """The active user an unsubscribe token names, or None: altered, forged, expired, or
    its user is gone or deactivated."""
    try:
        user_id = int(
            signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign(
                token, max_age=UNSUBSCRIBE_LINK_MAX_AGE
            )
        )
    except (signing.BadSignature, ValueError, OverflowError):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def unsubscribe_url(user_id: int) -> str:
    """The absolute URL (on SITE_URL) of the user's unsubscribe confirmation page."""
    path = reverse("erp_integrations:digest_unsubscribe", args=[unsubscribe_token(user_id)])
    return f"{settings.SITE_URL}{path}"


def notifications_url() -> str:
    return f"{settings.SITE_URL}{reverse('erp_integrations:notifications')}"
