"""Direct Export: a company setting on its ERP connection. When on, Send to ERP is also
the acceptance, by the sender, and the export starts at once; nothing waits in Ready to
Export, so nothing can be retrieved. Items sent while it was on stay the accounting
approver's to manage after it is turned off."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from erp_integrations import exporting, services
from erp_integrations.connectors import PermanentExportError
from erp_integrations.models import ErpConnection, ExportItem, ExportState
from invoices.locking import lock_message
from invoices.models import Invoice, InvoiceErpStatus
from tests.erp_integrations.admin_forms import connection_change_data
from tests.erp_integrations.email_tasks import email_tasks, is_export
from tests.world import build_world

pytestmark = pytest.mark.django_db

DIRECT_NOTE = "Direct Export is on."


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def set_direct_export(world, on: bool) -> None:
    ErpConnection.objects.filter(company=world.company).update(direct_export=on)


def send(world, *invoices):
    return services.invoices_send_to_erp(
        user=fresh(world.users["project_admin"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk for invoice in invoices],
    )


def retrieve(world, invoice):
    return services.invoices_retrieve_from_erp(
        user=fresh(world.users["project_admin"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk],
    )


def test_direct_export_is_off_by_default(world):
    assert ErpConnection.objects.get(company=world.company).direct_export is False


def test_send_with_direct_export_accepts_as_the_sender_and_starts_exporting(world):
    set_direct_export(world, True)
    invoice = world.invoice()

    (result,) = send(world, invoice).results

    assert result.message == f"{invoice.label}: sent to ERP and exporting (Direct Export)."
    item = ExportItem.objects.get(invoice=invoice)
    admin = world.users["project_admin"]
    assert (item.state, item.sent_by, item.decided_by) == (ExportState.EXPORTING, admin, admin)
    assert item.sent_directly
    assert item.decided_at == item.sent_at
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.EXPORTING


def test_send_with_direct_export_enqueues_the_export_not_the_approver_email(world, dummy_tasks):
    set_direct_export(world, True)
    invoices = [world.invoice() for _ in range(2)]

    with TestCase.captureOnCommitCallbacks(execute=True):
        send(world, *invoices)

    (export_task,) = [result for result in dummy_tasks.results if is_export(result)]
    assert sorted(export_task.kwargs["export_item_ids"]) == sorted(
        ExportItem.objects.filter(invoice__in=invoices).values_list("pk", flat=True)
    )
    assert email_tasks(dummy_tasks) == []


def test_send_with_direct_export_reaches_synced_without_the_approver(world):
    set_direct_export(world, True)
    invoice = world.invoice()
    send(world, invoice)
    item = ExportItem.objects.get(invoice=invoice)

    assert exporting.export_item(item.pk) == exporting.ExportOutcome.SYNCED

    item.refresh_from_db()
    assert item.state == ExportState.SYNCED
    assert item.erp_reference


def test_send_without_direct_export_waits_in_ready_to_export(world):
    invoice = world.invoice()
    send(world, invoice)
    item = ExportItem.objects.get(invoice=invoice)
    assert (item.state, item.decided_by, item.sent_directly) == (
        ExportState.READY_TO_EXPORT,
        None,
        False,
    )


def test_a_directly_sent_invoice_cannot_be_retrieved_and_the_reason_says_why(world):
    set_direct_export(world, True)
    invoice = world.invoice()
    send(world, invoice)

    (result,) = retrieve(world, invoice).results

    assert result.outcome == services.Outcome.REFUSED
    assert result.message == services.SENT_DIRECTLY.format(label=invoice.label)
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.EXPORTING


def test_the_lock_banner_says_it_was_sent_with_direct_export(world):
    set_direct_export(world, True)
    invoice = world.invoice()
    send(world, invoice)
    invoice.refresh_from_db()
    assert "sent with Direct Export" in lock_message(invoice)


@pytest.fixture
def failed_direct_item(world, monkeypatch):
    """An item sent with Direct Export whose export failed; then Direct Export is off."""
    set_direct_export(world, True)
    invoice = world.invoice()
    send(world, invoice)
    item = ExportItem.objects.get(invoice=invoice)

    class Refusing:
        def deliver(self, document, *, idempotency_key, attachments=()):
            raise PermanentExportError("No such vendor in the ERP.")

    monkeypatch.setattr(exporting, "connector_for", lambda connection: Refusing())
    assert exporting.export_item(item.pk) == exporting.ExportOutcome.FAILED
    monkeypatch.undo()
    set_direct_export(world, False)
    return item


def approver_action(world, name, item, **extra):
    (result,) = getattr(services, f"export_items_{name}")(
        user=fresh(world.users["approver"]),
        company_id=world.company.pk,
        export_item_ids=[item.pk],
        **extra,
    ).results
    return result


def test_after_turning_it_off_the_approver_retries_a_failed_direct_export(
    world, failed_direct_item
):
    assert approver_action(world, "retry", failed_direct_item).outcome == "done"
    failed_direct_item.refresh_from_db()
    assert failed_direct_item.state == ExportState.EXPORTING


def test_after_turning_it_off_the_approver_rejects_a_failed_direct_export(
    world, failed_direct_item
):
    result = approver_action(world, "reject", failed_direct_item, reason="Wrong vendor")
    assert result.outcome == "done"
    invoice = Invoice.objects.get(pk=failed_direct_item.invoice_id)
    assert invoice.erp_status == InvoiceErpStatus.REJECTED
    assert not invoice.is_locked


def test_after_turning_it_off_the_approver_unlinks_a_direct_export(world):
    set_direct_export(world, True)
    invoice = world.invoice()
    send(world, invoice)
    item = ExportItem.objects.get(invoice=invoice)
    exporting.export_item(item.pk)
    set_direct_export(world, False)

    result = approver_action(world, "unlink", item, reason="Deleted in the ERP")

    assert result.outcome == "done"
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.NOT_SENT


def test_a_send_after_turning_it_off_waits_for_the_approver(world):
    set_direct_export(world, True)
    set_direct_export(world, False)
    invoice = world.invoice()
    send(world, invoice)
    assert ExportItem.objects.get(invoice=invoice).state == ExportState.READY_TO_EXPORT


# --- The pages say so before the click -----------------------------------------------


def invoices_tab_url(world):
    return reverse("commitments:invoices", args=[world.project.pk, world.commitment.pk])


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_invoices_tab_says_direct_export_before_send(client, world, on):
    set_direct_export(world, on)
    world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(invoices_tab_url(world))

    if on:
        assertContains(response, DIRECT_NOTE)
        assertContains(response, "Export the checked invoices to the ERP now?")
    else:
        assertNotContains(response, DIRECT_NOTE)
        assertContains(response, "Send the checked invoices to ERP Integrations?")


@pytest.mark.parametrize("on", [True, False], ids=["on", "off"])
def test_invoice_page_says_direct_export_before_send(client, world, on):
    set_direct_export(world, on)
    invoice = world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(invoice.get_absolute_url())

    assertContains(response, "Send to ERP")
    if on:
        assertContains(response, DIRECT_NOTE)
        assertContains(response, f"export {invoice.label} to the ERP now?")
    else:
        assertNotContains(response, DIRECT_NOTE)


def test_a_directly_sent_invoice_offers_no_retrieve(client, world):
    set_direct_export(world, True)
    invoice = world.invoice()
    send(world, invoice)
    client.force_login(world.users["project_admin"])

    response = client.get(invoice.get_absolute_url())

    assertNotContains(response, "Retrieve from ERP</button>")
    assertContains(response, "sent with Direct Export")


def test_readers_are_not_told_about_sending(client, world):
    set_direct_export(world, True)
    world.invoice()
    client.force_login(world.users["read_only"])
    assertNotContains(client.get(invoices_tab_url(world)), DIRECT_NOTE)


# --- Changed in Django admin, and recorded -----------------------------------------------


def admin_change(client, world, user, *, on: bool):
    connection = ErpConnection.objects.get(company=world.company)
    client.force_login(user)
    data = connection_change_data(connection, direct_export=on)
    url = reverse("admin:erp_integrations_erpconnection_change", args=[connection.pk])
    return client.post(url, data)


def test_a_site_admin_turns_direct_export_on_in_django_admin_and_it_is_recorded(client, world):
    superuser = world.users["superuser"]

    response = admin_change(client, world, superuser, on=True)

    assert response.status_code == 302
    assert ErpConnection.objects.get(company=world.company).direct_export is True
    entry = LogEntry.objects.get(object_id=str(world.company.erp_connection.pk))
    assert (entry.user, entry.action_flag) == (superuser, CHANGE)
    assert "Direct export" in entry.get_change_message()


@pytest.mark.parametrize(
    "role",
    [
        "project_admin",
        "standard",
        "read_only",
        "invoice_contact",
        "approver",
        "erp_standard_without_push",
        "outsider",
    ],
)
def test_no_one_else_changes_direct_export(client, world, role):
    response = admin_change(client, world, world.users[role], on=True)

    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert "/admin/login/" in response["Location"]
    assert ErpConnection.objects.get(company=world.company).direct_export is False
    assert not LogEntry.objects.exists()
