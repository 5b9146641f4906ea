"""Generated input, posted to every form and bulk action as each demo user.

For every example: no 500 (the test client re-raises a view's exception), and the
domain tables are exactly as before unless the response says the action succeeded (a
success message, or an htmx summary that counts something done). The demo data is
seeded once per test; each example runs in a savepoint that is rolled back, so every
example starts from the same data. The number of examples comes from the Hypothesis
profile (tests/conftest.py): `HYPOTHESIS_PROFILE=thorough` for a longer run.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from commitments.models import Commitment, SovLine
from erp_integrations.models import ExportItem
from erp_integrations.selectors import QUEUE_TABS
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceLine, InvoiceStatus

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = ["admin", "pat", "riley", "casey", "sam", "alex"]
# What the fuzz may change, and compares before and after each request.
DOMAIN_MODELS = [Commitment, SovLine, Invoice, InvoiceLine, ExportItem, ChangeHistoryEntry]
LINE_FIELDS = [
    "work_completed_this_period",
    "materials_presently_stored",
    "work_retainage_percent",
    "materials_retainage_percent",
]
# A bulk action's htmx summary when some invoices were refused: "Send to ERP: 1 sent, ...".
SOMETHING_DONE = re.compile(r"\b[1-9][0-9]* (sent|retrieved)\b")

# The examples are slow (a request each) and share fixture data reset by hand.
fuzz = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# --- What is generated --------------------------------------------------------------------

SHORT_TEXT = st.text(max_size=40)
# Around the rejection reason's limit, and far past it.
LONG_TEXT = st.builds(lambda char, count: char * count, st.characters(), st.integers(1990, 3000))
STRINGS = st.one_of(SHORT_TEXT, LONG_TEXT, st.sampled_from(["", "   ", "\x00", "<script>"]))
IDS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", " ", "0", "-1", "1.0", "1e3", "\u0661", str(2**63 - 1), str(2**63)]),
    SHORT_TEXT,
)
AMOUNTS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**16), 10**16).map(str),
    st.sampled_from(["١٢٣", "1_000", "0.1e2", "1,000", "-0", ".5", "5.", "+1", "NaN", "-Infinity"]),
    st.text(alphabet="0123456789.-,_eE+ ١٢", max_size=14),
)
DATES = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.sampled_from(["", "2026-02-30", "1999-12-31", "2100-01-01", "9999-12-31", "2026-13-01"]),
    SHORT_TEXT,
)
REQUEST_HEADERS = st.sampled_from(
    [{}, {"HTTP_HX_REQUEST": "true"}, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-queue"}]
)


def mostly(username: str):
    """The user whose action it is, half the time; any demo user otherwise."""
    return st.one_of(st.just(username), st.sampled_from(DEMO_USERNAMES))


def real_or(ids: list[int], other=IDS):
    """Mostly a real id, so that the actions get past their checks, else anything."""
    return st.one_of(st.sampled_from(ids).map(str), other)


def id_list(ids: list[int]):
    """Checked boxes: mostly one or more, sometimes none."""
    return st.one_of(
        st.lists(real_or(ids), min_size=1, max_size=6), st.lists(real_or(ids), max_size=6)
    )


# --- The demo world -----------------------------------------------------------------------


@dataclass
class Demo:
    users: dict
    commitments: list[Commitment]
    invoices: list[Invoice]
    lines: dict[int, list[InvoiceLine]]
    line_ids: list[int]
    item_ids: list[int]
    company_ids: list[int]


@pytest.fixture
def demo() -> Demo:
    call_command("seed_demo", verbosity=0)
    invoices = list(Invoice.objects.select_related("commitment").order_by("pk"))
    lines: dict[int, list[InvoiceLine]] = {invoice.pk: [] for invoice in invoices}
    for line in InvoiceLine.objects.order_by("invoice", "sov_line__position", "sov_line_id"):
        lines[line.invoice_id].append(line)
    return Demo(
        users={
            user.username: user
            for user in get_user_model().objects.filter(username__in=DEMO_USERNAMES)
        },
        commitments=list(Commitment.objects.order_by("pk")),
        invoices=invoices,
        lines=lines,
        line_ids=list(InvoiceLine.objects.values_list("pk", flat=True)),
        item_ids=list(ExportItem.objects.values_list("pk", flat=True)),
        company_ids=list(
            Commitment.objects.values_list("project__company_id", flat=True).distinct()
        ),
    )


def snapshot() -> dict[str, list[dict]]:
    return {
        model.__name__: [model_to_dict(row) for row in model._default_manager.order_by("pk")]
        for model in DOMAIN_MODELS
    }


def said_it_succeeded(response) -> bool:
    return any(
        message.level == messages.SUCCESS
        or (message.level == messages.WARNING and SOMETHING_DONE.search(message.message))
        for message in messages.get_messages(response.wsgi_request)
    )


def post_as(demo: Demo, username: str, url: str, payload: dict, headers: dict) -> None:
    """POST as the user in a savepoint rolled back afterwards, and check the answer."""
    with transaction.atomic():
        before = snapshot()
        client = Client()
        client.force_login(demo.users[username])

        response = client.post(url, payload, **headers)

        assert response.status_code < 500
        succeeded = said_it_succeeded(response)
        # Shown by --hypothesis-show-statistics: how often the input got through.
        event("succeeded" if succeeded else "refused")
        if not succeeded:
            assert snapshot() == before, f"changed without saying so: {url} {payload}"
        transaction.set_rollback(True)


def invoice_url(invoice: Invoice, action: str = "") -> str:
    commitment = invoice.commitment
    path = f"/projects/{commitment.project_id}/commitments/{commitment.pk}/invoices/{invoice.pk}/"
    return path + action


def commitment_url(commitment: Commitment, action: str) -> str:
    return f"/projects/{commitment.project_id}/commitments/{commitment.pk}/{action}"


# --- The forms and actions ----------------------------------------------------------------


@fuzz
@given(data=st.data())
def test_create_invoice_form(demo, data):
    commitment = data.draw(st.sampled_from(demo.commitments))
    payload = {
        f"invoice-{name}": data.draw(DATES)
        for name in ("billing_period_start", "billing_period_end", "billing_date")
    }
    post_as(
        demo,
        data.draw(mostly("riley")),
        commitment_url(commitment, "invoices/new/"),
        payload,
        data.draw(REQUEST_HEADERS),
    )


@fuzz
@given(data=st.data())
def test_edit_invoice_form(demo, data):
    invoice = data.draw(st.sampled_from(demo.invoices))
    lines = demo.lines[invoice.pk]
    count = data.draw(st.one_of(st.just(len(lines)), st.integers(0, len(lines) + 2)))
    payload = {
        f"invoice-{name}": data.draw(st.one_of(st.just(getattr(invoice, name).isoformat()), DATES))
        for name in ("billing_period_start", "billing_period_end", "billing_date")
    }
    payload.update(
        {
            "lines-TOTAL_FORMS": str(count),
            "lines-INITIAL_FORMS": str(count),
            "lines-MIN_NUM_FORMS": str(len(lines)),
            "lines-MAX_NUM_FORMS": str(len(lines)),
        }
    )
    for index in range(count):
        line = lines[index] if index < len(lines) else None
        own_id = st.just(str(line.pk)) if line else real_or(demo.line_ids)
        payload[f"lines-{index}-line_id"] = data.draw(st.one_of(own_id, real_or(demo.line_ids)))
        for name in LINE_FIELDS:
            own_value = st.just(str(getattr(line, name))) if line else AMOUNTS
            payload[f"lines-{index}-{name}"] = data.draw(st.one_of(own_value, AMOUNTS))
    post_as(
        demo,
        data.draw(mostly("sam")),
        invoice_url(invoice, "edit/"),
        payload,
        data.draw(REQUEST_HEADERS),
    )


@fuzz
@given(data=st.data())
def test_review_buttons(demo, data):
    invoice = data.draw(st.sampled_from(demo.invoices))
    status = data.draw(st.one_of(st.sampled_from(InvoiceStatus.values * 3), STRINGS))
    post_as(
        demo,
        data.draw(mostly("pat")),
        invoice_url(invoice, "status/"),
        {"status": status},
        data.draw(REQUEST_HEADERS),
    )


@fuzz
@given(data=st.data())
def test_invoice_send_and_retrieve_buttons(demo, data):
    """The invoice page's buttons, with real and generated ids in the path."""
    invoice = data.draw(st.sampled_from(demo.invoices))
    action = data.draw(st.sampled_from(["send-to-erp/", "retrieve-from-erp/"]))
    real_ids = [invoice.commitment.project_id, invoice.commitment_id, invoice.pk]
    forged = data.draw(st.lists(st.integers(-5, 2**64), min_size=3, max_size=3))
    # The real path most of the time; else some of its ids replaced.
    path_ids = [
        str(data.draw(st.sampled_from([real, real, real, other])))
        for real, other in zip(real_ids, forged, strict=True)
    ]
    url = "/projects/{}/commitments/{}/invoices/{}/".format(*path_ids) + action
    post_as(demo, data.draw(mostly("pat")), url, {}, data.draw(REQUEST_HEADERS))


