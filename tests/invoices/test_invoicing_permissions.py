"""The permission matrix of the Invoicing tool, written out by hand from DESIGN.md's "Who
uses it": every role of tests/access_world.py against the tool itself (does it open,
which invoices does it list, does it offer the bulk actions) and against each bulk action
on an invoice in every state, on the public and on the private commitment.

The tool follows the Commitments tool: whoever opens the project opens it, and lists the
invoices of the commitments they see (a private commitment's only for admins and its
access list). Sending and retrieving are for the project's admins; each invoice is
checked against its own commitment, so a member who sees it is refused on its line with
the reason, an invoice the user does not see is "not found", and a project the user does
not see is a 404. A refused invoice is left as it was. Where the action goes ahead, the
workflow decides (tests/erp_integrations/test_services.py has its reasons)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from erp_integrations.models import ExportItem, ExportState
from erp_integrations.services import NOT_FOUND_ON_PROJECT, NOT_PROJECT_ADMIN, Outcome
from invoices.models import Invoice, InvoiceStatus
from tests.access_world import ROLES, AccessWorld
from tests.factories import InvoiceFactory, InvoiceLineFactory, SovLineFactory

LOGIN, NOT_FOUND_PAGE = "login", "404"
NOT_ADMIN, NOT_FOUND = "not a project admin", "not found"
DONE, UNCHANGED, REFUSED = Outcome.DONE, Outcome.UNCHANGED, Outcome.REFUSED
INVOICE_NAMES = (
    "draft",
    "revise_and_resubmit",
    "approved",
    "locked",
    "private_draft",
    "private_locked",
)
PUBLIC = INVOICE_NAMES[:4]

# --- Viewing the tool ----------------------------------------------------------------------

# Per role: the answer to opening the project's Invoicing tool, and the access world's
# invoices it lists.
VIEW_EXPECTED = {
    "superuser": (200, INVOICE_NAMES),
    "project_admin": (200, INVOICE_NAMES),
    "standard": (200, PUBLIC),
    "standard_via_group": (200, PUBLIC),
    "read_only": (200, PUBLIC),
    "listed_read_only": (200, INVOICE_NAMES),
    "listed_standard": (200, INVOICE_NAMES),
    "invoice_contact": (200, PUBLIC),
    "approver": (404, ()),
    "approver_via_group": (404, ()),
    "erp_standard_without_push": (404, ()),
    "erp_read_only_with_push": (404, ()),
    "other_project_admin": (404, ()),
    "outsider": (404, ()),
    "inactive_admin": (302, ()),
    "anonymous": (302, ()),
}
# Who gets the checkboxes and the "Send to ERP" and "Retrieve from ERP" buttons.
OFFERS_ACTIONS = {"superuser", "project_admin"}


def test_the_view_matrix_has_a_row_for_every_role():
    assert set(VIEW_EXPECTED) == set(ROLES)


def log_in(client, w: AccessWorld, role: str) -> None:
    if role != "anonymous":
        client.force_login(w.users[role])


@pytest.mark.parametrize("role", ROLES)
def test_who_opens_the_tool_and_which_invoices_it_lists(client, access, role):
    log_in(client, access, role)
    url = reverse("invoicing:list", args=[access.project.pk])

    response = client.get(url)

    status, names = VIEW_EXPECTED[role]
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == f"{reverse('login')}?next={url}"
    if status != 200:
        return
    listed = [invoice for invoice, _, _ in response.context["invoice_rows"]]
    assert access.keys(listed) == tuple(sorted(names))
    offered = "Retrieve from ERP</button>" in response.content.decode()
    assert offered == (role in OFFERS_ACTIONS)
    checkboxes = response.content.decode().count('name="invoice_ids"')
    assert checkboxes == (len(names) if role in OFFERS_ACTIONS else 0)


# --- The bulk actions ----------------------------------------------------------------------

# Per role: what the action answers for an invoice of the public commitment and for one
# of the private commitment ("workflow": the role may act, the invoice's state decides).
ACTION_EXPECTED = {
    "superuser": ("workflow", "workflow"),
    "project_admin": ("workflow", "workflow"),
    "standard": (NOT_ADMIN, NOT_FOUND),
    "standard_via_group": (NOT_ADMIN, NOT_FOUND),
    "read_only": (NOT_ADMIN, NOT_FOUND),
    "listed_read_only": (NOT_ADMIN, NOT_ADMIN),
    "listed_standard": (NOT_ADMIN, NOT_ADMIN),
    "invoice_contact": (NOT_ADMIN, NOT_FOUND),
    "approver": (NOT_FOUND_PAGE, NOT_FOUND_PAGE),
    "approver_via_group": (NOT_FOUND_PAGE, NOT_FOUND_PAGE),
    "erp_standard_without_push": (NOT_FOUND_PAGE, NOT_FOUND_PAGE),
    "erp_read_only_with_push": (NOT_FOUND_PAGE, NOT_FOUND_PAGE),
    "other_project_admin": (NOT_FOUND_PAGE, NOT_FOUND_PAGE),
    "outsider": (NOT_FOUND_PAGE, NOT_FOUND_PAGE),
    "inactive_admin": (LOGIN, LOGIN),
    "anonymous": (LOGIN, LOGIN),
}
# The invoice states: its status, and the state of its export item when it was sent.
STATES = {
    "draft": (InvoiceStatus.DRAFT, None),
    "revise_and_resubmit": (InvoiceStatus.REVISE_AND_RESUBMIT, None),
    "approved": (InvoiceStatus.APPROVED, None),
    "ready_to_export": (InvoiceStatus.APPROVED, ExportState.READY_TO_EXPORT),
    "exporting": (InvoiceStatus.APPROVED, ExportState.EXPORTING),
    "synced": (InvoiceStatus.APPROVED, ExportState.SYNCED),
    "failed_to_export": (InvoiceStatus.APPROVED, ExportState.FAILED_TO_EXPORT),
    "rejected": (InvoiceStatus.APPROVED, ExportState.REJECTED),
    "retrieved": (InvoiceStatus.APPROVED, ExportState.RETRIEVED),
}
# What the workflow answers a project admin, per state.
WORKFLOW = {
    "send": {
        "draft": REFUSED,
        "revise_and_resubmit": REFUSED,
        "approved": DONE,
        "ready_to_export": REFUSED,
        "exporting": REFUSED,
        "synced": REFUSED,
        "failed_to_export": REFUSED,
        "rejected": DONE,
        "retrieved": DONE,
    },
    "retrieve": {
        "draft": REFUSED,
        "revise_and_resubmit": REFUSED,
        "approved": REFUSED,
        "ready_to_export": DONE,
        "exporting": REFUSED,
        "synced": REFUSED,
        "failed_to_export": REFUSED,
        "rejected": REFUSED,
        "retrieved": UNCHANGED,
    },
}
# The ERP status each action leaves a done invoice in.
DONE_STATUS = {"send": ExportState.READY_TO_EXPORT, "retrieve": ExportState.RETRIEVED}
CELLS = [
    (role, commitment, state, action)
    for role in ROLES
    for commitment in ("public", "private")
    for state in STATES
    for action in ("send", "retrieve")
]


def test_the_action_matrix_has_a_cell_for_every_role_state_and_action():
    assert set(ACTION_EXPECTED) == set(ROLES)
    assert all(set(row) == set(STATES) for row in WORKFLOW.values())


def invoice_in(w: AccessWorld, commitment: str, state: str) -> Invoice:
    status, erp_state = STATES[state]
    owner = w.commitments[commitment]
    invoice = InvoiceFactory.create(
        commitment=owner,
        number=50,
        status=status,
        created_by=w.users["project_admin"],
        billing_period_start=datetime.date(2026, 5, 1),
        billing_period_end=datetime.date(2026, 5, 31),
    )
    InvoiceLineFactory.create(invoice=invoice, sov_line=SovLineFactory.create(commitment=owner))
    if erp_state is not None:
        w.world.export_item(invoice, erp_state)
    return invoice


def answer_of(response, invoice: Invoice) -> str:
    """What the response says about the one invoice asked for, checking the reason it
    gives where it refuses on the role."""
    if response.status_code == 204:
        assert response["HX-Redirect"].startswith(reverse("login"))
        return LOGIN
    if response.status_code == 404:
        return NOT_FOUND_PAGE
    assert response.status_code == 200
    (result,) = response.context["action"].results
    if result.message == NOT_FOUND_ON_PROJECT.format(label=f"#{invoice.pk}"):
        return NOT_FOUND
    named = f"{invoice.commitment.number} {invoice.label}: "
    assert result.message.startswith(named)
    if result.message == f"{named}{NOT_PROJECT_ADMIN}":
        return NOT_ADMIN
    return result.outcome


@pytest.mark.parametrize(
    ("role", "commitment", "state", "action"), CELLS, ids=["-".join(cell) for cell in CELLS]
)
def test_action_matrix(client, access, htmx, role, commitment, state, action):
    invoice = invoice_in(access, commitment, state)
    before = (invoice.erp_status, list(invoice.export_items.values_list("pk", "state")))
    log_in(client, access, role)

    response = client.post(
        reverse(f"invoicing:{action}", args=[access.project.pk]),
        {"invoice_ids": [invoice.pk]},
        **htmx,
    )

    expected = ACTION_EXPECTED[role][commitment == "private"]
    if expected == "workflow":
        expected = WORKFLOW[action][state]
    assert answer_of(response, invoice) == expected
    invoice.refresh_from_db()
    if expected == DONE:
        assert invoice.erp_status == DONE_STATUS[action]
        assert ExportItem.objects.filter(invoice=invoice, state=DONE_STATUS[action]).exists()
    else:
        assert (invoice.erp_status, list(invoice.export_items.values_list("pk", "state"))) == before
