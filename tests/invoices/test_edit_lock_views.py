"""The invoice page and edit page of an invoice whose later invoice is locked: Edit is
disabled with the reason, and the edit page refuses with it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from erp_integrations.models import ExportState
from invoices.locking import LATER_INVOICE_LOCKED, edit_lock_message
from tests.factories import ChangeHistoryEntryFactory, InvoiceLineFactory
from tests.invoices.test_views import edit_data, url
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


def earlier_and_later(world, *, lines=1, later_state=ExportState.READY_TO_EXPORT):
    earlier = world.invoice(lines=lines)
    later = world.invoice(lines=0)
    for line in earlier.lines.all():
        InvoiceLineFactory(invoice=later, sov_line=line.sov_line)
    if later_state is not None:
        world.export_item(later, later_state)
    return earlier, later


def reason(world, earlier, later) -> str:
    return LATER_INVOICE_LOCKED.format(
        label=earlier.label, commitment=world.commitment.number, later=later.label
    )


def test_edit_is_disabled_with_the_reason(client, world):
    earlier, later = earlier_and_later(world)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", earlier))

    assertContains(response, escape(reason(world, earlier, later)))
    assertContains(response, 'disabled aria-describedby="edit-unavailable">Edit</button>')
    assertNotContains(response, f'href="{url("invoices:edit", earlier)}"')
    assertNotContains(response, "lock-banner")  # the invoice itself is not locked


def test_edit_is_offered_once_the_later_invoice_is_retrieved(client, world):
    earlier, _ = earlier_and_later(world, later_state=ExportState.RETRIEVED)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", earlier))

    assertContains(response, f'href="{url("invoices:edit", earlier)}">Edit</a>')


@pytest.mark.parametrize("method", ["get", "post"])
def test_edit_page_refuses_with_the_reason(client, world, method):
    earlier, later = earlier_and_later(world)
    client.force_login(world.users["project_admin"])
    data = edit_data(earlier, **{"lines-0-work_completed_this_period": "5.00"})

    response = getattr(client, method)(url("invoices:edit", earlier), data, follow=True)

    assertRedirects(response, url("invoices:detail", earlier))
    assertContains(response, escape(reason(world, earlier, later)), count=2)  # message, button
    assert earlier.lines.get().work_completed_this_period == Decimal("1000.00")
    assert edit_lock_message(earlier) == reason(world, earlier, later)


# Asking for the later locked invoices is one query, whatever the rows; so is loading the
# attachments list; so is asking whether Direct Export is on (when Send to ERP is shown).
PAGE_QUERIES = {"plain": 13, "htmx": 11}


@pytest.mark.parametrize("rows", [5, 100])
@pytest.mark.parametrize("kind", ["plain", "htmx"])
def test_page_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, rows, kind, htmx
):
    earlier, _ = earlier_and_later(world, lines=rows)
    for _ in range(rows):
        world.export_item(world.invoice(lines=0), ExportState.READY_TO_EXPORT)
    ChangeHistoryEntryFactory.create_batch(rows, invoice=earlier, action_by=world.users["standard"])
    client.force_login(world.users["project_admin"])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(PAGE_QUERIES[kind]):
        response = client.get(url("invoices:detail", earlier), **headers)

    assert response.content.decode().count('<td class="text-nowrap">03-') == rows
