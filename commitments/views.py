"""The Commitments tool and the commitment page with its tabs.

Each tab has its own URL and renders the whole page for a plain request; an htmx
request (a click on a tab) gets the tab panel only, with the tab list swapped out of
band so the selected tab follows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage, Paginator
from django.db.models import Sum
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from commitments.filters import CommitmentFilter
from commitments.models import Commitment
from commitments.permissions import access_commitment, access_project
from commitments.selectors import commitment_sov_lines
from commitments.tables import CommitmentTable
from core.csv_export import csv_response
from core.downloads import download_name
from core.htmx import (
    HtmxHttpRequest,
    answer_action,
    render_region,
    report_bulk_action,
    vary_on_htmx,
    wants_partial,
)
from erp_integrations.selectors import direct_export_on
from erp_integrations.services import (
    ActionResult,
    invoices_retrieve_from_erp,
    invoices_send_to_erp,
)
from invoices.amounts import totals_of_invoices
from invoices.csv_export import INVOICES_TAB_HEADER, invoices_tab_rows
from invoices.permissions import can_create_invoice, can_send_or_retrieve_on_commitment
from invoices.selectors import commitment_history, commitment_invoices, commitments_for_tool

COMMITMENTS_PER_PAGE = 25
HISTORY_PER_PAGE = 50


# --- The Commitments tool ----------------------------------------------------------------


def _paginate_commitments(request: HtmxHttpRequest, table: CommitmentTable) -> None:
    """COMMITMENTS_PER_PAGE rows a page, whatever the query string says (django-tables2's
    RequestConfig would take a `per_page` from it). A page number that is not a number or
    below 1 gives the first page, one past the end the last page."""
    try:
        number = max(1, int(request.GET.get(table.prefixed_page_field, 1)))
    except (TypeError, ValueError):
        number = 1
    try:
        table.paginate(page=number, per_page=COMMITMENTS_PER_PAGE)
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages)


@vary_on_htmx
@require_GET
@login_required
def commitment_list(request: HtmxHttpRequest, project_id: int) -> HttpResponse:
    project = access_project(request.user, project_id)
    commitment_filter = CommitmentFilter(
        request.GET or None,
        queryset=commitments_for_tool(request.user, project),
        user=request.user,
        project=project,
    )
    table = CommitmentTable(commitment_filter.qs)
    RequestConfig(request, paginate=False).configure(table)
    _paginate_commitments(request, table)
    template = "commitments/commitment_list.html"
    if wants_partial(request):
        template += "#commitment-table"
    return render(
        request,
        template,
        {
            "project": project,
            "company": project.company,
            "filter": commitment_filter,
            "table": table,
        },
    )


# --- The commitment page and its tabs -----------------------------------------------------


@dataclass(frozen=True)
class Tab:
    slug: str
    name: str
    url_name: str


TABS = (
    Tab("general", "General", "commitments:detail"),
    Tab("sov", "Schedule of Values", "commitments:sov"),
    Tab("invoices", "Invoices", "commitments:invoices"),
    Tab("history", "Change History", "commitments:history"),
)


def _render_tab(
    request: HtmxHttpRequest, commitment: Commitment, active: str, context: dict
) -> HttpResponse:
    project = commitment.project
    tabs = [
        {
            "slug": tab.slug,
            "name": tab.name,
            "url": reverse(tab.url_name, args=[project.pk, commitment.pk]),
            "active": tab.slug == active,
        }
        for tab in TABS
    ]
    context = {
        "commitment": commitment,
        "project": project,
        "company": project.company,
        "tabs": tabs,
        "active_tab": active,
        **context,
    }
    template = "commitments/commitment_detail.html"
    if wants_partial(request):
        template += "#tab-response"
    return render(request, template, context)


@vary_on_htmx
@require_GET
@login_required
def commitment_detail(
    request: HtmxHttpRequest, project_id: int, commitment_id: int
) -> HttpResponse:
    """The "General" tab."""
    commitment = access_commitment(request.user, project_id, commitment_id)
    totals = commitment.sov_lines.aggregate(scheduled=Sum("scheduled_value"))
    return _render_tab(
        request, commitment, "general", {"scheduled_value_total": totals["scheduled"]}
    )


@vary_on_htmx
@require_GET
@login_required
def commitment_sov(request: HtmxHttpRequest, project_id: int, commitment_id: int) -> HttpResponse:
    """The "Schedule of Values" tab."""
    commitment = access_commitment(request.user, project_id, commitment_id)
    sov_lines = list(commitment_sov_lines(commitment))
    total = sum((line.scheduled_value for line in sov_lines), start=0)
    return _render_tab(
        request, commitment, "sov", {"sov_lines": sov_lines, "scheduled_value_total": total}
    )


def _invoices_context(
    request: HtmxHttpRequest,
    commitment: Commitment,
    *,
    action: ActionResult | None = None,
    action_name: str = "",
    refusal: str = "",
) -> dict:
    invoices = list(commitment_invoices(commitment))
    totals = totals_of_invoices(invoices)
    may_send_or_retrieve = can_send_or_retrieve_on_commitment(request.user, commitment)
    return {
        "invoice_rows": [(invoice, totals[invoice.pk]) for invoice in invoices],
        "may_send_or_retrieve": may_send_or_retrieve,
        # Said before the click: with Direct Export on, sending is exporting.
        "direct_export": may_send_or_retrieve and direct_export_on(commitment.project.company_id),
        "may_create_invoice": can_create_invoice(request.user, commitment),
        "action": action,
        "action_name": action_name,
        "refusal": refusal,
    }


@vary_on_htmx
@require_GET
@login_required
def commitment_invoices_tab(
    request: HtmxHttpRequest, project_id: int, commitment_id: int
) -> HttpResponse:
    """The "Invoices" tab: the commitment's invoices, checkboxes and the bulk actions."""
    commitment = access_commitment(request.user, project_id, commitment_id)
    return _render_tab(request, commitment, "invoices", _invoices_context(request, commitment))


