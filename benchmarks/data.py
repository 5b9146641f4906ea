"""The benchmark data set of issue 5: a large general contractor, "Bench Builders".

At scale 1 it holds ~300 vendors, 200 projects, 4,000 commitments with 4-8 SOV lines
each, 100,000 invoices with one line per SOV line, 5,000 export items Ready to Export
(plus the Synced, Rejected, Retrieved and Failed to Export items an invoice's history
implies) and one commitment, SC-BENCH-150, with exactly 150 invoices.

The data is planned first, in plain Python, from one `random.Random(seed)`, so the same
seed and scale give the same rows. It is then written commitment chunk by commitment
chunk, each chunk in one transaction, with `bulk_create` and the primary keys it returns
(PostgreSQL and SQLite both return them), so nothing is read back and no row is saved
one by one. Dates are fixed, never "now" (`created_at`/`updated_at` excepted: Django sets
those on insert).

Invariants the workflow relies on, which the plan keeps:
- invoice numbers run 1..k per commitment; the billing period ends after it starts;
- only invoices on synced commitments have export items, and an invoice that is queued,
  exporting or synced is in a sendable status (one that came back, retrieved or rejected,
  may have gone back to review since);
- an invoice's `erp_status` is its latest export item's state ("not sent" when it has
  none), and only that latest item may be active (the partial unique constraint);
- earlier items of an invoice are closed ones (Rejected, Retrieved), sent before it.
"""

from __future__ import annotations

import calendar
import datetime
import random
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.db import connection, reset_queries, transaction

from commitments.models import (
    Commitment,
    CommitmentErpStatus,
    CommitmentType,
    PurchaseOrderStatus,
    SovLine,
    SubcontractStatus,
)
from erp_integrations.models import ConnectorKind, ErpConnection, ErpSystem, ExportItem, ExportState
from invoices.models import (
    SENDABLE_STATUSES,
    ChangeHistoryEntry,
    Invoice,
    InvoiceErpStatus,
    InvoiceLine,
    InvoiceStatus,
)
from projects.models import (
    COMMITMENTS_LEVEL_PERMISSIONS,
    Company,
    CompanyUserObjectPermission,
    Project,
    ProjectUserObjectPermission,
    ToolLevel,
    Vendor,
)
from projects.services import company_set_erp_integrations_level, company_set_push_to_accounting

BENCH_COMPANY_NAME = "Bench Builders"
BENCH_ADMIN_USERNAME = "bench_admin"
BENCH_APPROVER_USERNAME = "bench_approver"
BENCH_PASSWORD = "bench"
BENCH_COMMITMENT_NUMBER = "SC-BENCH-150"
BENCH_COMMITMENT_INVOICES = 150
# How many of SC-BENCH-150's invoices wait in the queue (at most the scale's ready count),
# so a bulk retrieve of 100 on one commitment has the rows it needs. Those before them are
# synced; the last ten are BENCH_COMMITMENT_TAIL.
BENCH_COMMITMENT_READY = 120
DEFAULT_SEED = 2026

ALREADY_SEEDED = (
    "The bench data set is already in this database (company “{company}” or user "
    "“{admin}”/“{approver}”). Run with --reset to delete it and seed again."
)
INVALID_SCALE = "The scale must be a number above 0 (for example 1, or 0.01 for tests)."

# The latest billing month of any invoice; each commitment's invoices are monthly
# periods running back from one of the last few months before it.
LATEST_BILLING_MONTH = 2026 * 12 + (10 - 1)
# An invoice this many periods from its commitment's latest is "recent": still moving
# through review and the queue. Older ones are approved and, mostly, synced.
RECENT_INVOICES = 3
# The queue is work waiting now: items still Ready to Export were sent in these weeks,
# whatever period they bill (SC-BENCH-150's run back years).
QUEUE_OPENED = datetime.date(2026, 10, 5)
QUEUE_DAYS = 45

VENDOR_COUNT_AT_SCALE_1 = 300
PROJECT_COUNT_AT_SCALE_1 = 200
COMMITMENT_COUNT_AT_SCALE_1 = 4_000
INVOICE_COUNT_AT_SCALE_1 = 100_000
READY_ITEM_COUNT_AT_SCALE_1 = 5_000

