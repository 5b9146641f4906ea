"""Invoice edits and review moves: allowed for the right roles, refused on a locked
invoice whatever the role, and every change written to the history."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404

from core.errors import ActionRefused
from erp_integrations.models import ExportState
from invoices import services
from invoices.amounts import invoice_amounts
from invoices.locking import (
    LATER_INVOICE_EXPORTED,
    LATER_INVOICE_LOCKED,
    LATER_INVOICE_WITH_APPROVER,
    edit_lock_message,
)
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceLine, InvoiceStatus
from tests.factories import CommitmentFactory, InvoiceFactory, InvoiceLineFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def edit(world, role, invoice, **changes):
    return services.invoice_update(user=fresh(world.users[role]), invoice_id=invoice.pk, **changes)


def line_of(invoice):
    return InvoiceLine.objects.filter(invoice=invoice).first()


def test_edit_changes_the_line_and_records_from_and_to(world):
    """An edit saves the new value, raises the revision once, and the history shows the
    field with its old and new value."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    line = line_of(invoice)
    edit(
        world,
        "standard",
        invoice,
        lines={line.pk: {"work_completed_this_period": "2500.50"}},
    )
    line.refresh_from_db()
    assert line.work_completed_this_period == Decimal("2500.50")
    assert Invoice.objects.get(pk=invoice.pk).revision == invoice.revision + 1
    entry = ChangeHistoryEntry.objects.get(invoice=invoice)
    assert (entry.from_value, entry.to_value) == ("1000.00", "2500.50")
    assert entry.changed.endswith("Work completed this period")


@pytest.mark.parametrize(
    "state",
    [
        ExportState.READY_TO_EXPORT,
        ExportState.EXPORTING,
        ExportState.SYNCED,
        ExportState.FAILED_TO_EXPORT,
    ],
)
@pytest.mark.parametrize("role", ["project_admin", "superuser"])
def test_edit_of_a_locked_invoice_is_refused(world, state, role):
    """Nobody edits a locked invoice, not even a project admin or the site admin; the
    refusal says why, and nothing changes."""
    invoice = world.invoice(erp_state=state)
    line = line_of(invoice)
    with pytest.raises(ActionRefused, match="is locked"):
        edit(
            world,
            role,
            invoice,
            lines={line.pk: {"work_completed_this_period": "1.00"}},
            header={"billing_date": datetime.date(2027, 1, 1)},
        )
    line.refresh_from_db()
    assert line.work_completed_this_period == Decimal("1000.00")
    assert Invoice.objects.get(pk=invoice.pk).billing_date == invoice.billing_date
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice).exists()


def test_lock_message_names_the_sender(world):
    """The refusal of a Ready to Export invoice says who sent it and until when it stays
    locked."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    with pytest.raises(ActionRefused) as refused:
        edit(world, "project_admin", invoice, header={"billing_date": datetime.date(2027, 1, 1)})
    message = str(refused.value)
    assert world.users["project_admin"].username in message
    assert "until the accounting approver accepts or rejects it" in message


@pytest.mark.parametrize("state", [ExportState.RETRIEVED, ExportState.REJECTED])
def test_retrieved_and_rejected_invoices_can_be_edited(world, state):
    invoice = world.invoice(erp_state=state)
    edit(world, "project_admin", invoice, header={"billing_date": datetime.date(2026, 11, 2)})
    assert Invoice.objects.get(pk=invoice.pk).billing_date == datetime.date(2026, 11, 2)


@pytest.mark.parametrize(
    ("role", "status", "allowed"),
    [
        ("project_admin", InvoiceStatus.APPROVED, True),
        ("standard", InvoiceStatus.DRAFT, True),
        ("standard", InvoiceStatus.REVISE_AND_RESUBMIT, True),
        ("standard", InvoiceStatus.APPROVED, False),
        ("read_only", InvoiceStatus.DRAFT, False),
    ],
)
def test_who_may_edit(world, role, status, allowed):
    """Admins edit any unlocked invoice, Standard members Draft and Revise & Resubmit
    ones, Read Only members none."""
    invoice = world.invoice(status=status)
    change = {"header": {"billing_date": datetime.date(2026, 11, 3)}}
    if allowed:
        edit(world, role, invoice, **change)
        assert Invoice.objects.get(pk=invoice.pk).billing_date == datetime.date(2026, 11, 3)
    else:
        with pytest.raises(ActionRefused, match=f"You may not edit {invoice.label}"):
            edit(world, role, invoice, **change)


def test_invoice_contact_edits_only_their_own_draft(world):
    """An invoice contact edits the Draft invoices they created, not someone else's."""
    contact = world.users["invoice_contact"]
    own = world.invoice(status=InvoiceStatus.DRAFT, created_by=contact)
    other = world.invoice(status=InvoiceStatus.DRAFT)
    change = {"header": {"billing_date": datetime.date(2026, 11, 4)}}
    edit(world, "invoice_contact", own, **change)
    with pytest.raises(ActionRefused):
        edit(world, "invoice_contact", other, **change)


