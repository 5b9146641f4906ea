"""The demo data of DESIGN.md ("Demo data") and the function that loads it.

The data is plain definitions at the top; `seed_demo_data` writes them. Every row is
found or created by its natural key (a user's username, a project's number within the
company, a commitment's number within the project, an invoice's number within the
commitment, ...), so loading twice changes nothing. Dates are fixed, never "now", for
the same reason.

Reference data (company, ERP connection, vendors, projects, commitments, SOV lines,
users' names) is put back to these definitions on every run. An invoice is seeded as
a unit with its lines, its export item and its change history, and only when it does
not exist yet: once there, it belongs to whoever works the demo (a retrieved or
re-sent invoice stays as they left it).
"""

from __future__ import annotations

import datetime
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import models, transaction

from commitments.models import (
    Commitment,
    CommitmentErpStatus,
    CommitmentType,
    PurchaseOrderStatus,
    SovLine,
    SubcontractStatus,
)
from commitments.permissions import is_invoice_contact, is_on_private_access_list
from commitments.services import commitment_add_invoice_contact, commitment_grant_private_access
from demo.attachments import seed_demo_attachments
from erp_integrations.models import ConnectorKind, ErpConnection, ErpSystem, ExportItem
from invoices.history import ERP_STATUS_CHANGE, history_entry, record_history
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceErpStatus, InvoiceLine
from invoices.models import InvoiceStatus as Status
from projects.models import (
    PUSH_TO_ACCOUNTING_PERMISSION,
    Company,
    Project,
    ToolLevel,
    Vendor,
    VendorEmployee,
)
from projects.permissions import commitments_level, erp_integrations_level, object_permissions
from projects.services import (
    company_set_erp_integrations_level,
    company_set_push_to_accounting,
    project_set_commitments_level,
)
from projects.terms import PointOfView

DEMO_PASSWORD = "demo"
COMPANY_NAME = "Summit Builders"

# The company works on Eastern time; demo timestamps are fixed instants in it.
DEMO_TIME_ZONE = ZoneInfo("America/New_York")
# Deterministic ids (idempotency keys, batch ids) are derived from this namespace.
DEMO_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "demo.summit.example")

RETAINAGE = Decimal("10.00")
NO_RETAINAGE = Decimal("0.00")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=DEMO_TIME_ZONE)


# --- Definitions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    email: str
    is_superuser: bool = False


USERS = (
    DemoUser("admin", "Site", "Admin", "admin@summit.example", is_superuser=True),
    DemoUser("pat", "Pat", "Morgan", "pat@summit.example"),
    DemoUser("riley", "Riley", "Chen", "riley@summit.example"),
    DemoUser("casey", "Casey", "Brooks", "casey@summit.example"),
    DemoUser("sam", "Sam", "Ortiz", "sam@keystoneconcrete.example"),
    DemoUser("alex", "Alex", "Rivera", "alex@summit.example"),
)


@dataclass(frozen=True)
class DemoVendor:
    name: str
    erp_vendor_id: str


KEYSTONE = DemoVendor("Keystone Concrete", "KEYCON01")
IRONCLAD = DemoVendor("Ironclad Steel Erectors", "IRONST01")
BRIGHTLINE = DemoVendor("Brightline Electric", "BRTELC01")
CASCADE = DemoVendor("Cascade Building Supply", "CASBLD01")
VENDORS = (KEYSTONE, IRONCLAD, BRIGHTLINE, CASCADE)

# (username, vendor): users who work for a vendor.
VENDOR_EMPLOYEES = (("sam", KEYSTONE),)


@dataclass(frozen=True)
class DemoProject:
    number: str
    name: str
    erp_job_id: str


RIVERSIDE = DemoProject("RMC-101", "Riverside Medical Center", "26-101")
HARBOR_VIEW = DemoProject("HVO-202", "Harbor View Offices", "26-202")
PROJECTS = (RIVERSIDE, HARBOR_VIEW)


@dataclass(frozen=True)
class DemoSovLine:
    cost_code: str
    description: str
    scheduled_value: Decimal