TRADES = [
    ("03", "Cast-in-Place Concrete"),
    ("04", "Unit Masonry"),
    ("05", "Structural Steel"),
    ("06", "Rough Carpentry"),
    ("07", "Roofing & Waterproofing"),
    ("08", "Curtain Wall & Glazing"),
    ("09", "Drywall & Framing"),
    ("09", "Painting & Coatings"),
    ("09", "Flooring"),
    ("14", "Elevators"),
    ("21", "Fire Suppression"),
    ("22", "Plumbing"),
    ("23", "HVAC"),
    ("26", "Electrical"),
    ("27", "Low Voltage & Data"),
    ("28", "Security & Access Control"),
    ("31", "Earthwork & Excavation"),
    ("32", "Paving & Site Concrete"),
    ("32", "Landscaping"),
    ("33", "Site Utilities"),
]
SOV_SCOPES = [
    "Mobilization",
    "Submittals & Shop Drawings",
    "Materials",
    "Labor",
    "Equipment",
    "Level 1",
    "Level 2",
    "Level 3",
    "Roof",
    "Exterior",
    "Interior",
    "Testing & Inspection",
    "Punch List",
    "Closeout & Warranty",
]
VENDOR_NAMES = [
    "Keystone",
    "Summit",
    "Ironwood",
    "Bluestone",
    "Granite State",
    "Harbor",
    "Pioneer",
    "Liberty",
    "Atlas",
    "Cornerstone",
    "Redline",
    "Northstar",
    "Evergreen",
    "Lakeside",
    "Patriot",
    "Silverline",
    "Capitol",
    "Frontier",
    "Meridian",
    "Tri-County",
    "Allied",
    "Premier",
    "Sterling",
    "Union",
    "Valley",
    "Westbrook",
    "Crown",
    "Delta",
    "Eagle",
    "Falcon",
    "Hudson",
    "Landmark",
    "Metro",
    "Oakridge",
    "Paragon",
    "Ridgeline",
]
VENDOR_TRADES = [
    "Concrete",
    "Masonry",
    "Steel",
    "Carpentry",
    "Roofing",
    "Glass",
    "Drywall",
    "Painting",
    "Flooring",
    "Elevator",
    "Fire Protection",
    "Plumbing",
    "Mechanical",
    "Electric",
    "Data Systems",
    "Security",
    "Excavating",
    "Paving",
    "Landscape",
    "Utilities",
]
VENDOR_SUFFIXES = ["Inc.", "LLC", "Co.", "Corp.", "Group", "Contractors"]
PROJECT_PLACES = [
    "Riverside",
    "Harbor Point",
    "Oakridge",
    "Maple Grove",
    "Cedar Falls",
    "Lakeview",
    "Westfield",
    "Northgate",
    "Stonebridge",
    "Pine Hill",
    "Brookside",
    "Fairview",
    "Highland Park",
    "Kingsport",
    "Millbrook",
    "Ashford",
    "Bayshore",
    "Clearwater",
    "Eastwood",
    "Glenwood",
    "Hillcrest",
    "Ironbridge",
    "Jefferson",
    "Kensington",
    "Larkspur",
    "Madison",
    "Newport",
    "Orchard",
    "Parkside",
    "Quarry Hill",
]
PROJECT_BUILDINGS = [
    "Medical Center",
    "Elementary School",
    "Office Tower",
    "Parking Structure",
    "Apartments",
    "Distribution Center",
    "Public Library",
    "Research Lab",
    "Hotel",
    "Fire Station",
]
FAILURE_MESSAGES = [
    "Sage 300 CRE refused the document: vendor is on hold.",
    "Sage 300 CRE refused the document: the job is closed to new costs.",
    "Sage 300 CRE refused the document: cost code not found on the job.",
]
REJECTION_REASONS = [
    "Billing period overlaps the previous invoice.",
    "Retainage does not match the subcontract.",
    "Lien waiver missing for this period.",
    "Stored materials need a bill of sale.",
]

SUBCONTRACT_ACTIVE = [(SubcontractStatus.APPROVED, 7), (SubcontractStatus.COMPLETE, 3)]
SUBCONTRACT_INACTIVE = [
    (SubcontractStatus.DRAFT, 2),
    (SubcontractStatus.OUT_FOR_BID, 1),
    (SubcontractStatus.OUT_FOR_SIGNATURE, 1),
]
PURCHASE_ORDER_ACTIVE = [
    (PurchaseOrderStatus.APPROVED, 4),
    (PurchaseOrderStatus.PARTIALLY_RECEIVED, 3),
    (PurchaseOrderStatus.RECEIVED, 2),
    (PurchaseOrderStatus.CLOSED, 1),
]
PURCHASE_ORDER_INACTIVE = [
    (PurchaseOrderStatus.DRAFT, 2),
    (PurchaseOrderStatus.PROCESSING, 1),
    (PurchaseOrderStatus.SUBMITTED, 1),
]
# Statuses at which the work is done: the invoices bill (nearly) the whole contract.
FINISHED_STATUSES = frozenset(
    {
        SubcontractStatus.COMPLETE,
        PurchaseOrderStatus.RECEIVED,
        PurchaseOrderStatus.CLOSED,
    }
)
RETAINAGE_PERCENTS = [(Decimal("10.00"), 6), (Decimal("5.00"), 3), (Decimal("0.00"), 1)]
RECENT_STATUSES = [
    (InvoiceStatus.DRAFT, 12),
    (InvoiceStatus.UNDER_REVIEW, 22),
    (InvoiceStatus.REVISE_AND_RESUBMIT, 8),
    (InvoiceStatus.PENDING_OWNER_APPROVAL, 10),
    (InvoiceStatus.APPROVED_AS_NOTED, 10),
    (InvoiceStatus.APPROVED, 38),
]
READY_STATUSES = [
    (InvoiceStatus.APPROVED, 70),
    (InvoiceStatus.APPROVED_AS_NOTED, 15),
    (InvoiceStatus.PENDING_OWNER_APPROVAL, 15),
]
OLD_STATUSES = [(InvoiceStatus.APPROVED, 88), (InvoiceStatus.APPROVED_AS_NOTED, 12)]
# The export items a recent, sendable, not-queued invoice has had, oldest first.
RECENT_SENT_HISTORIES = [
    ((ExportState.SYNCED,), 45),
    ((), 25),
    ((ExportState.REJECTED,), 10),
    ((ExportState.RETRIEVED,), 12),
    ((ExportState.FAILED_TO_EXPORT,), 5),
    ((ExportState.RETRIEVED, ExportState.SYNCED), 3),
]
# ... an invoice under review again after it came back from the queue.
RECENT_IN_REVIEW_HISTORIES = [
    ((), 70),
    ((ExportState.REJECTED,), 15),
    ((ExportState.RETRIEVED,), 15),
]
OLD_HISTORIES = [
    ((ExportState.SYNCED,), 89),
    ((), 5),
    ((ExportState.REJECTED, ExportState.SYNCED), 4),
    ((ExportState.RETRIEVED, ExportState.SYNCED), 2),
]
READY_HISTORIES = [
    ((ExportState.READY_TO_EXPORT,), 92),
    ((ExportState.RETRIEVED, ExportState.READY_TO_EXPORT), 5),
    ((ExportState.REJECTED, ExportState.READY_TO_EXPORT), 3),
]
# SC-BENCH-150's last ten invoices, after its synced and queued ones.
BENCH_COMMITMENT_TAIL = [
    (InvoiceStatus.APPROVED, ()),
    (InvoiceStatus.APPROVED, (ExportState.RETRIEVED,)),
    (InvoiceStatus.APPROVED_AS_NOTED, ()),
    (InvoiceStatus.PENDING_OWNER_APPROVAL, (ExportState.REJECTED,)),
    (InvoiceStatus.APPROVED, (ExportState.FAILED_TO_EXPORT,)),
    (InvoiceStatus.REVISE_AND_RESUBMIT, (ExportState.REJECTED,)),
    (InvoiceStatus.UNDER_REVIEW, ()),
    (InvoiceStatus.UNDER_REVIEW, ()),
    (InvoiceStatus.APPROVED, ()),
    (InvoiceStatus.DRAFT, ()),
]

