from __future__ import annotations

import datetime
import io
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from commitments.models import Commitment, CommitmentErpStatus, CommitmentType
from commitments.permissions import (
    can_view_commitment,
    is_invoice_contact,
    visible_commitments,
    visible_projects,
)
from core.errors import ActionRefused
from erp_integrations.models import ErpConnection, ErpSystem, ExportItem, ExportState
from erp_integrations.services import (
    COMMITMENT_NOT_SYNCED,
    invoice_retrieve_from_erp,
    invoice_send_to_erp,
)
from invoices.amounts import amounts_of_invoices
from invoices.models import (
    ChangeHistoryEntry,
    Invoice,
    InvoiceAttachment,
    InvoiceErpStatus,
    InvoiceLine,
)
from invoices.models import InvoiceStatus as Status
from projects.models import Company, Project, ToolLevel, VendorEmployee
from projects.permissions import commitments_level, is_accounting_approver
from projects.terms import PointOfView

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = ["admin", "pat", "riley", "casey", "sam", "alex"]


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo():
    seed()


def user(username: str):
    return get_user_model().objects.get(username=username)


def commitment(project_number: str, number: str) -> Commitment:
    return Commitment.objects.select_related("project__company", "vendor").get(
        project__number=project_number, number=number
    )


def sc_001() -> Commitment:
    return commitment("RMC-101", "SC-001")


def rmc() -> Project:
    return Project.objects.get(number="RMC-101")


def test_summit_builders_is_a_general_contractor_on_sage_300_cre_via_files(demo):
    """The company sees the General Contractor terms and exports to Sage 300 CRE files."""
    company = Company.objects.get(name="Summit Builders")
    assert company.point_of_view == PointOfView.GENERAL_CONTRACTOR
    assert company.erp_connection.system == ErpSystem.SAGE_300_CRE
    assert company.erp_connection.connector == "file"


def test_the_demo_turns_direct_export_off(demo):
    """Direct Export is left off, as for a new company: sends wait for alex."""
    assert not ErpConnection.objects.filter(direct_export=True).exists()


def test_the_demo_unlinks_nothing(demo):
    assert not ExportItem.objects.filter(state=ExportState.UNLINKED).exists()


def test_riverside_and_a_second_project_are_linked_to_erp_jobs(demo):
    """RMC-101 Riverside Medical Center and one more project, both with an ERP job id."""
    projects = Project.objects.filter(company__name="Summit Builders").order_by("number")
    assert [(p.number, p.name) for p in projects] == [
        ("HVO-202", "Harbor View Offices"),
        ("RMC-101", "Riverside Medical Center"),
    ]
    assert all(project.erp_job_id for project in projects)


def test_sc_001_is_keystones_approved_synced_concrete_subcontract(demo):
    """SC-001 is an executed, approved subcontract with 10% retainage, synced to the ERP."""
    contract = sc_001()
    assert contract.title == "Concrete & Foundations"
    assert contract.vendor.name == "Keystone Concrete"
    assert contract.vendor.erp_vendor_id
    assert contract.type == CommitmentType.SUBCONTRACT
    assert contract.get_status_display() == "Approved"
    assert contract.executed
    assert contract.default_retainage_percent == Decimal("10.00")
    assert contract.erp_status == CommitmentErpStatus.SYNCED
    assert contract.erp_reference


def test_sc_001_schedule_of_values_is_a_realistic_contract(demo):
    """Four to six SOV lines with cost codes, worth between one and two million."""
    lines = list(sc_001().sov_lines.all())
    assert 4 <= len(lines) <= 6
    assert all(line.cost_code and line.description for line in lines)
    assert Decimal("1000000") <= sum(line.scheduled_value for line in lines) <= Decimal("2000000")


def test_sc_001_has_invoices_one_to_six_in_every_erp_state(demo):
    """Two Synced, two Ready to Export, one Approved not sent and one Draft by sam."""
    invoices = sc_001().invoices.order_by("number")
    assert [(i.number, i.status, i.erp_status) for i in invoices] == [
        (1, Status.APPROVED, InvoiceErpStatus.SYNCED),
        (2, Status.APPROVED, InvoiceErpStatus.SYNCED),
        (3, Status.APPROVED, InvoiceErpStatus.READY_TO_EXPORT),
        (4, Status.APPROVED, InvoiceErpStatus.READY_TO_EXPORT),
        (5, Status.APPROVED, InvoiceErpStatus.NOT_SENT),
        (6, Status.DRAFT, InvoiceErpStatus.NOT_SENT),
    ]
    assert invoices.get(number=6).created_by.username == "sam"


