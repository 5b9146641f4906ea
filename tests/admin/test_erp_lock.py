"""The ERP lock in Django admin beyond the invoice itself: a commitment's Schedule of
Values and exported fields, and those of its project, vendor and company, while one of
their invoices is in ERP Integrations; an invoice while a later invoice of its commitment
is locked; an invoice's number and commitment, and a commitment's project, which never
change once they carry invoices; and a company, project or commitment, which is not
deleted while deleting it would delete an invoice in ERP Integrations."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils.html import escape

from commitments.admin import COMMITMENT_HAS_INVOICES, COMMITMENT_LOCKED, SCHEDULE_OF_VALUES
from commitments.models import Commitment, SovLine
from erp_integrations.models import ExportState
from invoices.admin import HELD_INVOICE, INVOICE_PLACE_FIXED, LOCKED_REFUSAL
from invoices.amounts import invoice_amounts
from invoices.locking import LATER_INVOICE_LOCKED
from invoices.models import Invoice, InvoiceLine, InvoiceStatus
from projects.admin import (
    EXPORTED_FIELD_LOCKED,
    INVOICES_NAMED,
    MORE_INVOICES,
    PROJECT_HAS_COMMITMENTS,
)
from projects.models import Company, Project, Vendor
from tests.admin.test_admin import admin_url, invoice_form_data, line_values
from tests.factories import (
    CommitmentFactory,
    CompanyFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SovLineFactory,
    VendorFactory,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def sent(world):
    """An invoice in ERP Integrations on the commitment, billing one SOV line."""
    return world.invoice(erp_state=ExportState.READY_TO_EXPORT)


def commitment_lock(world, *invoices, what=SCHEDULE_OF_VALUES) -> str:
    message = COMMITMENT_LOCKED.format(
        commitment=world.commitment.number,
        invoices=", ".join(invoice.label for invoice in invoices),
        what=what,
    )
    return escape(f"{message} Nothing was changed.")


def commitment_form_data(commitment: Commitment, *, with_sov=True, **fields) -> dict:
    """The POST of the commitment change form; with_sov=False is what the page sends
    when the SOV lines are shown read-only (no inputs for them)."""
    commitment.refresh_from_db()
    lines = list(commitment.sov_lines.order_by("pk"))
    data = {
        "project": commitment.project_id,
        "type": commitment.type,
        "number": commitment.number,
        "title": commitment.title,
        "vendor": commitment.vendor_id,
        "status": commitment.status,
        "executed": "on",
        "default_retainage_percent": commitment.default_retainage_percent,
        "erp_status": commitment.erp_status,
        "erp_reference": commitment.erp_reference,
        "sov_lines-TOTAL_FORMS": len(lines),
        "sov_lines-INITIAL_FORMS": len(lines),
        "_save": "Save",
    }
    if with_sov:
        for index, line in enumerate(lines):
            prefix = f"sov_lines-{index}-"
            data |= {
                f"{prefix}id": line.pk,
                f"{prefix}commitment": commitment.pk,
                f"{prefix}position": line.position,
                f"{prefix}cost_code": line.cost_code,
                f"{prefix}description": line.description,
                f"{prefix}scheduled_value": line.scheduled_value,
            }
    data |= fields
    return {name: str(value) for name, value in data.items()}


def sov_values(commitment: Commitment) -> list[tuple]:
    return list(
        commitment.sov_lines.order_by("pk").values_list(
            "pk", "position", "cost_code", "description", "scheduled_value"
        )
    )


# The commitment change form


def test_commitment_page_shows_exported_parts_read_only(admin_client, world, sent):
    response = admin_client.get(admin_url(Commitment, "change", world.commitment.pk))

    content = response.content.decode()
    for field in ("project", "number", "title", "vendor", "erp_status", "erp_reference"):
        assert f'name="{field}"' not in content
    assert 'name="default_retainage_percent"' in content
    assert 'name="sov_lines-0-scheduled_value"' not in content
    sov_formset = response.context["inline_admin_formsets"][0]
    assert not sov_formset.has_add_permission
    assert not sov_formset.has_change_permission
    assert not sov_formset.has_delete_permission


def test_forced_scheduled_value_change_is_refused(admin_client, world, sent):
    """A hand-made POST changing a scheduled value under an invoice in ERP Integrations
    changes nothing, and the invoice's figures stay those the approver has."""
    world.invoice(erp_state=ExportState.SYNCED)  # a synced one does not hold it
    before, totals = sov_values(world.commitment), invoice_amounts(sent).totals
    data = commitment_form_data(world.commitment, title="Renamed")
    data["sov_lines-0-scheduled_value"] = "1.00"

    response = admin_client.post(
        admin_url(Commitment, "change", world.commitment.pk), data, follow=True
    )

    assert commitment_lock(world, sent) in response.content.decode()
    assert sov_values(world.commitment) == before
    assert Commitment.objects.get(pk=world.commitment.pk).title == world.commitment.title
    assert invoice_amounts(Invoice.objects.get(pk=sent.pk)).totals == totals