@fuzz
@given(data=st.data())
def test_invoices_tab_bulk_actions(demo, data):
    commitment = data.draw(st.sampled_from(demo.commitments))
    action = data.draw(st.sampled_from(["send-to-erp/", "retrieve-from-erp/"]))
    invoice_ids = [invoice.pk for invoice in demo.invoices]
    post_as(
        demo,
        data.draw(mostly("pat")),
        commitment_url(commitment, f"invoices/{action}"),
        {"invoice_ids": data.draw(id_list(invoice_ids))},
        data.draw(REQUEST_HEADERS),
    )


@fuzz
@given(data=st.data())
def test_invoicing_tool_bulk_actions(demo, data):
    """The Invoicing tool's bulk actions, with any ids and any filters to return to."""
    project_id = data.draw(st.sampled_from(demo.commitments)).project_id
    action = data.draw(st.sampled_from(["send-to-erp/", "retrieve-from-erp/"]))
    invoice_ids = [invoice.pk for invoice in demo.invoices]
    payload = {
        "invoice_ids": data.draw(id_list(invoice_ids)),
        "query": data.draw(st.one_of(st.just("erp_status=ready_to_export&sort=-vendor"), STRINGS)),
        "page": data.draw(st.one_of(IDS, st.integers(-3, 5).map(str))),
    }
    post_as(
        demo,
        data.draw(mostly("pat")),
        f"/projects/{project_id}/invoicing/{action}",
        payload,
        data.draw(REQUEST_HEADERS),
    )