@dataclass(frozen=True)
class DemoExport:
    """The invoice's one export item. Synced items carry the approver's decision."""

    state: InvoiceErpStatus
    sent_by: str
    sent_at: datetime.datetime
    decided_by: str | None = None
    decided_at: datetime.datetime | None = None
    synced_at: datetime.datetime | None = None
    erp_reference: str = ""


@dataclass(frozen=True)
class DemoInvoice:
    number: int
    period: tuple[datetime.date, datetime.date]
    status: Status
    created_by: str
    # Per SOV line, in SOV order: (work completed this period, materials presently stored).
    billed: tuple[tuple[str, str], ...]
    export: DemoExport | None = None

    @property
    def erp_status(self) -> InvoiceErpStatus:
        return self.export.state if self.export else InvoiceErpStatus.NOT_SENT


@dataclass(frozen=True)
class DemoCommitment:
    project: DemoProject
    number: str
    type: CommitmentType
    title: str
    vendor: DemoVendor
    status: str
    sov_lines: tuple[DemoSovLine, ...]
    invoices: tuple[DemoInvoice, ...] = ()
    executed: bool = True
    is_private: bool = False
    default_retainage_percent: Decimal = RETAINAGE
    # Empty until the commitment is synced to the ERP.
    erp_reference: str = ""
    # Users on the private access list (invoice contacts are added on their own).
    private_access: tuple[str, ...] = ()
    invoice_contacts: tuple[str, ...] = ()

    @property
    def erp_status(self) -> CommitmentErpStatus:
        if self.erp_reference:
            return CommitmentErpStatus.SYNCED
        return CommitmentErpStatus.NOT_SYNCED


