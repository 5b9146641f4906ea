"""The access layer for invoices. Invoicing has no permissions of its own: it follows
the Commitments tool of the invoice's project."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from commitments.models import Commitment
from commitments.permissions import can_view_commitment, is_invoice_contact
from invoices.locking import lock_invoices
from invoices.models import (
    EDITABLE_STATUSES,
    STATUS_TRANSITIONS,
    SUBMIT_TRANSITIONS,
    Invoice,
    InvoiceStatus,
)
from projects.models import ToolLevel
from projects.permissions import (
    User,
    can_view_erp_integrations,
    commitments_level,
    is_accounting_approver,
)


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


def can_read_through_queue(user: User, invoice: Invoice) -> bool:
    """Whoever may open the review page of the invoice in its company's ERP Integrations
    queue (the tool's Read Only level and above, approver or not) reads what that page
    shows of it: its attachments, read-only, even without access to the project's
    Commitments tool. Only an invoice that has an item in that queue (sent at least once,
    even if retrieved, rejected or unlinked since): drafts and private commitments' other
    invoices stay with the project. Not a way onto the project's pages: those ask
    `can_view_invoice`."""
    company = invoice.commitment.project.company
    if not can_view_erp_integrations(user, company):
        return False
    # The reverse accessor of erp_integrations' ExportItem: no import from the layer above.
    return invoice.export_items.filter(company=company).exists()


NO_SUCH_INVOICE = "No such invoice."


def _load_invoice(
    invoice_id: int, *, project_id: int | None, commitment_id: int | None, for_update: bool
) -> Invoice:
    """The invoice (commitment, project, company and vendor loaded), or 404 when there is
    none by that id under the project and commitment given."""
    where = Q(pk=invoice_id)
    if commitment_id is not None:
        where &= Q(commitment_id=commitment_id)
    related = ("commitment__project__company", "commitment__vendor")
    try:
        if for_update:
            invoice = next(iter(lock_invoices(where, select_related=related)), None)
        else:
            invoice = Invoice.objects.select_related(*related).filter(where).first()
    except (ValueError, TypeError):
        invoice = None
    if invoice is None or (project_id is not None and invoice.commitment.project_id != project_id):
        raise Http404(NO_SUCH_INVOICE)
    return invoice


def access_invoice_on_project(
    user: User,
    invoice_id: int,
    *,
    project_id: int | None = None,
    commitment_id: int | None = None,
    for_update: bool = False,
) -> Invoice:
    """The invoice through its project's Commitments tool: the invoice page, its edits,
    review moves, sending and retrieving, attachments. Returns the invoice (commitment,
    project, company and vendor loaded) to whoever sees its commitment
    (`can_view_invoice`); Http404 for anyone else, accounting approvers included: they
    reach invoices through the queue (`erp_integrations.permissions
    .access_invoice_in_queue`). `project_id` and `commitment_id`, when given (from the
    URL), must be the invoice's.

    With `for_update` the invoice row is locked (`lock_invoices`) until the transaction
    ends, so the caller may change it; the caller must be inside `transaction.atomic`.
    What the user may do to the invoice is the caller's to ask (`can_edit_invoice`,
    `can_send_or_retrieve`...)."""
    invoice = _load_invoice(
        invoice_id, project_id=project_id, commitment_id=commitment_id, for_update=for_update
    )
    if not can_view_invoice(user, invoice):
        raise Http404(NO_SUCH_INVOICE)
    return invoice


def access_invoice_to_download(
    user: User, invoice_id: int, *, project_id: int | None = None, commitment_id: int | None = None
) -> Invoice:
    """Reading only, never locked: the invoice whose attachments the user downloads. Both
    the invoice page and the queue's review page link to them, so this opens the invoice
    to whoever `access_invoice_on_project` opens it to, and to whoever may open its review
    page in the company's ERP Integrations (`can_read_through_queue`); Http404 for anyone
    else. Not for changing anything: those paths go through one of the two."""
    invoice = _load_invoice(
        invoice_id, project_id=project_id, commitment_id=commitment_id, for_update=False
    )
    if not (can_view_invoice(user, invoice) or can_read_through_queue(user, invoice)):
        raise Http404(NO_SUCH_INVOICE)
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
