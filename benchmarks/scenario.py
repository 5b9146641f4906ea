"""The bench rows the measured requests use, found and checked through the ORM.

`prepare` makes the database ready before gunicorn starts: it migrates, seeds the bench
data set only when the one there is not of the asked scale or its queue does not hold
all the Ready to Export items of that scale (each run's bulk accepts use up fresh items,
and the filtered queue row is measured on the whole queue: 5,000 items at scale 1), and
adds the staff user who opens Django admin. `find_scenario` then picks, once, the ids
the requests need; the `*_are` checks confirm after a POST that it did what it should,
so a fast response that changed nothing is never counted as a result.

Needs Django set up (`django.setup()`) before use, with the benchmark's environment.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db.models import Count

from benchmarks.data import (
    BENCH_ADMIN_USERNAME,
    BENCH_COMMITMENT_NUMBER,
    BENCH_COMPANY_NAME,
    BenchCounts,
    bench_data_exists,
)
from commitments.models import Commitment, CommitmentType, SovLine
from demo.documents import text_pdf
from erp_integrations.models import ExportItem, ExportState
from invoices.models import Invoice, InvoiceAttachment, InvoiceErpStatus, InvoiceLine, InvoiceStatus
from projects.models import Company, Project

# The invoice the PDF row prints: 150 lines, on a commitment of its own beside the seeded
# data (seed_bench's invoices have 4-8 lines), added by `prepare` when missing.
PRINT_COMMITMENT_NUMBER = "SC-BENCH-PDF"
PRINT_INVOICE_LINES = 150
STAFF_USERNAME = "bench_staff"
STAFF_PASSWORD = "bench"  # a local benchmark user, like the bench users
BULK_SIZE = 100
# Accept warm-ups use small batches, so they spend few of the fresh items.
ACCEPT_WARMUP_SIZE = 10
# Rounds of requests before measuring: each gunicorn worker loads its code, templates and
# connections on its first requests, which are not what a user waits for later.
PAGE_WARMUPS = 3
# The invoice page measured with this many attachments (its queries must not grow with
# them).
ATTACHMENTS_ON_PAGE = 20
# The PDF with attachments row: the print invoice's PDF attachments (one page each),
# appended after its pay application, and two that are not PDFs (listed on the last page).
PRINT_PDF_ATTACHMENTS = 10
PRINT_OTHER_ATTACHMENTS = 2
# A 1x1 PNG, the print invoice's "site photo".
SITE_PHOTO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
ACTION_WARMUPS = 2


@dataclass(frozen=True)
class Scenario:
    company_id: int
    big_project_id: int
    bench_project_id: int
    bench_commitment_id: int
    invoice_page_id: int  # an invoice of the bench commitment with a full history
    attachments_invoice_id: int  # another, with ATTACHMENTS_ON_PAGE attachments
    bulk_invoice_ids: tuple[int, ...]  # Ready to Export on the bench commitment
    single_invoice_id: int  # one more, for the single retrieve
    accept_item_ids: tuple[int, ...]  # fresh Ready to Export items on other commitments
    ready_item_count: int  # the company's queue, Ready to Export, as the pages find it
    print_project_id: int
    print_commitment_id: int
    print_invoice_id: int  # PRINT_INVOICE_LINES lines


def accept_items_needed(requests: int, warmups: int) -> int:
    return requests * BULK_SIZE + warmups * ACCEPT_WARMUP_SIZE


def seeded_invoice_count() -> int:
    return (
        Invoice.objects.filter(commitment__project__company__name=BENCH_COMPANY_NAME)
        .exclude(commitment__number=PRINT_COMMITMENT_NUMBER)
        .count()
    )


def ready_items(*, on_bench_commitment: bool):
    items = ExportItem.objects.filter(
        company__name=BENCH_COMPANY_NAME, state=ExportState.READY_TO_EXPORT
    )
    bench = {"invoice__commitment__number": BENCH_COMMITMENT_NUMBER}
    return items.filter(**bench) if on_bench_commitment else items.exclude(**bench)


def why_reseed(scale: float, accept_items: int) -> str | None:
    """Why the data there will not do for this run, or None when it will."""
    if not bench_data_exists():
        return "no bench data yet"
    expected = BenchCounts.for_scale(scale).invoices
    found = seeded_invoice_count()
    if found != expected:
        return f"{found:,} bench invoices found, scale {scale:g} has {expected:,}"
    if ready_items(on_bench_commitment=True).count() < BULK_SIZE + 1:
        return f"fewer than {BULK_SIZE + 1} invoices Ready to Export on {BENCH_COMMITMENT_NUMBER}"
    left = ready_items(on_bench_commitment=False).count()
    if left < accept_items:
        return f"{left:,} fresh Ready to Export items left, the bulk accepts need {accept_items:,}"
    in_queue = left + ready_items(on_bench_commitment=True).count()
    seeded = BenchCounts.for_scale(scale).ready_items
    if in_queue < seeded:
        # A previous run's bulk accepts took them: the queue rows measure the whole queue.
        return f"{in_queue:,} items Ready to Export, scale {scale:g} queues {seeded:,}"
    return None


def prepare(*, scale: float, accept_items: int, report=print) -> None:
    call_command("migrate", interactive=False, verbosity=0)
    reason = why_reseed(scale, accept_items)
    if reason is None:
        report(f"Bench data at scale {scale:g} is in place.")
    else:
        report(f"Seeding the bench data ({reason}).")
        call_command("seed_bench", scale=scale, reset=bench_data_exists())
    ensure_staff_user()
    ensure_attachments()
    ensure_print_invoice()
    ensure_print_attachments()


def ensure_staff_user() -> None:
    """A superuser for Django admin's changelist; the bench data set has none."""
    user, _ = get_user_model().objects.get_or_create(
        username=STAFF_USERNAME, defaults={"email": f"{STAFF_USERNAME}@bench.example.com"}
    )
    user.is_staff = True
    user.is_superuser = True
    user.set_password(STAFF_PASSWORD)
    user.save()


