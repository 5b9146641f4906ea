"""The derived amounts of invoices, checked against worked examples computed by hand.

Every expected value below is written out with its arithmetic; none was copied from what
the code printed. The definitions (invoices/amounts.py): per line, billed this period =
work + materials; previous work completed = what the commitment's invoices with a lower
number billed on the same SOV line; total = previous + billed; % complete = total / scheduled
* 100 rounded half up to cents; balance = scheduled - total; retainage this period = work
* work % + materials * materials %, each part rounded half up to cents; retainage held =
earlier retainage + this period's; current payment due = billed - retainage this period.
Totals are sums of the (already rounded) line amounts, % complete recomputed from sums.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from invoices.amounts import (
    ZERO,
    LineAmounts,
    PriorBilling,
    amounts_of_invoices,
    invoice_amounts,
    line_amounts,
    period_amounts_of_invoices,
    retainage_of,
    sum_lines,
    totals_of_invoices,
)
from invoices.models import Invoice
from tests.factories import (
    CommitmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    SovLineFactory,
)

D = Decimal


def line(invoice, sov_line, work, materials, work_percent, materials_percent):
    return InvoiceLineFactory(
        invoice=invoice,
        sov_line=sov_line,
        work_completed_this_period=D(work),
        materials_presently_stored=D(materials),
        work_retainage_percent=D(work_percent),
        materials_retainage_percent=D(materials_percent),
    )


def amounts_by_sov_line(amounts):
    return {invoice_line.sov_line_id: line_amounts for invoice_line, line_amounts in amounts.lines}


def as_dict(amounts: LineAmounts) -> dict:
    return {
        "scheduled_value": amounts.scheduled_value,
        "previous_work_completed": amounts.previous_work_completed,
        "work_completed_this_period": amounts.work_completed_this_period,
        "materials_presently_stored": amounts.materials_presently_stored,
        "total_completed_and_stored": amounts.total_completed_and_stored,
        "percent_complete": amounts.percent_complete,
        "balance_to_finish": amounts.balance_to_finish,
        "retainage_this_period": amounts.retainage_this_period,
        "retainage_held": amounts.retainage_held,
        "current_payment_due": amounts.current_payment_due,
    }


# --- retainage_of and line_amounts on their own --------------------------------------


def test_retainage_rounds_work_and_materials_each_to_cents_before_adding():
    # work 0.05 at 10% = 0.005 -> 0.01 (half up); materials 0.05 at 10% = 0.005 -> 0.01.
    # 0.01 + 0.01 = 0.02, where rounding the unsplit 0.10 * 10% = 0.01 would give 0.01.
    assert retainage_of(D("0.05"), D("0.05"), D("10"), D("10")) == D("0.02")


def test_retainage_rounds_half_up_not_to_even():
    # 2,000.05 at 7.5% = 150.00375 -> 150.00; 333.33 at 5% = 16.6665 -> 16.67; sum 166.67.
    # A true tie: 0.25 at 10% = 0.025 -> 0.03 half up (banker's rounding would give 0.02).
    assert retainage_of(D("2000.05"), D("333.33"), D("7.5"), D("5")) == D("166.67")
    assert retainage_of(D("0.25"), D("0"), D("10"), D("0")) == D("0.03")


def test_retainage_with_zero_percent_is_zero():
    assert retainage_of(D("1234.56"), D("789.01"), D("0"), D("0")) == D("0.00")


def test_line_amounts_of_a_first_invoice():
    # Scheduled 20,000.00; work 4,000.00 at 10%; materials 1,500.00 at 5%; nothing before.
    # billed = 4,000.00 + 1,500.00 = 5,500.00 = total (previous 0)
    # % complete = 5,500 / 20,000 * 100 = 27.50; balance = 20,000 - 5,500 = 14,500.00
    # retainage = 400.00 + 75.00 = 475.00 = held; payment due = 5,500 - 475 = 5,025.00
    amounts = line_amounts(
        scheduled_value=D("20000.00"),
        work_completed_this_period=D("4000.00"),
        materials_presently_stored=D("1500.00"),
        work_retainage_percent=D("10.00"),
        materials_retainage_percent=D("5.00"),
    )
    assert as_dict(amounts) == {
        "scheduled_value": D("20000.00"),
        "previous_work_completed": D("0.00"),
        "work_completed_this_period": D("4000.00"),
        "materials_presently_stored": D("1500.00"),
        "total_completed_and_stored": D("5500.00"),
        "percent_complete": D("27.50"),
        "balance_to_finish": D("14500.00"),
        "retainage_this_period": D("475.00"),
        "retainage_held": D("475.00"),
        "current_payment_due": D("5025.00"),
    }
    assert amounts.billed_this_period == D("5500.00")


def test_line_amounts_add_the_prior_billing():
    # Scheduled 7,500.00; before: billed 2,500.00, retained 250.00. Now work 1,000.00 at
    # 10% (= 100.00), no materials.
    # total = 2,500 + 1,000 = 3,500.00; % = 3,500 / 7,500 * 100 = 46.666.. -> 46.67
    # balance = 7,500 - 3,500 = 4,000.00; held = 250 + 100 = 350.00; due = 1,000 - 100 = 900
    amounts = line_amounts(
        scheduled_value=D("7500.00"),
        work_completed_this_period=D("1000.00"),
        materials_presently_stored=D("0.00"),
        work_retainage_percent=D("10.00"),
        materials_retainage_percent=D("0.00"),
        prior=PriorBilling(billed=D("2500.00"), retainage=D("250.00")),
    )
    assert amounts.previous_work_completed == D("2500.00")
    assert amounts.total_completed_and_stored == D("3500.00")
    assert amounts.percent_complete == D("46.67")
    assert amounts.balance_to_finish == D("4000.00")
    assert amounts.retainage_held == D("350.00")
    assert amounts.current_payment_due == D("900.00")


def test_line_with_nothing_scheduled_is_zero_percent_complete():
    amounts = line_amounts(
        scheduled_value=D("0.00"),
        work_completed_this_period=D("100.00"),
        materials_presently_stored=D("0.00"),
        work_retainage_percent=D("0.00"),
        materials_retainage_percent=D("0.00"),
    )
    assert amounts.percent_complete == ZERO
    # Over-billing is shown as it is: a negative balance to finish.
    assert amounts.balance_to_finish == D("-100.00")


def test_line_billed_beyond_its_scheduled_value_is_over_100_percent():
    # 10,500 / 10,000 * 100 = 105.00; balance 10,000 - 10,500 = -500.00
    amounts = line_amounts(
        scheduled_value=D("10000.00"),
        work_completed_this_period=D("500.00"),
        materials_presently_stored=D("0.00"),
        work_retainage_percent=D("0.00"),
        materials_retainage_percent=D("0.00"),
        prior=PriorBilling(billed=D("10000.00")),
    )
    assert amounts.percent_complete == D("105.00")
    assert amounts.balance_to_finish == D("-500.00")


def test_totals_sum_the_rounded_line_retainage_not_round_the_summed_work():
    # Three lines of 0.05 work at 10%: each 0.005 -> 0.01, summed 0.03. Rounding the sum
    # of the work instead (0.15 * 10% = 0.015 -> 0.02) would differ from the line table.
    lines = [
        line_amounts(
            scheduled_value=D("1.00"),
            work_completed_this_period=D("0.05"),
            materials_presently_stored=D("0.00"),
            work_retainage_percent=D("10.00"),
            materials_retainage_percent=D("0.00"),
        )
        for _ in range(3)
    ]
    totals = sum_lines(lines)
    assert totals.retainage_this_period == D("0.03")
    assert totals.current_payment_due == D("0.12")  # 0.15 - 0.03
    # % complete is recomputed from the sums: 0.15 / 3.00 * 100 = 5.00
    assert totals.percent_complete == D("5.00")


def test_total_percent_complete_is_recomputed_not_averaged():
    # Line A: 1,000 of 1,000 = 100%; line B: 0 of 9,000 = 0%. The average of the
    # percents would be 50%; the invoice is 1,000 / 10,000 = 10.00% complete.
    full = line_amounts(
        scheduled_value=D("1000.00"),
        work_completed_this_period=D("1000.00"),
        materials_presently_stored=D("0.00"),
        work_retainage_percent=D("0.00"),
        materials_retainage_percent=D("0.00"),
    )
    empty = line_amounts(
        scheduled_value=D("9000.00"),
        work_completed_this_period=D("0.00"),
        materials_presently_stored=D("0.00"),
        work_retainage_percent=D("0.00"),
        materials_retainage_percent=D("0.00"),
    )
    assert sum_lines([full, empty]).percent_complete == D("10.00")


def test_totals_of_no_lines_are_zero():
    totals = sum_lines([])
    assert all(value == ZERO for value in as_dict(totals).values())


# --- a commitment with two invoices on three SOV lines ---------------------------------


@pytest.fixture
def two_invoices(db):
    """SC with SOV lines Concrete 50,000.00, Rebar 20,000.00, Formwork 7,500.00.

    Invoice 2 is created before invoice 1 (a lower pk), so "earlier" has to come from the
    invoice number, not from the order of creation; and invoice 2's billing period is the
    earlier one, so it is not taken from the billing period either.

    INV-1:  Concrete work 10,000.00 at 10%             -> retainage 1,000.00
            Rebar    work  4,000.00 at 10%, materials 1,500.00 at 5%
                                                       -> 400.00 + 75.00 = 475.00
            Formwork nothing billed                    -> 0.00
    INV-2:  Concrete work 12,345.67 at 10%             -> 1,234.567 -> 1,234.57
            Rebar    work  2,000.05 at 7.5%, materials 333.33 at 5%
                                                       -> 150.00375 -> 150.00
                                                        + 16.6665 -> 16.67 = 166.67
            Formwork work  1,234.50 at 10%             -> 123.45
    """
    commitment = CommitmentFactory()
    concrete = SovLineFactory(commitment=commitment, position=1, scheduled_value=D("50000.00"))
    rebar = SovLineFactory(commitment=commitment, position=2, scheduled_value=D("20000.00"))
    formwork = SovLineFactory(commitment=commitment, position=3, scheduled_value=D("7500.00"))
    second = InvoiceFactory(
        commitment=commitment,
        number=2,
        billing_period_start=datetime.date(2026, 1, 1),
        billing_period_end=datetime.date(2026, 1, 31),
    )
    first = InvoiceFactory(
        commitment=commitment,
        number=1,
        billing_period_start=datetime.date(2026, 2, 1),
        billing_period_end=datetime.date(2026, 2, 28),
    )
    line(first, concrete, "10000.00", "0.00", "10.00", "0.00")
    line(first, rebar, "4000.00", "1500.00", "10.00", "5.00")
    line(first, formwork, "0.00", "0.00", "10.00", "0.00")
    line(second, concrete, "12345.67", "0.00", "10.00", "0.00")
    line(second, rebar, "2000.05", "333.33", "7.50", "5.00")
    line(second, formwork, "1234.50", "0.00", "10.00", "0.00")
    return {
        "commitment": commitment,
        "first": first,
        "second": second,
        "concrete": concrete,
        "rebar": rebar,
        "formwork": formwork,
    }


def test_first_invoice_has_no_previous_work(two_invoices):
    amounts = invoice_amounts(two_invoices["first"])
    by_line = amounts_by_sov_line(amounts)
    # Rebar: 5,500.00 of 20,000.00 = 27.50%; due 5,500 - 475 = 5,025.00
    rebar = by_line[two_invoices["rebar"].pk]
    assert rebar.previous_work_completed == D("0.00")
    assert rebar.total_completed_and_stored == D("5500.00")
    assert rebar.percent_complete == D("27.50")
    assert rebar.retainage_held == D("475.00")
    assert rebar.current_payment_due == D("5025.00")
    # Totals: billed 10,000 + 5,500 + 0 = 15,500.00 of 77,500.00 = 20.00%
    # retainage 1,000 + 475 = 1,475.00; due 15,500 - 1,475 = 14,025.00
    # balance 40,000 + 14,500 + 7,500 = 62,000.00
    assert as_dict(amounts.totals) == {
        "scheduled_value": D("77500.00"),
        "previous_work_completed": D("0.00"),
        "work_completed_this_period": D("14000.00"),
        "materials_presently_stored": D("1500.00"),
        "total_completed_and_stored": D("15500.00"),
        "percent_complete": D("20.00"),
        "balance_to_finish": D("62000.00"),
        "retainage_this_period": D("1475.00"),
        "retainage_held": D("1475.00"),
        "current_payment_due": D("14025.00"),
    }


def test_second_invoice_lines_carry_the_first_invoice_as_previous_work(two_invoices):
    by_line = amounts_by_sov_line(invoice_amounts(two_invoices["second"]))
    # Concrete: previous 10,000.00; billed 12,345.67; total 22,345.67
    #   % = 22,345.67 / 50,000 * 100 = 44.69134 -> 44.69; balance 27,654.33
    #   retainage 1,234.57, held 1,000.00 + 1,234.57 = 2,234.57
    #   due 12,345.67 - 1,234.57 = 11,111.10
    assert as_dict(by_line[two_invoices["concrete"].pk]) == {
        "scheduled_value": D("50000.00"),
        "previous_work_completed": D("10000.00"),
        "work_completed_this_period": D("12345.67"),
        "materials_presently_stored": D("0.00"),
        "total_completed_and_stored": D("22345.67"),
        "percent_complete": D("44.69"),
        "balance_to_finish": D("27654.33"),
        "retainage_this_period": D("1234.57"),
        "retainage_held": D("2234.57"),
        "current_payment_due": D("11111.10"),
    }
    # Rebar: previous 4,000 + 1,500 = 5,500.00 (stored materials count as billed);
    #   billed 2,000.05 + 333.33 = 2,333.38; total 7,833.38
    #   % = 7,833.38 / 20,000 * 100 = 39.1669 -> 39.17; balance 12,166.62
    #   retainage 166.67, held 475.00 + 166.67 = 641.67; due 2,333.38 - 166.67 = 2,166.71
    assert as_dict(by_line[two_invoices["rebar"].pk]) == {
        "scheduled_value": D("20000.00"),
        "previous_work_completed": D("5500.00"),
        "work_completed_this_period": D("2000.05"),
        "materials_presently_stored": D("333.33"),
        "total_completed_and_stored": D("7833.38"),
        "percent_complete": D("39.17"),
        "balance_to_finish": D("12166.62"),
        "retainage_this_period": D("166.67"),
        "retainage_held": D("641.67"),
        "current_payment_due": D("2166.71"),
    }
    # Formwork: previous 0.00 (INV-1 billed nothing on it); total 1,234.50
    #   % = 1,234.50 / 7,500 * 100 = 16.46; balance 6,265.50
    #   retainage 123.45 = held; due 1,234.50 - 123.45 = 1,111.05
    assert as_dict(by_line[two_invoices["formwork"].pk]) == {
        "scheduled_value": D("7500.00"),
        "previous_work_completed": D("0.00"),
        "work_completed_this_period": D("1234.50"),
        "materials_presently_stored": D("0.00"),
        "total_completed_and_stored": D("1234.50"),
        "percent_complete": D("16.46"),
        "balance_to_finish": D("6265.50"),
        "retainage_this_period": D("123.45"),
        "retainage_held": D("123.45"),
        "current_payment_due": D("1111.05"),
    }


def test_second_invoice_totals_are_sums_of_its_lines(two_invoices):
    amounts = invoice_amounts(two_invoices["second"])
    # previous   10,000.00 + 5,500.00 + 0.00        = 15,500.00
    # work       12,345.67 + 2,000.05 + 1,234.50    = 15,580.22
    # materials  0 + 333.33 + 0                     =    333.33
    # total      22,345.67 + 7,833.38 + 1,234.50    = 31,413.55
    # %          31,413.55 / 77,500 * 100 = 40.5336 ->    40.53
    # balance    27,654.33 + 12,166.62 + 6,265.50   = 46,086.45 (= 77,500 - 31,413.55)
    # retainage  1,234.57 + 166.67 + 123.45         =  1,524.69
    # held       2,234.57 + 641.67 + 123.45         =  2,999.69
    # due        11,111.10 + 2,166.71 + 1,111.05    = 14,388.86 (= 15,913.55 - 1,524.69)
    assert as_dict(amounts.totals) == {
        "scheduled_value": D("77500.00"),
        "previous_work_completed": D("15500.00"),
        "work_completed_this_period": D("15580.22"),
        "materials_presently_stored": D("333.33"),
        "total_completed_and_stored": D("31413.55"),
        "percent_complete": D("40.53"),
        "balance_to_finish": D("46086.45"),
        "retainage_this_period": D("1524.69"),
        "retainage_held": D("2999.69"),
        "current_payment_due": D("14388.86"),
    }


def test_lines_come_in_sov_line_order(two_invoices):
    amounts = invoice_amounts(two_invoices["second"])
    assert [invoice_line.sov_line for invoice_line, _ in amounts.lines] == [
        two_invoices["concrete"],
        two_invoices["rebar"],
        two_invoices["formwork"],
    ]


def test_a_later_invoice_does_not_change_an_earlier_ones_amounts(two_invoices):
    third = InvoiceFactory(commitment=two_invoices["commitment"], number=3)
    line(third, two_invoices["concrete"], "5000.00", "0.00", "10.00", "0.00")
    concrete = amounts_by_sov_line(invoice_amounts(two_invoices["second"]))[
        two_invoices["concrete"].pk
    ]
    assert concrete.previous_work_completed == D("10000.00")
    # INV-3's previous work on Concrete: 10,000.00 + 12,345.67 = 22,345.67; held
    # 1,000.00 + 1,234.57 + 500.00 = 2,734.57
    third_concrete = amounts_by_sov_line(invoice_amounts(third))[two_invoices["concrete"].pk]
    assert third_concrete.previous_work_completed == D("22345.67")
    assert third_concrete.total_completed_and_stored == D("27345.67")
    assert third_concrete.retainage_held == D("2734.57")


def test_another_commitments_invoices_are_not_previous_work(two_invoices):
    """Same invoice numbers on another commitment leave this one's amounts alone."""
    other = CommitmentFactory(project=two_invoices["commitment"].project)
    other_line = SovLineFactory(commitment=other, position=1, scheduled_value=D("1000.00"))
    other_first = InvoiceFactory(commitment=other, number=1)
    line(other_first, other_line, "900.00", "0.00", "10.00", "0.00")
    other_second = InvoiceFactory(commitment=other, number=2)
    line(other_second, other_line, "50.00", "0.00", "10.00", "0.00")

    amounts = amounts_of_invoices([two_invoices["second"], other_second])
    assert amounts[two_invoices["second"].pk].totals.previous_work_completed == D("15500.00")
    # Other commitment: previous 900.00, total 950.00 of 1,000.00 = 95.00%, held 90 + 5
    other_totals = amounts[other_second.pk].totals
    assert other_totals.previous_work_completed == D("900.00")
    assert other_totals.percent_complete == D("95.00")
    assert other_totals.retainage_held == D("95.00")