def month(year: int, number: int) -> tuple[datetime.date, datetime.date]:
    """A calendar month as a billing period."""
    first = datetime.date(year, number, 1)
    following = datetime.date(year + number // 12, number % 12 + 1, 1)
    return first, following - datetime.timedelta(days=1)


def line(cost_code: str, description: str, scheduled_value: str) -> DemoSovLine:
    return DemoSovLine(cost_code, description, Decimal(scheduled_value))


def synced(
    sent_at: datetime.datetime, decided_at: datetime.datetime, erp_reference: str
) -> DemoExport:
    return DemoExport(
        state=InvoiceErpStatus.SYNCED,
        sent_by="pat",
        sent_at=sent_at,
        decided_by="alex",
        decided_at=decided_at,
        synced_at=decided_at + datetime.timedelta(minutes=2),
        erp_reference=erp_reference,
    )


def ready_to_export(sent_at: datetime.datetime) -> DemoExport:
    return DemoExport(state=InvoiceErpStatus.READY_TO_EXPORT, sent_by="pat", sent_at=sent_at)


NONE = "0.00"

# SC-001: $1,500,000.00 of concrete, billed monthly by Keystone Concrete from May 2026.
# Cumulative billing after INV-6 stays under every line's scheduled value.
SC_001 = DemoCommitment(
    project=RIVERSIDE,
    number="SC-001",
    type=CommitmentType.SUBCONTRACT,
    title="Concrete & Foundations",
    vendor=KEYSTONE,
    status=SubcontractStatus.APPROVED,
    erp_reference="26-101-SC-001",
    invoice_contacts=("sam",),
    sov_lines=(
        line("01-500", "Mobilization & General Conditions", "45000.00"),
        line("31-630", "Drilled Piers", "195000.00"),
        line("03-100", "Concrete Forming & Accessories", "285000.00"),
        line("03-200", "Concrete Reinforcing", "240000.00"),
        line("03-300", "Cast-in-Place Concrete: Foundations & Walls", "410000.00"),
        line("03-310", "Slabs on Grade & Elevated Decks", "325000.00"),
    ),
    invoices=(
        DemoInvoice(
            1,
            month(2026, 5),
            Status.APPROVED,
            "sam",
            billed=(
                ("4500.00", NONE),
                ("97500.00", NONE),
                ("42750.00", NONE),
                ("18000.00", "36000.00"),
                ("61500.00", NONE),
                (NONE, NONE),
            ),
            export=synced(at(2026, 6, 5, 10, 12), at(2026, 6, 8, 14, 30), "AP-2026-00412"),
        ),
        DemoInvoice(
            2,
            month(2026, 6),
            Status.APPROVED,
            "sam",
            billed=(
                ("4500.00", NONE),
                ("78000.00", NONE),
                ("57000.00", NONE),
                ("48000.00", "12000.00"),
                ("82000.00", NONE),
                (NONE, NONE),
            ),
            export=synced(at(2026, 7, 7, 11, 5), at(2026, 7, 9, 15, 45), "AP-2026-00537"),
        ),
        DemoInvoice(
            3,
            month(2026, 7),
            Status.APPROVED,
            "sam",
            billed=(
                ("4500.00", NONE),
                ("14625.00", NONE),
                ("48450.00", NONE),
                ("36000.00", NONE),
                ("73800.00", NONE),
                ("32500.00", "16250.00"),
            ),
            export=ready_to_export(at(2026, 8, 6, 9, 40)),
        ),
        DemoInvoice(
            4,
            month(2026, 8),
            Status.APPROVED,
            "sam",
            billed=(
                ("4500.00", NONE),
                (NONE, NONE),
                ("39900.00", NONE),
                ("30000.00", "9600.00"),
                ("61500.00", NONE),
                ("65000.00", NONE),
            ),
            export=ready_to_export(at(2026, 9, 8, 16, 20)),
        ),
        DemoInvoice(
            5,
            month(2026, 9),
            Status.APPROVED,
            "sam",
            billed=(
                ("4500.00", NONE),
                (NONE, NONE),
                ("28500.00", NONE),
                ("24000.00", NONE),
                ("41000.00", NONE),
                ("81250.00", NONE),
            ),
        ),
        DemoInvoice(
            6,
            month(2026, 10),
            Status.DRAFT,
            "sam",
            billed=(
                ("4500.00", NONE),
                (NONE, NONE),
                ("14250.00", NONE),
                ("12000.00", NONE),
                ("20500.00", NONE),
                ("48750.00", NONE),
            ),
        ),
    ),
)

# A private subcontract: riley is on its access list, casey is not.
SC_002 = DemoCommitment(
    project=RIVERSIDE,
    number="SC-002",
    type=CommitmentType.SUBCONTRACT,
    title="Structural Steel",
    vendor=IRONCLAD,
    status=SubcontractStatus.APPROVED,
    is_private=True,
    erp_reference="26-101-SC-002",
    private_access=("riley",),
    sov_lines=(
        line("05-050", "Shop Drawings & Detailing", "65000.00"),
        line("05-120", "Structural Steel Fabrication & Erection", "1240000.00"),
        line("05-310", "Steel Decking", "185000.00"),
    ),
    invoices=(
        DemoInvoice(
            1,
            month(2026, 9),
            Status.UNDER_REVIEW,
            "pat",
            billed=(("52000.00", NONE), ("124000.00", "186000.00"), (NONE, NONE)),
        ),
    ),
)

# Not synced to the ERP yet, so its Approved invoice cannot be sent.
SC_003 = DemoCommitment(
    project=RIVERSIDE,
    number="SC-003",
    type=CommitmentType.SUBCONTRACT,
    title="Electrical",
    vendor=BRIGHTLINE,
    status=SubcontractStatus.APPROVED,
    sov_lines=(
        line("26-050", "Temporary Power & Lighting", "48000.00"),
        line("26-200", "Electrical Distribution & Rough-In", "520000.00"),
        line("26-500", "Lighting Fixtures & Controls", "210000.00"),
    ),
    invoices=(
        DemoInvoice(
            1,
            month(2026, 9),
            Status.APPROVED,
            "pat",
            billed=(("36000.00", NONE), ("52000.00", NONE), (NONE, NONE)),
        ),
    ),
)

PO_001 = DemoCommitment(
    project=RIVERSIDE,
    number="PO-001",
    type=CommitmentType.PURCHASE_ORDER,
    title="Waterproofing & Drainage Materials",
    vendor=CASCADE,
    status=PurchaseOrderStatus.APPROVED,
    default_retainage_percent=NO_RETAINAGE,
    erp_reference="26-101-PO-001",
    sov_lines=(
        line("07-130", "Below-Grade Waterproofing Membrane", "86400.00"),
        line("33-460", "Foundation Drainage Pipe & Fittings", "23750.00"),
    ),
    invoices=(
        DemoInvoice(
            1,
            month(2026, 9),
            Status.APPROVED,
            "pat",
            billed=(("43200.00", NONE), ("23750.00", NONE)),
        ),
    ),
)

HVO_SC_001 = DemoCommitment(
    project=HARBOR_VIEW,
    number="SC-001",
    type=CommitmentType.SUBCONTRACT,
    title="Electrical",
    vendor=BRIGHTLINE,
    status=SubcontractStatus.APPROVED,
    erp_reference="26-202-SC-001",
    sov_lines=(
        line("26-050", "Temporary Power & Lighting", "32000.00"),
        line("26-200", "Electrical Distribution & Rough-In", "365000.00"),
        line("26-500", "Lighting Fixtures & Controls", "148000.00"),
    ),
    invoices=(
        DemoInvoice(
            1,
            month(2026, 10),
            Status.APPROVED,
            "pat",
            billed=(("16000.00", NONE), ("54750.00", NONE), (NONE, NONE)),
            export=ready_to_export(at(2026, 11, 6, 13, 15)),
        ),
    ),
)

COMMITMENTS = (SC_001, SC_002, SC_003, PO_001, HVO_SC_001)

# (username, project, level) on the Commitments tool.
COMMITMENTS_LEVELS = (
    ("pat", RIVERSIDE, ToolLevel.ADMIN),
    ("pat", HARBOR_VIEW, ToolLevel.ADMIN),
    ("riley", RIVERSIDE, ToolLevel.STANDARD),
    ("casey", RIVERSIDE, ToolLevel.READ_ONLY),
)
# Accounting approvers: ERP Integrations level plus 'Can push to accounting'.
ACCOUNTING_APPROVERS = (("alex", ToolLevel.STANDARD),)


# --- Loading -------------------------------------------------------------------------------


@dataclass
class SeedReport:
    """What a run created and what it found already there, per kind of row."""

    created: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)

    def record(self, kind: str, *, created: bool, count: int = 1) -> None:
        (self.created if created else self.found)[kind] += count

    def summary(self) -> list[str]:
        kinds = list(dict.fromkeys([*self.created, *self.found]))
        width = max(len(kind) for kind in kinds)
        rows = [
            f"  {kind:<{width}}  {self.created[kind]:>4} created  {self.found[kind]:>4} found"
            for kind in kinds
        ]
        total_created, total_found = self.created.total(), self.found.total()
        return [
            f"Demo data for {COMPANY_NAME}:",
            *rows,
            f"{total_created} created, {total_found} already there.",
            f"Users: {', '.join(user.username for user in USERS)}; password: {DEMO_PASSWORD}",
        ]


