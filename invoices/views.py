"""The invoice page (header, SOV lines, lock banner, ERP actions, change history) and
its edit page. The ERP actions are POST forms that work with and without htmx: a plain
POST redirects back to the invoice with messages, an htmx POST re-renders the page's
main region in place."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from erp_integrations.services import (
    Outcome,
    invoice_retrieve_from_erp,
    invoice_send_to_erp,
)
from invoices.amounts import invoice_amounts
from invoices.errors import ActionRefused
from invoices.forms import InvoiceHeaderForm, InvoiceLineForm, invoice_line_formset_class
from invoices.locking import lock_message
from invoices.models import SENDABLE_STATUSES, Invoice, InvoiceErpStatus
from invoices.permissions import (
    access_invoice,
    can_edit_invoice,
    can_send_or_retrieve,
    can_view_invoice,
)
from invoices.selectors import invoice_history, invoice_latest_export_item
from invoices.services import MAY_NOT_EDIT, invoice_update

SAVED = "{label} saved."
NOTHING_CHANGED = "{label}: nothing changed."

# After a retrieval or a rejection the invoice goes back to ERP Integrations by sending
# it again.
RESEND_STATUSES = frozenset({InvoiceErpStatus.REJECTED, InvoiceErpStatus.RETRIEVED})


def _wants_partial(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _access(request: HttpRequest, project_id: int, commitment_id: int, invoice_id: int):
    """The invoice, or 404 unless the user sees it through the project's Commitments
    tool (an approver reviews invoices in the ERP Integrations queue instead)."""
    invoice = access_invoice(request.user, invoice_id, commitment_id=commitment_id)
    if invoice.commitment.project_id != project_id or not can_view_invoice(request.user, invoice):
        raise Http404("No such invoice.")
    return invoice


def _detail_context(request: HttpRequest, invoice: Invoice) -> dict:
    user = request.user
    latest_item = invoice_latest_export_item(invoice)
    active_item = latest_item if latest_item is not None and latest_item.is_active else None
    may_send_or_retrieve = can_send_or_retrieve(user, invoice)
    commitment = invoice.commitment
    return {
        "invoice": invoice,
        "amounts": invoice_amounts(invoice),
        "commitment": commitment,
        "project": commitment.project,
        "company": commitment.project.company,
        "latest_item": latest_item,
        "lock_message": lock_message(invoice, active_item) if invoice.is_locked else None,
        "may_edit": can_edit_invoice(user, invoice),
        "show_send": may_send_or_retrieve
        and not invoice.is_locked
        and invoice.status in SENDABLE_STATUSES,
        "send_label": (
            "Re-send to ERP" if invoice.erp_status in RESEND_STATUSES else "Send to ERP"
        ),
        "show_retrieve": may_send_or_retrieve
        and invoice.erp_status == InvoiceErpStatus.READY_TO_EXPORT,
        "history": list(invoice_history(invoice)),
    }


@require_GET
@login_required
def invoice_detail(
    request: HttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    invoice = _access(request, project_id, commitment_id, invoice_id)
    template = "invoices/invoice_detail.html"
    if _wants_partial(request):
        template += "#invoice-main"
    response = render(request, template, _detail_context(request, invoice))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _erp_action(
    request: HttpRequest,
    project_id: int,
    commitment_id: int,
    invoice_id: int,
    service: Callable,
) -> HttpResponse:
    invoice = _access(request, project_id, commitment_id, invoice_id)
    try:
        result = service(user=request.user, invoice_id=invoice.pk, commitment_id=commitment_id)
    except ActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        level = messages.SUCCESS if result.outcome == Outcome.DONE else messages.INFO
        messages.add_message(request, level, result.message)
    if not _wants_partial(request):
        return redirect(invoice.get_absolute_url())
    invoice = _access(request, project_id, commitment_id, invoice_id)  # as it is now
    html = render_to_string(
        "invoices/invoice_detail.html#invoice-main",
        _detail_context(request, invoice),
        request=request,
    )
    html += render_to_string("base.html#messages", {"messages_oob": True}, request=request)
    return HttpResponse(html)


@require_POST
@login_required
def invoice_send(
    request: HttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """The invoice page's "Send to ERP" (or "Re-send to ERP") button."""
    return _erp_action(request, project_id, commitment_id, invoice_id, invoice_send_to_erp)


@require_POST
@login_required
def invoice_retrieve(
    request: HttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """The invoice page's "Retrieve from ERP" button."""
    return _erp_action(request, project_id, commitment_id, invoice_id, invoice_retrieve_from_erp)


def _edit_refusal(request: HttpRequest, invoice: Invoice) -> str | None:
    if not can_edit_invoice(request.user, invoice):
        return MAY_NOT_EDIT.format(label=invoice.label)
    return lock_message(invoice)


def _back_to_invoice(request: HttpRequest, invoice: Invoice) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(invoice.get_absolute_url())
    return redirect(invoice.get_absolute_url())


@require_http_methods(["GET", "POST"])
@login_required
def invoice_edit(
    request: HttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """Edit an unlocked invoice's billing dates and its lines. A locked invoice, or a
    user who may not edit it, is refused with the reason on GET and on POST."""
    invoice = _access(request, project_id, commitment_id, invoice_id)
    refusal = _edit_refusal(request, invoice)
    if refusal:
        messages.error(request, refusal)
        return _back_to_invoice(request, invoice)

    amounts = invoice_amounts(invoice)
    lines = [line for line, _ in amounts.lines]
    formset_class = invoice_line_formset_class(len(lines))
    if request.method == "POST":
        header_form = InvoiceHeaderForm(request.POST, prefix="invoice")
        line_formset = formset_class(request.POST, prefix="lines")
        if header_form.is_valid() and line_formset.is_valid():
            try:
                saved = invoice_update(
                    user=request.user,
                    invoice_id=invoice.pk,
                    commitment_id=commitment_id,
                    header=header_form.cleaned_data,
                    lines={
                        form.cleaned_data["line_id"]: {
                            name: form.cleaned_data[name] for name in InvoiceLineForm.LINE_FIELDS
                        }
                        for form in line_formset
                    },
                )
            except ActionRefused as error:
                messages.error(request, str(error))
                return _back_to_invoice(request, invoice)
            except ValidationError as error:
                for message in error.messages:
                    header_form.add_error(None, message)
            else:
                changed = saved.revision != invoice.revision
                template = SAVED if changed else NOTHING_CHANGED
                messages.success(request, template.format(label=invoice.label))
                return _back_to_invoice(request, invoice)
    else:
        header_form = InvoiceHeaderForm(
            prefix="invoice",
            initial={
                "billing_period_start": invoice.billing_period_start,
                "billing_period_end": invoice.billing_period_end,
                "billing_date": invoice.billing_date,
            },
        )
        line_formset = formset_class(
            prefix="lines",
            initial=[
                {
                    "line_id": line.pk,
                    **{name: getattr(line, name) for name in InvoiceLineForm.LINE_FIELDS},
                }
                for line in lines
            ],
        )
    commitment = invoice.commitment
    template = "invoices/invoice_edit.html"
    if _wants_partial(request):
        template += "#invoice-edit-form"
    response = render(
        request,
        template,
        {
            "invoice": invoice,
            "commitment": commitment,
            "project": commitment.project,
            "company": commitment.project.company,
            "header_form": header_form,
            "line_formset": line_formset,
            "line_rows": list(zip(line_formset.forms, amounts.lines, strict=False)),
        },
    )
    patch_vary_headers(response, ["HX-Request"])
    return response
