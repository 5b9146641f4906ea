"""The derived amounts of an invoice (AIA G702/G703 style), in Decimal.

Each amount is computed once per line, rounded to cents there, and the invoice's totals
are sums of its lines, so the totals always equal what the line table shows.

Definitions, per line (an SOV line billed on this invoice):
- billed this period = work completed this period + materials presently stored
  (materials newly stored this period, not yet installed)
- previous work completed = everything billed on this SOV line by the commitment's
  earlier invoices (lower numbers)
- total completed and stored to date = previous work completed + billed this period
- % complete = total completed and stored / scheduled value * 100 (0 when nothing is
  scheduled)
- balance to finish = scheduled value - total completed and stored
- retainage this period = work * work retainage % + materials * materials retainage %,
  each part rounded to cents
- retainage held = retainage of the earlier invoices + retainage this period
- current payment due = billed this period - retainage this period
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from django.db.models import F

from invoices.models import Invoice, InvoiceLine

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def to_cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return to_cents(amount * percent / HUNDRED)


def retainage_of(
    work: Decimal, materials: Decimal, work_percent: Decimal, materials_percent: Decimal
) -> Decimal:
    """A line's retainage this period: each part rounded to cents on its own."""
    return percent_of(work, work_percent) + percent_of(materials, materials_percent)


@dataclass(frozen=True)
class PriorBilling:
    """What the commitment's earlier invoices billed and retained on one SOV line."""

    billed: Decimal = ZERO
    retainage: Decimal = ZERO


@dataclass(frozen=True)
class LineAmounts:
    scheduled_value: Decimal
    previous_work_completed: Decimal
    work_completed_this_period: Decimal
    materials_presently_stored: Decimal
    total_completed_and_stored: Decimal
    percent_complete: Decimal
    balance_to_finish: Decimal
    retainage_this_period: Decimal
    retainage_held: Decimal
    current_payment_due: Decimal

    @property
    def billed_this_period(self) -> Decimal:
        return self.work_completed_this_period + self.materials_presently_stored


def line_amounts(
    *,
    scheduled_value: Decimal,
    work_completed_this_period: Decimal,
    materials_presently_stored: Decimal,
    work_retainage_percent: Decimal,
    materials_retainage_percent: Decimal,
    prior: PriorBilling = PriorBilling(),
) -> LineAmounts:
    billed = work_completed_this_period + materials_presently_stored
    total = prior.billed + billed
    retainage = retainage_of(
        work_completed_this_period,
        materials_presently_stored,
        work_retainage_percent,
        materials_retainage_percent,
    )
    percent_complete = to_cents(total * HUNDRED / scheduled_value) if scheduled_value else ZERO
    return LineAmounts(
        scheduled_value=scheduled_value,
        previous_work_completed=prior.billed,
        work_completed_this_period=work_completed_this_period,
        materials_presently_stored=materials_presently_stored,
        total_completed_and_stored=total,
        percent_complete=percent_complete,
        balance_to_finish=scheduled_value - total,
        retainage_this_period=retainage,
        retainage_held=prior.retainage + retainage,
        current_payment_due=billed - retainage,
    )


def sum_lines(lines: Iterable[LineAmounts]) -> LineAmounts:
    """Totals of several lines: every amount summed, % complete recomputed from the sums."""
    lines = list(lines)

    def total(name: str) -> Decimal:
        return sum((getattr(line, name) for line in lines), ZERO)

    scheduled = total("scheduled_value")
    completed = total("total_completed_and_stored")
    return LineAmounts(
        scheduled_value=scheduled,
        previous_work_completed=total("previous_work_completed"),
        work_completed_this_period=total("work_completed_this_period"),
        materials_presently_stored=total("materials_presently_stored"),
        total_completed_and_stored=completed,
        percent_complete=to_cents(completed * HUNDRED / scheduled) if scheduled else ZERO,
        balance_to_finish=total("balance_to_finish"),
        retainage_this_period=total("retainage_this_period"),
        retainage_held=total("retainage_held"),
        current_payment_due=total("current_payment_due"),
    )


@dataclass(frozen=True)
class InvoiceAmounts:
    """An invoice's lines, each with its amounts, and the totals of those lines."""

    lines: list[tuple[InvoiceLine, LineAmounts]]
    totals: LineAmounts