def test_forced_sov_line_delete_and_add_are_refused(admin_client, world, sent):
    second = world.invoice(erp_state=ExportState.EXPORTING)
    before = sov_values(world.commitment)
    data = commitment_form_data(world.commitment)
    data["sov_lines-0-DELETE"] = "on"
    total = int(data["sov_lines-TOTAL_FORMS"])
    data |= {
        "sov_lines-TOTAL_FORMS": str(total + 1),
        f"sov_lines-{total}-position": "9",
        f"sov_lines-{total}-cost_code": "09-900",
        f"sov_lines-{total}-description": "Extra",
        f"sov_lines-{total}-scheduled_value": "500.00",
    }

    response = admin_client.post(
        admin_url(Commitment, "change", world.commitment.pk), data, follow=True
    )

    assert commitment_lock(world, sent, second) in response.content.decode()
    assert sov_values(world.commitment) == before


COMMITMENT_EXPORTED = ["number", "title", "vendor", "erp_status", "erp_reference"]


def exported_commitment_fields(commitment: Commitment) -> tuple:
    commitment = Commitment.objects.get(pk=commitment.pk)
    return (commitment.project_id, *(getattr(commitment, name) for name in COMMITMENT_EXPORTED))


@pytest.mark.parametrize(
    ("field", "what"),
    [
        ("number", "number"),
        ("title", "title"),
        ("vendor", "contract company"),
        ("erp_status", "ERP status"),
        ("erp_reference", "ERP reference"),
    ],
)
def test_forced_change_of_an_exported_field_is_refused(admin_client, world, sent, field, what):
    """A hand-made POST changing what the invoice exports with the commitment (here with a
    harmless change beside it) changes nothing."""
    before = exported_commitment_fields(world.commitment)
    value = {
        "number": "SC-LONGER-THAN-12",
        "title": "Renamed",
        "vendor": VendorFactory(company=world.company).pk,
        "erp_status": "not_synced",
        "erp_reference": "ERP-CHANGED",
    }[field]
    data = commitment_form_data(
        world.commitment, with_sov=False, default_retainage_percent="5.00", **{field: value}
    )

    response = admin_client.post(
        admin_url(Commitment, "change", world.commitment.pk), data, follow=True
    )

    assert commitment_lock(world, sent, what=what) in response.content.decode()
    assert exported_commitment_fields(world.commitment) == before
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert commitment.default_retainage_percent == world.commitment.default_retainage_percent


def test_other_fields_still_save_from_the_read_only_page(admin_client, world, sent):
    """The page as shown (no project, exported field or SOV inputs) saves the rest."""
    before = sov_values(world.commitment), exported_commitment_fields(world.commitment)
    data = commitment_form_data(world.commitment, with_sov=False, default_retainage_percent="5")
    for field in ("project", *COMMITMENT_EXPORTED):
        del data[field]

    response = admin_client.post(admin_url(Commitment, "change", world.commitment.pk), data)

    assert response.status_code == 302
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert commitment.default_retainage_percent == Decimal("5.00")
    assert (sov_values(world.commitment), exported_commitment_fields(commitment)) == before


