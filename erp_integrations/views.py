"""The company's ERP Integrations pages: the accounting approver's queue, its actions and
the review of one item.

Every view goes through `access_erp_integrations` (404 for anyone who may not open the
tool), the review and its PDF through `access_invoice_in_queue`, which adds the item (404
unless it is in the company's queue). Acting needs `is_accounting_approver` on top,
checked here and again by the services. An htmx request gets the region it targets; a
plain POST redirects back with messages.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import push_url

from core.csv_export import csv_response
from core.downloads import download_name
from core.errors import ActionRefused
from core.htmx import (
    AuthenticatedHttpRequest,
    HtmxHttpRequest,
    answer_action,
    render_region,
    vary_on_htmx_target,
    with_messages,
)
from erp_integrations.csv_export import queue_tab_header, queue_tab_rows
from erp_integrations.filters import SORTABLE_COLUMNS, queue_filter
from erp_integrations.forms import ExportItemsForm, RejectForm, UnlinkForm
from erp_integrations.models import REJECTION_REASON_MAX_LENGTH
from erp_integrations.permissions import access_invoice_in_queue
from erp_integrations.selectors import (
    DEFAULT_TAB,
    READY_TO_EXPORT_TAB,
    TABS_BY_STATE,
    QueueTab,
    company_erp_connection,
    item_review,
    page_number,
    queue_page,
    queue_tab,
    queue_tab_counts,
)
from erp_integrations.services import (
    NOT_ACCOUNTING_APPROVER,
    ActionResult,
    Code,
    Outcome,
    export_items_accept,
    export_items_reject,
    export_items_retry,
    export_items_unlink,
)
from erp_integrations.systems import things_to_know
from invoices.pdf import pay_application_response
from invoices.pdf_with_attachments import pay_application_with_attachments_response
from invoices.permissions import can_view_invoice
from projects.models import Company
from projects.permissions import access_erp_integrations, is_accounting_approver

# The ids of the regions htmx swaps (see the templates). An htmx request that targets
# none of them (a boosted link, say) gets the whole page.
QUEUE_REGION = "erp-queue"
TABS_REGION = "erp-queue-tabs"
# The Exporting tab's poll: the rows and, out of band, the tab counts; never the filter
# form, so what the user is typing in it stays.
ROWS_REGION = "erp-queue-rows"
REVIEW_REGION = "erp-review"
REVIEW_STATUS_REGION = "erp-review-status"


def queue_query(query: str, page: int = 1) -> str:
    """The query string of a tab's page: `query` (QueueFilter.query: the filters and
    sort), and the page number unless it is the first."""
    return "&".join(part for part in (query, f"page={page}" if page > 1 else "") if part)


def tab_url(company: Company, tab: QueueTab, page: int = 1, query: str = "") -> str:
    """The tab's URL; `query` carries the filters and sort (QueueFilter.query)."""
    return _with_query(
        reverse("erp_integrations:tab", args=[company.pk, tab.slug]), queue_query(query, page)
    )