# Rows per INSERT on PostgreSQL; Django lowers it to SQLite's variable limit there.
BATCH_SIZE = 2_000
# A write chunk closes once it holds this many invoices (or commitments).
CHUNK_INVOICES = 5_000
CHUNK_COMMITMENTS = 250

type Report = Callable[[str], None]


def _silent(message: str) -> None:
    pass


@dataclass(frozen=True)
class BenchCounts:
    """The sizes of the data set at a scale. The smallest scales keep at least one
    project, the 150-invoice commitment and one more, and its 150 invoices."""

    vendors: int
    projects: int
    commitments: int
    invoices: int
    ready_items: int

    @classmethod
    def for_scale(cls, scale: float) -> BenchCounts:
        if not scale > 0:
            raise ValueError(INVALID_SCALE)
        return cls(
            vendors=max(5, round(VENDOR_COUNT_AT_SCALE_1 * scale)),
            projects=max(1, round(PROJECT_COUNT_AT_SCALE_1 * scale)),
            commitments=max(2, round(COMMITMENT_COUNT_AT_SCALE_1 * scale)),
            invoices=max(BENCH_COMMITMENT_INVOICES, round(INVOICE_COUNT_AT_SCALE_1 * scale)),
            ready_items=max(1, round(READY_ITEM_COUNT_AT_SCALE_1 * scale)),
        )


# --- The plan ------------------------------------------------------------------------------


@dataclass(slots=True)
class InvoicePlan:
    number: int
    status: str
    # The states of the invoice's export items, oldest first; the last is its ERP status.
    export_states: tuple[str, ...] = ()

    @property
    def erp_status(self) -> str:
        return self.export_states[-1] if self.export_states else InvoiceErpStatus.NOT_SENT


@dataclass(slots=True)
class CommitmentPlan:
    index: int
    project_index: int
    type: str
    number: str
    title: str
    vendor_index: int
    status: str
    is_private: bool
    retainage_percent: Decimal
    synced: bool
    erp_reference: str
    trade_division: str
    sov_values: list[int]  # scheduled values, in cents
    latest_month: int
    invoice_count: int = 0
    invoices: list[InvoicePlan] = field(default_factory=list)

    @property
    def executed(self) -> bool:
        return self.status not in _INACTIVE_STATUSES


_INACTIVE_STATUSES = frozenset(
    status for status, _ in SUBCONTRACT_INACTIVE + PURCHASE_ORDER_INACTIVE
)


@dataclass
class BenchPlan:
    counts: BenchCounts
    seed: int
    vendors: list[tuple[str, str]]  # name, ERP vendor id ("" when not linked)
    projects: list[tuple[str, str, str]]  # name, number, ERP job id
    commitments: list[CommitmentPlan]


def _pick[T](rng: random.Random, weighted: list[tuple[T, int]]) -> T:
    values = [value for value, _ in weighted]
    weights = [weight for _, weight in weighted]
    return rng.choices(values, weights)[0]


def _spread(rng: random.Random, total: int, slots: int, minimum: int = 0) -> list[int]:
    """`total` split over `slots` in uneven shares (largest remainder), each >= minimum."""
    if slots == 0:
        return []
    weights = [rng.uniform(0.3, 1.7) for _ in range(slots)]
    free = total - minimum * slots
    scale = free / sum(weights)
    shares = [weight * scale for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(slots), key=lambda slot: shares[slot] - counts[slot], reverse=True)
    for slot in by_remainder[: free - sum(counts)]:
        counts[slot] += 1
    return [count + minimum for count in counts]


