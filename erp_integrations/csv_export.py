"""The rows of an ERP Integrations tab as CSV: every item of the tab (not one page), with
the columns the tab's table shows.

One query, read through a server-side cursor in chunks, however many items: each item
comes with its invoice's lines (a LEFT JOIN, one result row per line), in the tab's
order, and the amount due is summed line by line with `invoices.amounts.add_period_line`,
the step `period_amounts_of_invoices` takes for the page. Nothing but the current chunk
sits in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby

from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet

from core.csv_export import Cell
from core.display import display_name
from erp_integrations.models import ExportItem, ExportState
from erp_integrations.selectors import QUEUE_ORDERING, QueueTab
from invoices.amounts import PeriodAmounts, add_period_line
from invoices.selectors import attachment_count_of
from projects.models import Company

# Result rows fetched from the cursor at a time.
CHUNK_SIZE = 2000
FAILED_WITHOUT_ERROR = "The export failed."  # what the tab shows for an empty error

ITEM_FIELDS = (
    "pk",
    "state",
    "invoice__number",
    "attachment_count",
    "invoice__commitment__project__name",
    "invoice__commitment__project__number",
    "invoice__commitment__number",
    "invoice__commitment__title",
    "invoice__commitment__vendor__name",
    "sent_by__first_name",
    "sent_by__last_name",
    "sent_by__username",
    "sent_at",
    "decided_by__first_name",
    "decided_by__last_name",
    "decided_by__username",
    "decided_at",
    "synced_at",
    "erp_reference",
    "last_error",
    "attempts",
    "rejection_reason",
)
LINE_FIELDS = (
    "invoice__lines__work_completed_this_period",
    "invoice__lines__materials_presently_stored",
    "invoice__lines__work_retainage_percent",
    "invoice__lines__materials_retainage_percent",
)
BASE_HEADER = (
    "Invoice",
    "Attachments",
    "Project",
    "Project number",
    "Commitment",
    "Commitment title",
    "Contract company",
    "Amount due",
    "Sent by",
    "Sent at",
)


def queue_tab_header(tab: QueueTab) -> tuple[str, ...]:
    """The columns of the tab's table (two for a column that shows who and when)."""
    header = list(BASE_HEADER)
    if tab.shows_acceptance:
        header += ["Accepted by", "Accepted at"]
    if tab.is_exporting:
        header.append("Status")
    if tab.is_synced:
        header += ["Synced at", "ERP reference"]
    if tab.has_failed:
        header += ["Error", "Attempts"]
    if tab.is_rejected:
        header += ["Rejected by", "Rejected at", "Reason"]
    return tuple(header)


def _person(first_name: str | None, last_name: str | None, username: str | None) -> str:
    """A user's name as the tab shows it (`display_name`), from the joined columns."""
    if username is None:
        return ""
    user = get_user_model()(
        first_name=first_name or "", last_name=last_name or "", username=username
    )
    return display_name(user)


def _row(tab: QueueTab, item: dict, amounts: PeriodAmounts) -> list[Cell]:
    row: list[Cell] = [
        f"INV-{item['invoice__number']}",  # Invoice.label
        item["attachment_count"],
        item["invoice__commitment__project__name"],
        item["invoice__commitment__project__number"],
        item["invoice__commitment__number"],
        item["invoice__commitment__title"],
        item["invoice__commitment__vendor__name"],
        amounts.current_payment_due,
        _person(item["sent_by__first_name"], item["sent_by__last_name"], item["sent_by__username"]),
        item["sent_at"],
    ]
    decided_by = _person(
        item["decided_by__first_name"], item["decided_by__last_name"], item["decided_by__username"]
    )
    if tab.shows_acceptance:
        row += [decided_by, item["decided_at"]]
    if tab.is_exporting:
        row.append(ExportState(item["state"]).label)
    if tab.is_synced:
        row += [item["synced_at"], item["erp_reference"]]
    if tab.has_failed:
        row += [item["last_error"] or FAILED_WITHOUT_ERROR, item["attempts"]]
    if tab.is_rejected:
        row += [decided_by, item["decided_at"], item["rejection_reason"]]
    return row


def queue_tab_rows(
    company: Company, tab: QueueTab, items: QuerySet[ExportItem] | None = None
) -> Iterator[list[Cell]]:
    """Every item of the tab among `items` (the queue as filtered and sorted on the page;
    all of it, newest sending first, by default), one row each."""
    items = ExportItem.objects.order_by(*QUEUE_ORDERING) if items is None else items
    results = (
        items.filter(company=company, state=tab.state)
        .annotate(attachment_count=attachment_count_of(OuterRef("invoice_id")))
        .values_list(*ITEM_FIELDS, *LINE_FIELDS)
        .iterator(chunk_size=CHUNK_SIZE)
    )
    item_width = len(ITEM_FIELDS)
    # The ordering ends on the pk, so one item's lines arrive together.
    for _, item_results in groupby(results, key=lambda result: result[0]):
        amounts = PeriodAmounts()
        item: dict = {}
        for result in item_results:
            item = item or dict(zip(ITEM_FIELDS, result[:item_width], strict=True))
            line = result[item_width:]
            if line[0] is not None:  # an invoice without lines joins one empty line
                amounts = add_period_line(amounts, *line)
        yield _row(tab, item, amounts)