@vary_on_htmx
@require_GET
@login_required
def commitment_history_tab(
    request: HtmxHttpRequest, project_id: int, commitment_id: int
) -> HttpResponse:
    """The "Change History" tab: every change to the commitment's invoices, newest first."""
    commitment = access_commitment(request.user, project_id, commitment_id)
    page = Paginator(commitment_history(commitment), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return _render_tab(request, commitment, "history", {"history_page": page})


# --- Bulk actions on the Invoices tab -----------------------------------------------------

BULK_ACTIONS = {
    "send": ("Send to ERP", "sent"),
    "retrieve": ("Retrieve from ERP", "retrieved"),
}


def _bulk_action(
    request: HtmxHttpRequest,
    project_id: int,
    commitment_id: int,
    kind: str,
    service: Callable[..., ActionResult],
) -> HttpResponse:
    commitment = access_commitment(request.user, project_id, commitment_id)
    action_name, done_word = BULK_ACTIONS[kind]

    def region(action: ActionResult | None, errors: list[str]) -> HttpResponse:
        context = {
            "commitment": commitment,
            "project": commitment.project,
            "company": commitment.project.company,
            **_invoices_context(
                request,
                commitment,
                action=action,
                action_name=action_name,
                refusal=" ".join(errors),
            ),
        }
        return render_region(request, "commitments/commitment_detail.html#invoice-region", context)

    return answer_action(
        request,
        lambda: service(
            user=request.user,
            project_id=commitment.project_id,
            commitment_id=commitment.pk,
            invoice_ids=request.POST.getlist("invoice_ids"),
        ),
        report=lambda action: report_bulk_action(
            request, action, action_name=action_name, done_word=done_word
        ),
        region=region,
        redirect_to=reverse("commitments:invoices", args=[commitment.project_id, commitment.pk]),
    )


@require_POST
@login_required
def commitment_invoices_send(
    request: HtmxHttpRequest, project_id: int, commitment_id: int
) -> HttpResponse:
    """The "Send to ERP" button: sends the checked invoices."""
    return _bulk_action(request, project_id, commitment_id, "send", invoices_send_to_erp)


@require_POST
@login_required
def commitment_invoices_retrieve(
    request: HtmxHttpRequest, project_id: int, commitment_id: int
) -> HttpResponse:
    """The "Retrieve from ERP" button: retrieves the checked invoices."""
    return _bulk_action(request, project_id, commitment_id, "retrieve", invoices_retrieve_from_erp)


# --- Downloads ----------------------------------------------------------------------------


@require_GET
@login_required
def commitment_invoices_csv(
    request: HtmxHttpRequest, project_id: int, commitment_id: int
) -> StreamingHttpResponse:
    """The Invoices tab's "Export CSV": the tab's rows, for whoever may open the tab."""
    commitment = access_commitment(request.user, project_id, commitment_id)
    return csv_response(
        download_name(commitment.number, "invoices", extension="csv"),
        INVOICES_TAB_HEADER,
        invoices_tab_rows(commitment),
    )