def _render_queue(
    request: HtmxHttpRequest,
    company: Company,
    tab: QueueTab,
    page_number: int,
    data: QueryDict,
    *,
    result: ActionResult | None = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    """The tab as filtered and sorted by `data` (the query string, or the one an action
    carried back)."""
    filters = queue_filter(data, company)
    query = filters.query()
    counts = queue_tab_counts(company, filters.qs)
    can_act = is_accounting_approver(request.user, company)
    current_url = tab_url(company, tab, page_number, query)
    context = {
        "company": company,
        "tab": tab,
        "filter": filters,
        "query": query,
        "tab_counts": counts,
        "tab_links": [(count, tab_url(company, count.tab, query=query)) for count in counts],
        "current_url": current_url,
        "tab_base_url": tab_url(company, tab),
        "any_exporting": any(count.count for count in counts if count.tab.is_exporting),
        "can_act": can_act,
        # Rows the approver may act on get checkboxes and actions.
        "selectable": can_act and tab.is_selectable,
        "result": result,
        "errors": errors or [],
        "reason_max_length": REJECTION_REASON_MAX_LENGTH,
    }
    # An htmx answer also updates the navigation's Ready to Export count, from the count
    # just read (no query), where the navigation shows it: to the company's approvers.
    # Only while no filter narrows the counts (a sort does not): the navigation counts
    # the whole queue.
    context.update(
        nav_count_oob=can_act and not filters.query(sort=""),
        ready_to_export_count=next(count for count in counts if count.tab == READY_TO_EXPORT_TAB),
    )
    if request.htmx and request.htmx.target == TABS_REGION:
        return render_region(request, "erp_integrations/queue.html#tabs", context)
    page = queue_page(company, tab, page_number, filters.qs)
    context.update(
        page=page,
        sort_headers=filters.sort_headers(
            SORTABLE_COLUMNS, lambda query: tab_url(company, tab, query=query)
        ),
        previous_url=tab_url(company, tab, page.number - 1, query) if page.has_previous else "",
        next_url=tab_url(company, tab, page.number + 1, query) if page.has_next else "",
        csv_url=_with_query(
            reverse("erp_integrations:tab_csv", args=[company.pk, tab.slug]), query
        ),
        # The review links carry the filters, sort and page, for its way back here.
        review_query=queue_query(query, page.number),
    )
    if request.htmx and request.htmx.target == ROWS_REGION:
        rows = render_to_string("erp_integrations/queue.html#rows", context, request=request)
        tabs = render_to_string(
            "erp_integrations/queue.html#tabs", {**context, "tabs_out_of_band": True}, request
        )
        return with_messages(request, rows + tabs)
    if request.htmx and request.htmx.target == QUEUE_REGION:
        response = render_region(request, "erp_integrations/queue.html#queue", context)
        if request.method == "GET" and _has_blank_params(request.GET):
            # The filter form sends its empty fields too; the address bar gets the URL
            # without them, the one the tab links and a reload use.
            push_url(response, current_url)
        return response
    connection = company_erp_connection(company)
    context.update(
        nav_count_oob=False,  # the whole page renders the navigation itself
        connection=connection,
        things_to_know=things_to_know(connection) if connection else [],
    )
    return render(request, "erp_integrations/queue.html", context)


@vary_on_htmx_target
@require_GET
@login_required
def queue(request: HtmxHttpRequest, company_id: int) -> HttpResponse:
    """The queue, on its first tab (Ready to Export)."""
    company = access_erp_integrations(request.user, company_id)
    return _render_queue(
        request, company, DEFAULT_TAB, page_number(request.GET.get("page")), request.GET
    )


@vary_on_htmx_target
@require_GET
@login_required
def tab(request: HtmxHttpRequest, company_id: int, tab: str) -> HttpResponse:
    company = access_erp_integrations(request.user, company_id)
    return _render_queue(
        request, company, queue_tab(tab), page_number(request.GET.get("page")), request.GET
    )


def _has_blank_params(data: QueryDict) -> bool:
    return any(not value.strip() for _, values in data.lists() for value in values)


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _plural(count: int) -> str:
    return f"{count} invoice" if count == 1 else f"{count} invoices"


def _report(request: HtmxHttpRequest, result: ActionResult, *, done: str, refused: str) -> None:
    """Messages for the action: one per invoice for a plain request (the page it returns
    to has no result panel), a summary beside the result panel for htmx."""
    if not request.htmx:
        levels = {
            Outcome.DONE: messages.SUCCESS,
            Outcome.UNCHANGED: messages.INFO,
            Outcome.REFUSED: messages.ERROR,
        }
        for outcome in result.results:
            messages.add_message(request, levels[outcome.outcome], outcome.message)
        return
    if result.done:
        messages.success(request, done.format(invoices=_plural(len(result.done))))
    if result.refused:
        messages.error(request, refused.format(invoices=_plural(len(result.refused))))


def _back_url(company: Company, tab: QueueTab, page: int, data: QueryDict) -> str:
    """Where a plain POST returns, from the queue or the review page: the tab and page it
    names, filtered and sorted as it was. Built from the known parameters alone, so it
    is always this site's tab, never an address the request supplied."""
    return tab_url(company, tab, page, queue_filter(data, company).query())


def _act(
    request: HtmxHttpRequest,
    company_id: int,
    form_class: type[ExportItemsForm],
    run: Callable[[Company, dict], ActionResult],
    *,
    done: str,
    refused: str,
) -> HttpResponse:
    company = access_erp_integrations(request.user, company_id)
    form = form_class(request.POST)
    slug, page = form.where()
    tab = queue_tab(slug)
    # The filters and sort of the tab the approver acted from (its hidden `query`).
    data = QueryDict(request.POST.get("query", ""))

    def act() -> ActionResult:
        if not is_accounting_approver(request.user, company):
            raise ActionRefused(NOT_ACCOUNTING_APPROVER, Code.NOT_ACCOUNTING_APPROVER)
        if not form.is_valid():
            raise ValidationError(
                [error for field_errors in form.errors.values() for error in field_errors]
            )
        return run(company, form.cleaned_data)

    return answer_action(
        request,
        act,
        report=lambda result: _report(request, result, done=done, refused=refused),
        region=lambda result, errors: _render_queue(
            request, company, tab, page, data, result=result, errors=errors
        ),
        redirect_to=_back_url(company, tab, page, data),
    )


@vary_on_htmx_target
@require_POST
@login_required
def accept(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Accept the checked (or the one) Ready to Export items: they start exporting."""
    return _act(
        request,
        company_id,
        ExportItemsForm,
        lambda company, data: export_items_accept(
            user=request.user, company_id=company.pk, export_item_ids=data["item_ids"]
        ),
        done="Accepted {invoices} for export.",
        refused="{invoices} could not be accepted.",
    )


@vary_on_htmx_target
@require_POST
@login_required
def reject(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Reject the checked (or the one) items with a reason: they are unlocked."""
    return _act(
        request,
        company_id,
        RejectForm,
        lambda company, data: export_items_reject(
            user=request.user,
            company_id=company.pk,
            export_item_ids=data["item_ids"],
            reason=data["reason"],
        ),
        done="Rejected {invoices}.",
        refused="{invoices} could not be rejected.",
    )


@vary_on_htmx_target
@require_POST
@login_required
def retry(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Export the checked (or the one) Failed to Export items again."""
    return _act(
        request,
        company_id,
        ExportItemsForm,
        lambda company, data: export_items_retry(
            user=request.user, company_id=company.pk, export_item_ids=data["item_ids"]
        ),
        done="Sent {invoices} to export again.",
        refused="{invoices} could not be retried.",
    )


@vary_on_htmx_target
@require_POST
@login_required
def unlink(request: AuthenticatedHttpRequest, company_id: int) -> HttpResponse:
    """Unlink the checked (or the one) Synced items, deleted in the ERP: each invoice is
    back to Not Sent, unlocked."""
    return _act(
        request,
        company_id,
        UnlinkForm,
        lambda company, data: export_items_unlink(
            user=request.user,
            company_id=company.pk,
            export_item_ids=data["item_ids"],
            reason=data["reason"],
        ),
        done="Unlinked {invoices} from the ERP.",
        refused="{invoices} could not be unlinked.",
    )


@vary_on_htmx_target
@require_GET
@login_required
def review(request: HtmxHttpRequest, company_id: int, item_id: int) -> HttpResponse:
    """The read-only review of an item's invoice, with the approver's actions on it."""
    item = access_invoice_in_queue(request.user, company_id, item_id)
    company = item.company
    details = item_review(item)
    tab = TABS_BY_STATE.get(item.state)
    # The queue's filters, sort and page the review was opened from (only the known
    # parameters, re-encoded), for the way back: the tab link and the actions' return.
    query = queue_filter(request.GET, company).query()
    page = page_number(request.GET.get("page"))
    context = {
        "company": company,
        "item": item,
        "invoice": item.invoice,
        "commitment": item.invoice.commitment,
        "project": item.invoice.commitment.project,
        "amounts": details.amounts,
        "history": details.history,
        "attachments": details.attachments,
        "tab": tab,
        "tab_link": tab_url(company, tab or DEFAULT_TAB, page, query),
        "query": query,
        "page_number": page,
        "review_url": _with_query(
            reverse("erp_integrations:review", args=[company.pk, item.pk]),
            queue_query(query, page),
        ),
        "can_act": is_accounting_approver(request.user, company),
        # The link to the invoice page, for whoever also sees the invoice on its project.
        "can_open_invoice": can_view_invoice(request.user, item.invoice),
        "reason_max_length": REJECTION_REASON_MAX_LENGTH,
    }
    partials = {REVIEW_STATUS_REGION: "status", REVIEW_REGION: "review"}
    if request.htmx and request.htmx.target in partials:
        template = f"erp_integrations/review.html#{partials[request.htmx.target]}"
        return render_region(request, template, context)
    return render(request, "erp_integrations/review.html", context)


# --- Downloads --------------------------------------------------------------------------


@require_GET
@login_required
def review_pdf(request: HtmxHttpRequest, company_id: int, item_id: int) -> HttpResponse:
    """The review page's "Download PDF": the item's invoice as a pay application, for
    whoever may open the review page."""
    return pay_application_response(
        access_invoice_in_queue(request.user, company_id, item_id).invoice
    )


@require_GET
@login_required
def review_pdf_with_attachments(
    request: HtmxHttpRequest, company_id: int, item_id: int
) -> FileResponse:
    """The review page's "Download PDF with attachments", for whoever may download its
    PDF: the pay application, its PDF attachments' pages, and a list of the others."""
    return pay_application_with_attachments_response(
        access_invoice_in_queue(request.user, company_id, item_id).invoice
    )


@require_GET
@login_required
def tab_csv(request: HtmxHttpRequest, company_id: int, tab: str) -> StreamingHttpResponse:
    """A tab's "Export CSV": all its items the page's filters keep, in its sort, for
    whoever may open the queue."""
    company = access_erp_integrations(request.user, company_id)
    queue = queue_tab(tab)
    return csv_response(
        download_name("erp-integrations", queue.slug, extension="csv"),
        queue_tab_header(queue),
        queue_tab_rows(company, queue, queue_filter(request.GET, company).qs),
    )