def _vendors(rng: random.Random, count: int) -> list[tuple[str, str]]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        name = (
            f"{rng.choice(VENDOR_NAMES)} {rng.choice(VENDOR_TRADES)} {rng.choice(VENDOR_SUFFIXES)}"
        )
        if name in seen:
            name = f"{name} {len(names) + 1}"
        seen.add(name)
        names.append(name)
    # Most vendors are linked to the ERP; a few new ones are not yet.
    return [
        (name, f"V{index + 1:05d}" if rng.random() < 0.95 else "")
        for index, name in enumerate(names)
    ]


def _projects(count: int) -> list[tuple[str, str, str]]:
    combinations = [
        f"{place} {building}" for building in PROJECT_BUILDINGS for place in PROJECT_PLACES
    ]
    projects = []
    for index in range(count):
        name = combinations[index % len(combinations)]
        if index >= len(combinations):
            name = f"{name} Phase {index // len(combinations) + 1}"
        number = f"BB-{index + 1:03d}"
        projects.append((name, number, f"J-{number}"))
    return projects


def _sov_values(rng: random.Random) -> list[int]:
    contract_dollars = rng.randint(50, 3_000) * 1_000
    lines = rng.randint(4, 8)
    return [share * 100 for share in _spread(rng, contract_dollars, lines, minimum=1_000)]


def _commitment(
    rng: random.Random,
    *,
    index: int,
    project_index: int,
    number_counters: dict[tuple[int, str], int],
    projects: list[tuple[str, str, str]],
    vendors: list[tuple[str, str]],
) -> CommitmentPlan:
    commitment_type = (
        CommitmentType.SUBCONTRACT if rng.random() < 0.6 else CommitmentType.PURCHASE_ORDER
    )
    prefix = "SC" if commitment_type == CommitmentType.SUBCONTRACT else "PO"
    key = (project_index, prefix)
    number_counters[key] = number_counters.get(key, 0) + 1
    number = f"{prefix}-{number_counters[key]:03d}"
    active = rng.random() < 0.85
    status: str
    if commitment_type == CommitmentType.SUBCONTRACT:
        status = _pick(rng, SUBCONTRACT_ACTIVE if active else SUBCONTRACT_INACTIVE)
    else:
        status = _pick(rng, PURCHASE_ORDER_ACTIVE if active else PURCHASE_ORDER_INACTIVE)
    vendor_index = rng.randrange(len(vendors))
    synced = active and bool(vendors[vendor_index][1]) and rng.random() < 0.92
    division, trade = rng.choice(TRADES)
    title = trade if rng.random() < 0.8 else f"{trade} - Phase {rng.randint(2, 3)}"
    return CommitmentPlan(
        index=index,
        project_index=project_index,
        type=commitment_type,
        number=number,
        title=title,
        vendor_index=vendor_index,
        status=status,
        is_private=rng.random() < 0.1,
        retainage_percent=_pick(rng, RETAINAGE_PERCENTS),
        synced=synced,
        erp_reference=f"{projects[project_index][2]}-{number}" if synced else "",
        trade_division=division,
        sov_values=_sov_values(rng),
        latest_month=LATEST_BILLING_MONTH - _pick(rng, [(0, 4), (1, 3), (2, 2), (3, 1)]),
    )


def _bench_commitment(
    rng: random.Random, projects: list[tuple[str, str, str]], vendors: list[tuple[str, str]]
) -> CommitmentPlan:
    linked_vendors = [index for index, (_, erp_id) in enumerate(vendors) if erp_id] or [0]
    return CommitmentPlan(
        index=0,
        project_index=0,
        type=CommitmentType.SUBCONTRACT,
        number=BENCH_COMMITMENT_NUMBER,
        title="Curtain Wall & Glazing (150 invoices)",
        vendor_index=linked_vendors[0],
        status=SubcontractStatus.APPROVED,
        is_private=False,
        retainage_percent=Decimal("10.00"),
        synced=True,
        erp_reference=f"{projects[0][2]}-SCB150",
        trade_division="08",
        sov_values=[rng.randint(50, 400) * 1_000 * 100 for _ in range(8)],
        latest_month=LATEST_BILLING_MONTH,
        invoice_count=BENCH_COMMITMENT_INVOICES,
    )


def _plan_bench_invoices(commitment: CommitmentPlan, ready: int) -> None:
    tail = BENCH_COMMITMENT_TAIL
    synced = BENCH_COMMITMENT_INVOICES - ready - len(tail)
    plans = [
        InvoicePlan(number, InvoiceStatus.APPROVED, (ExportState.SYNCED,))
        for number in range(1, synced + 1)
    ]
    plans += [
        InvoicePlan(synced + offset, InvoiceStatus.APPROVED, (ExportState.READY_TO_EXPORT,))
        for offset in range(1, ready + 1)
    ]
    plans += [
        InvoicePlan(synced + ready + offset, status, states)
        for offset, (status, states) in enumerate(tail, start=1)
    ]
    commitment.invoices = plans