def test_sc_001_invoices_bill_every_sov_line_with_ten_percent_retainage(demo):
    """Each invoice has one line per SOV line, retaining 10% of work."""
    contract = sc_001()
    sov_count = contract.sov_lines.count()
    for invoice in contract.invoices.all():
        assert invoice.lines.count() == sov_count
    lines = InvoiceLine.objects.filter(invoice__commitment=contract)
    assert set(lines.values_list("work_retainage_percent", flat=True)) == {Decimal("10.00")}
    assert lines.filter(materials_presently_stored__gt=0).exists()


def test_sc_001_cumulative_billing_stays_under_scheduled_values(demo):
    """After the last invoice, every SOV line still has a balance to finish."""
    last = sc_001().invoices.get(number=6)
    amounts = amounts_of_invoices([last])[last.pk]
    for _, line in amounts.lines:
        assert line.total_completed_and_stored < line.scheduled_value
        assert line.balance_to_finish > 0
    assert amounts.totals.retainage_held > 0


def test_each_sent_sc_001_invoice_has_one_export_item_in_its_state(demo):
    """Sent invoices have one export item: pat sent it, at its revision, in the past."""
    now = timezone.now()
    for invoice in sc_001().invoices.exclude(erp_status=InvoiceErpStatus.NOT_SENT):
        (item,) = invoice.export_items.all()
        assert item.state == invoice.erp_status
        assert item.company == invoice.commitment.project.company
        assert item.invoice_revision == invoice.revision
        assert item.sent_by.username == "pat"
        assert item.sent_at < now


def test_synced_export_items_were_accepted_by_alex_and_carry_an_erp_reference(demo):
    """Synced items name alex as the decider, an ERP document reference and a sync time."""
    items = ExportItem.objects.filter(
        invoice__commitment=sc_001(), state=ExportState.SYNCED
    ).select_related("decided_by")
    assert items.count() == 2
    for item in items:
        assert item.decided_by.username == "alex"
        assert item.erp_reference
        assert item.sent_at < item.decided_at <= item.synced_at < timezone.now()


def test_unsent_sc_001_invoices_have_no_export_item(demo):
    """The Approved and the Draft invoice were never sent."""
    unsent = sc_001().invoices.filter(number__in=[5, 6])
    assert not ExportItem.objects.filter(invoice__in=unsent).exists()


def test_erp_actions_are_in_the_invoices_change_history(demo):
    """History records sending (pat), accepting (alex) and the export's sync (the system)."""

    def history(number: int) -> list[tuple[str, str, str, str | None]]:
        entries = ChangeHistoryEntry.objects.filter(
            invoice__commitment=sc_001(), invoice__number=number, changed="ERP Status"
        ).order_by("created_at")
        return [
            (e.changed, e.from_value, e.to_value, e.action_by.username if e.action_by else None)
            for e in entries
        ]

    assert history(1) == [
        ("ERP Status", "Not Sent", "Ready to Export", "pat"),
        ("ERP Status", "Ready to Export", "Exporting", "alex"),
        ("ERP Status", "Exporting", "Synced", None),
    ]
    assert history(3) == [("ERP Status", "Not Sent", "Ready to Export", "pat")]
    assert history(5) == []


def test_history_dates_are_when_the_erp_actions_happened(demo):
    """The history's Date of sending is the export item's sent_at, not the seeding time."""
    invoice = sc_001().invoices.get(number=3)
    entry = invoice.history.get(changed="ERP Status")
    assert entry.created_at == invoice.export_items.get().sent_at


def test_demo_covers_a_purchase_order_a_private_and_an_unsynced_commitment(demo):
    """Besides SC-001: a synced approved PO, a private subcontract and an unsynced one."""
    commitments = Commitment.objects.exclude(pk=sc_001().pk)
    purchase_order = commitments.get(type=CommitmentType.PURCHASE_ORDER)
    assert purchase_order.get_status_display() == "Approved"
    assert purchase_order.is_synced_to_erp
    assert commitments.filter(is_private=True).exists()
    assert commitments.filter(erp_status=CommitmentErpStatus.NOT_SYNCED).exists()
    assert commitments.filter(project__number="HVO-202").exists()


