"""Signed, expiring download links to attachments, for the ERP.

The HTTP connector cannot hand the ERP a session, so each attachment travels as a link
whose token is an HMAC (Django's signing, keyed by SECRET_KEY) over the attachment's id
and the link's expiry. The link view checks the signature and the expiry, and opens only
attachments of invoices that were exported or are exporting: a link leaked from an
export does not open drafts, and after the expiry it opens nothing.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from invoices.models import InvoiceAttachment, InvoiceErpStatus

SALT = "invoices.attachment-link"
LINKABLE_ERP_STATUSES = frozenset({InvoiceErpStatus.EXPORTING, InvoiceErpStatus.SYNCED})


def link_lifetime() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.ATTACHMENT_LINK_SECONDS)


def attachment_link_token(attachment_id: int, expires_at: datetime.datetime) -> str:
    return signing.dumps({"a": attachment_id, "e": int(expires_at.timestamp())}, salt=SALT)


def attachment_link(attachment_id: int, *, now: datetime.datetime | None = None) -> str:
    """The absolute URL (on SITE_URL) that downloads the attachment until it expires."""
    expires_at = (now or timezone.now()) + link_lifetime()
    path = reverse("attachment-link", args=[attachment_link_token(attachment_id, expires_at)])
    return f"{settings.SITE_URL}{path}"


def attachment_for_link(
    token: str, *, now: datetime.datetime | None = None
) -> InvoiceAttachment | None:
    """The attachment a token opens, or None: a forged or altered token, an expired one,
    or an attachment whose invoice is not exporting or exported (anymore)."""
    try:
        claims = signing.loads(token, salt=SALT)
        attachment_id, expires = int(claims["a"]), int(claims["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if (now or timezone.now()).timestamp() >= expires:
        return None
    return (
        InvoiceAttachment.objects.filter(
            pk=attachment_id, invoice__erp_status__in=LINKABLE_ERP_STATUSES
        )
        .only("pk", "file", "original_name", "content_type")
        .first()
    )