class _BilledLine(Protocol):
    """What the walk over a commitment's billing reads of a line: an InvoiceLine
    annotated by `_lines_up_to`, or a plain row of the same values."""

    commitment_id: int
    invoice_number: int
    sov_line_id: int
    scheduled_value: Decimal
    work_completed_this_period: Decimal
    materials_presently_stored: Decimal
    work_retainage_percent: Decimal
    materials_retainage_percent: Decimal


BILLED_LINE_FIELDS = (
    "commitment_id",
    "invoice_number",
    "sov_line_id",
    "scheduled_value",
    "work_completed_this_period",
    "materials_presently_stored",
    "work_retainage_percent",
    "materials_retainage_percent",
)


def _lines_up_to(wanted: dict[tuple[int, int], int]):
    """Every line of the wanted invoices' commitments up to the highest invoice number
    asked for: the invoices' own lines and the earlier ones that make up their previous
    billing, in billing order."""
    return (
        InvoiceLine.objects.filter(
            invoice__commitment_id__in={commitment_id for commitment_id, _ in wanted},
            invoice__number__lte=max(number for _, number in wanted),
        )
        .annotate(
            commitment_id=F("invoice__commitment_id"),
            invoice_number=F("invoice__number"),
            scheduled_value=F("sov_line__scheduled_value"),
        )
        .order_by("commitment_id", "invoice_number", "sov_line__position", "sov_line_id")
    )


def _walk_billing[Line: _BilledLine](
    rows: Iterable[Line], wanted: dict[tuple[int, int], int]
) -> dict[int, list[tuple[Line, LineAmounts]]]:
    """Each wanted invoice's lines with their amounts. Walks each commitment's invoices
    in number order, carrying what each SOV line has billed and retained so far."""
    lines_by_invoice: dict[tuple[int, int], list[Line]] = {}
    for row in rows:
        lines_by_invoice.setdefault((row.commitment_id, row.invoice_number), []).append(row)

    result: dict[int, list[tuple[Line, LineAmounts]]] = {}
    prior: dict[int, PriorBilling] = {}
    current_commitment = None
    for key in sorted(set(lines_by_invoice) | set(wanted)):
        commitment_id, _ = key
        if commitment_id != current_commitment:
            current_commitment, prior = commitment_id, {}
        lines = lines_by_invoice.get(key, [])
        if key in wanted:
            result[wanted[key]] = [
                (line, _line_amounts(line, prior.get(line.sov_line_id, PriorBilling())))
                for line in lines
            ]
        for line in lines:
            before = prior.get(line.sov_line_id, PriorBilling())
            prior[line.sov_line_id] = PriorBilling(
                billed=before.billed
                + line.work_completed_this_period
                + line.materials_presently_stored,
                retainage=before.retainage
                + retainage_of(
                    line.work_completed_this_period,
                    line.materials_presently_stored,
                    line.work_retainage_percent,
                    line.materials_retainage_percent,
                ),
            )
    return result


def _line_amounts(line: _BilledLine, prior: PriorBilling) -> LineAmounts:
    return line_amounts(
        scheduled_value=line.scheduled_value,
        work_completed_this_period=line.work_completed_this_period,
        materials_presently_stored=line.materials_presently_stored,
        work_retainage_percent=line.work_retainage_percent,
        materials_retainage_percent=line.materials_retainage_percent,
        prior=prior,
    )


def _wanted(invoices: Iterable[Invoice]) -> dict[tuple[int, int], int]:
    return {(invoice.commitment_id, invoice.number): invoice.pk for invoice in invoices}


def amounts_of_invoices(invoices: Iterable[Invoice]) -> dict[int, InvoiceAmounts]:
    """The amounts of several invoices, keyed by invoice id, with their lines (InvoiceLine
    instances with their SOV line), in one query however many invoices there are."""
    wanted = _wanted(invoices)
    if not wanted:
        return {}
    rows = _lines_up_to(wanted).select_related("sov_line")
    return {
        invoice_id: InvoiceAmounts(lines=lines, totals=sum_lines(amounts for _, amounts in lines))
        for invoice_id, lines in _walk_billing(rows, wanted).items()
    }