def test_an_invoice_without_lines_has_zero_totals(db):
    invoice = InvoiceFactory()
    amounts = invoice_amounts(invoice)
    assert amounts.lines == []
    assert all(value == ZERO for value in as_dict(amounts.totals).values())


# --- many invoices at once -------------------------------------------------------------


def test_amounts_of_many_invoices_equal_each_invoices_own_amounts(two_invoices):
    third = InvoiceFactory(commitment=two_invoices["commitment"], number=3)
    line(third, two_invoices["rebar"], "100.01", "0.99", "5.00", "10.00")
    invoices = [two_invoices["first"], two_invoices["second"], third]

    together = amounts_of_invoices(invoices)

    assert set(together) == {invoice.pk for invoice in invoices}
    for invoice in invoices:
        alone = invoice_amounts(invoice)
        assert together[invoice.pk].totals == alone.totals
        assert [(row.pk, amounts) for row, amounts in together[invoice.pk].lines] == [
            (row.pk, amounts) for row, amounts in alone.lines
        ]


@pytest.mark.parametrize("invoice_count", [5, 40])
def test_amounts_of_many_invoices_cost_one_query(db, django_assert_num_queries, invoice_count):
    commitment = CommitmentFactory()
    sov_lines = [SovLineFactory(commitment=commitment, position=n) for n in range(1, 4)]
    invoices = []
    for number in range(1, invoice_count + 1):
        invoice = InvoiceFactory(commitment=commitment, number=number)
        for sov_line in sov_lines:
            line(invoice, sov_line, "10.00", "1.00", "10.00", "5.00")
        invoices.append(invoice)

    with django_assert_num_queries(1):
        amounts = amounts_of_invoices(invoices)

    # The last invoice: each line previously billed (n - 1) * 11.00.
    last = amounts[invoices[-1].pk]
    assert last.totals.previous_work_completed == D("33.00") * (invoice_count - 1)