def _upsert[M: models.Model](
    report: SeedReport, kind: str, model: type[M], defaults: dict, **key
) -> M:
    obj, created = model._default_manager.update_or_create(defaults=defaults, **key)
    report.record(kind, created=created)
    return obj


def _seed_user(report: SeedReport, spec: DemoUser) -> User:
    fields = {
        "first_name": spec.first_name,
        "last_name": spec.last_name,
        "email": spec.email,
        "is_active": True,
        "is_staff": spec.is_superuser,
        "is_superuser": spec.is_superuser,
    }
    user, created = get_user_model().objects.update_or_create(
        username=spec.username,
        defaults=fields,
        create_defaults={**fields, "password": make_password(DEMO_PASSWORD)},
    )
    # Someone changed the password while trying the demo: make `demo` work again.
    if not created and not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    report.record("users", created=created)
    return user


def _seed_grants(
    report: SeedReport,
    users: dict[str, User],
    company: Company,
    projects: dict[str, Project],
    commitments: dict[tuple[str, str], Commitment],
) -> None:
    """Grant through the services, and only what is missing (asked of the access layer)."""
    kind = "permission grants"
    for username, demo_project, level in COMMITMENTS_LEVELS:
        user, project = users[username], projects[demo_project.number]
        missing = commitments_level(user, project) != level
        if missing:
            project_set_commitments_level(user=user, project=project, level=level)
        report.record(kind, created=missing)

    for username, level in ACCOUNTING_APPROVERS:
        user = users[username]
        missing = erp_integrations_level(user, company) != level
        if missing:
            company_set_erp_integrations_level(user=user, company=company, level=level)
        report.record(kind, created=missing)
        missing = PUSH_TO_ACCOUNTING_PERMISSION not in object_permissions(user, company)
        if missing:
            company_set_push_to_accounting(user=user, company=company, allowed=True)
        report.record(kind, created=missing)

    for spec in COMMITMENTS:
        commitment = commitments[spec.project.number, spec.number]
        for username in spec.private_access:
            user = users[username]
            missing = not is_on_private_access_list(user, commitment)
            if missing:
                commitment_grant_private_access(commitment=commitment, user=user)
            report.record(kind, created=missing)
        for username in spec.invoice_contacts:
            user = users[username]
            missing = not (
                is_invoice_contact(user, commitment) and is_on_private_access_list(user, commitment)
            )
            if missing:
                commitment_add_invoice_contact(commitment=commitment, user=user)
            report.record(kind, created=missing)


