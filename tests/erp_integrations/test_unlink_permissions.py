"""The permission matrix of Unlink: every role of DESIGN.md against an export item in
every state, written out by hand. A role that may not open the company's ERP
Integrations gets 404 (nothing leaks); one that may open it but is not an accounting
approver is refused with NOT_ACCOUNTING_APPROVER; the approver (and a site admin) get the
workflow's answer for the state. The Direct Export toggle's matrix (Django admin, site
admins only) is in test_direct_export.py."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404

from core.errors import ActionRefused
from erp_integrations import services
from erp_integrations.models import ExportItem, ExportState
from tests.world import ROLES, build_world, invoice_status_of

pytestmark = pytest.mark.django_db

NOT_FOUND = "404"
NOT_APPROVER = "not an accounting approver"
DONE, UNCHANGED, REFUSED = "done", "unchanged", "refused"

# What the accounting approver gets, per state of the item.
APPROVER_ROW = {
    ExportState.READY_TO_EXPORT: REFUSED,
    ExportState.EXPORTING: REFUSED,
    ExportState.SYNCED: DONE,
    ExportState.FAILED_TO_EXPORT: REFUSED,
    ExportState.REJECTED: REFUSED,
    ExportState.RETRIEVED: REFUSED,
    ExportState.UNLINKED: UNCHANGED,
}
EXPECTED = {
    "project_admin": dict.fromkeys(ExportState, NOT_FOUND),
    "standard": dict.fromkeys(ExportState, NOT_FOUND),
    "read_only": dict.fromkeys(ExportState, NOT_FOUND),
    "invoice_contact": dict.fromkeys(ExportState, NOT_FOUND),
    "approver": APPROVER_ROW,
    "erp_standard_without_push": dict.fromkeys(ExportState, NOT_APPROVER),
    "outsider": dict.fromkeys(ExportState, NOT_FOUND),
    "superuser": APPROVER_ROW,
}
CELLS = [(role, state) for role in ROLES for state in ExportState]


def test_the_matrix_has_a_cell_for_every_role_and_state():
    assert set(EXPECTED) == set(ROLES)
    assert all(set(row) == set(ExportState) for row in EXPECTED.values())


@pytest.mark.parametrize(("role", "state"), CELLS, ids=[f"{r}-{s}" for r, s in CELLS])
def test_unlink_matrix(dummy_tasks, role, state):
    world = build_world()
    invoice = world.invoice(erp_state=state)
    item = ExportItem.objects.get(invoice=invoice)
    user = get_user_model().objects.get(pk=world.users[role].pk)

    try:
        (result,) = services.export_items_unlink(
            user=user, company_id=world.company.pk, export_item_ids=[item.pk], reason="Deleted"
        ).results
        answer = result.outcome
    except Http404:
        answer = NOT_FOUND
    except ActionRefused as refusal:
        assert str(refusal) == services.NOT_ACCOUNTING_APPROVER
        answer = NOT_APPROVER

    assert answer == EXPECTED[role][state]
    item.refresh_from_db()
    invoice.refresh_from_db()
    if answer == DONE:
        assert item.state == ExportState.UNLINKED
    else:
        assert item.state == state
        assert invoice.erp_status == invoice_status_of(state)