@fuzz
@given(data=st.data())
def test_approver_actions(demo, data):
    """Accept, reject and retry, with the checked items, a reason and where to go back."""
    company_id = data.draw(st.sampled_from(demo.company_ids))
    action = data.draw(st.sampled_from(["accept/", "reject/", "retry/"]))
    payload = {
        "item_ids": data.draw(id_list(demo.item_ids)),
        "tab": data.draw(st.one_of(st.sampled_from([tab.slug for tab in QUEUE_TABS]), STRINGS)),
        "page": data.draw(st.one_of(IDS, st.integers(-3, 5).map(str))),
        "next": data.draw(st.one_of(st.just(""), SHORT_TEXT, st.just("https://evil.example/"))),
    }
    if action == "reject/":
        payload["reason"] = data.draw(st.one_of(st.just("Wrong billing period"), STRINGS))
    post_as(
        demo,
        data.draw(mostly("alex")),
        f"/companies/{company_id}/erp-integrations/{action}",
        payload,
        data.draw(REQUEST_HEADERS),
    )


@fuzz
@given(data=st.data())
def test_filters_and_pages_take_any_query_string(demo, data):
    """The GET forms (the Commitments tool's filters and sorting, pagination, the
    queue's tabs): any query string is answered, never with a 500."""
    commitment = data.draw(st.sampled_from(demo.commitments))
    company_id = data.draw(st.sampled_from(demo.company_ids))
    url = data.draw(
        st.sampled_from(
            [
                f"/projects/{commitment.project_id}/commitments/",
                f"/projects/{commitment.project_id}/invoicing/",
                commitment_url(commitment, "history/"),
                f"/companies/{company_id}/erp-integrations/",
                *(f"/companies/{company_id}/erp-integrations/{tab.slug}/" for tab in QUEUE_TABS),
            ]
        )
    )
    query = data.draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "q",
                    "status",
                    "vendor",
                    "erp_status",
                    "commitment",
                    "billing_period",
                    "sort",
                    "page",
                    "per_page",
                ]
            ),
            st.one_of(IDS, STRINGS, AMOUNTS),
            max_size=4,
        )
    )
    client = Client()
    client.force_login(demo.users[data.draw(st.sampled_from(DEMO_USERNAMES))])

    response = client.get(url, query, **data.draw(REQUEST_HEADERS))

    assert response.status_code < 500
