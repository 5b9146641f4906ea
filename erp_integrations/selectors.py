"""Reads for the ERP Integrations pages: the queue's tabs, their counts, a page of items,
and one item's review. Each costs a fixed number of queries, however many items wait."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import connections
from django.db.models import IntegerField, OuterRef, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils.formats import number_format

from erp_integrations.models import ErpConnection, ExportItem, ExportState
from invoices.amounts import InvoiceAmounts, invoice_amounts, period_amounts_of_invoices
from invoices.models import ERP_WORKFLOW, ChangeHistoryEntry, InvoiceAttachment
from invoices.selectors import attachment_count_of, invoice_attachments
from projects.models import Company
from projects.permissions import User, approver_companies

# A tab counts its items up to this many and shows "1,000+" beyond: counting every row
# of a queue with 100,000 items on each page view would cost more than the page.
TAB_COUNT_LIMIT = 1000
PAGE_SIZE = 50
# Page numbers beyond this are read as this one (an empty page), so a huge number in the
# URL cannot overflow the database's OFFSET.
MAX_PAGE = 100_000
# The queue's one ordering, newest sending first; the pk breaks ties so pages are stable.
# Served by the export_item_queue index (company, state, -sent_at, -id).
QUEUE_ORDERING = ("-sent_at", "-pk")


@dataclass(frozen=True)
class QueueTab:
    slug: str
    state: ExportState
    empty_message: str

    @property
    def label(self) -> str:
        return self.state.label

    # What the tab's rows show and offer, which depends on their state alone.
    @property
    def is_selectable(self) -> bool:
        """Whether the accounting approver may act on its items (checkboxes, actions)."""
        return self.state in ERP_WORKFLOW.approver_statuses

    @property
    def can_accept(self) -> bool:
        return ERP_WORKFLOW.accept.allows(self.state)

    @property
    def can_unlink(self) -> bool:
        return ERP_WORKFLOW.unlink.allows(self.state)

    @property
    def is_exporting(self) -> bool:
        return self.state in ERP_WORKFLOW.exporting_statuses

    @property
    def shows_acceptance(self) -> bool:
        return self.state in ERP_WORKFLOW.accepted_statuses

    @property
    def is_synced(self) -> bool:
        return self.state == ExportState.SYNCED

    @property
    def has_failed(self) -> bool:
        return self.state == ExportState.FAILED_TO_EXPORT

    @property
    def is_rejected(self) -> bool:
        return self.state == ExportState.REJECTED


QUEUE_TABS = (
    QueueTab("ready-to-export", ExportState.READY_TO_EXPORT, "No invoices are ready to export."),
    QueueTab("exporting", ExportState.EXPORTING, "No invoices are exporting."),
    QueueTab("synced", ExportState.SYNCED, "No invoices have synced to the ERP yet."),
    QueueTab("failed-to-export", ExportState.FAILED_TO_EXPORT, "No invoices failed to export."),
    QueueTab("rejected", ExportState.REJECTED, "No invoices have been rejected."),
)
TABS_BY_SLUG = {tab.slug: tab for tab in QUEUE_TABS}
TABS_BY_STATE: dict[str, QueueTab] = {tab.state: tab for tab in QUEUE_TABS}
DEFAULT_TAB = QUEUE_TABS[0]
# The tab whose count the navigation shows an approver: the invoices waiting for him.
READY_TO_EXPORT_TAB = TABS_BY_STATE[ExportState.READY_TO_EXPORT]


def queue_tab(slug: str) -> QueueTab:
    """The tab named by `slug` in the URL, or 404."""
    try:
        return TABS_BY_SLUG[slug]
    except KeyError:
        raise Http404("No such tab.") from None


@dataclass(frozen=True)
class TabCount:
    tab: QueueTab
    # Counted up to TAB_COUNT_LIMIT + 1, so a capped count says "more than the limit".
    count: int

    @property
    def is_capped(self) -> bool:
        return self.count > TAB_COUNT_LIMIT

    @property
    def display(self) -> str:
        if self.is_capped:
            return f"{number_format(TAB_COUNT_LIMIT, force_grouping=True)}+"
        return number_format(self.count, force_grouping=True)


def queue_items(company: Company) -> QuerySet[ExportItem]:
    """Every item of the company's queue, in the queue's ordering: what the filters
    narrow and the tabs split by state."""
    return ExportItem.objects.filter(company=company).order_by(*QUEUE_ORDERING)


def queue_tab_counts(company: Company, items: QuerySet[ExportItem] | None = None) -> list[TabCount]:
    """Each tab with its count of `items` (the company's queue, filtered or not), capped
    at TAB_COUNT_LIMIT + 1, in one query.

    Each count is COUNT(*) over a derived table of at most that many ids read from the
    queue index. The ORM's `pk__in=<sliced subquery>` would let the planner scan every
    item of the state instead, which costs tens of milliseconds at 100,000 items."""
    items = queue_items(company) if items is None else items.filter(company=company)
    counts_sql, params = [], []
    for tab in QUEUE_TABS:
        capped = items.filter(state=tab.state).order_by().values("pk")[: TAB_COUNT_LIMIT + 1]
        sql, capped_params = capped.query.get_compiler(using=capped.db).as_sql()
        counts_sql.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(capped_params)
    with connections[ExportItem.objects.db].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(counts_sql)}", params)
        counts = cursor.fetchone()
    return [TabCount(tab, count) for tab, count in zip(QUEUE_TABS, counts, strict=True)]


def _capped_ready_to_export_count() -> RawSQL:
    """The company row's Ready to Export count, capped like the tab's (TAB_COUNT_LIMIT
    + 1), as a scalar subquery of the company query: the same derived table of at most
    that many ids from the queue index as `queue_tab_counts`, which the ORM cannot
    write around a correlated filter."""
    items = ExportItem._meta.db_table
    companies = Company._meta.db_table
    return RawSQL(
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {items} AS waiting"
        f" WHERE waiting.company_id = {companies}.id AND waiting.state = %s"
        f" LIMIT %s) AS capped",
        (ExportState.READY_TO_EXPORT.value, TAB_COUNT_LIMIT + 1),
        output_field=IntegerField(),
    )


def approver_companies_with_ready_counts(user: User) -> list[Company]:
    """The companies the user approves for (`approver_companies`), by name, each with
    `ready_to_export`: the TabCount of its Ready to Export tab, for the navigation. One
    query, however many companies and items: the count is a subquery of the companies
    found, so a user who approves for none pays nothing more than the list itself."""
    companies: list[Company] = list(
        approver_companies(user)
        .annotate(ready_to_export_count=_capped_ready_to_export_count())
        .order_by("name")
    )
    for company in companies:
        # Carried on the row for the navigation; not a field of the model.
        company.ready_to_export = TabCount(  # type: ignore[attr-defined]
            READY_TO_EXPORT_TAB,
            company.ready_to_export_count,  # type: ignore[attr-defined]
        )
    return companies


@dataclass(frozen=True)
class QueuePage:
    tab: QueueTab
    number: int
    items: list[ExportItem]
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def total_due(self) -> Decimal:
        """The current payment due of the page's items together."""
        return sum(
            (item.amounts.current_payment_due for item in self.items),  # type: ignore[attr-defined]
            Decimal("0.00"),
        )


def with_row_details(items: QuerySet[ExportItem]) -> QuerySet[ExportItem]:
    """The items with what a queue row shows: invoice, commitment, project, vendor, who
    sent and decided (joined), and `attachment_count`."""
    return items.select_related(
        "invoice__commitment__project",
        "invoice__commitment__vendor",
        "sent_by",
        "decided_by",
    ).annotate(attachment_count=attachment_count_of(OuterRef("invoice_id")))


def item_name(item: ExportItem) -> str:
    """How controls name an item's invoice, unique across the company's projects:
    "INV-3 of SC-001 (RMC-101)"."""
    commitment = item.invoice.commitment
    return f"{item.invoice.label} of {commitment.number} ({commitment.project.number})"


def page_number(raw: str | None) -> int:
    """A page number from a query string or form: 1 when missing or not a number."""
    if raw is None:
        return 1
    try:
        return min(max(1, int(raw)), MAX_PAGE)
    except (TypeError, ValueError):
        return 1


def queue_page(
    company: Company, tab: QueueTab, number: int, items: QuerySet[ExportItem] | None = None
) -> QueuePage:
    """One page of the tab's `items` (the company's queue, filtered and sorted or not:
    newest sending first by default), each with `amounts` (its invoice's PeriodAmounts:
    what it bills this period and the current payment due, from its own lines) and
    `name` (item_name).

    Two queries: the page (one row more than it shows, to know whether another page
    follows, instead of counting the tab) and the amounts of its invoices.
    """
    offset = (number - 1) * PAGE_SIZE
    items = queue_items(company) if items is None else items
    rows = list(
        with_row_details(items.filter(company=company, state=tab.state))[
            offset : offset + PAGE_SIZE + 1
        ]
    )
    shown = rows[:PAGE_SIZE]
    amounts = period_amounts_of_invoices(item.invoice_id for item in shown)
    for item in shown:
        # Carried on the row for the queue's template; not fields of the model.
        item.amounts = amounts[item.invoice_id]  # type: ignore[attr-defined]
        item.name = item_name(item)  # type: ignore[attr-defined]
    return QueuePage(tab=tab, number=number, items=shown, has_next=len(rows) > PAGE_SIZE)


def direct_export_on(company_id: int) -> bool:
    """Whether the company's ERP connection has Direct Export on: Send to ERP exports at
    once. One query; the pages that offer Send to ERP say so before the click."""
    return ErpConnection.objects.filter(company_id=company_id, direct_export=True).exists()


def company_erp_connection(company: Company) -> ErpConnection | None:
    return ErpConnection.objects.filter(company=company).first()


@dataclass(frozen=True)
class ItemReview:
    item: ExportItem
    amounts: InvoiceAmounts
    history: list[ChangeHistoryEntry]
    attachments: list[InvoiceAttachment]


def item_review(item: ExportItem) -> ItemReview:
    """The item (from `access_invoice_in_queue`) with its invoice's amounts, attachments
    and change history."""
    history = list(
        ChangeHistoryEntry.objects.filter(invoice_id=item.invoice_id)
        .select_related("action_by")
        .order_by("-created_at", "-pk")
    )
    return ItemReview(
        item=item,
        amounts=invoice_amounts(item.invoice),
        history=history,
        attachments=invoice_attachments(item.invoice_id),
    )