def test_totals_of_invoices_equal_the_totals_with_lines(two_invoices, django_assert_num_queries):
    """The list pages' fast path (plain rows) gives the same figures as the invoice
    page's amounts (model lines)."""
    third = InvoiceFactory(commitment=two_invoices["commitment"], number=3)
    line(third, two_invoices["rebar"], "100.01", "0.99", "5.00", "10.00")
    invoices = [two_invoices["first"], two_invoices["second"], third]

    with django_assert_num_queries(1):
        totals = totals_of_invoices(invoices)

    with_lines = amounts_of_invoices(invoices)
    assert totals == {invoice.pk: with_lines[invoice.pk].totals for invoice in invoices}


def test_amounts_of_no_invoices_run_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert amounts_of_invoices([]) == {}


def test_period_amounts_equal_the_invoice_totals(two_invoices, django_assert_num_queries):
    empty = InvoiceFactory(commitment=two_invoices["commitment"], number=3)
    ids = [two_invoices["first"].pk, two_invoices["second"].pk, empty.pk]

    with django_assert_num_queries(1):
        period = period_amounts_of_invoices(ids)

    # INV-2 this period: billed 15,580.22 + 333.33 = 15,913.55; retainage 1,524.69;
    # due 14,388.86 (see the totals example above).
    second = period[two_invoices["second"].pk]
    assert second.billed_this_period == D("15913.55")
    assert second.retainage_this_period == D("1524.69")
    assert second.current_payment_due == D("14388.86")
    assert period[empty.pk].billed_this_period == ZERO
    for invoice_id in ids[:2]:
        totals = invoice_amounts(Invoice.objects.get(pk=invoice_id)).totals
        assert period[invoice_id].billed_this_period == totals.billed_this_period
        assert period[invoice_id].retainage_this_period == totals.retainage_this_period
        assert period[invoice_id].current_payment_due == totals.current_payment_due