def attachments_invoice() -> Invoice:
    """The bench commitment's second invoice: the one measured with attachments."""
    return Invoice.objects.get(
        commitment__project__company__name=BENCH_COMPANY_NAME,
        commitment__number=BENCH_COMMITMENT_NUMBER,
        number=2,
    )


@dataclass(frozen=True)
class Document:
    """A file the harness attaches to a measured invoice."""

    name: str
    content_type: str
    content: bytes


def backup_pdfs(invoice: Invoice, count: int) -> list[Document]:
    """`count` small generated one-page PDFs, as the demo's."""
    return [
        Document(
            f"Backup {number:02d}.pdf",
            "application/pdf",
            text_pdf([f"Backup document {number} of {invoice.label}"]),
        )
        for number in range(1, count + 1)
    ]


def print_invoice_documents(invoice: Invoice) -> list[Document]:
    """The print invoice's attachments: PRINT_PDF_ATTACHMENTS PDFs, whose pages the PDF
    with attachments appends, and a CSV and a PNG, which its last page lists."""
    return [
        *backup_pdfs(invoice, PRINT_PDF_ATTACHMENTS),
        Document("Quantities.csv", "text/csv", b"item,qty\nRebar,12\nForms,3\n"),
        Document("Site photo.png", "image/png", SITE_PHOTO_PNG),
    ]


def ensure_documents(invoice: Invoice, documents: list[Document]) -> None:
    """Give `invoice` exactly these attachments (written as rows, like the demo's), each
    with its file in this checkout's storage. A row whose file is missing (the database
    was prepared from another checkout, whose MEDIA_ROOT holds the files) is made again,
    so a download never measures a missing file."""
    wanted = {document.name: document for document in documents}
    present = set()
    for attachment in invoice.attachments.order_by("pk"):
        name = attachment.original_name
        if (
            name in wanted
            and name not in present
            and bool(attachment.file.name)
            and attachment.file.storage.exists(str(attachment.file.name))
        ):
            present.add(name)
        else:
            attachment.delete()
    for document in documents:
        if document.name in present:
            continue
        attachment = InvoiceAttachment(
            invoice=invoice,
            original_name=document.name,
            size=len(document.content),
            content_type=document.content_type,
            sha256=hashlib.sha256(document.content).hexdigest(),
            added_by=invoice.created_by,
        )
        attachment.file.save(document.name, ContentFile(document.content), save=False)
        attachment.save()


def ensure_attachments() -> None:
    """Give the attachments invoice its ATTACHMENTS_ON_PAGE attachments."""
    invoice = attachments_invoice()
    ensure_documents(invoice, backup_pdfs(invoice, ATTACHMENTS_ON_PAGE))


def ensure_print_attachments() -> None:
    """Give the print invoice the attachments the PDF with attachments row appends."""
    invoice = ensure_print_invoice()
    ensure_documents(invoice, print_invoice_documents(invoice))