def test_the_unsynced_commitments_approved_invoice_cannot_be_sent(demo):
    """pat's Send to ERP is refused: the commitment is not synced to the ERP yet."""
    unsynced = Commitment.objects.get(erp_status=CommitmentErpStatus.NOT_SYNCED)
    invoice = unsynced.invoices.get(status=Status.APPROVED)
    with pytest.raises(ActionRefused) as refused:
        invoice_send_to_erp(user=user("pat"), invoice_id=invoice.pk)
    assert str(refused.value) == COMMITMENT_NOT_SYNCED.format(
        label=invoice.label, commitment=unsynced.number
    )


def test_sc_001_approved_invoice_can_be_sent_to_erp(demo):
    """INV-5 passes the Sage 300 CRE rules, so pat can send it."""
    invoice = sc_001().invoices.get(number=5)
    invoice_send_to_erp(user=user("pat"), invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize(
    ("username", "project_number", "level"),
    [
        ("pat", "RMC-101", ToolLevel.ADMIN),
        ("pat", "HVO-202", ToolLevel.ADMIN),
        ("riley", "RMC-101", ToolLevel.STANDARD),
        ("riley", "HVO-202", ToolLevel.NONE),
        ("casey", "RMC-101", ToolLevel.READ_ONLY),
        ("casey", "HVO-202", ToolLevel.NONE),
        ("sam", "RMC-101", ToolLevel.NONE),
        ("alex", "RMC-101", ToolLevel.NONE),
    ],
)
def test_users_hold_their_commitments_level(demo, username, project_number, level):
    """Each demo user's Commitments level per project is the one DESIGN.md gives."""
    project = Project.objects.get(number=project_number)
    assert commitments_level(user(username), project) == level


def test_admin_is_the_site_admin(demo):
    """admin is a Django superuser and may use Django admin."""
    admin = user("admin")
    assert admin.is_superuser
    assert admin.is_staff


def test_only_alex_is_summit_builders_accounting_approver(demo):
    """alex (not pat, riley, casey or sam) approves for Summit Builders."""
    company = Company.objects.get(name="Summit Builders")
    approvers = [name for name in DEMO_USERNAMES if is_accounting_approver(user(name), company)]
    assert approvers == ["admin", "alex"]  # a superuser may do anything
    assert not user("alex").is_superuser


def test_sam_works_for_keystone_and_is_the_invoice_contact_on_sc_001(demo):
    """sam is a Keystone Concrete employee and sees only SC-001 of RMC-101."""
    sam = user("sam")
    assert VendorEmployee.objects.get(user=sam).vendor.name == "Keystone Concrete"
    assert is_invoice_contact(sam, sc_001())
    assert list(visible_commitments(sam)) == [sc_001()]
    assert list(visible_projects(sam)) == [rmc()]


def test_private_commitment_is_seen_by_riley_but_not_casey(demo):
    """riley is on the private commitment's access list; casey, Read Only, is not."""
    private = Commitment.objects.get(is_private=True)
    assert private.project == rmc()
    assert can_view_commitment(user("riley"), private)
    assert not can_view_commitment(user("casey"), private)
    assert can_view_commitment(user("pat"), private)


@pytest.mark.parametrize("username", DEMO_USERNAMES)
def test_demo_user_can_log_in_with_password_demo(demo, client, username):
    """Every demo user logs in with the password `demo`."""
    assert logs_in(client, username, "demo")


def test_demo_users_have_names_and_emails(demo):
    """Pages show people by name; emails go to an address."""
    for username in DEMO_USERNAMES:
        demo_user = user(username)
        assert demo_user.get_full_name()
        assert demo_user.email.startswith(f"{username}@")


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def key_values() -> dict[str, list[tuple]]:
    return {
        "users": list(
            get_user_model()
            .objects.order_by("username")
            .values_list("username", "password", "first_name", "email", "is_superuser")
        ),
        "commitments": list(
            Commitment.objects.order_by("pk").values_list(
                "pk", "project__number", "number", "status", "erp_status", "erp_reference"
            )
        ),
        "invoices": list(
            Invoice.objects.order_by("pk").values_list(
                "pk",
                "commitment_id",
                "number",
                "status",
                "erp_status",
                "revision",
                "billing_period_start",
                "created_at",
                "updated_at",
            )
        ),
        "invoice lines": list(
            InvoiceLine.objects.order_by("pk").values_list(
                "pk",
                "invoice_id",
                "sov_line_id",
                "work_completed_this_period",
                "materials_presently_stored",
                "work_retainage_percent",
            )
        ),
        "export items": list(
            ExportItem.objects.order_by("pk").values_list(
                "pk",
                "invoice_id",
                "state",
                "sent_at",
                "decided_at",
                "synced_at",
                "erp_reference",
                "idempotency_key",
            )
        ),
        "history": list(
            ChangeHistoryEntry.objects.order_by("pk").values_list(
                "pk", "invoice_id", "created_at", "from_value", "to_value", "action_by_id"
            )
        ),
    }


def test_running_twice_adds_no_rows(demo):
    """A second run leaves the row count of every table as it was."""
    before = row_counts()
    seed()
    assert row_counts() == before


def test_running_twice_changes_no_values(demo):
    """A second run leaves users, commitments, invoices, lines, items and history unchanged."""
    before = key_values()
    seed()
    assert key_values() == before


def test_second_run_reports_everything_as_already_there():
    """The summary tells what the run created and what it found."""
    first = seed()
    second = seed()
    assert "0 created, 0 already there" not in first
    assert first.splitlines()[-2].endswith(", 0 already there.")
    assert second.splitlines()[-2].startswith("0 created, ")


def test_running_again_makes_a_changed_demo_password_work_again(demo, client):
    """A demo user whose password was changed can log in with `demo` after a rerun."""
    pat = user("pat")
    pat.set_password("something else")
    pat.save()
    seed()
    assert logs_in(client, "pat", "demo")


def logs_in(client, username: str, password: str) -> bool:
    """Log in through the login page, as a person does (and as the login throttle needs:
    it reads the request)."""
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def test_running_again_leaves_a_retrieved_invoice_as_the_user_left_it(demo):
    """Seeding does not undo what someone did in the demo (here: retrieving INV-3)."""
    invoice = sc_001().invoices.get(number=3)
    invoice_retrieve_from_erp(user=user("pat"), invoice_id=invoice.pk)
    seed()
    invoice.refresh_from_db()
    assert invoice.erp_status == InvoiceErpStatus.RETRIEVED
    assert invoice.export_items.get().state == ExportState.RETRIEVED


def test_billing_periods_are_fixed_dates_in_2026(demo):
    """Invoice dates do not depend on the day the demo is seeded."""
    periods = sc_001().invoices.order_by("number").values_list("billing_period_start", flat=True)
    assert list(periods) == [datetime.date(2026, month, 1) for month in range(5, 11)]


def test_a_few_invoices_come_with_a_pay_application_and_a_lien_waiver(demo):
    """SC-001's first four invoices have a signed pay application, two also a lien
    waiver: real PDFs generated at seed time whose text names the invoice."""
    attachments = {
        (attachment.invoice.number, attachment.original_name): attachment
        for attachment in InvoiceAttachment.objects.filter(invoice__commitment=sc_001())
    }
    assert sorted(attachments) == [
        (1, "Conditional Lien Waiver INV-1.pdf"),
        (1, "Pay Application INV-1 signed.pdf"),
        (2, "Pay Application INV-2 signed.pdf"),
        (3, "Conditional Lien Waiver INV-3.pdf"),
        (3, "Pay Application INV-3 signed.pdf"),
        (4, "Pay Application INV-4 signed.pdf"),
    ]
    pay_application = attachments[3, "Pay Application INV-3 signed.pdf"]
    with pay_application.file.open("rb") as stored:
        content = stored.read()
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Application and Certificate for Payment INV-3" in text
    assert pay_application.size == len(content)
    assert pay_application.content_type == "application/pdf"


def test_attaching_is_in_the_change_history_on_the_billing_date(demo):
    invoice = sc_001().invoices.get(number=3)
    entries = invoice.history.filter(changed="Attachment").order_by("to_value")
    assert [(entry.to_value, entry.action_by.username) for entry in entries] == [
        ("Conditional Lien Waiver INV-3.pdf", "sam"),
        ("Pay Application INV-3 signed.pdf", "sam"),
    ]
    assert {timezone.localdate(entry.created_at) for entry in entries} == {
        invoice.billing_period_end
    }


def test_running_twice_adds_no_attachments(demo):
    before = list(InvoiceAttachment.objects.values_list("pk", "file"))
    seed()
    assert list(InvoiceAttachment.objects.values_list("pk", "file")) == before