def commitment_keeps_project(world) -> str:
    message = COMMITMENT_HAS_INVOICES.format(commitment=world.commitment.number)
    return escape(f"{message} Nothing was changed.")


@pytest.mark.parametrize("state", [ExportState.READY_TO_EXPORT, ExportState.SYNCED, None])
def test_forced_move_of_a_commitment_with_invoices_to_another_companys_project_is_refused(
    admin_client, world, state
):
    """Whether or not its invoices are in ERP Integrations, a commitment with invoices
    stays on its project: moving it would move them to another company."""
    invoice = world.invoice(erp_state=state)
    elsewhere = ProjectFactory()
    data = commitment_form_data(
        world.commitment,
        with_sov=False,
        project=elsewhere.pk,
        vendor=VendorFactory(company=elsewhere.company).pk,
    )

    response = admin_client.post(
        admin_url(Commitment, "change", world.commitment.pk), data, follow=True
    )

    assert commitment_keeps_project(world) in response.content.decode()
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert (commitment.project_id, commitment.vendor_id) == (
        world.project.pk,
        world.commitment.vendor_id,
    )
    assert Invoice.objects.get(pk=invoice.pk).commitment.project_id == world.project.pk


def test_commitment_page_with_invoices_shows_its_project_read_only(admin_client, world):
    world.invoice()

    response = admin_client.get(admin_url(Commitment, "change", world.commitment.pk))

    content = response.content.decode()
    assert 'name="project"' not in content
    assert 'name="title"' in content


def test_commitment_without_invoices_moves_to_another_project(admin_client, world):
    other = ProjectFactory(company=world.company)
    data = commitment_form_data(world.commitment, project=other.pk)

    response = admin_client.post(admin_url(Commitment, "change", world.commitment.pk), data)

    assert response.status_code == 302
    assert Commitment.objects.get(pk=world.commitment.pk).project_id == other.pk


@pytest.mark.parametrize("state", [ExportState.SYNCED, ExportState.RETRIEVED, None])
def test_sov_lines_change_when_no_invoice_is_in_erp_integrations(admin_client, world, state):
    world.invoice(erp_state=state)
    data = commitment_form_data(world.commitment, number="SC-777")
    data["sov_lines-0-scheduled_value"] = "1.00"

    response = admin_client.post(admin_url(Commitment, "change", world.commitment.pk), data)

    assert response.status_code == 302
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert commitment.number == "SC-777"
    assert commitment.sov_lines.order_by("pk").first().scheduled_value == Decimal("1.00")


# The SOV line admin


def sov_line_data(line: SovLine, **fields) -> dict:
    return {
        "commitment": line.commitment_id,
        "position": line.position,
        "cost_code": line.cost_code,
        "description": line.description,
        "scheduled_value": line.scheduled_value,
        **fields,
    }


def test_sov_line_page_is_read_only(admin_client, world, sent):
    line = sent.lines.get().sov_line
    response = admin_client.get(admin_url(SovLine, "change", line.pk))
    content = response.content.decode()
    assert 'name="scheduled_value"' not in content
    assert admin_url(SovLine, "delete", line.pk) not in content


def test_sov_line_admin_refuses_a_change(admin_client, world, sent):
    line = sent.lines.get().sov_line
    before = sov_values(world.commitment)

    response = admin_client.post(
        admin_url(SovLine, "change", line.pk),
        sov_line_data(line, scheduled_value="1.00"),
        follow=True,
    )

    assert commitment_lock(world, sent) in response.content.decode()
    assert sov_values(world.commitment) == before


def test_sov_line_admin_refuses_an_add(admin_client, world, sent):
    before = sov_values(world.commitment)

    response = admin_client.post(
        admin_url(SovLine, "add"),
        {
            "commitment": world.commitment.pk,
            "position": "9",
            "cost_code": "09-900",
            "description": "Extra",
            "scheduled_value": "500.00",
        },
    )

    assert response.status_code == 200
    assert commitment_lock(world, sent) in response.content.decode()
    assert sov_values(world.commitment) == before


