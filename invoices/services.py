"""Changes to invoices themselves: creating them, editing their header and lines, and
moving them through review. Every change refuses a locked invoice (see
`invoices.locking`), whatever path it comes from."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404

from commitments.models import Commitment
from commitments.permissions import access_commitment
from core.errors import ActionRefused
from core.numbers import parse_plain_decimal
from invoices.amounts import CENT
from invoices.history import history_entry, record_history
from invoices.locking import edit_lock_message, lock_for_edit, lock_message
from invoices.models import (
    EARLIEST_BILLING_DATE,
    LATEST_BILLING_DATE,
    STATUS_TRANSITIONS,
    SUBMIT_TRANSITIONS,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)
from invoices.permissions import access_invoice, can_create_invoice, can_edit_invoice
from projects.models import ToolLevel
from projects.permissions import commitments_level

MAY_NOT_CREATE = "You may not create invoices on this commitment."
MAY_NOT_EDIT = "You may not edit {label}."
MAY_NOT_REVIEW = "Only a project admin can review invoices ({label})."
ILLEGAL_STATUS_CHANGE = "{label} cannot move from {current} to {new}."
UNKNOWN_STATUS = "Unknown invoice status: {status}."
NOT_A_NUMBER = "{field}: enter a number with at most two decimal places."
NOT_NEGATIVE = "{field}: cannot be negative."
PERCENT_RANGE = "{field}: enter a percentage between 0 and 100."
DATE_OUT_OF_RANGE = "{field}: enter a date between 2000 and 2099."
PERIOD_ENDS_BEFORE_START = "The billing period cannot end before it starts."
UNKNOWN_LINE = "Line {line_id} is not a line of {label}."

HEADER_FIELDS = ("billing_period_start", "billing_period_end", "billing_date")
LINE_AMOUNT_FIELDS = ("work_completed_this_period", "materials_presently_stored")
LINE_PERCENT_FIELDS = ("work_retainage_percent", "materials_retainage_percent")
MAX_AMOUNT = Decimal("999999999999.99")


def _field_label(field_name: str, model=InvoiceLine) -> str:
    return str(model._meta.get_field(field_name).verbose_name).capitalize()


def _money(value, field_name: str, errors: list[str]) -> Decimal | None:
    # A Decimal or an int as given; text only when written as the pages write numbers.
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        amount: Decimal | None = Decimal(value)
    else:
        amount = parse_plain_decimal(str(value))
    if amount is None:
        errors.append(NOT_A_NUMBER.format(field=_field_label(field_name)))
        return None
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT or amount != amount.quantize(CENT):
        errors.append(NOT_A_NUMBER.format(field=_field_label(field_name)))
        return None
    return amount


def _clean_line(values: dict, errors: list[str]) -> dict[str, Decimal]:
    cleaned: dict[str, Decimal] = {}
    for name in LINE_AMOUNT_FIELDS + LINE_PERCENT_FIELDS:
        if name not in values:
            continue
        amount = _money(values[name], name, errors)
        if amount is None:
            continue
        if name == "materials_presently_stored" and amount < 0:
            errors.append(NOT_NEGATIVE.format(field=_field_label(name)))
        elif name in LINE_PERCENT_FIELDS and not Decimal(0) <= amount <= Decimal(100):
            errors.append(PERCENT_RANGE.format(field=_field_label(name)))
        else:
            cleaned[name] = amount
    return cleaned


def _billing_date_errors(dates: dict[str, datetime.date]) -> list[str]:
    return [
        DATE_OUT_OF_RANGE.format(field=_field_label(name, Invoice))
        for name, value in dates.items()
        if not EARLIEST_BILLING_DATE <= value <= LATEST_BILLING_DATE
    ]


def _refuse_if_locked(invoice: Invoice) -> None:
    message = lock_message(invoice)
    if message:
        raise ActionRefused(message)


def invoice_next_number(*, commitment: Commitment) -> int:
    """The number the commitment's next invoice takes: one past its last, so a new invoice
    never comes before another and changes its previous work completed. Takes the
    commitment's row lock (caller is inside `transaction.atomic`) so two invoices created
    at once get two numbers."""
    Commitment.objects.select_for_update().get(pk=commitment.pk)
    last = commitment.invoices.aggregate(last=Max("number"))["last"] or 0
    return last + 1


@transaction.atomic
def invoice_create(
    *,
    user: User,
    project_id: int,
    commitment_id: int,
    billing_period_start: datetime.date,
    billing_period_end: datetime.date,
    billing_date: datetime.date,
) -> Invoice:
    """A Draft invoice with one line per SOV line, numbered next on the commitment.
    The commitment row is locked so two invoices created at once get two numbers."""
    commitment = access_commitment(user, project_id, commitment_id)
    if not can_create_invoice(user, commitment):
        raise ActionRefused(MAY_NOT_CREATE)
    errors = _billing_date_errors(
        {
            "billing_period_start": billing_period_start,
            "billing_period_end": billing_period_end,
            "billing_date": billing_date,
        }
    )
    if billing_period_end < billing_period_start:
        errors.append(PERIOD_ENDS_BEFORE_START)
    if errors:
        raise ValidationError(errors)
    invoice = Invoice.objects.create(
        commitment=commitment,
        number=invoice_next_number(commitment=commitment),
        billing_period_start=billing_period_start,
        billing_period_end=billing_period_end,
        billing_date=billing_date,
        created_by=user,
    )
    retainage = commitment.default_retainage_percent
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            sov_line=sov_line,
            work_retainage_percent=retainage,
            materials_retainage_percent=retainage,
        )
        for sov_line in commitment.sov_lines.all()
    )
    record_history([history_entry(invoice, action_by=user, changed="Invoice", to_value="Created")])
    return invoice


@transaction.atomic
def invoice_update(
    *,
    user: User,
    invoice_id: int,
    commitment_id: int | None = None,
    header: dict | None = None,
    lines: dict[int, dict] | None = None,
) -> Invoice:
    """Edit an unlocked invoice's billing dates and its lines' amounts and retainage.

    Refused too while a later invoice of the commitment is locked: this invoice's lines
    make up that invoice's previous work completed and retainage held. The invoice and
    its later invoices are row-locked first (`lock_for_edit`), so a send of a later
    invoice either waits for this edit and sends the edited figures, or lands first and
    this edit is refused.

    `lines` maps an invoice line id to the values to set. Bad input raises
    ValidationError (all messages at once) and changes nothing; a locked invoice or a
    user who may not edit it raises `ActionRefused`. Every changed value is written to
    the change history, and the revision goes up once.
    """
    invoice = access_invoice(user, invoice_id, commitment_id=commitment_id)
    try:
        later = lock_for_edit(invoice)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None
    if not can_edit_invoice(user, invoice):
        raise ActionRefused(MAY_NOT_EDIT.format(label=invoice.label))
    refusal = edit_lock_message(invoice, later=later)
    if refusal:
        raise ActionRefused(refusal)
    header, lines = header or {}, lines or {}

    new_header = {name: header[name] for name in HEADER_FIELDS if name in header}
    errors = _billing_date_errors(new_header)
    start = new_header.get("billing_period_start", invoice.billing_period_start)
    end = new_header.get("billing_period_end", invoice.billing_period_end)
    if end < start:
        errors.append(PERIOD_ENDS_BEFORE_START)
    existing = {line.pk: line for line in invoice.lines.select_related("sov_line")}
    new_lines: dict[int, dict[str, Decimal]] = {}
    for line_id, values in lines.items():
        if line_id not in existing:
            errors.append(UNKNOWN_LINE.format(line_id=line_id, label=invoice.label))
            continue
        new_lines[line_id] = _clean_line(values, errors)
    if errors:
        raise ValidationError(errors)

    entries = []
    for name, value in new_header.items():
        if getattr(invoice, name) != value:
            entries.append(
                history_entry(
                    invoice,
                    action_by=user,
                    changed=_field_label(name, Invoice),
                    from_value=str(getattr(invoice, name)),
                    to_value=str(value),
                )
            )
            setattr(invoice, name, value)
    changed_lines = []
    for line_id, values in new_lines.items():
        line = existing[line_id]
        line_changed = False
        for name, value in values.items():
            if getattr(line, name) != value:
                entries.append(
                    history_entry(
                        invoice,
                        action_by=user,
                        changed=f"{line.sov_line.cost_code} {_field_label(name)}",
                        from_value=str(getattr(line, name)),
                        to_value=str(value),
                    )
                )
                setattr(line, name, value)
                line_changed = True
        if line_changed:
            changed_lines.append(line)
    if not entries:
        return invoice
    InvoiceLine.objects.bulk_update(changed_lines, LINE_AMOUNT_FIELDS + LINE_PERCENT_FIELDS)
    invoice.revision += 1
    invoice.save(update_fields=[*new_header, "revision", "updated_at"])
    record_history(entries)
    return invoice


@transaction.atomic
def invoice_set_status(
    *, user: User, invoice_id: int, status: str, commitment_id: int | None = None
) -> Invoice:
    """Move an unlocked invoice through review. Submitting (Draft or Revise & Resubmit
    to Under Review) is for whoever may edit it; every other move is a project admin's."""
    invoice = access_invoice(user, invoice_id, commitment_id=commitment_id, for_update=True)
    if status not in InvoiceStatus.values:
        raise ValidationError(UNKNOWN_STATUS.format(status=status))
    new = InvoiceStatus(status)
    if (invoice.status, new) in SUBMIT_TRANSITIONS:
        if not can_edit_invoice(user, invoice):
            raise ActionRefused(MAY_NOT_EDIT.format(label=invoice.label))
    elif commitments_level(user, invoice.commitment.project) < ToolLevel.ADMIN:
        raise ActionRefused(MAY_NOT_REVIEW.format(label=invoice.label))
    _refuse_if_locked(invoice)
    if new not in STATUS_TRANSITIONS[invoice.status]:
        raise ActionRefused(
            ILLEGAL_STATUS_CHANGE.format(
                label=invoice.label, current=invoice.get_status_display(), new=new.label
            )
        )
    record_history(
        [
            history_entry(
                invoice,
                action_by=user,
                changed="Status",
                from_value=invoice.get_status_display(),
                to_value=new.label,
            )
        ]
    )
    invoice.status = new
    invoice.revision += 1
    invoice.save(update_fields=["status", "revision", "updated_at"])
    return invoice