def test_outsider_gets_404(world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    with pytest.raises(Http404):
        edit(world, "outsider", invoice, header={"billing_date": datetime.date(2026, 11, 4)})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"work_completed_this_period": "abc"}, "Work completed this period: enter a number"),
        ({"work_completed_this_period": "1.005"}, "Work completed this period: enter a number"),
        ({"materials_presently_stored": "-5"}, "Materials presently stored: cannot be negative"),
        ({"work_retainage_percent": "101"}, "Work retainage %: enter a percentage"),
        ({"materials_retainage_percent": "NaN"}, "Materials retainage %: enter a number"),
        # Spellings Decimal() takes but no page shows.
        ({"work_completed_this_period": "١٢٣"}, "Work completed this period: enter a number"),
        ({"work_completed_this_period": "1_000"}, "Work completed this period: enter a number"),
        ({"work_completed_this_period": "0.1e2"}, "Work completed this period: enter a number"),
    ],
)
def test_bad_line_input_is_refused_and_changes_nothing(world, values, message):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    line = line_of(invoice)
    with pytest.raises(ValidationError) as refused:
        edit(
            world,
            "standard",
            invoice,
            lines={line.pk: values},
            header={"billing_date": datetime.date(2027, 1, 1)},
        )
    assert any(text.startswith(message) for text in refused.value.messages)
    assert Invoice.objects.get(pk=invoice.pk).billing_date == invoice.billing_date
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice).exists()


