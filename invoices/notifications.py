"""Email notifications of invoice review: the commitment's invoice contacts hear that
their invoice was sent back to Revise & Resubmit, with the reviewer's comment.

It runs in a task of `invoices.tasks`, enqueued when the status move commits, so it
loads fresh rows; it returns the number of emails sent."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mass_mail
from django.db.models import QuerySet
from guardian.shortcuts import get_users_with_perms

from commitments.models import INVOICE_CONTACT_PERMISSION, Commitment
from core.display import display_name
from invoices.models import Invoice


def invoice_contacts_with_email(commitment: Commitment) -> list[User]:
    """The commitment's active invoice contacts (directly or through a group) that have
    an email address."""
    # Without `attach_perms` guardian answers a queryset of users.
    contacts = cast(
        "QuerySet[User]",
        get_users_with_perms(
            commitment,
            only_with_perms_in=[INVOICE_CONTACT_PERMISSION],
            with_group_users=True,
            with_superusers=False,
        ),
    )
    return list(contacts.filter(is_active=True).exclude(email="").order_by("pk"))


def notify_revise_and_resubmit(invoice_id: int, requested_by_id: int | None, comment: str) -> int:
    """Email each invoice contact of the invoice's commitment that the invoice is back in
    Revise & Resubmit: who asked, their comment if any, and a link to the invoice."""
    invoice = Invoice.objects.select_related("commitment__project").filter(pk=invoice_id).first()
    if invoice is None:
        return 0
    commitment = invoice.commitment
    requested_by = (
        User.objects.filter(pk=requested_by_id).first() if requested_by_id is not None else None
    )
    subject = f"Invoice {invoice.label} on {commitment.number}: Revise & Resubmit"
    said = f"Their comment:\n\n{comment}" if comment else "They left no comment."
    body = (
        f"{display_name(requested_by)} set invoice {invoice.label} of commitment "
        f"{commitment.number} ({commitment.project}) to Revise & Resubmit. Correct it and "
        f"submit it for review again.\n\n{said}\n\n"
        f"The invoice: {settings.SITE_URL}{invoice.get_absolute_url()}\n"
    )
    return send_mass_mail(
        [
            (subject, body, settings.DEFAULT_FROM_EMAIL, [contact.email])
            for contact in invoice_contacts_with_email(commitment)
        ],
        fail_silently=False,
    )