def _seed_commitment(
    report: SeedReport, spec: DemoCommitment, project: Project, vendor: Vendor
) -> tuple[Commitment, list[SovLine]]:
    commitment = _upsert(
        report,
        "commitments",
        Commitment,
        project=project,
        number=spec.number,
        defaults={
            "type": spec.type,
            "title": spec.title,
            "vendor": vendor,
            "status": spec.status,
            "executed": spec.executed,
            "is_private": spec.is_private,
            "default_retainage_percent": spec.default_retainage_percent,
            "erp_status": spec.erp_status,
            "erp_reference": spec.erp_reference,
        },
    )
    sov_lines = [
        _upsert(
            report,
            "SOV lines",
            SovLine,
            commitment=commitment,
            position=position,
            defaults={
                "cost_code": sov.cost_code,
                "description": sov.description,
                "scheduled_value": sov.scheduled_value,
            },
        )
        for position, sov in enumerate(spec.sov_lines, start=1)
    ]
    return commitment, sov_lines


def _demo_uuid(*parts: object) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(str(part) for part in parts))


def _seed_invoice(
    report: SeedReport,
    spec: DemoInvoice,
    commitment: Commitment,
    sov_lines: list[SovLine],
    users: dict[str, User],
) -> None:
    """The invoice, and (only when it is new) its lines, export item and history."""
    period_start, period_end = spec.period
    invoice, created = Invoice.objects.get_or_create(
        commitment=commitment,
        number=spec.number,
        defaults={
            "billing_period_start": period_start,
            "billing_period_end": period_end,
            "billing_date": period_end,
            "status": spec.status,
            "erp_status": spec.erp_status,
            "created_by": users[spec.created_by],
        },
    )
    report.record("invoices", created=created)
    if not created:
        return

    if len(spec.billed) != len(sov_lines):
        raise ValueError(f"{commitment} {invoice.label}: one billed pair per SOV line")
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            sov_line=sov_line,
            work_completed_this_period=Decimal(work),
            materials_presently_stored=Decimal(stored),
            work_retainage_percent=commitment.default_retainage_percent,
            materials_retainage_percent=commitment.default_retainage_percent,
        )
        for sov_line, (work, stored) in zip(sov_lines, spec.billed, strict=True)
    )
    report.record("invoice lines", created=True, count=len(sov_lines))

    created_at = datetime.datetime.combine(
        spec.period[1], datetime.time(17, 0), tzinfo=DEMO_TIME_ZONE
    )
    updated_at = created_at
    if spec.export is not None:
        updated_at = _seed_export(report, spec.export, invoice, commitment, users)
    # auto_now(_add) fields take the clock on save; put the demo's fixed dates back.
    Invoice.objects.filter(pk=invoice.pk).update(created_at=created_at, updated_at=updated_at)


