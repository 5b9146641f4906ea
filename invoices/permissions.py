"""The access layer for invoices. Invoicing has no permissions of its own: it follows
the Commitments tool of the invoice's project."""

from __future__ import annotations

from django.http import Http404

from commitments.models import Commitment
from commitments.permissions import can_view_commitment, is_invoice_contact
from invoices.models import (
    EDITABLE_STATUSES,
    STATUS_TRANSITIONS,
    SUBMIT_TRANSITIONS,
    Invoice,
    InvoiceStatus,
)
from projects.models import ToolLevel
from projects.permissions import User, commitments_level, is_accounting_approver


def can_view_invoice(user: User, invoice: Invoice) -> bool:
    return can_view_commitment(user, invoice.commitment)


def can_create_invoice(user: User, commitment: Commitment) -> bool:
    """Standard members and above, and the commitment's invoice contacts."""
    if not can_view_commitment(user, commitment):
        return False
    return commitments_level(user, commitment.project) >= ToolLevel.STANDARD or is_invoice_contact(
        user, commitment
    )


def can_edit_invoice(user: User, invoice: Invoice) -> bool:
    """Whether the user's role lets them edit this invoice, ignoring the ERP lock (the
    edit service checks the lock itself, so it can say why an edit is refused).

    Admins edit any invoice they can see; Standard members edit Draft and Revise &
    Resubmit invoices; invoice contacts edit their own Draft and Revise & Resubmit ones.
    """
    if not can_view_invoice(user, invoice):
        return False
    level = commitments_level(user, invoice.commitment.project)
    if level >= ToolLevel.ADMIN:
        return True
    if invoice.status not in EDITABLE_STATUSES:
        return False
    if level >= ToolLevel.STANDARD:
        return True
    return is_invoice_contact(user, invoice.commitment) and invoice.created_by_id == user.pk


def can_send_or_retrieve_on_commitment(user: User, commitment: Commitment) -> bool:
    """Sending to and retrieving from ERP Integrations: the project's admins only. The
    caller has already checked that the user sees the commitment."""
    return commitments_level(user, commitment.project) >= ToolLevel.ADMIN


def can_send_or_retrieve(user: User, invoice: Invoice) -> bool:
    return can_view_invoice(user, invoice) and can_send_or_retrieve_on_commitment(
        user, invoice.commitment
    )


def can_decide_export(user: User, invoice: Invoice) -> bool:
    """Accept, reject and retry: the company's accounting approvers."""
    return is_accounting_approver(user, invoice.commitment.project.company)


def can_see_in_erp_queue(user: User, invoice: Invoice) -> bool:
    """The approver reaches an invoice through the company queue, even without access
    to the project's Commitments tool; only one that has been sent there, so drafts and
    private commitments' other invoices stay with the project."""
    if can_view_invoice(user, invoice):
        return True
    return invoice.has_been_sent and can_decide_export(user, invoice)


def access_invoice(
    user: User, invoice_id: int, *, commitment_id: int | None = None, for_update: bool = False
) -> Invoice:
    """The invoice (commitment, project and company loaded), or 404 when the user may not
    see it. With `for_update` the invoice row is locked until the transaction ends, so the
    caller may change it; the caller must be inside `transaction.atomic`."""
    invoices = Invoice.objects.select_related("commitment__project__company", "commitment__vendor")
    if for_update:
        invoices = invoices.select_for_update(of=("self",))
    filters = {"pk": invoice_id}
    if commitment_id is not None:
        filters["commitment_id"] = commitment_id
    try:
        invoice = invoices.get(**filters)
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise Http404("No such invoice.") from None
    if not can_see_in_erp_queue(user, invoice):
        raise Http404("No such invoice.")
    return invoice


# The order in which the invoice page offers the review moves.
STATUS_MOVE_ORDER = (
    InvoiceStatus.UNDER_REVIEW,
    InvoiceStatus.APPROVED,
    InvoiceStatus.APPROVED_AS_NOTED,
    InvoiceStatus.PENDING_OWNER_APPROVAL,
    InvoiceStatus.REVISE_AND_RESUBMIT,
)


def status_moves_for(user: User, invoice: Invoice) -> list[InvoiceStatus]:
    """The statuses the user may move this invoice to now, in the page's order: none
    while it is locked; submitting for review (Draft or Revise & Resubmit to Under
    Review) for whoever may edit it; every other legal move for project admins. The
    same rules `invoices.services.invoice_set_status` enforces."""
    if invoice.is_locked or not can_view_invoice(user, invoice):
        return []
    legal = STATUS_TRANSITIONS[invoice.status]
    is_admin = commitments_level(user, invoice.commitment.project) >= ToolLevel.ADMIN
    moves = []
    for status in STATUS_MOVE_ORDER:
        if status not in legal:
            continue
        if (invoice.status, status) in SUBMIT_TRANSITIONS:
            allowed = can_edit_invoice(user, invoice)
        else:
            allowed = is_admin
        if allowed:
            moves.append(status)
    return moves


def can_add_attachment(user: User, invoice: Invoice) -> bool:
    """Attaching documents: Standard members and admins on any invoice they see, the
    invoice contact on an invoice he may edit. Whether the invoice's ERP status allows it
    is the service's to say (`invoices.attachments`)."""
    if not can_view_invoice(user, invoice):
        return False
    if commitments_level(user, invoice.commitment.project) >= ToolLevel.STANDARD:
        return True
    return can_edit_invoice(user, invoice)


def can_remove_attachment(user: User, invoice: Invoice) -> bool:
    """Removing one: whoever may add them (the service refuses it while locked)."""
    return can_add_attachment(user, invoice)