def ensure_print_invoice() -> Invoice:
    """The 150-line invoice of the PDF row, on the bench company's smallest project (so
    the Commitments tool's biggest project stays the one it was)."""
    existing = Invoice.objects.filter(
        commitment__project__company__name=BENCH_COMPANY_NAME,
        commitment__number=PRINT_COMMITMENT_NUMBER,
    ).first()
    if existing is not None:
        return existing
    company = Company.objects.get(name=BENCH_COMPANY_NAME)
    project = (
        Project.objects.filter(company=company)
        .annotate(commitment_count=Count("commitments"))
        .order_by("commitment_count", "pk")
        .first()
    )
    template = Commitment.objects.filter(project__company=company).order_by("pk").first()
    assert project is not None and template is not None  # seed_bench made them
    commitment = Commitment.objects.create(
        project=project,
        type=CommitmentType.SUBCONTRACT,
        number=PRINT_COMMITMENT_NUMBER,
        title="Pay application print test (150 lines)",
        vendor=template.vendor,
        status="approved",
        executed=True,
        default_retainage_percent=Decimal("10.00"),
    )
    sov_lines = SovLine.objects.bulk_create(
        SovLine(
            commitment=commitment,
            position=position,
            cost_code=f"{position:02d}-{position * 10:04d}",
            description=f"Scope item {position} of the schedule of values",
            scheduled_value=Decimal(10_000 + position * 137),
        )
        for position in range(1, PRINT_INVOICE_LINES + 1)
    )
    invoice = Invoice.objects.create(
        commitment=commitment,
        number=1,
        billing_period_start=datetime.date(2026, 10, 1),
        billing_period_end=datetime.date(2026, 10, 31),
        billing_date=datetime.date(2026, 10, 31),
        status=InvoiceStatus.APPROVED,
        created_by=get_user_model().objects.get(username=BENCH_ADMIN_USERNAME),
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            sov_line=sov_line,
            work_completed_this_period=sov_line.scheduled_value / 4,
            materials_presently_stored=Decimal("125.50"),
            work_retainage_percent=Decimal("10.00"),
            materials_retainage_percent=Decimal("5.00"),
        )
        for sov_line in sov_lines
    )
    return invoice


def find_scenario(*, accept_items: int) -> Scenario:
    company = Company.objects.get(name=BENCH_COMPANY_NAME)
    big_project = (
        Project.objects.filter(company=company)
        .annotate(commitment_count=Count("commitments"))
        .order_by("-commitment_count", "pk")
        .first()
    )
    commitment = Commitment.objects.get(project__company=company, number=BENCH_COMMITMENT_NUMBER)
    ready = list(
        Invoice.objects.filter(commitment=commitment, erp_status=InvoiceErpStatus.READY_TO_EXPORT)
        .order_by("number")
        .values_list("pk", flat=True)[: BULK_SIZE + 1]
    )
    # The first invoice: synced, with lines and the whole history an old invoice has.
    first_invoice = Invoice.objects.filter(commitment=commitment).order_by("number").first()
    assert big_project is not None and first_invoice is not None  # seed_bench made them
    print_invoice = ensure_print_invoice()
    accept_ids = list(
        ready_items(on_bench_commitment=False)
        .order_by("pk")
        .values_list("pk", flat=True)[:accept_items]
    )
    return Scenario(
        company_id=company.pk,
        big_project_id=big_project.pk,
        bench_project_id=commitment.project_id,
        bench_commitment_id=commitment.pk,
        invoice_page_id=first_invoice.pk,
        attachments_invoice_id=attachments_invoice().pk,
        bulk_invoice_ids=tuple(ready[:BULK_SIZE]),
        single_invoice_id=ready[BULK_SIZE],
        accept_item_ids=tuple(accept_ids),
        ready_item_count=ExportItem.objects.filter(
            company=company, state=ExportState.READY_TO_EXPORT
        ).count(),
        print_project_id=print_invoice.commitment.project_id,
        print_commitment_id=print_invoice.commitment_id,
        print_invoice_id=print_invoice.pk,
    )


def invoices_are(invoice_ids: Sequence[int], erp_status: str) -> bool:
    found = Invoice.objects.filter(pk__in=invoice_ids, erp_status=erp_status).count()
    return found == len(set(invoice_ids))


def items_are(item_ids: Sequence[int], state: str) -> bool:
    found = ExportItem.objects.filter(pk__in=item_ids, state=state).count()
    return found == len(set(item_ids))
