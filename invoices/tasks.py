"""Background work of invoices, through Django's tasks framework: the review emails.

Emails are tasks so that a mail server that is down or slow never fails nor holds up the
status move that triggered them (see `erp_integrations.tasks`)."""

from __future__ import annotations

from django.tasks import task

from invoices.notifications import notify_revise_and_resubmit


@task
def send_revise_and_resubmit_email(
    invoice_id: int, requested_by_id: int | None, comment: str
) -> int:
    """Email the invoice contacts that their invoice is back in Revise & Resubmit;
    returns the number of emails sent."""
    return notify_revise_and_resubmit(invoice_id, requested_by_id, comment)


def enqueue_revise_and_resubmit_email(
    invoice_id: int, requested_by_id: int | None, comment: str
) -> None:
    """Call it on commit of the status move, with `robust=True`: the move is saved, and an
    email that cannot even be enqueued is logged rather than turned into an error."""
    send_revise_and_resubmit_email.enqueue(
        invoice_id=invoice_id, requested_by_id=requested_by_id, comment=comment
    )
