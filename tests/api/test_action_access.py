"""The permission matrices of the ERP actions (tests/erp_integrations/test_services.py for
send, retrieve, accept, reject and retry; test_unlink_permissions.py for unlink), replayed
through the API, one invoice and many: the API allows what the service allows, answers
404 where the service raises Http404, and 403 with the same message and its code where
the service refuses the user. Send and retrieve across a project's commitments check each
invoice against its own commitment, so there a refusal is the invoice's result (its code
the same), not a 403."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from erp_integrations import services
from erp_integrations.models import ExportItem, ExportState
from invoices.models import Invoice
from tests.api.conftest import bearer
from tests.erp_integrations.test_services import ACTION_STATES, PERMISSION_MATRIX
from tests.erp_integrations.test_unlink_permissions import (
    EXPECTED as UNLINK_MATRIX,
)
from tests.erp_integrations.test_unlink_permissions import NOT_APPROVER
from tests.world import ROLES, build_world, invoice_status_of

pytestmark = pytest.mark.django_db

DONE_CODES = {
    "send": "sent",
    "retrieve": "retrieved",
    "accept": "accepted",
    "reject": "rejected",
    "retry": "retried",
    "unlink": "unlinked",
}
REFUSAL_CODES = {
    services.NOT_PROJECT_ADMIN: "not_project_admin",
    services.NOT_ACCOUNTING_APPROVER: "not_accounting_approver",
}
REFUSAL_MESSAGES = {code: message for message, code in REFUSAL_CODES.items()}
BODIES: dict[str, dict] = {
    "reject": {"reason": "Wrong cost code"},
    "unlink": {"reason": "Deleted", "confirm": True},
}


def request_for(world, action: str, invoice: Invoice, form: str) -> tuple[str, dict]:
    """The API's URL and body for `action` on `invoice`, as one invoice or as a list."""
    extra = BODIES.get(action, {})
    if action in ("send", "retrieve"):
        if form == "one":
            return f"/api/v1/invoices/{invoice.pk}/{action}/", extra
        if form == "project":
            return f"/api/v1/projects/{world.project.pk}/invoices/{action}/", {"ids": [invoice.pk]}
        return (
            f"/api/v1/projects/{world.project.pk}/commitments/{world.commitment.pk}"
            f"/invoices/{action}/",
            {"ids": [invoice.pk], **extra},
        )
    item = ExportItem.objects.filter(invoice=invoice).latest("pk")
    items = f"/api/v1/companies/{world.company.pk}/erp/items/"
    if form == "one":
        return f"{items}{item.pk}/{action}/", extra
    return f"{items}{action}/", {"ids": [item.pk], **extra}


def answer_of(response, form: str):
    """The matrix's word for the API's answer: "done", "404", the refusal message, or
    the refused invoice's outcome."""
    body = response.json()
    if response.status_code == 404:
        return "404"
    if response.status_code == 403:
        assert body["code"] == REFUSAL_CODES[body["message"]]
        return body["message"]
    assert response.status_code in (200, 409), body
    result = body if form == "one" else body["results"][0]
    if response.status_code == 409:
        return services.Outcome.REFUSED
    if form == "project" and result["code"] in REFUSAL_MESSAGES:
        assert result["outcome"] == services.Outcome.REFUSED
        return REFUSAL_MESSAGES[result["code"]]
    return result["outcome"], result["code"]


CELLS = [(action, role) for action, row in PERMISSION_MATRIX.items() for role in row]
FORMS = [
    *[(action, role, form) for action, role in CELLS for form in ("one", "many")],
    # Send and retrieve across the project's commitments (the Invoicing tool's).
    *[(action, role, "project") for action, role in CELLS if action in ("send", "retrieve")],
]


@pytest.mark.parametrize(
    ("action", "role", "form"), FORMS, ids=[f"{a}-{r}-{f}" for a, r, f in FORMS]
)
def test_permission_matrix_through_the_api(api_client, dummy_tasks, action, role, form):
    world = build_world()
    start, end = ACTION_STATES[action]
    invoice = world.invoice(erp_state=start)
    before = Invoice.objects.get(pk=invoice.pk).erp_status
    user = get_user_model().objects.get(pk=world.users[role].pk)
    url, body = request_for(world, action, invoice, form)

    answer = answer_of(api_client.post(url, body, format="json", **bearer(user)), form)

    expected = PERMISSION_MATRIX[action][role]
    after = Invoice.objects.get(pk=invoice.pk).erp_status
    if expected == "done":
        assert answer == ("done", DONE_CODES[action])
        assert after == end
    else:
        assert answer == expected
        assert after == before


UNLINK_CELLS = [(role, state) for role in ROLES for state in ExportState]
# The matrix's words for the service's outcomes, as the API answers them.
UNLINK_ANSWERS = {"done": ("done", "unlinked"), "unchanged": ("unchanged", "already_unlinked")}


@pytest.mark.parametrize("form", ["one", "many"])
@pytest.mark.parametrize(("role", "state"), UNLINK_CELLS, ids=[f"{r}-{s}" for r, s in UNLINK_CELLS])
def test_unlink_matrix_through_the_api(api_client, dummy_tasks, role, state, form):
    world = build_world()
    invoice = world.invoice(erp_state=state)
    user = get_user_model().objects.get(pk=world.users[role].pk)
    url, body = request_for(world, "unlink", invoice, form)

    response = api_client.post(url, body, format="json", **bearer(user))
    answer = answer_of(response, form)
    if form == "many" and answer not in ("404", services.NOT_ACCOUNTING_APPROVER):
        # A list reports a refused invoice in its results (200), not as a 409.
        result = response.json()["results"][0]
        answer = result["outcome"] if result["outcome"] == "refused" else answer

    expected = UNLINK_MATRIX[role][state]
    if expected == NOT_APPROVER:
        expected = services.NOT_ACCOUNTING_APPROVER
    assert answer == UNLINK_ANSWERS.get(expected, expected)
    item = ExportItem.objects.get(invoice=invoice)
    if expected == "done":
        assert item.state == ExportState.UNLINKED
    else:
        assert item.state == state
        assert Invoice.objects.get(pk=invoice.pk).erp_status == invoice_status_of(state)