def _seed_export(
    report: SeedReport,
    spec: DemoExport,
    invoice: Invoice,
    commitment: Commitment,
    users: dict[str, User],
) -> datetime.datetime:
    """The invoice's export item and the history of the ERP actions that led to its
    state. Returns when the last of them happened."""
    key = (commitment.project.number, commitment.number, invoice.label)
    sent_batch = _demo_uuid(*key, "sent")
    decided_by = users[spec.decided_by] if spec.decided_by else None
    _, created = ExportItem.objects.get_or_create(
        idempotency_key=_demo_uuid(*key, "export"),
        defaults={
            "invoice": invoice,
            "company_id": commitment.project.company_id,
            "state": spec.state,
            "invoice_revision": invoice.revision,
            "sent_by": users[spec.sent_by],
            "sent_at": spec.sent_at,
            "decided_by": decided_by,
            "decided_at": spec.decided_at,
            "export_started_at": spec.decided_at,
            "attempts": 1 if spec.synced_at else 0,
            "erp_reference": spec.erp_reference,
            "synced_at": spec.synced_at,
            "batch_id": sent_batch,
        },
    )
    report.record("export items", created=created)

    # (when, by, from, to, batch): the steps the ERP services would have recorded.
    steps: list[
        tuple[datetime.datetime, User | None, InvoiceErpStatus, InvoiceErpStatus, uuid.UUID]
    ] = [
        (
            spec.sent_at,
            users[spec.sent_by],
            InvoiceErpStatus.NOT_SENT,
            InvoiceErpStatus.READY_TO_EXPORT,
            sent_batch,
        )
    ]
    if spec.decided_at is not None:
        # Accepting and the export it starts are one action: they share a batch.
        accepted_batch = _demo_uuid(*key, "accepted")
        steps.append(
            (
                spec.decided_at,
                decided_by,
                InvoiceErpStatus.READY_TO_EXPORT,
                InvoiceErpStatus.EXPORTING,
                accepted_batch,
            )
        )
        if spec.synced_at is not None:
            # The export itself is the system's doing, as the export task records it.
            steps.append(
                (
                    spec.synced_at,
                    None,
                    InvoiceErpStatus.EXPORTING,
                    InvoiceErpStatus.SYNCED,
                    accepted_batch,
                )
            )
    entries = [
        history_entry(
            invoice,
            action_by=by,
            changed=ERP_STATUS_CHANGE,
            from_value=from_status.label,
            to_value=to_status.label,
            batch_id=batch,
        )
        for _, by, from_status, to_status, batch in steps
    ]
    record_history(entries)
    for entry, (when, *_) in zip(entries, steps, strict=True):
        ChangeHistoryEntry.objects.filter(pk=entry.pk).update(created_at=when)
    report.record("change history entries", created=True, count=len(entries))
    return steps[-1][0]


@transaction.atomic
def seed_demo_data() -> SeedReport:
    """Create whatever of the demo data is missing; a second run changes nothing."""
    report = SeedReport()
    users = {spec.username: _seed_user(report, spec) for spec in USERS}

    company = _upsert(
        report,
        "companies",
        Company,
        name=COMPANY_NAME,
        defaults={"point_of_view": PointOfView.GENERAL_CONTRACTOR},
    )
    _upsert(
        report,
        "ERP connections",
        ErpConnection,
        company=company,
        defaults={"system": ErpSystem.SAGE_300_CRE, "connector": ConnectorKind.FILE},
    )
    vendors = {
        spec.name: _upsert(
            report,
            "vendors",
            Vendor,
            company=company,
            name=spec.name,
            defaults={"erp_vendor_id": spec.erp_vendor_id},
        )
        for spec in VENDORS
    }
    for username, vendor in VENDOR_EMPLOYEES:
        _upsert(
            report,
            "vendor employees",
            VendorEmployee,
            user=users[username],
            defaults={"vendor": vendors[vendor.name]},
        )
    projects = {
        spec.number: _upsert(
            report,
            "projects",
            Project,
            company=company,
            number=spec.number,
            defaults={"name": spec.name, "erp_job_id": spec.erp_job_id},
        )
        for spec in PROJECTS
    }

    commitments = {}
    for spec in COMMITMENTS:
        commitment, sov_lines = _seed_commitment(
            report, spec, projects[spec.project.number], vendors[spec.vendor.name]
        )
        commitments[spec.project.number, spec.number] = commitment
        for invoice_spec in spec.invoices:
            _seed_invoice(report, invoice_spec, commitment, sov_lines, users)

    _seed_grants(report, users, company, projects, commitments)
    seed_demo_attachments(report, commitments, users)
    return report