def test_sov_line_admin_refuses_a_delete(admin_client, world, sent):
    line = SovLineFactory(commitment=world.commitment)

    response = admin_client.post(
        admin_url(SovLine, "delete", line.pk), {"post": "yes"}, follow=True
    )

    assert commitment_lock(world, sent) in response.content.decode()
    assert SovLine.objects.filter(pk=line.pk).exists()


def test_sov_line_bulk_delete_is_refused(admin_client, world, sent):
    line = SovLineFactory(commitment=world.commitment)
    other = SovLineFactory()

    response = admin_client.post(
        admin_url(SovLine, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [line.pk, other.pk], "post": "yes"},
    )

    assert response.status_code == 403
    assert SovLine.objects.filter(pk__in=[line.pk, other.pk]).count() == 2


def test_sov_line_admin_adds_to_a_commitment_without_invoices_in_erp(admin_client, world):
    world.invoice(erp_state=ExportState.SYNCED)

    response = admin_client.post(
        admin_url(SovLine, "add"),
        {
            "commitment": world.commitment.pk,
            "position": "9",
            "cost_code": "09-900",
            "description": "Extra",
            "scheduled_value": "500.00",
        },
    )

    assert response.status_code == 302
    assert world.commitment.sov_lines.filter(cost_code="09-900").exists()


# An earlier invoice under a locked later one


@pytest.fixture
def earlier_and_later(world):
    earlier = world.invoice(erp_state=ExportState.RETRIEVED, lines=2)
    later = world.invoice(lines=0)
    for line in earlier.lines.all():
        InvoiceLineFactory(invoice=later, sov_line=line.sov_line)
    world.export_item(later, ExportState.READY_TO_EXPORT)
    return earlier, later


def later_refusal(world, earlier, later) -> str:
    reason = LATER_INVOICE_LOCKED.format(
        label=earlier.label, commitment=world.commitment.number, later=later.label
    )
    return escape(LOCKED_REFUSAL.format(reason=reason))


def test_earlier_invoice_page_is_read_only_with_the_reason(admin_client, world, earlier_and_later):
    earlier, later = earlier_and_later
    response = admin_client.get(admin_url(Invoice, "change", earlier.pk))
    content = response.content.decode()
    assert (
        escape(
            LATER_INVOICE_LOCKED.format(
                label=earlier.label, commitment=world.commitment.number, later=later.label
            )
        )
        in content
    )
    assert 'name="lines-0-work_completed_this_period"' not in content
    assert 'name="_save"' not in content


def test_admin_refuses_to_change_an_earlier_invoice(admin_client, world, earlier_and_later):
    earlier, later = earlier_and_later
    before, totals = line_values(earlier), invoice_amounts(later).totals
    data = invoice_form_data(earlier)
    data["lines-0-work_completed_this_period"] = "99999.00"

    response = admin_client.post(admin_url(Invoice, "change", earlier.pk), data, follow=True)

    assert later_refusal(world, earlier, later) in response.content.decode()
    assert line_values(earlier) == before
    assert invoice_amounts(Invoice.objects.get(pk=later.pk)).totals == totals


def test_invoice_line_admin_refuses_an_earlier_invoices_line(
    admin_client, world, earlier_and_later
):
    earlier, later = earlier_and_later
    line = earlier.lines.order_by("pk").first()
    before = line_values(earlier)

    changed = admin_client.post(
        admin_url(InvoiceLine, "change", line.pk),
        {
            "work_completed_this_period": "99999.00",
            "materials_presently_stored": "0.00",
            "work_retainage_percent": "0.00",
            "materials_retainage_percent": "0.00",
        },
        follow=True,
    )
    deleted = admin_client.post(
        admin_url(InvoiceLine, "delete", line.pk), {"post": "yes"}, follow=True
    )
    added = admin_client.post(
        admin_url(InvoiceLine, "add"),
        {
            "invoice": earlier.pk,
            "sov_line": SovLineFactory(commitment=world.commitment).pk,
            "work_completed_this_period": "500.00",
            "materials_presently_stored": "0.00",
            "work_retainage_percent": "10.00",
            "materials_retainage_percent": "0.00",
        },
    )

    for response in (changed, deleted, added):
        assert later_refusal(world, earlier, later) in response.content.decode()
    assert line_values(earlier) == before


