"""The access layer for the ERP Integrations queue: the path by which a company's
accounting approvers, and the tool's other members read only, reach an invoice once it
was sent there. It never opens an invoice by the project's rules, and the project's
pages never open one by these (`invoices.permissions.access_invoice_on_project`)."""

from __future__ import annotations

from django.http import Http404

from erp_integrations.models import ExportItem
from projects.models import Company
from projects.permissions import User, access_erp_integrations, is_erp_agent


def access_invoice_in_queue(user: User, company_id: int, item_id: int) -> ExportItem:
    """The invoice as it waits in the company's queue: its export item `item_id`, with
    the invoice (commitment, project, company and vendor), the item's company and who
    sent, decided, retrieved and unlinked it loaded. Http404 unless the user may open the
    company's ERP Integrations (`access_erp_integrations`) and the item is in that
    company's queue, so a project member outside the tool gets 404 even for an invoice
    his project shows him.

    Reading only: accepting, rejecting and retrying need `is_accounting_approver` on top,
    and lock the rows themselves (`erp_integrations.services`)."""
    company = access_erp_integrations(user, company_id)
    try:
        item = ExportItem.objects.select_related(
            "invoice__commitment__project__company",
            "invoice__commitment__vendor",
            "sent_by",
            "decided_by",
            "retrieved_by",
            "unlinked_by",
        ).get(pk=item_id, company=company)
    except (ExportItem.DoesNotExist, ValueError, TypeError):
        raise Http404("No such item.") from None
    item.company = company  # the row the access check read: no second query for it
    return item


def access_company_as_erp_agent(user: User, company_id: int) -> Company:
    """The company, with its ERP connection loaded, for the user pulling its exports as
    its ERP agent (`is_erp_agent`). Http404 otherwise, even for an approver or a project
    admin of the company: the agent's endpoints are not theirs to see."""
    try:
        company = Company.objects.select_related("erp_connection").get(pk=company_id)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise Http404("No such company.") from None
    if not is_erp_agent(user, company):
        raise Http404("No such company.")
    return company
