"""The invoice page (header, SOV lines, lock banner, review and ERP actions, change
history), its edit page, the page that creates one, and the project's Invoicing tool
(every invoice of the project, with the bulk ERP actions). The review and ERP actions
are POST forms that work with and without htmx: a plain POST redirects back with
messages, an htmx POST re-renders the page's region in place."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from commitments.permissions import access_commitment, access_project
from core.errors import ActionRefused
from core.htmx import (
    AuthenticatedHttpRequest,
    HtmxHttpRequest,
    answer_action,
    render_region,
    report_bulk_action,
    vary_on_htmx,
    wants_partial,
)
from erp_integrations.selectors import direct_export_on, page_number
from erp_integrations.services import (
    ActionResult,
    Outcome,
    invoice_retrieve_from_erp,
    invoice_send_to_erp,
    project_invoices_retrieve_from_erp,
    project_invoices_send_to_erp,
)
from invoices.amounts import invoice_amounts, period_amounts_of_invoices
from invoices.attachment_links import attachment_for_link
from invoices.attachments import (
    NO_SUCH_ATTACHMENT,
    attachment_add,
    attachment_refusal,
    attachment_remove,
    describe_size,
)
from invoices.filters import SORTABLE_COLUMNS, invoicing_filter
from invoices.forms import (
    InvoiceHeaderForm,
    InvoiceLineForm,
    default_billing_dates,
    invoice_line_formset_class,
)
from invoices.locking import edit_lock_message, lock_message
from invoices.models import Invoice, InvoiceAttachment, InvoiceStatus
from invoices.pdf import pay_application_response
from invoices.pdf_with_attachments import pay_application_with_attachments_response
from invoices.permissions import (
    access_invoice_on_project,
    access_invoice_to_download,
    can_add_attachment,
    can_create_invoice,
    can_edit_invoice,
    can_remove_attachment,
    can_send_or_retrieve,
    can_send_or_retrieve_on_commitment,
    status_moves_for,
)
from invoices.selectors import (
    invoice_attachments,
    invoice_history,
    invoice_latest_export_item,
)
from invoices.services import (
    MAY_NOT_CREATE,
    MAY_NOT_EDIT,
    invoice_create,
    invoice_set_status,
    invoice_update,
)
from projects.models import Project

SAVED = "{label} saved."
NOTHING_CHANGED = "{label}: nothing changed."
CREATED = "{label} created. Fill in its lines, then submit it for review."
STATUS_CHANGED = "{label} is now {status}."
ALREADY_IN_STATUS = "{label} is already {status}."

# The invoice page's review buttons, by the status each one moves the invoice to.
STATUS_MOVE_LABELS = {
    InvoiceStatus.UNDER_REVIEW: "Submit for review",
    InvoiceStatus.APPROVED: "Approve",
    InvoiceStatus.APPROVED_AS_NOTED: "Approve as Noted",
    InvoiceStatus.PENDING_OWNER_APPROVAL: "Pending Owner Approval",
    InvoiceStatus.REVISE_AND_RESUBMIT: "Revise & Resubmit",
}

# Their look, the same way: the usual next step stands out, sending back is a warning.
STATUS_MOVE_STYLES = {
    InvoiceStatus.UNDER_REVIEW: "btn-primary",
    InvoiceStatus.APPROVED: "btn-success",
    InvoiceStatus.APPROVED_AS_NOTED: "btn-outline-success",
    InvoiceStatus.PENDING_OWNER_APPROVAL: "btn-outline-success",
    InvoiceStatus.REVISE_AND_RESUBMIT: "btn-outline-danger",
}


def _access(request: HtmxHttpRequest, project_id: int, commitment_id: int, invoice_id: int):
    """The invoice of the URL, or 404 unless the user sees it through the project's
    Commitments tool (an approver reviews invoices in the ERP Integrations queue)."""
    return access_invoice_on_project(
        request.user, invoice_id, project_id=project_id, commitment_id=commitment_id
    )


def _detail_context(request: HtmxHttpRequest, invoice: Invoice) -> dict:
    user = request.user
    latest_item = invoice_latest_export_item(invoice)
    active_item = latest_item if latest_item is not None and latest_item.is_active else None
    may_send_or_retrieve = can_send_or_retrieve(user, invoice)
    may_edit = can_edit_invoice(user, invoice)
    commitment = invoice.commitment
    show_send = may_send_or_retrieve and invoice.is_sendable
    return {
        "invoice": invoice,
        "amounts": invoice_amounts(invoice),
        "commitment": commitment,
        "project": commitment.project,
        "company": commitment.project.company,
        "latest_item": latest_item,
        "lock_message": lock_message(invoice, active_item) if invoice.is_locked else None,
        "may_edit": may_edit,
        # Why Edit is disabled: the invoice's own lock, or a locked later invoice whose
        # previous work completed comes from this one.
        "edit_lock": edit_lock_message(invoice, active_item=active_item) if may_edit else None,
        "status_moves": [
            (status.value, STATUS_MOVE_LABELS[status], STATUS_MOVE_STYLES[status])
            for status in status_moves_for(user, invoice)
        ],
        "show_send": show_send,
        # Said before the click: with Direct Export on, sending is exporting.
        "direct_export": show_send and direct_export_on(commitment.project.company_id),
        # After a retrieval or a rejection the invoice goes back by sending it again.
        "send_label": "Re-send to ERP" if invoice.has_been_sent else "Send to ERP",
        "show_retrieve": may_send_or_retrieve and invoice.can_be_retrieved,
        "history": list(invoice_history(invoice)),
        **_attachments_context(user, invoice),
    }


@vary_on_htmx
@require_GET
@login_required
def invoice_detail(
    request: HtmxHttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    invoice = _access(request, project_id, commitment_id, invoice_id)
    template = "invoices/invoice_detail.html"
    if wants_partial(request):
        template += "#invoice-main"
    return render(request, template, _detail_context(request, invoice))


def _erp_action(
    request: HtmxHttpRequest,
    project_id: int,
    commitment_id: int,
    invoice_id: int,
    service: Callable,
) -> HttpResponse:
    invoice = _access(request, project_id, commitment_id, invoice_id)

    def report(result) -> None:
        level = messages.SUCCESS if result.outcome == Outcome.DONE else messages.INFO
        messages.add_message(request, level, result.message)

    return answer_action(
        request,
        lambda: service(user=request.user, invoice_id=invoice.pk, commitment_id=commitment_id),
        report=report,
        region=lambda result, errors: _main_region(request, project_id, commitment_id, invoice),
        redirect_to=invoice.get_absolute_url(),
    )


def _main_region(
    request: HtmxHttpRequest, project_id: int, commitment_id: int, invoice: Invoice
) -> HttpResponse:
    """The invoice page's main region as the invoice is now, after an action."""
    invoice = _access(request, project_id, commitment_id, invoice.pk)
    return render_region(
        request, "invoices/invoice_detail.html#invoice-main", _detail_context(request, invoice)
    )