def test_bulk_deletes_refuse_an_earlier_invoice_and_its_lines(
    admin_client, world, earlier_and_later
):
    earlier, _ = earlier_and_later
    line_ids = list(earlier.lines.values_list("pk", flat=True))

    invoices = admin_client.post(
        admin_url(Invoice, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [earlier.pk], "post": "yes"},
    )
    lines = admin_client.post(
        admin_url(InvoiceLine, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: line_ids, "post": "yes"},
    )

    assert (invoices.status_code, lines.status_code) == (403, 403)
    assert earlier.lines.count() == len(line_ids)


def test_admin_edits_an_invoice_whose_later_invoice_was_retrieved(admin_client, world):
    earlier = world.invoice(lines=2)
    world.invoice(erp_state=ExportState.RETRIEVED)
    data = invoice_form_data(earlier)
    data["lines-0-work_completed_this_period"] = "2500.00"

    response = admin_client.post(admin_url(Invoice, "change", earlier.pk), data)

    assert response.status_code == 302
    assert earlier.lines.order_by("pk").first().work_completed_this_period == Decimal("2500.00")


# An invoice's number and commitment


@pytest.fixture
def around_a_locked_invoice(world):
    """INV-1 and INV-7 around INV-5, which is in ERP Integrations, all billing one SOV line:
    INV-5's previous work completed is INV-1's 100.00."""
    sov_line = SovLineFactory(commitment=world.commitment, scheduled_value=Decimal("10000.00"))
    invoices = []
    for number, work in ((1, "100.00"), (5, "200.00"), (7, "300.00")):
        invoice = world.invoice(number=number, lines=0, status=InvoiceStatus.DRAFT)
        InvoiceLineFactory(
            invoice=invoice, sov_line=sov_line, work_completed_this_period=Decimal(work)
        )
        invoices.append(invoice)
    world.export_item(invoices[1], ExportState.READY_TO_EXPORT)
    return invoices


def place_refusal(invoice: Invoice) -> str:
    reason = INVOICE_PLACE_FIXED.format(label=invoice.label)
    return escape(LOCKED_REFUSAL.format(reason=reason))


def previous_work(invoice: Invoice) -> Decimal:
    return invoice_amounts(Invoice.objects.get(pk=invoice.pk)).totals.previous_work_completed


def test_invoice_page_shows_number_and_commitment_read_only(admin_client, world):
    invoice = world.invoice()

    content = admin_client.get(admin_url(Invoice, "change", invoice.pk)).content.decode()

    assert 'name="number"' not in content
    assert 'name="commitment"' not in content
    assert 'name="billing_date"' in content


def test_renumbering_a_later_invoice_before_a_locked_one_is_refused(
    admin_client, world, around_a_locked_invoice
):
    """Moving INV-7 to number 2 would add its work to the previous work completed of
    INV-5, which the approver has: refused, nothing changes."""
    _, locked, later = around_a_locked_invoice
    assert previous_work(locked) == Decimal("100.00")

    response = admin_client.post(
        admin_url(Invoice, "change", later.pk), invoice_form_data(later, number="2"), follow=True
    )

    assert place_refusal(later) in response.content.decode()
    assert Invoice.objects.get(pk=later.pk).number == 7
    assert previous_work(locked) == Decimal("100.00")


def test_moving_an_invoice_to_another_commitment_is_refused(admin_client, world):
    invoice = world.invoice(number=1)
    other = CommitmentFactory(project=world.project)

    response = admin_client.post(
        admin_url(Invoice, "change", invoice.pk),
        invoice_form_data(invoice, commitment=str(other.pk)),
        follow=True,
    )

    assert place_refusal(invoice) in response.content.decode()
    assert Invoice.objects.get(pk=invoice.pk).commitment_id == world.commitment.pk
    assert not other.invoices.exists()


