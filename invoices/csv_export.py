"""The rows of a commitment's Invoices tab as CSV: the columns the tab's table shows,
with the same amounts (`invoices.amounts.totals_of_invoices`, as the tab)."""

from __future__ import annotations

from collections.abc import Iterator

from commitments.models import Commitment
from core.csv_export import Cell
from invoices.amounts import totals_of_invoices
from invoices.selectors import commitment_invoices

INVOICES_TAB_HEADER = (
    "Number",
    "Billing period start",
    "Billing period end",
    "Status",
    "ERP status",
    "This period",
    "Completed to date",
    "Retainage",
    "Current payment due",
    "Attachments",
)


def invoices_tab_rows(commitment: Commitment) -> Iterator[list[Cell]]:
    """One row per invoice of the commitment, in number order, as the tab lists them.
    Two queries however many invoices: the invoices, and their billing (the totals walk
    every line of the commitment once, so they are read before the first row, as the tab
    reads them; a commitment's invoices fit in memory, the tab shows them all)."""
    invoices = list(commitment_invoices(commitment))
    totals = totals_of_invoices(invoices)
    for invoice in invoices:
        amounts = totals[invoice.pk]
        yield [
            invoice.label,
            invoice.billing_period_start,
            invoice.billing_period_end,
            invoice.get_status_display(),
            invoice.get_erp_status_display(),
            amounts.billed_this_period,
            amounts.total_completed_and_stored,
            amounts.retainage_held,
            amounts.current_payment_due,
            invoice.attachment_count,  # type: ignore[attr-defined]  # commitment_invoices annotates it
        ]