def test_a_line_of_another_invoice_is_refused(world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    other_line = line_of(world.invoice(status=InvoiceStatus.DRAFT))
    with pytest.raises(ValidationError, match="is not a line of"):
        edit(world, "standard", invoice, lines={other_line.pk: {"work_completed_this_period": "1"}})
    other_line.refresh_from_db()
    assert other_line.work_completed_this_period == Decimal("1000.00")


def test_billing_period_cannot_end_before_it_starts(world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    with pytest.raises(ValidationError, match=services.PERIOD_ENDS_BEFORE_START):
        edit(
            world,
            "standard",
            invoice,
            header={"billing_period_end": invoice.billing_period_start - datetime.timedelta(1)},
        )


def test_submit_and_approve(world):
    """The author submits a Draft for review; the project admin approves it; both moves
    are in the history."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    services.invoice_set_status(
        user=fresh(world.users["standard"]), invoice_id=invoice.pk, status="under_review"
    )
    services.invoice_set_status(
        user=fresh(world.users["project_admin"]), invoice_id=invoice.pk, status="approved"
    )
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.APPROVED
    assert list(
        ChangeHistoryEntry.objects.filter(invoice=invoice, changed="Status")
        .order_by("pk")
        .values_list("from_value", "to_value")
    ) == [("Draft", "Under Review"), ("Under Review", "Approved")]


def test_only_admins_review(world):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    with pytest.raises(ActionRefused, match="Only a project admin can review"):
        services.invoice_set_status(
            user=fresh(world.users["standard"]), invoice_id=invoice.pk, status="approved"
        )


def test_illegal_status_move_is_refused(world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    with pytest.raises(ActionRefused, match="cannot move from Draft to Approved"):
        services.invoice_set_status(
            user=fresh(world.users["project_admin"]), invoice_id=invoice.pk, status="approved"
        )


def test_status_of_a_locked_invoice_cannot_change(world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    with pytest.raises(ActionRefused, match="is locked"):
        services.invoice_set_status(
            user=fresh(world.users["project_admin"]),
            invoice_id=invoice.pk,
            status="revise_and_resubmit",
        )
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.APPROVED


def test_create_numbers_invoices_in_sequence_with_a_line_per_sov_line(world):
    """A new invoice takes the next number and bills every SOV line at the commitment's
    default retainage."""
    world.invoice(number=7, lines=2)
    invoice = services.invoice_create(
        user=fresh(world.users["invoice_contact"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        billing_period_start=datetime.date(2026, 11, 1),
        billing_period_end=datetime.date(2026, 11, 30),
        billing_date=datetime.date(2026, 11, 30),
    )
    assert invoice.number == 8
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.lines.count() == world.commitment.sov_lines.count()
    assert {line.work_retainage_percent for line in invoice.lines.all()} == {Decimal("10.00")}


def test_read_only_member_cannot_create(world):
    with pytest.raises(ActionRefused, match=services.MAY_NOT_CREATE):
        services.invoice_create(
            user=fresh(world.users["read_only"]),
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            billing_period_start=datetime.date(2026, 11, 1),
            billing_period_end=datetime.date(2026, 11, 30),
            billing_date=datetime.date(2026, 11, 30),
        )


def test_create_refuses_a_billing_date_outside_the_calendar_range(world):
    with pytest.raises(ValidationError) as refused:
        services.invoice_create(
            user=fresh(world.users["invoice_contact"]),
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            billing_period_start=datetime.date(2026, 11, 1),
            billing_period_end=datetime.date(9999, 12, 31),
            billing_date=datetime.date(2026, 11, 30),
        )
    assert refused.value.messages == [services.DATE_OUT_OF_RANGE.format(field="Billing period end")]
    assert not world.commitment.invoices.exists()


def test_edit_refuses_a_billing_date_outside_the_calendar_range(world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    with pytest.raises(ValidationError) as refused:
        services.invoice_update(
            user=fresh(world.users["project_admin"]),
            invoice_id=invoice.pk,
            header={"billing_date": datetime.date(1999, 12, 31)},
        )
    assert refused.value.messages == [services.DATE_OUT_OF_RANGE.format(field="Billing date")]
    invoice.refresh_from_db()
    assert invoice.billing_date != datetime.date(1999, 12, 31)


# An earlier invoice feeds a later locked one


def later_on_the_same_lines(world, earlier, *, erp_state=None):
    """A later invoice of the commitment billing the earlier one's SOV lines, so its
    previous work completed comes from the earlier invoice."""
    later = world.invoice(erp_state=erp_state, lines=0)
    for line in earlier.lines.all():
        InvoiceLineFactory(invoice=later, sov_line=line.sov_line)
    return later


@pytest.mark.parametrize(
    ("state", "template"),
    [
        (ExportState.READY_TO_EXPORT, LATER_INVOICE_LOCKED),
        (ExportState.EXPORTING, LATER_INVOICE_WITH_APPROVER),
        (ExportState.FAILED_TO_EXPORT, LATER_INVOICE_WITH_APPROVER),
        (ExportState.SYNCED, LATER_INVOICE_EXPORTED),
    ],
)
def test_edit_is_refused_while_a_later_invoice_is_locked(world, state, template):
    """Editing an invoice while a later invoice of the commitment is locked would change
    the later one's previous work completed: refused, naming both, and nothing changes."""
    earlier = world.invoice(erp_state=ExportState.RETRIEVED)
    later = later_on_the_same_lines(world, earlier, erp_state=state)
    line = line_of(earlier)
    amounts_before = invoice_amounts(later).totals

    with pytest.raises(ActionRefused) as refused:
        edit(
            world,
            "project_admin",
            earlier,
            lines={line.pk: {"work_completed_this_period": "1.00"}},
            header={"billing_date": datetime.date(2027, 1, 1)},
        )

    assert str(refused.value) == template.format(
        label=earlier.label, commitment=world.commitment.number, later=later.label
    )
    line.refresh_from_db()
    assert line.work_completed_this_period == Decimal("1000.00")
    assert Invoice.objects.get(pk=earlier.pk).revision == earlier.revision
    assert not ChangeHistoryEntry.objects.filter(invoice=earlier).exists()
    assert invoice_amounts(Invoice.objects.get(pk=later.pk)).totals == amounts_before


def test_later_refusal_reads_as_the_review_says(world):
    """The refusal's words: which invoice, which later one, why, and what to do."""
    earlier = world.invoice()
    later = later_on_the_same_lines(world, earlier, erp_state=ExportState.READY_TO_EXPORT)
    with pytest.raises(ActionRefused) as refused:
        edit(world, "project_admin", earlier, header={"billing_date": datetime.date(2027, 1, 1)})
    assert str(refused.value) == (
        f"{earlier.label} cannot be edited while a later invoice of "
        f"{world.commitment.number} is in ERP Integrations ({later.label}): its previous "
        f"work completed comes from {earlier.label}. Retrieve {later.label} first."
    )
    assert edit_lock_message(earlier) == str(refused.value)


@pytest.mark.parametrize("state", [None, ExportState.RETRIEVED, ExportState.REJECTED])
def test_edit_is_allowed_when_no_later_invoice_is_locked(world, state):
    """A later invoice that was never sent, was retrieved or was rejected does not hold
    the earlier one: the edit lands and the later invoice's figures follow it."""
    earlier = world.invoice()
    later = later_on_the_same_lines(world, earlier, erp_state=state)
    line = line_of(earlier)

    edit(world, "project_admin", earlier, lines={line.pk: {"work_completed_this_period": "1.00"}})

    line.refresh_from_db()
    assert line.work_completed_this_period == Decimal("1.00")
    assert edit_lock_message(earlier) is None
    assert invoice_amounts(later).totals.previous_work_completed == Decimal("1.00")


def test_a_locked_earlier_invoice_does_not_hold_a_later_one(world):
    """Only later invoices hold an invoice: one sent before it does not."""
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    later = world.invoice()
    edit(world, "project_admin", later, header={"billing_date": datetime.date(2026, 11, 2)})
    assert Invoice.objects.get(pk=later.pk).billing_date == datetime.date(2026, 11, 2)


def test_a_locked_invoice_of_another_commitment_does_not_hold_an_edit(world):
    """Only the invoice's own commitment counts: its previous billing is per commitment."""
    earlier = world.invoice()
    other = InvoiceFactory(commitment=CommitmentFactory(project=world.project))
    world.export_item(other, ExportState.READY_TO_EXPORT)
    edit(world, "project_admin", earlier, header={"billing_date": datetime.date(2026, 11, 2)})
    assert Invoice.objects.get(pk=earlier.pk).billing_date == datetime.date(2026, 11, 2)
