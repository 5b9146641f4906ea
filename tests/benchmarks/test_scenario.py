"""The benchmark's scenario: the 150-line invoice the PDF row prints, added beside the
seeded data without making `prepare` think the data set is of another scale."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from benchmarks import scenario
from benchmarks.data import BenchCounts
from benchmarks.scenario import (
    PRINT_INVOICE_LINES,
    ensure_print_invoice,
    seeded_invoice_count,
    why_reseed,
)
from erp_integrations.models import ExportItem, ExportState
from invoices.amounts import invoice_amounts

pytestmark = pytest.mark.django_db

SCALE = 0.002


@pytest.fixture
def seeded():
    call_command("seed_bench", scale=SCALE, verbosity=0)


def test_print_invoice_has_150_lines_with_amounts(seeded):
    invoice = ensure_print_invoice()

    amounts = invoice_amounts(invoice)
    assert len(amounts.lines) == PRINT_INVOICE_LINES
    assert amounts.totals.current_payment_due > 0


def test_print_invoice_is_made_once(seeded):
    assert ensure_print_invoice().pk == ensure_print_invoice().pk


def test_print_invoice_does_not_count_as_seeded_data(seeded):
    ensure_print_invoice()

    assert seeded_invoice_count() == BenchCounts.for_scale(SCALE).invoices
    # At this scale too few items wait for the bulk rows; the invoice count is not why.
    assert "bench invoices found" not in why_reseed(SCALE, accept_items=0)


def test_a_queue_short_of_its_seeded_items_is_seeded_again(seeded, monkeypatch):
    """The filtered queue row measures the whole queue (5,000 items at scale 1): once a
    run's bulk accepts have taken some, the next run seeds again."""
    monkeypatch.setattr(scenario, "BULK_SIZE", 0)  # the bulk rows' own needs are met
    queued = BenchCounts.for_scale(SCALE).ready_items
    assert why_reseed(SCALE, accept_items=0) is None

    taken = ExportItem.objects.filter(state=ExportState.READY_TO_EXPORT).first()
    taken.state = ExportState.EXPORTING
    taken.save(update_fields=["state"])

    assert why_reseed(SCALE, accept_items=0) == (
        f"{queued - 1:,} items Ready to Export, scale {SCALE:g} queues {queued:,}"
    )