def _plan_invoices(rng: random.Random, commitment: CommitmentPlan, ready_numbers: set[int]) -> None:
    plans = []
    for number in range(1, commitment.invoice_count + 1):
        recent = commitment.invoice_count - number < RECENT_INVOICES
        if number in ready_numbers:
            status = _pick(rng, READY_STATUSES)
            states = _pick(rng, READY_HISTORIES)
        elif recent:
            status = _pick(rng, RECENT_STATUSES)
            if not commitment.synced or status == InvoiceStatus.DRAFT:
                states = ()
            elif status in SENDABLE_STATUSES:
                states = _pick(rng, RECENT_SENT_HISTORIES)
            else:
                states = _pick(rng, RECENT_IN_REVIEW_HISTORIES)
        else:
            status = _pick(rng, OLD_STATUSES)
            states = _pick(rng, OLD_HISTORIES) if commitment.synced else ()
        plans.append(InvoicePlan(number, status, states))
    commitment.invoices = plans


def plan_bench_data(*, scale: float, seed: int = DEFAULT_SEED) -> BenchPlan:
    """Everything the data set will hold, decided up front from one seeded generator."""
    counts = BenchCounts.for_scale(scale)
    rng = random.Random(seed)
    vendors = _vendors(rng, counts.vendors)
    projects = _projects(counts.projects)

    bench = _bench_commitment(rng, projects, vendors)
    others_per_project = _spread(
        rng,
        counts.commitments - 1,
        counts.projects,
        minimum=1 if counts.commitments > counts.projects else 0,
    )
    number_counters: dict[tuple[int, str], int] = {}
    commitments = [bench]
    for project_index, count in enumerate(others_per_project):
        for _ in range(count):
            commitments.append(
                _commitment(
                    rng,
                    index=len(commitments),
                    project_index=project_index,
                    number_counters=number_counters,
                    projects=projects,
                    vendors=vendors,
                )
            )

    # The invoices beyond SC-BENCH-150's go to the commitments whose work has started.
    invoicing = [c for c in commitments[1:] if c.status not in _INACTIVE_STATUSES]
    if not invoicing:
        # A tiny scale drew only drafts; "approved" is a status of both types.
        commitments[1].status = SubcontractStatus.APPROVED
        invoicing = [commitments[1]]
    for commitment, count in zip(
        invoicing,
        _spread(rng, counts.invoices - BENCH_COMMITMENT_INVOICES, len(invoicing)),
        strict=True,
    ):
        commitment.invoice_count = count

    bench_ready = min(BENCH_COMMITMENT_READY, counts.ready_items)
    _plan_bench_invoices(bench, bench_ready)

    # The rest of the queue: recent invoices of synced commitments first, then any.
    synced = [c for c in invoicing if c.synced and c.invoice_count]
    recent_slots = [
        (c.index, number)
        for c in synced
        for number in range(max(1, c.invoice_count - RECENT_INVOICES + 1), c.invoice_count + 1)
    ]
    wanted = counts.ready_items - bench_ready
    if wanted > len(recent_slots):
        recent_slots = [
            (c.index, number) for c in synced for number in range(1, c.invoice_count + 1)
        ]
    ready: dict[int, set[int]] = {}
    for commitment_index, number in rng.sample(recent_slots, min(wanted, len(recent_slots))):
        ready.setdefault(commitment_index, set()).add(number)
    for commitment in invoicing:
        _plan_invoices(rng, commitment, ready.get(commitment.index, set()))

    return BenchPlan(
        counts=counts, seed=seed, vendors=vendors, projects=projects, commitments=commitments
    )


# --- Writing ---------------------------------------------------------------------------------


def _cents(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-2)


def _month_period(month: int) -> tuple[datetime.date, datetime.date]:
    year, month_of_year = divmod(month, 12)
    month_of_year += 1
    last_day = calendar.monthrange(year, month_of_year)[1]
    return datetime.date(year, month_of_year, 1), datetime.date(year, month_of_year, last_day)


def _at(day: datetime.date, *, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=datetime.UTC)


# The rows `seed_bench_data` reports, in the order it reports them.
ROW_KINDS = [
    "companies",
    "users",
    "object permissions",
    "vendors",
    "projects",
    "commitments",
    "SOV lines",
    "invoices",
    "invoice lines",
    "export items",
    *(f"export items {state.label}" for state in ExportState),
    "change history entries",
]


