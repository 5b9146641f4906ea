"""The ERP Integrations path to an invoice (`access_invoice_in_queue`) for every role of
DESIGN.md: who may open the company's ERP Integrations reads the invoices waiting in its
queue, and nobody reaches one through the queue on the strength of the project's grants.
The project path (`invoices.permissions.access_invoice_on_project`) is pinned in
tests/invoices/test_permissions.py. Roles and objects: tests/access_world.py.
"""

from __future__ import annotations

import pytest
from django.http import Http404

from erp_integrations.models import ExportItem
from erp_integrations.permissions import access_invoice_in_queue
from invoices.permissions import access_invoice_on_project
from tests.access_world import ROLES, AccessWorld

QUEUED = ("locked", "private_locked", "other_company_locked")
# The company's ERP Integrations: Read Only or above on the tool (approvers included).
IN_THE_TOOL = {
    "superuser",
    "approver",
    "approver_via_group",
    "erp_standard_without_push",
    "erp_read_only_with_push",
}
# Who sees the queued invoices on their project, and is not in the tool.
ON_THE_PROJECT_ONLY = ("project_admin", "listed_read_only", "listed_standard")


def item_of(w: AccessWorld, invoice_name: str) -> ExportItem:
    return ExportItem.objects.get(invoice=w.invoices[invoice_name])


def opens_in_queue(w: AccessWorld, user, invoice_name: str, company=None) -> bool:
    item = item_of(w, invoice_name)
    try:
        found = access_invoice_in_queue(user, (company or item.company).pk, item.pk)
    except Http404:
        return False
    assert found == item
    assert found.invoice == w.invoices[invoice_name]
    return True


@pytest.mark.parametrize("invoice_name", QUEUED)
@pytest.mark.parametrize("role", ROLES)
def test_access_invoice_in_queue_opens_the_queue_of_the_users_company(access, role, invoice_name):
    """Our company's tool members read our queue; the other company's item only the site
    admin (through that company's queue)."""
    expected = role in IN_THE_TOOL
    if invoice_name == "other_company_locked":
        expected = role == "superuser"

    assert opens_in_queue(access, access.users[role], invoice_name) is expected


@pytest.mark.parametrize("invoice_name", ("locked", "private_locked"))
def test_another_companys_approver_gets_404_for_our_queue(access, invoice_name):
    assert not opens_in_queue(access, access.other_company_approver, invoice_name)


@pytest.mark.parametrize("role", ["superuser", "approver"])
def test_an_item_is_404_through_another_companys_queue(access, role):
    """The item must be in the queue of the company the address names, whoever asks."""
    user = access.users[role] if role != "approver" else access.other_company_approver

    assert not opens_in_queue(access, user, "locked", company=access.other_company)


@pytest.mark.parametrize("role", ON_THE_PROJECT_ONLY)
@pytest.mark.parametrize("invoice_name", ("locked", "private_locked"))
def test_access_invoice_in_queue_refuses_who_sees_the_invoice_only_on_its_project(
    access, role, invoice_name
):
    user = access.users[role]
    invoice = access.invoices[invoice_name]
    assert access_invoice_on_project(user, invoice.pk) == invoice

    assert not opens_in_queue(access, user, invoice_name)


@pytest.mark.parametrize("item_id", [0, 999_999, "abc", None])
def test_access_invoice_in_queue_is_404_for_an_id_that_names_no_item(access, item_id):
    with pytest.raises(Http404):
        access_invoice_in_queue(access.users["superuser"], access.company.pk, item_id)


def test_access_invoice_in_queue_loads_what_the_review_shows(access, django_assert_num_queries):
    """One query for the company, one for the item with its invoice, commitment, project,
    company, vendor and people: reading them afterwards costs nothing."""
    item = item_of(access, "locked")
    vendor_id = access.invoices["locked"].commitment.vendor_id
    superuser = access.users["superuser"]
    with django_assert_num_queries(2):
        found = access_invoice_in_queue(superuser, access.company.pk, item.pk)
        commitment = found.invoice.commitment
        assert commitment.project.company == access.company == found.company
        assert commitment.vendor.pk == vendor_id
        assert found.sent_by is not None
        assert found.decided_by is None
        assert found.retrieved_by is None
