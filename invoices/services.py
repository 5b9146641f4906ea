"""Changes to invoices themselves: creating them, editing their header and lines, and
moving them through review. Every change refuses a locked invoice (see
`invoices.locking`), whatever path it comes from."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404

from commitments.models import Commitment, SovLine
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
from invoices.permissions import access_invoice_on_project, can_create_invoice, can_edit_invoice
from invoices.tasks import enqueue_revise_and_resubmit_email
from projects.models import ToolLevel
from projects.permissions import commitments_level

MAY_NOT_CREATE = "You may not create invoices on this commitment."
MAY_NOT_EDIT = "You may not edit {label}."
MAY_NOT_REVIEW = "Only a project admin can review invoices ({label})."
# The reviewer's comment on sending an invoice back to Revise & Resubmit.
MAX_REVIEW_COMMENT = 2000
REVIEW_COMMENT_TOO_LONG = f"A comment is at most {MAX_REVIEW_COMMENT} characters."
REVIEW_COMMENT_CHANGE = "Review Comment"
ILLEGAL_STATUS_CHANGE = "{label} cannot move from {current} to {new}."
UNKNOWN_STATUS = "Unknown invoice status: {status}."
NOT_A_NUMBER = "{field}: enter a number with at most two decimal places."
NOT_NEGATIVE = "{field}: cannot be negative."
PERCENT_RANGE = "{field}: enter a percentage between 0 and 100."
DATE_OUT_OF_RANGE = "{field}: enter a date between 2000 and 2099."
PERIOD_ENDS_BEFORE_START = "The billing period cannot end before it starts."
UNKNOWN_LINE = "Line {line_id} is not a line of {label}."
SOV_LINE_OF_ANOTHER_COMMITMENT = "{sov_line} is not a SOV line of {commitment}."

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
    """A Draft invoice on the commitment, for a user who may create invoices there
    (`invoice_add` does the rest)."""
    commitment = access_commitment(user, project_id, commitment_id)
    if not can_create_invoice(user, commitment):
        raise ActionRefused(MAY_NOT_CREATE)
    return invoice_add(
        user=user,
        commitment=commitment,
        billing_period_start=billing_period_start,
        billing_period_end=billing_period_end,
        billing_date=billing_date,
    )


@transaction.atomic
def invoice_add(
    *,
    user: User,
    commitment: Commitment,
    billing_period_start: datetime.date,
    billing_period_end: datetime.date,
    billing_date: datetime.date,
    status: InvoiceStatus = InvoiceStatus.DRAFT,
    created_by: User | None = None,
) -> Invoice:
    """A new invoice with one line per SOV line at the commitment's default retainage,
    numbered next on the commitment (under its row lock, so two invoices created at once
    get two numbers), its creation recorded in the history as `user`'s.

    The caller has decided that `user` may create it: `invoice_create` for the pages,
    Django admin's model permissions for a site admin, who may also start it in another
    review status and name someone else as its creator. Bad billing dates raise
    ValidationError and create nothing."""
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
        status=status,
        billing_period_start=billing_period_start,
        billing_period_end=billing_period_end,
        billing_date=billing_date,
        created_by=created_by or user,
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


def _lock_for_edit(invoice: Invoice) -> list[Invoice]:
    try:
        return lock_for_edit(invoice)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice.") from None


@transaction.atomic
def invoice_update(
    *,
    user: User,
    invoice_id: int,
    commitment_id: int | None = None,
    header: dict | None = None,
    lines: dict[int, dict] | None = None,
) -> Invoice:
    """Edit an unlocked invoice's billing dates and its lines' amounts and retainage, for
    a user whose role lets them edit it (`invoice_edit` says the rest).

    `header` may hold the billing dates (HEADER_FIELDS); `lines` maps an invoice line id
    to the values to set. A user who may not edit the invoice raises `ActionRefused`.
    """
    invoice = access_invoice_on_project(user, invoice_id, commitment_id=commitment_id)
    later = _lock_for_edit(invoice)
    if not can_edit_invoice(user, invoice):
        raise ActionRefused(MAY_NOT_EDIT.format(label=invoice.label))
    header = header or {}
    return _edit_locked(
        invoice,
        later,
        user=user,
        header={name: header[name] for name in HEADER_FIELDS if name in header},
        lines=lines or {},
    )


@dataclass(frozen=True)
class NewLine:
    """A line to add to an invoice: the SOV line it bills and its amounts and retainage."""

    sov_line: SovLine
    values: dict = field(default_factory=dict)


@transaction.atomic
def invoice_edit(
    *,
    user: User,
    invoice: Invoice,
    header: dict | None = None,
    status: str | None = None,
    lines: dict[int, dict] | None = None,
    new_lines: Iterable[NewLine] = (),
    removed_line_ids: Iterable[int] = (),
) -> Invoice:
    """Edit an unlocked invoice: its billing dates (`header`), its lines' amounts and
    retainage (`lines`, by invoice line id), the lines it bills and, for a site admin
    correcting it, its review status (any status: the review moves belong to
    `invoice_set_status`).

    Refused too while a later invoice of the commitment is locked: this invoice's lines
    make up that invoice's previous work completed and retainage held. The invoice and
    its later invoices are row-locked first (`lock_for_edit`), so a send of a later
    invoice either waits for this edit and sends the edited figures, or lands first and
    this edit is refused.

    The caller has decided that `user` may edit the invoice: `invoice_update` for the
    pages, Django admin's model permissions for a site admin. Bad input raises
    ValidationError (all messages at once) and a locked invoice `ActionRefused`; either
    way nothing changes. Every change is written to the change history, and the revision
    goes up once."""
    later = _lock_for_edit(invoice)
    return _edit_locked(
        invoice,
        later,
        user=user,
        header=header or {},
        status=status,
        lines=lines or {},
        new_lines=list(new_lines),
        removed_line_ids=set(removed_line_ids),
    )


def _edit_locked(
    invoice: Invoice,
    later: list[Invoice],
    *,
    user: User,
    header: dict,
    lines: dict[int, dict],
    status: str | None = None,
    new_lines: list[NewLine] | None = None,
    removed_line_ids: set[int] | None = None,
) -> Invoice:
    """`invoice_edit` once the invoice and its later invoices are row-locked (`later`)."""
    refusal = edit_lock_message(invoice, later=later)
    if refusal:
        raise ActionRefused(refusal)
    new_lines, removed_line_ids = new_lines or [], removed_line_ids or set()

    new_header = {name: header[name] for name in HEADER_FIELDS if name in header}
    errors = _billing_date_errors(new_header)
    start = new_header.get("billing_period_start", invoice.billing_period_start)
    end = new_header.get("billing_period_end", invoice.billing_period_end)
    if end < start:
        errors.append(PERIOD_ENDS_BEFORE_START)
    if status is not None and status not in InvoiceStatus.values:
        errors.append(UNKNOWN_STATUS.format(status=status))
    existing = {line.pk: line for line in invoice.lines.select_related("sov_line")}
    new_values: dict[int, dict[str, Decimal]] = {}
    for line_id, values in lines.items():
        if line_id not in existing:
            errors.append(UNKNOWN_LINE.format(line_id=line_id, label=invoice.label))
            continue
        new_values[line_id] = _clean_line(values, errors)
    for line_id in removed_line_ids - existing.keys():
        errors.append(UNKNOWN_LINE.format(line_id=line_id, label=invoice.label))
    added = []
    for new_line in new_lines:
        if new_line.sov_line.commitment_id != invoice.commitment_id:
            errors.append(
                SOV_LINE_OF_ANOTHER_COMMITMENT.format(
                    sov_line=new_line.sov_line, commitment=invoice.commitment
                )
            )
            continue
        added.append(
            InvoiceLine(
                invoice=invoice,
                sov_line=new_line.sov_line,
                **_clean_line(new_line.values, errors),
            )
        )
    if errors:
        raise ValidationError(errors)

    entries = []
    if status is not None and status != invoice.status:
        entries.append(
            history_entry(
                invoice,
                action_by=user,
                changed="Status",
                from_value=invoice.get_status_display(),
                to_value=InvoiceStatus(status).label,
            )
        )
        invoice.status = status
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
    for line_id, values in new_values.items():
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
        if line_changed and line_id not in removed_line_ids:
            changed_lines.append(line)
    for line in added:
        entries.append(
            history_entry(invoice, action_by=user, changed="Line", to_value=str(line.sov_line))
        )
    removed = [existing[line_id] for line_id in sorted(removed_line_ids)]
    for line in removed:
        entries.append(
            history_entry(invoice, action_by=user, changed="Line", from_value=str(line.sov_line))
        )
    if not entries:
        return invoice
    if changed_lines:
        InvoiceLine.objects.bulk_update(changed_lines, LINE_AMOUNT_FIELDS + LINE_PERCENT_FIELDS)
    if removed:
        InvoiceLine.objects.filter(pk__in=[line.pk for line in removed]).delete()
    if added:
        InvoiceLine.objects.bulk_create(added)
    invoice.revision += 1
    status_field = ["status"] if status is not None else []
    invoice.save(update_fields=[*status_field, *new_header, "revision", "updated_at"])
    record_history(entries)
    return invoice


@transaction.atomic
def invoice_set_status(
    *,
    user: User,
    invoice_id: int,
    status: str,
    commitment_id: int | None = None,
    comment: str = "",
) -> Invoice:
    """Move an unlocked invoice through review. Submitting (Draft or Revise & Resubmit
    to Under Review) is for whoever may edit it; every other move is a project admin's.

    Sending it back to Revise & Resubmit takes an optional comment, kept in the change
    history; once the move commits the commitment's invoice contacts are emailed, with
    the comment. Other moves take no comment."""
    invoice = access_invoice_on_project(
        user, invoice_id, commitment_id=commitment_id, for_update=True
    )
    if status not in InvoiceStatus.values:
        raise ValidationError(UNKNOWN_STATUS.format(status=status))
    new = InvoiceStatus(status)
    comment = comment.strip() if new == InvoiceStatus.REVISE_AND_RESUBMIT else ""
    if len(comment) > MAX_REVIEW_COMMENT:
        raise ValidationError(REVIEW_COMMENT_TOO_LONG)
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
    entries = [
        history_entry(
            invoice,
            action_by=user,
            changed="Status",
            from_value=invoice.get_status_display(),
            to_value=new.label,
        )
    ]
    if comment:
        entries.append(
            history_entry(invoice, action_by=user, changed=REVIEW_COMMENT_CHANGE, to_value=comment)
        )
    record_history(entries)
    invoice.status = new
    invoice.revision += 1
    invoice.save(update_fields=["status", "revision", "updated_at"])
    if new == InvoiceStatus.REVISE_AND_RESUBMIT:
        transaction.on_commit(
            partial(enqueue_revise_and_resubmit_email, invoice.pk, user.pk, comment), robust=True
        )
    return invoice
