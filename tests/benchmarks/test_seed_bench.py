"""`manage.py seed_bench`: the benchmark data set, at a small scale."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, OuterRef, Subquery

from benchmarks.data import (
    ALREADY_SEEDED,
    BENCH_ADMIN_USERNAME,
    BENCH_APPROVER_USERNAME,
    BENCH_COMMITMENT_NUMBER,
    BENCH_COMPANY_NAME,
    BENCH_PASSWORD,
    INVALID_SCALE,
    BenchCounts,
)
from benchmarks.scenario import (
    ATTACHMENTS_ON_PAGE,
    PRINT_OTHER_ATTACHMENTS,
    PRINT_PDF_ATTACHMENTS,
    attachments_invoice,
    ensure_attachments,
    ensure_print_attachments,
    ensure_print_invoice,
)
from commitments.models import Commitment, SovLine
from commitments.permissions import visible_projects
from erp_integrations.models import ExportItem, ExportState
from invoices.models import Invoice, InvoiceErpStatus, InvoiceLine
from projects.models import Company, Project, ToolLevel, Vendor
from projects.permissions import (
    approver_companies,
    commitments_level,
    is_accounting_approver,
)
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

# 1 project, 8 commitments (SC-BENCH-150 among them), 200 invoices, 10 Ready to Export.
SCALE = 0.002


def seed_bench(**options) -> str:
    out = StringIO()
    call_command("seed_bench", stdout=out, **{"scale": SCALE, **options})
    return out.getvalue()


def bench_invoices():
    return Invoice.objects.filter(commitment__project__company__name=BENCH_COMPANY_NAME)


def snapshot() -> list[tuple]:
    """What the data set holds, by natural keys (primary keys differ between runs)."""
    return list(
        InvoiceLine.objects.filter(invoice__in=bench_invoices())
        .order_by(
            "invoice__commitment__project__number",
            "invoice__commitment__number",
            "invoice__number",
            "sov_line__position",
        )
        .values_list(
            "invoice__commitment__project__number",
            "invoice__commitment__number",
            "invoice__commitment__vendor__name",
            "invoice__number",
            "invoice__status",
            "invoice__erp_status",
            "invoice__billing_period_end",
            "sov_line__scheduled_value",
            "work_completed_this_period",
            "materials_presently_stored",
            "work_retainage_percent",
        )
    )


def test_counts_at_scale_1_are_those_of_the_issue():
    assert BenchCounts.for_scale(1) == BenchCounts(
        vendors=300, projects=200, commitments=4_000, invoices=100_000, ready_items=5_000
    )


def test_seed_bench_creates_counts_proportional_to_the_scale():
    seed_bench()

    company = Company.objects.get(name=BENCH_COMPANY_NAME)
    assert company.erp_connection.get_system_display() == "Sage 300 CRE"
    assert company.erp_connection.connector == "file"
    assert Vendor.objects.filter(company=company).count() == 5
    assert Project.objects.filter(company=company).count() == 1
    assert Commitment.objects.filter(project__company=company).count() == 8
    assert bench_invoices().count() == 200
    ready = ExportItem.objects.filter(company=company, state=ExportState.READY_TO_EXPORT)
    assert ready.count() == 10


def test_seed_bench_reports_row_counts_and_elapsed_time():
    output = seed_bench()

    assert re.search(r"^  invoices +200$", output, re.MULTILINE)
    assert re.search(r"^  export items Ready to Export +10$", output, re.MULTILINE)
    assert f"Seeded “{BENCH_COMPANY_NAME}” in " in output


def test_the_150_invoice_commitment_numbers_its_invoices_1_to_150():
    seed_bench()

    commitment = Commitment.objects.get(
        project__company__name=BENCH_COMPANY_NAME, number=BENCH_COMMITMENT_NUMBER
    )
    numbers = list(commitment.invoices.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, 151))


def test_invoice_numbers_run_from_1_on_every_commitment():
    seed_bench()

    for commitment in Commitment.objects.filter(project__company__name=BENCH_COMPANY_NAME):
        numbers = list(commitment.invoices.order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1)), commitment.number


def test_every_invoice_has_one_line_per_sov_line_of_its_commitment():
    seed_bench()

    sov_lines = (
        SovLine.objects.filter(commitment=OuterRef("commitment"))
        .values("commitment")
        .annotate(count=Count("pk"))
        .values("count")[:1]
    )
    invoices = bench_invoices().annotate(
        line_count=Count("lines"), sov_line_count=Subquery(sov_lines)
    )
    assert invoices.exclude(line_count=F("sov_line_count")).count() == 0
    assert invoices.filter(line_count__lt=4).count() == 0


def test_every_ready_item_belongs_to_an_invoice_ready_to_export():
    seed_bench()

    statuses = set(
        ExportItem.objects.filter(state=ExportState.READY_TO_EXPORT).values_list(
            "invoice__erp_status", flat=True
        )
    )
    assert statuses == {InvoiceErpStatus.READY_TO_EXPORT}


def test_every_invoice_erp_status_is_its_latest_export_items_state():
    seed_bench()

    latest_state = (
        ExportItem.objects.filter(invoice=OuterRef("pk"))
        .order_by("-sent_at", "-pk")
        .values("state")[:1]
    )
    invoices = bench_invoices().annotate(latest_state=Subquery(latest_state))
    assert (
        invoices.filter(latest_state__isnull=False).exclude(erp_status=F("latest_state")).count()
        == 0
    )
    assert (
        invoices.filter(latest_state__isnull=True)
        .exclude(erp_status=InvoiceErpStatus.NOT_SENT)
        .count()
        == 0
    )
    # Synced items were written too, not only the queue.
    assert invoices.filter(erp_status=InvoiceErpStatus.SYNCED).exists()


def test_bench_admin_sees_the_bench_projects_as_admin():
    other_company_project = ProjectFactory()
    seed_bench(scale=0.01)

    admin = get_user_model().objects.get(username=BENCH_ADMIN_USERNAME)
    bench_projects = Project.objects.filter(company__name=BENCH_COMPANY_NAME)
    assert bench_projects.count() == 2
    assert set(visible_projects(admin)) == set(bench_projects)
    assert other_company_project not in visible_projects(admin)
    assert {commitments_level(admin, project) for project in bench_projects} == {ToolLevel.ADMIN}
    assert admin.check_password(BENCH_PASSWORD)


def test_bench_approver_is_the_bench_companys_accounting_approver():
    seed_bench()

    approver = get_user_model().objects.get(username=BENCH_APPROVER_USERNAME)
    company = Company.objects.get(name=BENCH_COMPANY_NAME)
    assert is_accounting_approver(approver, company)
    assert list(approver_companies(approver)) == [company]
    assert not visible_projects(approver).exists()
    assert approver.check_password(BENCH_PASSWORD)


def test_seed_bench_refuses_to_run_twice_into_the_same_database():
    seed_bench()

    with pytest.raises(CommandError) as refused:
        seed_bench()

    assert str(refused.value) == ALREADY_SEEDED.format(
        company=BENCH_COMPANY_NAME, admin=BENCH_ADMIN_USERNAME, approver=BENCH_APPROVER_USERNAME
    )
    assert bench_invoices().count() == 200


def test_reset_deletes_the_data_set_and_seeds_the_same_one_again():
    seed_bench()
    first = snapshot()

    output = seed_bench(reset=True)

    assert "Deleted company “Bench Builders” and its data" in output
    assert Company.objects.filter(name=BENCH_COMPANY_NAME).count() == 1
    assert get_user_model().objects.filter(username=BENCH_ADMIN_USERNAME).count() == 1
    assert snapshot() == first
    assert len(first) == InvoiceLine.objects.count()


def test_another_seed_gives_other_data():
    seed_bench()
    first = snapshot()

    seed_bench(reset=True, seed=7)

    assert snapshot() != first


def test_seed_bench_refuses_a_scale_of_zero():
    with pytest.raises(CommandError) as refused:
        seed_bench(scale=0)

    assert str(refused.value) == INVALID_SCALE
    assert not Company.objects.filter(name=BENCH_COMPANY_NAME).exists()


def test_the_harness_gives_the_measured_invoice_its_attachments_once():
    """`ensure_attachments` (run by the harness before it measures) gives SC-BENCH-150's
    second invoice its 20 attachments, and a second call adds none."""
    seed_bench()
    ensure_attachments()
    ensure_attachments()
    invoice = attachments_invoice()
    assert invoice.attachments.count() == ATTACHMENTS_ON_PAGE == 20


def test_the_harness_gives_the_print_invoice_pdf_and_other_attachments_once():
    seed_bench()
    ensure_print_attachments()
    ensure_print_attachments()

    types = list(
        ensure_print_invoice().attachments.order_by("pk").values_list("content_type", flat=True)
    )
    assert types.count("application/pdf") == PRINT_PDF_ATTACHMENTS
    assert len(types) == PRINT_PDF_ATTACHMENTS + PRINT_OTHER_ATTACHMENTS


def test_an_attachment_whose_file_is_missing_is_made_again():
    """A database prepared from another checkout has the rows but not the files: the
    harness writes them again instead of measuring a download of missing files."""
    seed_bench()
    ensure_attachments()
    gone = attachments_invoice().attachments.order_by("pk").first()
    gone.file.storage.delete(gone.file.name)

    ensure_attachments()

    attachments = list(attachments_invoice().attachments.all())
    assert len(attachments) == 20
    assert all(attachment.file.storage.exists(attachment.file.name) for attachment in attachments)
    assert gone.original_name in {attachment.original_name for attachment in attachments}