@require_POST
@login_required
def invoice_send(
    request: HtmxHttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """The invoice page's "Send to ERP" (or "Re-send to ERP") button."""
    return _erp_action(request, project_id, commitment_id, invoice_id, invoice_send_to_erp)


@require_POST
@login_required
def invoice_retrieve(
    request: HtmxHttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """The invoice page's "Retrieve from ERP" button."""
    return _erp_action(request, project_id, commitment_id, invoice_id, invoice_retrieve_from_erp)


@require_POST
@login_required
def invoice_status(
    request: AuthenticatedHttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """The invoice page's review buttons ("Submit for review", "Approve", ...): move the
    invoice to the posted `status`. The service refuses a move the user may not make,
    an illegal one, and any move of a locked invoice."""
    invoice = _access(request, project_id, commitment_id, invoice_id)
    status = request.POST.get("status", "")
    # A double click: the first one did it. Only for a user who could have made the
    # move; anyone else hears the service's refusal.
    may_move = can_edit_invoice(request.user, invoice) or status_moves_for(request.user, invoice)
    already_there = status == invoice.status and may_move

    def move() -> Invoice | None:
        if already_there:
            return None
        return invoice_set_status(
            user=request.user,
            invoice_id=invoice.pk,
            status=status,
            commitment_id=commitment_id,
            comment=request.POST.get("comment", ""),
        )

    def report(moved: Invoice | None) -> None:
        if moved is None:
            messages.info(
                request,
                ALREADY_IN_STATUS.format(label=invoice.label, status=invoice.get_status_display()),
            )
        else:
            messages.success(
                request,
                STATUS_CHANGED.format(label=moved.label, status=InvoiceStatus(moved.status).label),
            )

    return answer_action(
        request,
        move,
        report=report,
        region=lambda moved, errors: _main_region(request, project_id, commitment_id, invoice),
        redirect_to=invoice.get_absolute_url(),
    )


@vary_on_htmx
@require_http_methods(["GET", "POST"])
@login_required
def invoice_new(
    request: AuthenticatedHttpRequest, project_id: int, commitment_id: int
) -> HttpResponse:
    """Create a Draft invoice on the commitment (one line per SOV line) and go to its
    edit page. The form asks for the billing period and date, starting from the period
    after the latest invoice's; a user who may not create invoices is told so."""
    commitment = access_commitment(request.user, project_id, commitment_id)
    may_create = can_create_invoice(request.user, commitment)
    refusal = "" if may_create else MAY_NOT_CREATE
    if request.method == "POST":
        form = InvoiceHeaderForm(request.POST, prefix="invoice")
        if form.is_valid():
            try:
                invoice = invoice_create(
                    user=request.user,
                    project_id=commitment.project_id,
                    commitment_id=commitment.pk,
                    **form.cleaned_data,
                )
            except ActionRefused as error:
                refusal = str(error)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, CREATED.format(label=invoice.label))
                edit_url = reverse("invoices:edit", args=[project_id, commitment.pk, invoice.pk])
                if request.htmx:
                    return HttpResponseClientRedirect(edit_url)
                return redirect(edit_url)
    else:
        latest = commitment.invoices.aggregate(end=Max("billing_period_end"))["end"]
        form = InvoiceHeaderForm(
            prefix="invoice", initial=default_billing_dates(latest, timezone.localdate())
        )
    template = "invoices/invoice_create.html"
    if wants_partial(request):
        template += "#invoice-create-form"
    return render(
        request,
        template,
        {
            "commitment": commitment,
            "project": commitment.project,
            "company": commitment.project.company,
            "form": form,
            "may_create": may_create,
            "refusal": refusal,
        },
    )


def _edit_refusal(request: HtmxHttpRequest, invoice: Invoice) -> str | None:
    if not can_edit_invoice(request.user, invoice):
        return MAY_NOT_EDIT.format(label=invoice.label)
    return edit_lock_message(invoice)


def _back_to_invoice(request: HtmxHttpRequest, invoice: Invoice) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(invoice.get_absolute_url())
    return redirect(invoice.get_absolute_url())


@vary_on_htmx
@require_http_methods(["GET", "POST"])
@login_required
def invoice_edit(
    request: AuthenticatedHttpRequest, project_id: int, commitment_id: int, invoice_id: int
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
    if wants_partial(request):
        template += "#invoice-edit-form"
    return render(
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


# --- Attachments ------------------------------------------------------------------------

ATTACHED = "{name} attached to {label}."
REMOVED = "{name} removed from {label}."
ALREADY_REMOVED = "That attachment is no longer on {label}."
FILE_MISSING = "The file of this attachment is missing from storage."


def _attachments_context(user, invoice: Invoice) -> dict:
    """The invoice page's attachment list, and what the user may do with it now."""
    commitment = invoice.commitment
    args = [commitment.project_id, commitment.pk, invoice.pk]
    attachments = invoice_attachments(invoice.pk)
    for attachment in attachments:
        # Carried on the row for the template; not a field of the model.
        attachment.remove_url = reverse(  # type: ignore[attr-defined]
            "invoices:attachment_remove", args=[*args, attachment.pk]
        )
    return {
        "attachments": attachments,
        "may_add_attachment": can_add_attachment(user, invoice),
        "attachment_add_refusal": attachment_refusal(user, invoice),
        "may_remove_attachment": can_remove_attachment(user, invoice),
        "attachment_remove_refusal": attachment_refusal(user, invoice, removing=True),
        "attachment_upload_url": reverse("invoices:attachment_upload", args=args),
        "attachment_max_size": describe_size(settings.ATTACHMENT_MAX_BYTES),
    }


@require_POST
@login_required
def attachment_upload(
    request: AuthenticatedHttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """The invoice page's "Attach" form (multipart; htmx or plain)."""
    invoice = _access(request, project_id, commitment_id, invoice_id)

    def report(attachment: InvoiceAttachment) -> None:
        messages.success(
            request, ATTACHED.format(name=attachment.original_name, label=invoice.label)
        )

    return answer_action(
        request,
        lambda: attachment_add(
            user=request.user,
            invoice_id=invoice.pk,
            commitment_id=commitment_id,
            upload=request.FILES.get("file"),
        ),
        report=report,
        region=lambda result, errors: _main_region(request, project_id, commitment_id, invoice),
        redirect_to=invoice.get_absolute_url(),
    )


@require_POST
@login_required
def attachment_remove_view(
    request: AuthenticatedHttpRequest,
    project_id: int,
    commitment_id: int,
    invoice_id: int,
    attachment_id: int,
) -> HttpResponse:
    """An attachment's "Remove" button. Removing twice (a double click) says so."""
    invoice = _access(request, project_id, commitment_id, invoice_id)

    def remove() -> InvoiceAttachment | None:
        try:
            return attachment_remove(
                user=request.user,
                invoice_id=invoice.pk,
                commitment_id=commitment_id,
                attachment_id=attachment_id,
            )
        except Http404:
            return None

    def report(removed: InvoiceAttachment | None) -> None:
        if removed is None:
            messages.info(request, ALREADY_REMOVED.format(label=invoice.label))
        else:
            messages.success(
                request, REMOVED.format(name=removed.original_name, label=invoice.label)
            )

    return answer_action(
        request,
        remove,
        report=report,
        region=lambda result, errors: _main_region(request, project_id, commitment_id, invoice),
        redirect_to=invoice.get_absolute_url(),
    )


# A file's response carries no page policy: the browser's PDF viewer runs as a plugin
# that a policy made for the site's pages (object-src 'none') would block. The file is
# served with its sniffed type and nosniff, and only PDFs and PNG/JPEG images inline.
file_policy = csp_override({})


@file_policy
@require_GET
@login_required
def attachment_download(
    request: HttpRequest, project_id: int, commitment_id: int, invoice_id: int, attachment_id: int
) -> FileResponse:
    """Stream an attachment to whoever may open its invoice: the invoice page's viewers,
    and whoever may open its review page in ERP Integrations (both pages list them)."""
    invoice = access_invoice_to_download(
        request.user, invoice_id, project_id=project_id, commitment_id=commitment_id
    )
    attachment = InvoiceAttachment.objects.filter(invoice=invoice, pk=attachment_id).first()
    if attachment is None:
        raise Http404(NO_SUCH_ATTACHMENT)
    return attachment_response(attachment)


@file_policy
@require_GET
def attachment_link(request: HttpRequest, token: str) -> FileResponse:
    """A signed, expiring download link the HTTP ERP connector sends with an export. It
    needs no session: the signature is the permission, and it opens only attachments of
    invoices that are exporting or exported."""
    attachment = attachment_for_link(token)
    if attachment is None:
        raise Http404(NO_SUCH_ATTACHMENT)
    response = attachment_response(attachment)
    response["Referrer-Policy"] = "no-referrer"
    return response


def attachment_response(attachment: InvoiceAttachment) -> FileResponse:
    """The file, streamed: PDFs and images the browser shows inline, anything else as a
    download; the type is the sniffed one and the browser may not guess another."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404(FILE_MISSING) from None
    response = FileResponse(
        handle,
        as_attachment=not attachment.opens_inline,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- The invoice as a PDF -------------------------------------------------------------


@require_GET
@login_required
def invoice_pdf(
    request: HtmxHttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    """The invoice page's "Download PDF": whoever sees the invoice page may download it."""
    return pay_application_response(_access(request, project_id, commitment_id, invoice_id))


@require_GET
@login_required
def invoice_pdf_with_attachments(
    request: HtmxHttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> FileResponse:
    """The invoice page's "Download PDF with attachments", for whoever may download the
    PDF: the pay application, its PDF attachments' pages, and a list of the others."""
    return pay_application_with_attachments_response(
        _access(request, project_id, commitment_id, invoice_id)
    )


# --- The Invoicing tool -------------------------------------------------------------------
# The project's invoices across the commitments the user sees, filtered and sorted by the
# URL, with the Invoices tab's bulk "Send to ERP" and "Retrieve from ERP".

INVOICING_PER_PAGE = 50
INVOICING_REGION = "invoicing"
INVOICING_ACTIONS = {
    "send": ("Send to ERP", "sent", project_invoices_send_to_erp),
    "retrieve": ("Retrieve from ERP", "retrieved", project_invoices_retrieve_from_erp),
}


def _invoicing_url(project: Project, query: str = "", page: int = 1) -> str:
    """The tool's URL with `query` (InvoicingFilter.query) and the page unless first."""
    url = reverse("invoicing:list", args=[project.pk])
    params = "&".join(part for part in (query, f"page={page}" if page > 1 else "") if part)
    return f"{url}?{params}" if params else url


def _render_invoicing(
    request: HtmxHttpRequest,
    project: Project,
    data: QueryDict,
    *,
    action: ActionResult | None = None,
    action_name: str = "",
    refusal: str = "",
) -> HttpResponse:
    """The tool as filtered, sorted and paged by `data` (the query string, or the one an
    action carried back), with what an action did."""
    user = request.user
    filters = invoicing_filter(data, user=user, project=project)
    query = filters.query()
    page = Paginator(filters.qs, INVOICING_PER_PAGE).get_page(page_number(data.get("page")))
    invoices = list(page.object_list)
    amounts = period_amounts_of_invoices(invoice.pk for invoice in invoices)
    rows = [
        # Each invoice against its own commitment, as the bulk actions check it.
        (invoice, amounts[invoice.pk], can_send_or_retrieve_on_commitment(user, invoice.commitment))
        for invoice in invoices
    ]
    may_send_or_retrieve = any(selectable for _, _, selectable in rows)
    context = {
        "project": project,
        "company": project.company,
        "filter": filters,
        "query": query,
        "page": page,
        "invoice_rows": rows,
        "page_total_due": sum(
            (row_amounts.current_payment_due for _, row_amounts, _ in rows), Decimal("0.00")
        ),
        "sort_headers": filters.sort_headers(
            SORTABLE_COLUMNS, lambda query: _invoicing_url(project, query)
        ),
        "base_url": _invoicing_url(project),
        "previous_url": _invoicing_url(project, query, page.number - 1)
        if page.has_previous()
        else "",
        "next_url": _invoicing_url(project, query, page.number + 1) if page.has_next() else "",
        "may_send_or_retrieve": may_send_or_retrieve,
        # Said before the click: with Direct Export on, sending is exporting.
        "direct_export": may_send_or_retrieve and direct_export_on(project.company_id),
        "action": action,
        "action_name": action_name,
        "refusal": refusal,
    }
    if not wants_partial(request):
        return render(request, "invoices/invoicing.html", context)
    response = render_region(request, "invoices/invoicing.html#invoicing", context)
    if request.method == "GET" and any(
        not value.strip() for _, values in data.lists() for value in values
    ):
        # The filter form sends its empty fields too; the address bar gets the URL
        # without them, the one the links, Back and a reload use.
        push_url(response, _invoicing_url(project, query, page.number))
    return response


@vary_on_htmx
@require_GET
@login_required
def invoicing(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    """The Invoicing tool: every invoice of the project the user may see."""
    project = access_project(request.user, project_id)
    return _render_invoicing(request, project, request.GET)


def _invoicing_action(
    request: AuthenticatedHttpRequest, project_id: int, kind: str
) -> HttpResponse:
    project = access_project(request.user, project_id)
    action_name, done_word, service = INVOICING_ACTIONS[kind]
    # The filters, sort and page the user acted from (the form's hidden `query` and
    # `page`), re-read through the filter so only known parameters go back.
    page = page_number(request.POST.get("page"))
    data = QueryDict(request.POST.get("query", ""), mutable=True)
    data["page"] = str(page)
    back = _invoicing_url(
        project, invoicing_filter(data, user=request.user, project=project).query(), page
    )
    return answer_action(
        request,
        lambda: service(
            user=request.user,
            project_id=project.pk,
            invoice_ids=request.POST.getlist("invoice_ids"),
        ),
        report=lambda action: report_bulk_action(
            request, action, action_name=action_name, done_word=done_word
        ),
        region=lambda action, errors: _render_invoicing(
            request,
            project,
            data,
            action=action,
            action_name=action_name,
            refusal=" ".join(errors),
        ),
        redirect_to=back,
    )


@require_POST
@login_required
def invoicing_send(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    """The Invoicing tool's "Send to ERP": sends the checked invoices."""
    return _invoicing_action(request, project_id, "send")


@require_POST
@login_required
def invoicing_retrieve(request: AuthenticatedHttpRequest, project_id: int) -> HttpResponse:
    """The Invoicing tool's "Retrieve from ERP": retrieves the checked invoices."""
    return _invoicing_action(request, project_id, "retrieve")