@dataclass
class SeedResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROW_KINDS, 0))
    seconds: float = 0.0

    def add(self, name: str, rows: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + rows


@dataclass
class _Context:
    company_id: int
    admin_id: int
    approver_id: int
    project_ids: list[int]
    vendor_ids: list[int]
    plan: BenchPlan
    result: SeedResult


def bench_data_exists() -> bool:
    return (
        Company.objects.filter(name=BENCH_COMPANY_NAME).exists()
        or get_user_model()
        .objects.filter(username__in=[BENCH_ADMIN_USERNAME, BENCH_APPROVER_USERNAME])
        .exists()
    )


def delete_bench_data(*, report: Report = _silent) -> None:
    """Delete the bench company with everything under it, and the bench users.

    Leaf tables go first with one DELETE each; invoices are deleted a few commitments at
    a time, as Django loads the rows it cascades from."""
    started = time.monotonic()
    company = Company.objects.filter(name=BENCH_COMPANY_NAME).first()
    if company is not None:
        invoices = Invoice.objects.filter(commitment__project__company=company)
        with transaction.atomic():
            ExportItem.objects.filter(company=company).delete()
            ChangeHistoryEntry.objects.filter(invoice__in=invoices).delete()
            InvoiceLine.objects.filter(invoice__in=invoices).delete()
        commitment_ids = list(
            Commitment.objects.filter(project__company=company).values_list("pk", flat=True)
        )
        for start in range(0, len(commitment_ids), CHUNK_COMMITMENTS):
            with transaction.atomic():
                Invoice.objects.filter(
                    commitment_id__in=commitment_ids[start : start + CHUNK_COMMITMENTS]
                ).delete()
        with transaction.atomic():
            SovLine.objects.filter(commitment__project__company=company).delete()
            Commitment.objects.filter(project__company=company).delete()
            Project.objects.filter(company=company).delete()
            Vendor.objects.filter(company=company).delete()
            company.delete()
        report(
            f"Deleted company “{BENCH_COMPANY_NAME}” and its data "
            f"({time.monotonic() - started:.1f} s)."
        )
    deleted, _ = (
        get_user_model()
        .objects.filter(username__in=[BENCH_ADMIN_USERNAME, BENCH_APPROVER_USERNAME])
        .delete()
    )
    if deleted:
        report("Deleted the bench users.")


def _create_users() -> tuple[User, User]:
    user_model = get_user_model()
    admin = user_model.objects.create_user(
        username=BENCH_ADMIN_USERNAME,
        email=f"{BENCH_ADMIN_USERNAME}@bench.example.com",
        password=BENCH_PASSWORD,
        first_name="Bench",
        last_name="Admin",
    )
    approver = user_model.objects.create_user(
        username=BENCH_APPROVER_USERNAME,
        email=f"{BENCH_APPROVER_USERNAME}@bench.example.com",
        password=BENCH_PASSWORD,
        first_name="Bench",
        last_name="Approver",
    )
    return admin, approver


def _grant_commitments_admin(user: User, project_ids: list[int]) -> int:
    """Admin on every bench project's Commitments tool: one row per project, written in
    bulk (what `project_set_commitments_level` would write, one project at a time)."""
    permission = Permission.objects.get(
        content_type=ContentType.objects.get_for_model(Project),
        codename=COMMITMENTS_LEVEL_PERMISSIONS[ToolLevel.ADMIN],
    )
    rows = ProjectUserObjectPermission.objects.bulk_create(
        [
            ProjectUserObjectPermission(
                permission=permission, user=user, content_object_id=project_id
            )
            for project_id in project_ids
        ],
        batch_size=BATCH_SIZE,
    )
    return len(rows)


def _write_company(plan: BenchPlan, result: SeedResult) -> _Context:
    with transaction.atomic():
        company = Company.objects.create(name=BENCH_COMPANY_NAME)
        ErpConnection.objects.create(
            company=company, system=ErpSystem.SAGE_300_CRE, connector=ConnectorKind.FILE
        )
        admin, approver = _create_users()
        vendors = Vendor.objects.bulk_create(
            [
                Vendor(company=company, name=name, erp_vendor_id=erp_id)
                for name, erp_id in plan.vendors
            ],
            batch_size=BATCH_SIZE,
        )
        projects = Project.objects.bulk_create(
            [
                Project(company=company, name=name, number=number, erp_job_id=job_id)
                for name, number, job_id in plan.projects
            ],
            batch_size=BATCH_SIZE,
        )
        project_ids = [project.pk for project in projects]
        granted = _grant_commitments_admin(admin, project_ids)
        company_set_erp_integrations_level(user=approver, company=company, level=ToolLevel.STANDARD)
        company_set_push_to_accounting(user=approver, company=company, allowed=True)
        granted += CompanyUserObjectPermission.objects.filter(content_object=company).count()
    result.add("companies", 1)
    result.add("users", 2)
    result.add("object permissions", granted)
    result.add("vendors", len(vendors))
    result.add("projects", len(projects))
    return _Context(
        company_id=company.pk,
        admin_id=admin.pk,
        approver_id=approver.pk,
        project_ids=project_ids,
        vendor_ids=[vendor.pk for vendor in vendors],
        plan=plan,
        result=result,
    )


def _chunks(commitments: list[CommitmentPlan]) -> Iterator[list[CommitmentPlan]]:
    chunk: list[CommitmentPlan] = []
    invoices = 0
    for commitment in commitments:
        chunk.append(commitment)
        invoices += commitment.invoice_count
        if invoices >= CHUNK_INVOICES or len(chunk) >= CHUNK_COMMITMENTS:
            yield chunk
            chunk, invoices = [], 0
    if chunk:
        yield chunk


def _line_amounts(rng: random.Random, commitment: CommitmentPlan) -> list[list[tuple[int, int]]]:
    """Per invoice, per SOV line: (work completed this period, materials stored), in
    cents. The commitment bills up to a target share of each line over its invoices and
    never more than the line's scheduled value."""
    count = commitment.invoice_count
    target = (
        rng.uniform(0.97, 1.0)
        if commitment.status in FINISHED_STATUSES
        else rng.uniform(0.25, 0.95)
    )
    weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
    total_weight = sum(weights) or 1.0
    billed = [0] * len(commitment.sov_values)
    amounts = []
    for weight in weights:
        share = target * weight / total_weight
        invoice_amounts = []
        for position, scheduled in enumerate(commitment.sov_values):
            work = min(int(scheduled * share * rng.uniform(0.8, 1.2)), scheduled - billed[position])
            materials = 0
            if rng.random() < 0.1:
                materials = min(
                    int(scheduled * rng.uniform(0, 0.03)), scheduled - billed[position] - work
                )
            billed[position] += work + materials
            invoice_amounts.append((work, materials))
        amounts.append(invoice_amounts)
    return amounts


def _export_rows(
    context: _Context,
    rng: random.Random,
    invoice_id: int,
    plan: InvoicePlan,
    commitment: CommitmentPlan,
    period_end: datetime.date,
) -> tuple[list[ExportItem], list[ChangeHistoryEntry]]:
    """The invoice's export items, oldest first, and the ERP Status history they imply."""
    items: list[ExportItem] = []
    history: list[ChangeHistoryEntry] = []
    previous: str = InvoiceErpStatus.NOT_SENT
    sent_day = period_end + datetime.timedelta(days=rng.randint(3, 10))

    def entry(by: int | None, changed: str, from_value: str, to_value: str) -> None:
        history.append(
            ChangeHistoryEntry(
                invoice_id=invoice_id,
                action_by_id=by,
                changed=changed,
                from_value=from_value,
                to_value=to_value,
            )
        )

    for revision, state in enumerate(plan.export_states, start=1):
        if state == ExportState.READY_TO_EXPORT:
            queued_day = QUEUE_OPENED + datetime.timedelta(days=rng.randrange(QUEUE_DAYS))
            sent_day = max(sent_day, queued_day)
        sent_at = _at(sent_day, hour=rng.randint(8, 17), minute=rng.randint(0, 59))
        decided_at = sent_at + datetime.timedelta(hours=rng.randint(2, 48))
        item = ExportItem(
            invoice_id=invoice_id,
            company_id=context.company_id,
            state=state,
            invoice_revision=revision,
            sent_by_id=context.admin_id,
            sent_at=sent_at,
            idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        )
        ready_label = InvoiceErpStatus.READY_TO_EXPORT.label
        entry(context.admin_id, "ERP Status", InvoiceErpStatus(previous).label, ready_label)
        if state == ExportState.RETRIEVED:
            item.retrieved_by_id = context.admin_id
            item.retrieved_at = decided_at
            entry(context.admin_id, "ERP Status", ready_label, ExportState.RETRIEVED.label)
        elif state == ExportState.REJECTED:
            item.decided_by_id = context.approver_id
            item.decided_at = decided_at
            item.rejection_reason = rng.choice(REJECTION_REASONS)
            entry(context.approver_id, "ERP Status", ready_label, ExportState.REJECTED.label)
            entry(context.approver_id, "Rejection Reason", "", item.rejection_reason)
        elif state in (ExportState.SYNCED, ExportState.FAILED_TO_EXPORT):
            item.decided_by_id = context.approver_id
            item.decided_at = decided_at
            item.export_started_at = decided_at + datetime.timedelta(seconds=5)
            item.attempts = 1
            exporting_label = ExportState.EXPORTING.label
            entry(context.approver_id, "ERP Status", ready_label, exporting_label)
            if state == ExportState.SYNCED:
                item.synced_at = decided_at + datetime.timedelta(seconds=20)
                item.erp_reference = f"AP-{commitment.erp_reference}-{plan.number:03d}"
                entry(None, "ERP Status", exporting_label, ExportState.SYNCED.label)
            else:
                # Out of automatic retries: it waits for the approver (no next_retry_at).
                item.attempts = 5
                item.last_error = rng.choice(FAILURE_MESSAGES)
                entry(None, "ERP Status", exporting_label, ExportState.FAILED_TO_EXPORT.label)
        items.append(item)
        previous = state
        sent_day = decided_at.date() + datetime.timedelta(days=rng.randint(1, 5))
    return items, history


def _write_chunk(context: _Context, chunk: list[CommitmentPlan]) -> None:
    plan = context.plan
    result = context.result
    commitments = Commitment.objects.bulk_create(
        [
            Commitment(
                project_id=context.project_ids[commitment.project_index],
                type=commitment.type,
                number=commitment.number,
                title=commitment.title,
                vendor_id=context.vendor_ids[commitment.vendor_index],
                status=commitment.status,
                executed=commitment.executed,
                is_private=commitment.is_private,
                default_retainage_percent=commitment.retainage_percent,
                erp_status=(
                    CommitmentErpStatus.SYNCED
                    if commitment.synced
                    else CommitmentErpStatus.NOT_SYNCED
                ),
                erp_reference=commitment.erp_reference,
            )
            for commitment in chunk
        ],
        batch_size=BATCH_SIZE,
    )
    sov_lines = SovLine.objects.bulk_create(
        [
            SovLine(
                commitment_id=row.pk,
                position=position,
                cost_code=f"{commitment.trade_division}-{position * 100:04d}",
                description=SOV_SCOPES[(commitment.index + position) % len(SOV_SCOPES)],
                scheduled_value=_cents(scheduled),
            )
            for commitment, row in zip(chunk, commitments, strict=True)
            for position, scheduled in enumerate(commitment.sov_values, start=1)
        ],
        batch_size=BATCH_SIZE,
    )
    sov_ids: list[list[int]] = []
    position = 0
    for commitment in chunk:
        count = len(commitment.sov_values)
        sov_ids.append([line.pk for line in sov_lines[position : position + count]])
        position += count

    periods: list[tuple[datetime.date, datetime.date]] = []
    invoice_rows = []
    for commitment, row in zip(chunk, commitments, strict=True):
        for invoice in commitment.invoices:
            start, end = _month_period(
                commitment.latest_month - (commitment.invoice_count - invoice.number)
            )
            periods.append((start, end))
            invoice_rows.append(
                Invoice(
                    commitment_id=row.pk,
                    number=invoice.number,
                    billing_period_start=start,
                    billing_period_end=end,
                    billing_date=end,
                    status=invoice.status,
                    erp_status=invoice.erp_status,
                    revision=max(1, len(invoice.export_states)),
                    created_by_id=context.admin_id,
                )
            )
    invoices = Invoice.objects.bulk_create(invoice_rows, batch_size=BATCH_SIZE)

    lines: list[InvoiceLine] = []
    items: list[ExportItem] = []
    history: list[ChangeHistoryEntry] = []
    invoice_index = 0
    for commitment, commitment_sov_ids in zip(chunk, sov_ids, strict=True):
        # A generator of its own per commitment: its rows do not depend on the chunking.
        rng = random.Random(plan.seed * 1_000_003 + commitment.index)
        retainage = commitment.retainage_percent
        materials_retainage = retainage if rng.random() < 0.5 else Decimal("0.00")
        amounts = _line_amounts(rng, commitment)
        for invoice_plan, invoice_amounts in zip(commitment.invoices, amounts, strict=True):
            invoice_id = invoices[invoice_index].pk
            period_end = periods[invoice_index][1]
            invoice_index += 1
            for sov_line_id, (work, materials) in zip(
                commitment_sov_ids, invoice_amounts, strict=True
            ):
                lines.append(
                    InvoiceLine(
                        invoice_id=invoice_id,
                        sov_line_id=sov_line_id,
                        work_completed_this_period=_cents(work),
                        materials_presently_stored=_cents(materials),
                        work_retainage_percent=retainage,
                        materials_retainage_percent=materials_retainage,
                    )
                )
            if invoice_plan.export_states:
                invoice_items, invoice_history = _export_rows(
                    context, rng, invoice_id, invoice_plan, commitment, period_end
                )
                items.extend(invoice_items)
                history.extend(invoice_history)
    InvoiceLine.objects.bulk_create(lines, batch_size=BATCH_SIZE)
    ExportItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
    ChangeHistoryEntry.objects.bulk_create(history, batch_size=BATCH_SIZE)

    result.add("commitments", len(commitments))
    result.add("SOV lines", len(sov_lines))
    result.add("invoices", len(invoices))
    result.add("invoice lines", len(lines))
    result.add("export items", len(items))
    for item in items:
        result.add(f"export items {ExportState(item.state).label}", 1)
    result.add("change history entries", len(history))


def _analyze() -> None:
    """Give PostgreSQL's planner statistics for the new rows now, so a benchmark run right
    after seeding is not planned on empty-table estimates (autovacuum would get there
    later)."""
    if connection.vendor != "postgresql":
        return
    models = [
        Vendor,
        Project,
        ProjectUserObjectPermission,
        Commitment,
        SovLine,
        Invoice,
        InvoiceLine,
        ExportItem,
        ChangeHistoryEntry,
    ]
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def seed_bench_data(
    *, scale: float, seed: int = DEFAULT_SEED, report: Report = _silent
) -> SeedResult:
    """Plan and write the data set. The caller has checked that it is not there yet
    (`bench_data_exists`); each chunk commits on its own, so an interrupted run leaves a
    partial data set that `delete_bench_data` removes."""
    started = time.monotonic()
    result = SeedResult()
    plan = plan_bench_data(scale=scale, seed=seed)
    counts = plan.counts
    report(
        f"Seeding “{BENCH_COMPANY_NAME}” at scale {scale:g} (seed {seed}) on "
        f"{connection.vendor}: projects {counts.projects:,}, commitments "
        f"{counts.commitments:,}, invoices {counts.invoices:,}, Ready to Export "
        f"{counts.ready_items:,}."
    )
    context = _write_company(plan, result)
    total_invoices = sum(commitment.invoice_count for commitment in plan.commitments)
    for chunk in _chunks(plan.commitments):
        with transaction.atomic():
            _write_chunk(context, chunk)
        # With DEBUG on, Django keeps each INSERT's SQL text; these are large.
        reset_queries()
        report(
            f"  {result.counts['commitments']:>7,} / {len(plan.commitments):,} commitments, "
            f"{result.counts['invoices']:>9,} / {total_invoices:,} invoices "
            f"({time.monotonic() - started:.1f} s)"
        )
    _analyze()
    result.seconds = time.monotonic() - started
    return result
