"""The ERP lock in Django admin beyond the invoice itself: a commitment's Schedule of
Values, number and vendor while one of its invoices is in ERP Integrations, and an
invoice while a later invoice of its commitment is locked."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils.html import escape

from commitments.admin import COMMITMENT_LOCKED, SCHEDULE_OF_VALUES
from commitments.models import Commitment, SovLine
from erp_integrations.models import ExportState
from invoices.admin import LOCKED_REFUSAL
from invoices.amounts import invoice_amounts
from invoices.locking import LATER_INVOICE_LOCKED
from invoices.models import Invoice, InvoiceLine
from tests.admin.test_admin import admin_url, invoice_form_data, line_values
from tests.factories import InvoiceLineFactory, SovLineFactory, VendorFactory
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
    assert 'name="number"' not in content
    assert 'name="vendor"' not in content
    assert 'name="title"' in content
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


@pytest.mark.parametrize(("field", "what"), [("number", "number"), ("vendor", "contract company")])
def test_forced_number_or_vendor_change_is_refused(admin_client, world, sent, field, what):
    value = "SC-LONGER-THAN-12" if field == "number" else VendorFactory(company=world.company).pk
    data = commitment_form_data(world.commitment, with_sov=False, **{field: value})

    response = admin_client.post(
        admin_url(Commitment, "change", world.commitment.pk), data, follow=True
    )

    assert commitment_lock(world, sent, what=what) in response.content.decode()
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert (commitment.number, commitment.vendor_id) == (
        world.commitment.number,
        world.commitment.vendor_id,
    )


def test_other_fields_still_save_from_the_read_only_page(admin_client, world, sent):
    """The page as shown (no number, vendor or SOV inputs) saves the rest."""
    before = sov_values(world.commitment)
    data = commitment_form_data(world.commitment, with_sov=False, title="Renamed")
    del data["number"], data["vendor"]

    response = admin_client.post(admin_url(Commitment, "change", world.commitment.pk), data)

    assert response.status_code == 302
    commitment = Commitment.objects.get(pk=world.commitment.pk)
    assert commitment.title == "Renamed"
    assert commitment.number == world.commitment.number
    assert sov_values(world.commitment) == before


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
