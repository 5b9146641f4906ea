"""The Unlink pages: the Synced tab's checked rows and one row, and the review page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from erp_integrations.models import ExportItem, ExportState
from erp_integrations.services import UNLINK_NOT_CONFIRMED, UNLINK_REASON_REQUIRED
from invoices.models import ChangeHistoryEntry, InvoiceErpStatus
from tests.world import build_world

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-queue"}
REQUEST_KINDS = pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
EXPLAINED = "Unlink an invoice only after it was deleted in the ERP"


def unlink_url(world):
    return reverse("erp_integrations:unlink", args=[world.company.pk])


def synced_tab(world):
    return reverse("erp_integrations:tab", args=[world.company.pk, "synced"])


def review_url(world, item):
    return reverse("erp_integrations:review", args=[world.company.pk, item.pk])


def as_user(client, world, role="approver"):
    client.force_login(world.users[role])
    return client


def synced_item(world, **fields):
    return ExportItem.objects.get(invoice=world.invoice(erp_state=ExportState.SYNCED, **fields))


def test_synced_tab_explains_unlink_before_the_checkboxes_reason_and_confirmation(client):
    world = build_world()
    item = synced_item(world)

    response = as_user(client, world).get(synced_tab(world))

    assertContains(response, EXPLAINED)
    assertContains(response, "Reason for unlinking the checked invoices")
    assertContains(response, "The checked invoices were deleted in the ERP")
    assertContains(response, f'name="item_ids" value="{item.pk}"')
    assertContains(response, "Unlink checked")
    assertNotContains(response, "Accept checked")


def test_a_viewer_without_the_privilege_gets_no_unlink(client):
    world = build_world()
    synced_item(world)

    response = as_user(client, world, "erp_standard_without_push").get(synced_tab(world))

    assertNotContains(response, "Unlink checked")
    assertNotContains(response, EXPLAINED)


@REQUEST_KINDS
def test_unlink_checked_rows_with_reason_and_confirmation(client, headers):
    world = build_world()
    items = [synced_item(world) for _ in range(2)]

    response = as_user(client, world).post(
        unlink_url(world),
        {
            "item_ids": [item.pk for item in items],
            "reason": "Deleted in the ERP",
            "confirm": "on",
            "tab": "synced",
        },
        follow=True,
        **headers,
    )

    for item in items:
        item.refresh_from_db()
        assert item.state == ExportState.UNLINKED
        assert item.invoice.erp_status == InvoiceErpStatus.NOT_SENT
        assertContains(response, f"{item.invoice.label}: unlinked from the ERP; it is Not Sent.")


@REQUEST_KINDS
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "Deleted in the ERP"}, UNLINK_NOT_CONFIRMED),
        ({"reason": "", "confirm": "on"}, UNLINK_REASON_REQUIRED),
    ],
    ids=["not-confirmed", "no-reason"],
)
def test_unlink_without_confirmation_or_reason_changes_nothing(client, headers, data, message):
    world = build_world()
    item = synced_item(world)
    history_before = ChangeHistoryEntry.objects.count()

    response = as_user(client, world).post(
        unlink_url(world), {"item_ids": [item.pk], "tab": "synced", **data}, follow=True, **headers
    )

    assertContains(response, message)
    item.refresh_from_db()
    assert item.state == ExportState.SYNCED
    assert ChangeHistoryEntry.objects.count() == history_before


def test_a_refused_unlink_is_reported_per_invoice(client):
    world = build_world()
    earlier = synced_item(world, number=1)
    synced_item(world, number=2)

    response = as_user(client, world).post(
        unlink_url(world),
        {"item_ids": [earlier.pk], "reason": "Deleted", "confirm": "on", "tab": "synced"},
        **HTMX,
    )

    assertContains(response, "INV-1: a later invoice of")
    assertContains(response, "1 invoice could not be unlinked.")


@pytest.mark.parametrize("role", ["project_admin", "standard", "read_only", "outsider"])
def test_unlink_is_404_for_those_who_may_not_open_erp_integrations(client, role):
    world = build_world()
    item = synced_item(world)

    response = as_user(client, world, role).post(
        unlink_url(world), {"item_ids": [item.pk], "reason": "x", "confirm": "on"}
    )

    assert response.status_code == 404
    item.refresh_from_db()
    assert item.state == ExportState.SYNCED


def test_unlink_is_refused_to_a_viewer_without_the_privilege(client):
    world = build_world()
    item = synced_item(world)

    response = as_user(client, world, "erp_standard_without_push").post(
        unlink_url(world),
        {"item_ids": [item.pk], "reason": "x", "confirm": "on", "tab": "synced"},
        follow=True,
    )

    assertContains(response, "Only an accounting approver")
    item.refresh_from_db()
    assert item.state == ExportState.SYNCED


def test_review_page_of_a_synced_item_offers_unlink_and_returns_to_itself(client):
    world = build_world()
    item = synced_item(world)
    url = review_url(world, item)

    page = as_user(client, world).get(url)
    assertContains(page, EXPLAINED)
    assertContains(page, f"Reason for unlinking {item.invoice.label}")
    assertContains(page, f"{item.invoice.label} was deleted in the ERP")

    response = client.post(
        unlink_url(world),
        {"item_ids": [item.pk], "reason": "Deleted in the ERP", "confirm": "on", "next": url},
    )

    assert response.status_code == 302
    assert response["Location"] == url
    shown = client.get(url)
    assertContains(shown, "Unlinked by")
    assertContains(shown, "Deleted in the ERP")
    assertContains(shown, item.erp_reference)
    assertNotContains(shown, EXPLAINED)


@pytest.mark.parametrize("state", [ExportState.READY_TO_EXPORT, ExportState.REJECTED])
def test_review_page_offers_no_unlink_before_the_invoice_synced(client, state):
    world = build_world()
    item = ExportItem.objects.get(invoice=world.invoice(erp_state=state))

    response = as_user(client, world).get(review_url(world, item))

    assertNotContains(response, EXPLAINED)