def test_added_invoice_is_numbered_after_the_commitments_last(
    admin_client, world, admin_user, around_a_locked_invoice
):
    """The add form has no number; a hand-made one is ignored, and the new invoice comes
    after every other, so no invoice's previous work completed changes."""
    _, locked, _ = around_a_locked_invoice
    add_page = admin_client.get(admin_url(Invoice, "add")).content.decode()

    response = admin_client.post(
        admin_url(Invoice, "add"),
        {
            "commitment": world.commitment.pk,
            "number": "2",
            "status": "draft",
            "created_by": admin_user.pk,
            "billing_period_start": "2026-11-01",
            "billing_period_end": "2026-11-30",
            "billing_date": "2026-11-30",
        },
    )

    assert 'name="number"' not in add_page
    assert response.status_code == 302
    assert sorted(world.commitment.invoices.values_list("number", flat=True)) == [1, 5, 7, 8]
    assert previous_work(locked) == Decimal("100.00")


def test_invoice_line_admin_keeps_a_line_on_its_invoice(admin_client, world):
    """A hand-made POST naming another invoice leaves the line where it is."""
    invoice, other = world.invoice(), world.invoice()
    line = invoice.lines.get()

    response = admin_client.post(
        admin_url(InvoiceLine, "change", line.pk),
        {
            "invoice": other.pk,
            "sov_line": line.sov_line_id,
            "work_completed_this_period": "1000.00",
            "materials_presently_stored": "0.00",
            "work_retainage_percent": "10.00",
            "materials_retainage_percent": "0.00",
        },
    )

    assert response.status_code == 302
    assert InvoiceLine.objects.get(pk=line.pk).invoice_id == invoice.pk
    assert not other.lines.filter(pk=line.pk).exists()


# The project change form


def project_form_data(project: Project, **fields) -> dict:
    project.refresh_from_db()
    data = {
        "company": project.company_id,
        "name": project.name,
        "number": project.number,
        "erp_job_id": project.erp_job_id,
        "_save": "Save",
        **fields,
    }
    return {name: str(value) for name, value in data.items()}


def project_fields(project: Project) -> tuple:
    project = Project.objects.get(pk=project.pk)
    return project.company_id, project.number, project.name, project.erp_job_id


def test_project_page_shows_exported_fields_read_only(admin_client, world, sent):
    content = admin_client.get(admin_url(Project, "change", world.project.pk)).content.decode()

    for field in ("company", "number", "name", "erp_job_id"):
        assert f'name="{field}"' not in content


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [
        ("number", "P-CHANGED", "number"),
        ("name", "Renamed", "name"),
        ("erp_job_id", "J-CHANGED", "ERP job id"),
    ],
)
def test_forced_change_of_an_exported_project_field_is_refused(
    admin_client, world, sent, field, value, what
):
    before = project_fields(world.project)

    response = admin_client.post(
        admin_url(Project, "change", world.project.pk),
        project_form_data(world.project, **{field: value}),
        follow=True,
    )

    assert exported_field_lock(world.project.number, [sent], what) in response.content.decode()
    assert project_fields(world.project) == before


@pytest.mark.parametrize("state", [ExportState.READY_TO_EXPORT, None])
def test_forced_move_of_a_project_with_commitments_to_another_company_is_refused(
    admin_client, world, state
):
    world.invoice(erp_state=state)
    before = project_fields(world.project)

    response = admin_client.post(
        admin_url(Project, "change", world.project.pk),
        project_form_data(world.project, company=CompanyFactory().pk),
        follow=True,
    )

    message = PROJECT_HAS_COMMITMENTS.format(project=world.project.number)
    assert escape(f"{message} Nothing was changed.") in response.content.decode()
    assert project_fields(world.project) == before


def test_project_without_invoices_in_erp_integrations_is_renamed(admin_client, world):
    world.invoice(erp_state=ExportState.SYNCED)

    response = admin_client.post(
        admin_url(Project, "change", world.project.pk),
        project_form_data(world.project, name="Renamed", erp_job_id="J-NEW"),
    )

    assert response.status_code == 302
    project = Project.objects.get(pk=world.project.pk)
    assert (project.name, project.erp_job_id) == ("Renamed", "J-NEW")