def totals_of_invoices(invoices: Iterable[Invoice]) -> dict[int, LineAmounts]:
    """The totals of several invoices, keyed by invoice id, in one query: the same
    figures as `amounts_of_invoices(...)[id].totals`, read as plain rows instead of model
    instances, which is most of the cost of a list of 150 invoices."""
    wanted = _wanted(invoices)
    if not wanted:
        return {}
    rows = _lines_up_to(wanted).values_list(*BILLED_LINE_FIELDS, named=True)
    return {
        invoice_id: sum_lines(amounts for _, amounts in lines)
        for invoice_id, lines in _walk_billing(rows, wanted).items()
    }


def invoice_amounts(invoice: Invoice) -> InvoiceAmounts:
    """The amounts of every line of `invoice` and its totals, in one query."""
    return amounts_of_invoices([invoice])[invoice.pk]


@dataclass(frozen=True)
class PeriodAmounts:
    """What an invoice bills this period, for lists that show many invoices at once."""

    billed_this_period: Decimal = ZERO
    retainage_this_period: Decimal = ZERO
    current_payment_due: Decimal = ZERO


def period_amounts_of_invoices(invoice_ids: Iterable[int]) -> dict[int, PeriodAmounts]:
    """This period's amounts of each invoice, from its own lines only (one query).
    They equal `invoice_amounts(invoice).totals` for the same fields, as both are sums of
    the same per-line rounded amounts."""
    invoice_ids = list(invoice_ids)
    totals = {invoice_id: PeriodAmounts() for invoice_id in invoice_ids}
    rows = InvoiceLine.objects.filter(invoice_id__in=invoice_ids).values_list(
        "invoice_id",
        "work_completed_this_period",
        "materials_presently_stored",
        "work_retainage_percent",
        "materials_retainage_percent",
    )
    for invoice_id, *line in rows:
        totals[invoice_id] = add_period_line(totals[invoice_id], *line)
    return totals


def add_period_line(
    before: PeriodAmounts,
    work: Decimal,
    materials: Decimal,
    work_percent: Decimal,
    materials_percent: Decimal,
) -> PeriodAmounts:
    """`before` with one more line of the same invoice added: the step every sum of
    period amounts takes, so a list that reads the lines its own way (a streamed export)
    gets the figures `period_amounts_of_invoices` gives the page."""
    retainage = retainage_of(work, materials, work_percent, materials_percent)
    return PeriodAmounts(
        billed_this_period=before.billed_this_period + work + materials,
        retainage_this_period=before.retainage_this_period + retainage,
        current_payment_due=before.current_payment_due + work + materials - retainage,
    )


@dataclass(frozen=True)
class PayApplicationSummary:
    """The summary of an application for payment in the shape of AIA G702, from the
    totals of the invoice's lines (its G703 continuation sheet).

    The product records no change orders: the contract sum is the scheduled value of the
    lines, and the net change by change orders is zero."""

    original_contract_sum: Decimal
    net_change_by_change_orders: Decimal
    contract_sum_to_date: Decimal
    total_completed_and_stored_to_date: Decimal
    retainage_to_date: Decimal
    total_earned_less_retainage: Decimal
    previous_certificates_for_payment: Decimal
    current_payment_due: Decimal
    balance_to_finish_including_retainage: Decimal


def pay_application_summary(totals: LineAmounts) -> PayApplicationSummary:
    """G702's lines 1 to 9 from an invoice's totals. Line 7 (what earlier certificates
    paid) is what was earned less retainage before this period, so line 8 equals the
    invoice's current payment due."""
    contract_sum = totals.scheduled_value
    change_orders = ZERO
    earned_less_retainage = totals.total_completed_and_stored - totals.retainage_held
    previous_billed = totals.total_completed_and_stored - totals.billed_this_period
    previous_retainage = totals.retainage_held - totals.retainage_this_period
    previous_certificates = previous_billed - previous_retainage
    return PayApplicationSummary(
        original_contract_sum=contract_sum,
        net_change_by_change_orders=change_orders,
        contract_sum_to_date=contract_sum + change_orders,
        total_completed_and_stored_to_date=totals.total_completed_and_stored,
        retainage_to_date=totals.retainage_held,
        total_earned_less_retainage=earned_less_retainage,
        previous_certificates_for_payment=previous_certificates,
        current_payment_due=earned_less_retainage - previous_certificates,
        balance_to_finish_including_retainage=contract_sum + change_orders - earned_less_retainage,
    )