def test_project_without_commitments_moves_to_another_company(admin_client):
    project = ProjectFactory()
    company = CompanyFactory()

    response = admin_client.post(
        admin_url(Project, "change", project.pk), project_form_data(project, company=company.pk)
    )

    assert response.status_code == 302
    assert Project.objects.get(pk=project.pk).company_id == company.pk


# Deleting what an invoice in ERP Integrations belongs to


def held_invoice(invoice: Invoice) -> str:
    invoice = Invoice.objects.select_related("commitment__project").get(pk=invoice.pk)
    return escape(
        HELD_INVOICE.format(
            invoice=invoice.label,
            commitment=invoice.commitment.number,
            project=invoice.commitment.project.number,
            status=invoice.get_erp_status_display(),
        )
    )


OWNERS = {Company: "company", Project: "project", Commitment: "commitment"}


def owner_of(world, model):
    return getattr(world, OWNERS[model])


@pytest.mark.parametrize("model", list(OWNERS))
@pytest.mark.parametrize(
    "state",
    [
        ExportState.READY_TO_EXPORT,
        ExportState.EXPORTING,
        ExportState.FAILED_TO_EXPORT,
        ExportState.SYNCED,
    ],
)
def test_delete_that_would_take_an_invoice_in_erp_integrations_is_refused(
    admin_client, world, model, state
):
    """Confirming the deletion of a company, project or commitment whose invoice is in
    ERP Integrations shows the invoice as protected and deletes nothing. The invoice has
    no lines, so no other protection stands in the way."""
    invoice = world.invoice(erp_state=state, lines=0)
    owner = owner_of(world, model)

    response = admin_client.post(admin_url(model, "delete", owner.pk), {"post": "yes"})

    assert response.status_code == 200
    assert held_invoice(invoice) in response.content.decode()
    assert model.objects.filter(pk=owner.pk).exists()
    assert Invoice.objects.get(pk=invoice.pk).erp_status == state
    assert invoice.export_items.exists()


@pytest.mark.parametrize("model", list(OWNERS))
def test_bulk_delete_that_would_take_an_invoice_in_erp_integrations_is_refused(
    admin_client, world, model
):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT, lines=0)
    owner, other = owner_of(world, model), owner_of(build_world(), model)

    response = admin_client.post(
        admin_url(model, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: [owner.pk, other.pk], "post": "yes"},
    )

    assert response.status_code == 200
    assert held_invoice(invoice) in response.content.decode()
    assert model.objects.filter(pk__in=[owner.pk, other.pk]).count() == 2
    assert Invoice.objects.filter(pk=invoice.pk).exists()


@pytest.mark.parametrize("model", list(OWNERS))
def test_delete_page_names_each_invoice_in_erp_integrations(admin_client, world, model):
    """Invoices with lines were already kept by their SOV lines; the page now says why."""
    sent = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    synced = world.invoice(erp_state=ExportState.SYNCED)
    retrieved = world.invoice(erp_state=ExportState.RETRIEVED)

    content = admin_client.get(admin_url(model, "delete", owner_of(world, model).pk))
    content = content.content.decode()

    assert held_invoice(sent) in content
    assert held_invoice(synced) in content
    assert held_invoice(retrieved) not in content


@pytest.mark.parametrize("model", [Project, Commitment])
@pytest.mark.parametrize("state", [ExportState.RETRIEVED, ExportState.REJECTED, None])
def test_delete_takes_invoices_out_of_erp_integrations_with_it(admin_client, world, model, state):
    """A company with commitments is kept by its vendors (commitments protect them)."""
    invoice = world.invoice(erp_state=state, lines=0)
    owner = owner_of(world, model)

    response = admin_client.post(admin_url(model, "delete", owner.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not model.objects.filter(pk=owner.pk).exists()
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


# The vendor and company change forms


def vendor_form_data(vendor: Vendor, **fields) -> dict:
    vendor.refresh_from_db()
    data = {
        "company": vendor.company_id,
        "name": vendor.name,
        "erp_vendor_id": vendor.erp_vendor_id,
        "_save": "Save",
        **fields,
    }
    return {name: str(value) for name, value in data.items()}


def vendor_fields(vendor: Vendor) -> tuple:
    vendor = Vendor.objects.get(pk=vendor.pk)
    return vendor.company_id, vendor.name, vendor.erp_vendor_id


def exported_field_lock(owner: str, invoices, what: str) -> str:
    message = EXPORTED_FIELD_LOCKED.format(
        owner=owner, invoices=", ".join(str(invoice) for invoice in invoices), what=what
    )
    return escape(f"{message} Nothing was changed.")


def test_vendor_page_shows_exported_fields_read_only(admin_client, world, sent):
    content = admin_client.get(
        admin_url(Vendor, "change", world.commitment.vendor_id)
    ).content.decode()

    assert 'name="name"' not in content
    assert 'name="erp_vendor_id"' not in content
    assert 'name="company"' in content


@pytest.mark.parametrize(
    ("field", "value", "what"),
    [("name", "Renamed", "name"), ("erp_vendor_id", "V-CHANGED", "ERP vendor id")],
)
def test_forced_change_of_an_exported_vendor_field_is_refused(
    admin_client, world, sent, field, value, what
):
    vendor = world.commitment.vendor
    world.invoice(erp_state=ExportState.SYNCED)  # a synced one does not hold it
    before = vendor_fields(vendor)

    response = admin_client.post(
        admin_url(Vendor, "change", vendor.pk),
        vendor_form_data(vendor, **{field: value}),
        follow=True,
    )

    assert exported_field_lock(vendor.name, [sent], what) in response.content.decode()
    assert vendor_fields(vendor) == before


def test_vendor_without_invoices_in_erp_integrations_is_renamed(admin_client, world):
    world.invoice(erp_state=ExportState.SYNCED)
    vendor = world.commitment.vendor

    response = admin_client.post(
        admin_url(Vendor, "change", vendor.pk),
        vendor_form_data(vendor, name="Renamed", erp_vendor_id="V-NEW"),
    )

    assert response.status_code == 302
    assert vendor_fields(vendor)[1:] == ("Renamed", "V-NEW")


def company_form_data(company: Company, **fields) -> dict:
    company.refresh_from_db()
    data = {
        "name": company.name,
        "point_of_view": company.point_of_view,
        "_save": "Save",
        **fields,
    }
    return {name: str(value) for name, value in data.items()}


def test_company_page_shows_its_name_read_only(admin_client, world, sent):
    content = admin_client.get(admin_url(Company, "change", world.company.pk)).content.decode()

    assert 'name="name"' not in content
    assert 'name="point_of_view"' in content


def test_forced_company_rename_is_refused(admin_client, world, sent):
    before = world.company.name

    response = admin_client.post(
        admin_url(Company, "change", world.company.pk),
        company_form_data(world.company, name="Renamed"),
        follow=True,
    )

    assert exported_field_lock(before, [sent], "name") in response.content.decode()
    assert Company.objects.get(pk=world.company.pk).name == before


def test_company_without_invoices_in_erp_integrations_is_renamed(admin_client, world):
    world.invoice(erp_state=ExportState.SYNCED)

    response = admin_client.post(
        admin_url(Company, "change", world.company.pk),
        company_form_data(world.company, name="Renamed"),
    )

    assert response.status_code == 302
    assert Company.objects.get(pk=world.company.pk).name == "Renamed"


def test_refusal_names_the_first_ten_invoices_in_erp_integrations(admin_client, world):
    invoices = [world.invoice(erp_state=ExportState.READY_TO_EXPORT, lines=0) for _ in range(11)]

    response = admin_client.post(
        admin_url(Company, "change", world.company.pk),
        company_form_data(world.company, name="Renamed"),
        follow=True,
    )

    named = [*invoices[:INVOICES_NAMED], MORE_INVOICES.format(count=1)]
    assert exported_field_lock(world.company.name, named, "name") in response.content.decode()
    assert Company.objects.get(pk=world.company.pk).name == world.company.name
