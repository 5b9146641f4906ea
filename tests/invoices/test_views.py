"""The invoice page (lock banner, review and ERP actions, history), the invoice edit
page, and the page that creates an invoice."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import resolve, reverse
from django.utils import timezone
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from core.forms import NOT_A_PLAIN_NUMBER, NOT_NEGATIVE
from erp_integrations.models import ExportItem, ExportState
from erp_integrations.services import ALREADY_ACCEPTED, NOT_PROJECT_ADMIN
from invoices.forms import DUPLICATE_LINE, default_billing_dates
from invoices.locking import lock_message
from invoices.models import (
    BILLING_DATE_OUT_OF_RANGE,
    LATEST_BILLING_DATE,
    ChangeHistoryEntry,
    Invoice,
    InvoiceErpStatus,
    InvoiceStatus,
)
from invoices.services import (
    ILLEGAL_STATUS_CHANGE,
    MAY_NOT_CREATE,
    MAY_NOT_EDIT,
    MAY_NOT_REVIEW,
    PERIOD_ENDS_BEFORE_START,
    UNKNOWN_STATUS,
)
from invoices.views import ALREADY_IN_STATUS, CREATED, STATUS_CHANGED
from tests.erp_integrations.email_tasks import (
    email_tasks,
    failed_task_logs,
    unreachable_mail_server,
)
from tests.factories import ChangeHistoryEntryFactory, InvoiceFactory, SovLineFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

NOT_ALLOWED_TO_ACT = ("standard", "read_only", "invoice_contact")


@pytest.fixture
def world():
    return build_world()


def url(name, invoice):
    commitment = invoice.commitment
    return reverse(name, args=[commitment.project_id, commitment.pk, invoice.pk])


def refreshed(invoice):
    invoice.refresh_from_db()
    return invoice


def edit_data(invoice, **changes):
    """A complete edit form for `invoice` as the page fills it, with `changes` applied
    (keys: the header's field names, or "lines-0-<field>")."""
    data = {
        "invoice-billing_period_start": invoice.billing_period_start.isoformat(),
        "invoice-billing_period_end": invoice.billing_period_end.isoformat(),
        "invoice-billing_date": invoice.billing_date.isoformat(),
    }
    lines = list(invoice.lines.order_by("sov_line__position", "sov_line_id"))
    data.update(
        {
            "lines-TOTAL_FORMS": str(len(lines)),
            "lines-INITIAL_FORMS": str(len(lines)),
            "lines-MIN_NUM_FORMS": str(len(lines)),
            "lines-MAX_NUM_FORMS": str(len(lines)),
        }
    )
    for index, line in enumerate(lines):
        data[f"lines-{index}-line_id"] = str(line.pk)
        for name in (
            "work_completed_this_period",
            "materials_presently_stored",
            "work_retainage_percent",
            "materials_retainage_percent",
        ):
            data[f"lines-{index}-{name}"] = str(getattr(line, name))
    for key, value in changes.items():
        data[key if key.startswith("lines-") else f"invoice-{key}"] = value
    return data


# --- The invoice page --------------------------------------------------------------------


def test_invoice_page_renders_the_whole_page_for_a_plain_request(client, world):
    invoice = world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    assertContains(response, "<html")
    assertContains(response, f"Subcontractor invoice {invoice.label}")


def test_invoice_page_returns_only_its_main_region_to_htmx(client, world, htmx):
    invoice = world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice), **htmx)

    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="invoice-main"')
    assert f"Subcontractor invoice {invoice.label}" in content


def test_invoice_page_shows_the_header_amounts(client, world, headers):
    """The header: number, billing period, status, ERP status badge and amounts."""
    invoice = world.invoice(lines=2)
    client.force_login(world.users["read_only"])

    response = client.get(url("invoices:detail", invoice), **headers)

    header = response.content.decode().split('id="lines-heading"')[0]
    assert "Oct 1, 2026 \N{EN DASH} Oct 31, 2026" in header
    assert "Approved" in header
    assert '<span class="badge erp-status erp-status--not_sent">Not Sent</span>' in header
    assert "$2,000.00" in header  # this period
    assert "$200.00" in header  # retainage
    assert "$1,800.00" in header  # current payment due


def test_locked_invoice_shows_who_sent_it_and_until_when(client, world, headers):
    """The lock banner names who sent the invoice and when, and says it stays locked
    until the approver accepts or rejects it or it is retrieved."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice), **headers)

    assertContains(response, escape(lock_message(invoice)))
    assertContains(response, f"{world.users['project_admin'].get_username()} sent it to ERP")
    assertContains(response, "or it is retrieved from ERP")


def test_locked_invoice_shows_edit_disabled_with_the_reason(client, world, headers):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice), **headers)

    assertContains(
        response,
        '<button type="button" class="btn btn-outline-secondary" disabled '
        'aria-describedby="edit-unavailable">Edit</button>',
        html=True,
    )
    assertContains(response, "Edit is unavailable while the invoice is locked.")
    assertNotContains(response, url("invoices:edit", invoice))


def test_unlocked_invoice_links_to_its_edit_page(client, world):
    invoice = world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    assertContains(response, f'href="{url("invoices:edit", invoice)}">Edit</a>')


def test_ready_to_export_invoice_offers_retrieve_not_send(client, world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    retrieve = url("invoices:retrieve", invoice)
    assertContains(response, f'action="{retrieve}"')
    assertContains(response, f'hx-post="{retrieve}" hx-target="#invoice-main"')
    assertContains(response, "Retrieve from ERP</button>")
    assertNotContains(response, "Send to ERP</button>")


def test_approved_invoice_offers_send_to_erp(client, world):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    assertContains(response, f'action="{url("invoices:send", invoice)}"')
    assertContains(response, ">Send to ERP</button>")
    assertNotContains(response, "Retrieve from ERP</button>")


@pytest.mark.parametrize("state", [ExportState.REJECTED, ExportState.RETRIEVED])
def test_rejected_or_retrieved_invoice_offers_re_send(client, world, state):
    invoice = world.invoice(erp_state=state)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    assertContains(response, ">Re-send to ERP</button>")


def test_rejected_invoice_shows_the_reason(client, world):
    invoice = world.invoice(erp_state=ExportState.REJECTED)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    assertContains(response, "Wrong period")


@pytest.mark.parametrize("role", NOT_ALLOWED_TO_ACT)
def test_invoice_page_hides_erp_actions_from_users_who_may_not_act(client, world, role):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users[role])

    response = client.get(url("invoices:detail", invoice))

    assert response.status_code == 200
    assertNotContains(response, "Retrieve from ERP</button>")
    assertNotContains(response, "Send to ERP</button>")


@pytest.mark.parametrize("role", ["read_only", "invoice_contact"])
def test_invoice_page_hides_edit_from_users_who_may_not_edit(client, world, role):
    """Read Only members never edit; a contact does not edit someone else's invoice."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users[role])

    response = client.get(url("invoices:detail", invoice))

    assertNotContains(response, ">Edit<")


def test_invoice_page_lists_the_change_history(client, world):
    invoice = world.invoice()
    ChangeHistoryEntryFactory(
        invoice=invoice, action_by=world.users["standard"], from_value="Draft", to_value="Done"
    )
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    history = response.content.decode().split('id="history-heading"')[1]
    assert world.users["standard"].get_username() in history
    assert "Status" in history and "Draft" in history and "Done" in history


@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_invoice_page_is_404_for_a_user_who_may_not_see_it(client, world, headers, role):
    """Outsiders, and approvers (who review in the ERP Integrations queue), get 404."""
    invoice = world.invoice()
    client.force_login(world.users[role])

    assert client.get(url("invoices:detail", invoice), **headers).status_code == 404


def test_invoice_under_another_project_url_is_404(client, world):
    invoice = world.invoice()
    other = build_world()
    client.force_login(world.users["superuser"])

    response = client.get(
        reverse("invoices:detail", args=[other.project.pk, world.commitment.pk, invoice.pk])
    )

    assert response.status_code == 404


# --- Send and Retrieve on the invoice page -----------------------------------------------


def test_retrieve_without_htmx_redirects_back_with_a_message(client, world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:retrieve", invoice))

    assertRedirects(response, url("invoices:detail", invoice), fetch_redirect_response=False)
    assert refreshed(invoice).erp_status == InvoiceErpStatus.RETRIEVED
    page = client.get(url("invoices:detail", invoice))
    assertContains(page, f"{invoice.label}: retrieved from ERP Integrations.")
    assertNotContains(page, "lock-banner")


def test_retrieve_with_htmx_rerenders_the_page_region_unlocked(client, world, htmx):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:retrieve", invoice), **htmx)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="invoice-main"')
    assert "lock-banner" not in content
    assert ">Re-send to ERP</button>" in content
    assert '<div id="messages" class="messages" hx-swap-oob="true">' in content
    assert f"{invoice.label}: retrieved from ERP Integrations." in content


def test_retrieving_twice_is_harmless(client, world):
    """A double click: the second retrieval reports it was already done."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])
    client.post(url("invoices:retrieve", invoice))

    response = client.post(url("invoices:retrieve", invoice), follow=True)

    assertContains(response, f"{invoice.label}: already retrieved from ERP Integrations.")
    assert refreshed(invoice).erp_status == InvoiceErpStatus.RETRIEVED


def test_retrieve_of_an_accepted_invoice_is_refused(client, world, headers):
    invoice = world.invoice(erp_state=ExportState.SYNCED)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:retrieve", invoice), follow=not headers, **headers)

    assertContains(response, ALREADY_ACCEPTED.format(label=invoice.label))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.SYNCED


@pytest.mark.parametrize("role", NOT_ALLOWED_TO_ACT)
def test_forged_retrieve_by_a_user_who_may_not_act_is_refused(client, world, headers, role):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users[role])

    response = client.post(url("invoices:retrieve", invoice), follow=not headers, **headers)

    assertContains(response, escape(NOT_PROJECT_ADMIN))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_retrieve_is_404_for_a_user_who_may_not_see_the_invoice(client, world, role):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users[role])

    assert client.post(url("invoices:retrieve", invoice)).status_code == 404
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


def test_send_puts_the_invoice_in_the_queue_and_locks_it(client, world, headers):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:send", invoice), follow=not headers, **headers)

    assertContains(response, f"{invoice.label}: sent to ERP Integrations.")
    assertContains(response, "lock-banner")
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


# Committed for real, so the send's on-commit work runs inside the request as it does in
# production.
@pytest.mark.django_db(transaction=True)
def test_send_answers_normally_when_the_mail_server_is_unreachable(
    client, world, settings, caplog, headers
):
    """The approvers' email fails in its task; the page still says the invoice was sent,
    and it is Ready to Export."""
    unreachable_mail_server(settings)
    client.raise_request_exception = False
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:send", invoice), follow=not headers, **headers)

    assertContains(response, f"{invoice.label}: sent to ERP Integrations.")
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT
    assert failed_task_logs(caplog) == [
        ("erp_integrations.tasks.send_invoices_sent_email", ConnectionRefusedError)
    ]


def test_send_enqueues_the_approvers_email_instead_of_sending_it(
    client, world, dummy_tasks, django_capture_on_commit_callbacks, htmx
):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users["project_admin"])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("invoices:send", invoice), **htmx)

    item = ExportItem.objects.get(invoice=invoice)
    assert email_tasks(dummy_tasks) == [
        ("send_invoices_sent_email", {"export_item_ids": [item.pk]})
    ]
    assert mail.outbox == []


@pytest.mark.parametrize("role", NOT_ALLOWED_TO_ACT)
def test_forged_send_by_a_user_who_may_not_act_is_refused(client, world, role, htmx):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users[role])

    response = client.post(url("invoices:send", invoice), **htmx)

    assertContains(response, escape(NOT_PROJECT_ADMIN))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.NOT_SENT


@pytest.mark.parametrize("name", ["invoices:send", "invoices:retrieve"])
def test_erp_actions_refuse_get(client, world, name):
    invoice = world.invoice()
    client.force_login(world.users["project_admin"])

    assert client.get(url(name, invoice)).status_code == 405


# --- The edit page -----------------------------------------------------------------------


def test_edit_page_shows_a_labelled_field_per_line(client, world, headers):
    invoice = world.invoice(status=InvoiceStatus.DRAFT, lines=2)
    client.force_login(world.users["standard"])

    response = client.get(url("invoices:edit", invoice), **headers)

    assert response.status_code == 200
    for line in invoice.lines.select_related("sov_line"):
        assertContains(
            response,
            f"Work completed this period, {line.sov_line.cost_code} {line.sov_line.description}",
        )
    assertContains(response, 'name="invoice-billing_period_start"')


def test_edit_page_returns_only_the_form_to_htmx(client, world, htmx):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["standard"])

    response = client.get(url("invoices:edit", invoice), **htmx)

    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<form id="invoice-edit-form"')


def test_edit_saves_through_the_service_and_records_history(client, world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["standard"])

    response = client.post(
        url("invoices:edit", invoice),
        edit_data(invoice, **{"lines-0-work_completed_this_period": "2500.00"}),
    )

    assertRedirects(response, url("invoices:detail", invoice), fetch_redirect_response=False)
    line = invoice.lines.get()
    assert line.work_completed_this_period == Decimal("2500.00")
    assert refreshed(invoice).revision == 2
    assert ChangeHistoryEntry.objects.filter(invoice=invoice, to_value="2500.00").exists()
    assertContains(client.get(url("invoices:detail", invoice)), f"{invoice.label} saved.")


def test_edit_of_the_billing_dates_saves_them(client, world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["project_admin"])

    client.post(url("invoices:edit", invoice), edit_data(invoice, billing_date="2026-11-03"))

    assert refreshed(invoice).billing_date == datetime.date(2026, 11, 3)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("lines-0-work_retainage_percent", "150", "less than or equal to 100"),
        ("lines-0-materials_presently_stored", "-5", NOT_NEGATIVE),
        ("lines-0-work_retainage_percent", "-1", NOT_NEGATIVE),
        ("lines-0-work_completed_this_period", "12.345", "no more than 2 decimal places"),
        ("lines-0-work_completed_this_period", "lots", NOT_A_PLAIN_NUMBER),
        ("billing_period_end", "2026-09-01", "The billing period cannot end before it starts."),
        ("billing_date", "", "This field is required."),
    ],
)
def test_bad_edit_shows_the_error_beside_the_field_and_saves_nothing(
    client, world, field, value, message
):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["standard"])

    response = client.post(url("invoices:edit", invoice), edit_data(invoice, **{field: value}))

    assert response.status_code == 200
    assertContains(response, "Nothing was saved")
    assertContains(response, escape(message))
    assertContains(response, 'aria-invalid="true"')
    assert refreshed(invoice).revision == 1
    assert invoice.lines.get().work_completed_this_period == Decimal("1000.00")


@pytest.mark.parametrize(
    "value",
    [
        "١٢٣",
        "1_000",
        "0.1e2",
        "1,000",
        "1.2.3",
        "+5",
        "--5",
        "NaN",
        "Infinity",
        "0x10",
        "\uff11\uff12",
    ],
)
@pytest.mark.parametrize(
    "field",
    [
        "work_completed_this_period",
        "materials_presently_stored",
        "work_retainage_percent",
        "materials_retainage_percent",
    ],
)
def test_edit_refuses_a_number_not_written_as_the_page_writes_it(client, world, field, value):
    """Only ASCII digits, one decimal point and (where allowed) a minus: other scripts'
    digits, underscores, exponents and the like are refused beside the field."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["standard"])

    response = client.post(
        url("invoices:edit", invoice), edit_data(invoice, **{f"lines-0-{field}": value})
    )

    assertContains(response, "Nothing was saved")
    assertContains(response, escape(NOT_A_PLAIN_NUMBER))
    assert refreshed(invoice).revision == 1


@pytest.mark.parametrize("value", ["-250.50", "-.5", "1234", "1234.5", " 7.25 "])
def test_edit_takes_a_plain_number_and_a_negative_work_completed(client, world, value):
    """A credit (negative work completed) and the spellings a number field sends save."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["standard"])

    client.post(
        url("invoices:edit", invoice),
        edit_data(invoice, **{"lines-0-work_completed_this_period": value}),
    )

    assert invoice.lines.get().work_completed_this_period == Decimal(value.strip())


def test_edit_with_a_line_given_twice_is_refused_and_saves_nothing(client, world, headers):
    """A forged form repeating one line id is refused: nothing of either form is kept."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT, lines=2)
    first = invoice.lines.order_by("sov_line__position", "sov_line_id").first()
    client.force_login(world.users["standard"])
    data = edit_data(
        invoice,
        **{
            "lines-0-work_completed_this_period": "5.00",
            "lines-1-work_completed_this_period": "7.00",
        },
    )
    data["lines-1-line_id"] = str(first.pk)

    response = client.post(url("invoices:edit", invoice), data, **headers)

    assertContains(response, "Nothing was saved")
    assertContains(response, DUPLICATE_LINE.format(line_id=first.pk))
    assert refreshed(invoice).revision == 1
    assert {line.work_completed_this_period for line in invoice.lines.all()} == {Decimal("1000.00")}
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice).exists()


def test_edit_of_a_line_of_another_invoice_is_refused(client, world):
    """A forged line id is reported by the service and nothing is saved."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    other_line = world.invoice(status=InvoiceStatus.DRAFT).lines.get()
    client.force_login(world.users["standard"])
    data = edit_data(invoice, **{"lines-0-work_completed_this_period": "5.00"})
    data["lines-0-line_id"] = str(other_line.pk)

    response = client.post(url("invoices:edit", invoice), data)

    assertContains(response, f"Line {other_line.pk} is not a line of {invoice.label}.")
    assert other_line.__class__.objects.get(pk=other_line.pk).work_completed_this_period == (
        Decimal("1000.00")
    )


@pytest.mark.parametrize("method", ["get", "post"])
def test_edit_of_a_locked_invoice_is_refused_with_the_lock_message(client, world, method):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])
    data = edit_data(invoice, **{"lines-0-work_completed_this_period": "5.00"})

    response = getattr(client, method)(url("invoices:edit", invoice), data, follow=True)

    assertRedirects(response, url("invoices:detail", invoice))
    assertContains(response, escape(lock_message(invoice)), count=2)  # message and banner
    assert invoice.lines.get().work_completed_this_period == Decimal("1000.00")


def test_edit_of_a_locked_invoice_through_htmx_redirects_the_browser(client, world, htmx):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:edit", invoice), edit_data(invoice), **htmx)

    assert response["HX-Redirect"] == url("invoices:detail", invoice)


@pytest.mark.parametrize("name", ["invoices:detail", "invoices:edit", "locked edit"])
def test_pages_that_differ_for_htmx_say_they_vary_on_hx_request(client, world, headers, name):
    """Every GET answered differently to htmx (a region, or a client redirect for a
    refused edit) says so, so a browser never reuses one answer for the other."""
    if name == "locked edit":
        name, invoice = "invoices:edit", world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    else:
        invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["project_admin"])

    response = client.get(url(name, invoice), **headers)

    vary = {header.strip().lower() for header in response.get("Vary", "").split(",")}
    assert "hx-request" in vary


@pytest.mark.parametrize("method", ["get", "post"])
def test_edit_by_a_read_only_member_is_refused(client, world, method):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["read_only"])

    response = getattr(client, method)(
        url("invoices:edit", invoice), edit_data(invoice), follow=True
    )

    assertContains(response, MAY_NOT_EDIT.format(label=invoice.label))
    assert refreshed(invoice).revision == 1


def test_edit_is_404_for_an_outsider(client, world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["outsider"])

    assert client.get(url("invoices:edit", invoice)).status_code == 404


# --- Query counts ------------------------------------------------------------------------

# One of them loads the attachments list (with who added each).
INVOICE_PAGE_QUERIES = {"plain": 11, "htmx": 9}


@pytest.mark.parametrize("rows", [5, 100])
@pytest.mark.parametrize("kind", ["plain", "htmx"])
def test_invoice_page_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, rows, kind, htmx
):
    """The same number of queries with 5 lines and history rows as with 100."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT, lines=rows)
    ChangeHistoryEntryFactory.create_batch(rows, invoice=invoice, action_by=world.users["standard"])
    client.force_login(world.users["project_admin"])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(INVOICE_PAGE_QUERIES[kind]):
        response = client.get(url("invoices:detail", invoice), **headers)

    assert response.content.decode().count('<td class="text-nowrap">03-') == rows


# --- Creating an invoice -----------------------------------------------------------------

MAY_CREATE = ("project_admin", "standard", "invoice_contact")


def commitment_url(name, world):
    return reverse(name, args=[world.project.pk, world.commitment.pk])


def create_data(start="2026-11-01", end="2026-11-30", billing_date="2026-11-30"):
    return {
        "invoice-billing_period_start": start,
        "invoice-billing_period_end": end,
        "invoice-billing_date": billing_date,
    }


@pytest.mark.parametrize("role", MAY_CREATE)
def test_invoices_tab_offers_new_invoice_to_who_may_create(client, world, headers, role):
    client.force_login(world.users[role])

    response = client.get(commitment_url("commitments:invoices", world), **headers)

    assertContains(response, f'href="{commitment_url("invoices:create", world)}">New invoice</a>')


def test_invoices_tab_hides_new_invoice_from_a_read_only_member(client, world, headers):
    client.force_login(world.users["read_only"])

    response = client.get(commitment_url("commitments:invoices", world), **headers)

    assert response.status_code == 200
    assertNotContains(response, "New invoice")


def test_create_url_does_not_clash_with_an_invoice_id(world):
    """ ".../invoices/new/" is the create page, never an invoice's."""
    match = resolve(commitment_url("invoices:create", world))

    assert match.url_name == "create"
    assert match.func.__name__ == "invoice_new"


def test_create_page_starts_from_the_period_after_the_latest_invoice(client, world, headers):
    world.invoice()  # Oct 1 to Oct 31, 2026
    client.force_login(world.users["invoice_contact"])

    response = client.get(commitment_url("invoices:create", world), **headers)

    assertContains(response, 'name="invoice-billing_period_start" value="2026-11-01"')
    assertContains(response, 'name="invoice-billing_period_end" value="2026-11-30"')
    assertContains(response, 'name="invoice-billing_date" value="2026-11-30"')
    assertContains(response, "Create invoice</button>")


def test_create_page_starts_this_month_after_an_invoice_at_the_calendars_end(client, world):
    """An invoice billed up to the last allowed date (entered before the range existed,
    say) leaves no next period: the page offers this month instead of failing."""
    invoice = world.invoice()
    Invoice.objects.filter(pk=invoice.pk).update(
        billing_period_end=LATEST_BILLING_DATE, billing_date=LATEST_BILLING_DATE
    )
    client.force_login(world.users["invoice_contact"])

    response = client.get(commitment_url("invoices:create", world))

    this_month = timezone.localdate().replace(day=1)
    assertContains(response, f'name="invoice-billing_period_start" value="{this_month:%Y-%m-%d}"')


def test_create_page_returns_only_the_form_to_htmx(client, world, htmx):
    client.force_login(world.users["standard"])

    response = client.get(commitment_url("invoices:create", world), **htmx)

    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<form id="invoice-create-form"')


@pytest.mark.parametrize(
    ("latest_end", "expected"),
    [
        (None, ("2026-03-01", "2026-03-31")),
        (datetime.date(2026, 10, 31), ("2026-11-01", "2026-11-30")),
        (datetime.date(2026, 12, 31), ("2027-01-01", "2027-01-31")),
        (datetime.date(2027, 1, 15), ("2027-01-16", "2027-01-31")),
    ],
)
def test_default_billing_dates(latest_end, expected):
    dates = default_billing_dates(latest_end, datetime.date(2026, 3, 17))

    start, end = (datetime.date.fromisoformat(day) for day in expected)
    assert dates == {"billing_period_start": start, "billing_period_end": end, "billing_date": end}


@pytest.mark.parametrize("role", MAY_CREATE)
def test_create_makes_a_draft_and_opens_its_edit_page(client, world, role):
    """The next number on the commitment, Draft, one line per SOV line, the user as its
    author; the edit page says it was created."""
    world.invoice(number=4)
    sov_lines = SovLineFactory.create_batch(2, commitment=world.commitment)
    client.force_login(world.users[role])

    response = client.post(commitment_url("invoices:create", world), create_data())

    invoice = Invoice.objects.get(commitment=world.commitment, number=5)
    assertRedirects(response, url("invoices:edit", invoice), fetch_redirect_response=False)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.created_by == world.users[role]
    assert invoice.billing_period_start == datetime.date(2026, 11, 1)
    assert invoice.billing_period_end == invoice.billing_date == datetime.date(2026, 11, 30)
    assert set(invoice.lines.values_list("sov_line", flat=True)) >= {line.pk for line in sov_lines}
    assert invoice.lines.count() == world.commitment.sov_lines.count()
    page = client.get(url("invoices:edit", invoice))
    assertContains(page, CREATED.format(label="INV-5"))


def test_create_with_htmx_sends_the_browser_to_the_edit_page(client, world, htmx):
    client.force_login(world.users["invoice_contact"])

    response = client.post(commitment_url("invoices:create", world), create_data(), **htmx)

    invoice = Invoice.objects.get(commitment=world.commitment)
    assert response["HX-Redirect"] == url("invoices:edit", invoice)


def test_an_invoice_contact_may_edit_the_invoice_they_created(client, world):
    client.force_login(world.users["invoice_contact"])
    client.post(commitment_url("invoices:create", world), create_data())
    invoice = Invoice.objects.get(commitment=world.commitment)

    response = client.get(url("invoices:edit", invoice))

    assert response.status_code == 200
    assertContains(response, 'id="invoice-edit-form"')


def test_create_page_tells_a_read_only_member_they_may_not_create(client, world, headers):
    client.force_login(world.users["read_only"])

    response = client.get(commitment_url("invoices:create", world), **headers)

    assertContains(response, MAY_NOT_CREATE)
    assertNotContains(response, "Create invoice</button>")


def test_forged_create_by_a_read_only_member_is_refused(client, world, headers):
    client.force_login(world.users["read_only"])

    response = client.post(commitment_url("invoices:create", world), create_data(), **headers)

    assert response.status_code == 200
    assertContains(response, MAY_NOT_CREATE)
    assert not Invoice.objects.filter(commitment=world.commitment).exists()


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_create_is_404_for_a_user_who_may_not_see_the_commitment(client, world, method, role):
    client.force_login(world.users[role])

    response = getattr(client, method)(commitment_url("invoices:create", world), create_data())

    assert response.status_code == 404
    assert not Invoice.objects.filter(commitment=world.commitment).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (create_data(end="2026-10-15"), PERIOD_ENDS_BEFORE_START),
        (create_data(start="someday"), "Enter a valid date."),
        (create_data(billing_date=""), "This field is required."),
        (create_data(end="2026-02-30"), "Enter a valid date."),
        (create_data(end="9999-12-31"), BILLING_DATE_OUT_OF_RANGE),
    ],
    ids=["ends-before-start", "not-a-date", "missing", "no-such-day", "out-of-range"],
)
def test_create_with_bad_dates_shows_the_error_and_creates_nothing(
    client, world, headers, data, message
):
    client.force_login(world.users["invoice_contact"])

    response = client.post(commitment_url("invoices:create", world), data, **headers)

    assert response.status_code == 200
    assertContains(response, "Nothing was created")
    assertContains(response, escape(message))
    assertContains(response, 'aria-invalid="true"')
    assert not Invoice.objects.filter(commitment=world.commitment).exists()


def test_create_refuses_put(client, world):
    client.force_login(world.users["project_admin"])

    assert client.put(commitment_url("invoices:create", world)).status_code == 405


# --- Review moves on the invoice page ----------------------------------------------------

REVIEW_LABELS = {
    "Submit for review",
    "Approve",
    "Approve as Noted",
    "Pending Owner Approval",
    "Revise &amp; Resubmit",
}


def review_buttons(response) -> set[str]:
    content = response.content.decode()
    return {label for label in REVIEW_LABELS if f">{label}</button>" in content}


def contacts_own(world, status):
    return world.invoice(status=status, created_by=world.users["invoice_contact"])


@pytest.mark.parametrize(
    ("role", "status", "expected"),
    [
        ("invoice_contact", InvoiceStatus.DRAFT, {"Submit for review"}),
        ("invoice_contact", InvoiceStatus.REVISE_AND_RESUBMIT, {"Submit for review"}),
        ("invoice_contact", InvoiceStatus.UNDER_REVIEW, set()),
        ("standard", InvoiceStatus.DRAFT, {"Submit for review"}),
        ("standard", InvoiceStatus.UNDER_REVIEW, set()),
        ("read_only", InvoiceStatus.DRAFT, set()),
        ("project_admin", InvoiceStatus.DRAFT, {"Submit for review"}),
        (
            "project_admin",
            InvoiceStatus.UNDER_REVIEW,
            {"Approve", "Approve as Noted", "Pending Owner Approval", "Revise &amp; Resubmit"},
        ),
        (
            "project_admin",
            InvoiceStatus.PENDING_OWNER_APPROVAL,
            {"Approve", "Approve as Noted", "Revise &amp; Resubmit"},
        ),
        ("project_admin", InvoiceStatus.APPROVED, {"Revise &amp; Resubmit"}),
    ],
)
def test_invoice_page_offers_the_review_moves_the_user_may_make(
    client, world, headers, role, status, expected
):
    invoice = contacts_own(world, status)
    client.force_login(world.users[role])

    response = client.get(url("invoices:detail", invoice), **headers)

    assert review_buttons(response) == expected


def test_invoice_contact_gets_no_submit_on_someone_elses_draft(client, world):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["invoice_contact"])

    response = client.get(url("invoices:detail", invoice))

    assert review_buttons(response) == set()


def test_locked_invoice_shows_no_review_buttons(client, world):
    invoice = world.invoice(status=InvoiceStatus.APPROVED, erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    assert review_buttons(response) == set()


def test_review_button_is_a_post_form_with_and_without_htmx(client, world):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["project_admin"])

    response = client.get(url("invoices:detail", invoice))

    status_url = url("invoices:set_status", invoice)
    assertContains(response, f'action="{status_url}"', count=4)
    assertContains(
        response, f'hx-post="{status_url}" hx-target="#invoice-main" hx-swap="outerHTML"', count=4
    )
    assertContains(response, '<input type="hidden" name="status" value="approved">', html=True)


def test_submit_for_review_without_htmx_redirects_back_with_a_message(client, world):
    invoice = contacts_own(world, InvoiceStatus.DRAFT)
    client.force_login(world.users["invoice_contact"])

    response = client.post(url("invoices:set_status", invoice), {"status": "under_review"})

    assertRedirects(response, url("invoices:detail", invoice), fetch_redirect_response=False)
    assert refreshed(invoice).status == InvoiceStatus.UNDER_REVIEW
    assert ChangeHistoryEntry.objects.filter(
        invoice=invoice, changed="Status", from_value="Draft", to_value="Under Review"
    ).exists()
    page = client.get(url("invoices:detail", invoice))
    assertContains(page, STATUS_CHANGED.format(label=invoice.label, status="Under Review"))
    assert review_buttons(page) == set()


def test_approve_with_htmx_rerenders_the_page_region(client, world, htmx):
    """The status, the buttons (now Send to ERP) and the history change in place, and
    the message arrives out of band."""
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:set_status", invoice), {"status": "approved"}, **htmx)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="invoice-main"')
    assert "<dt>Status</dt><dd>Approved</dd>" in content
    assert ">Send to ERP</button>" in content
    assert ">Approve</button>" not in content
    assert '<div id="messages" class="messages" hx-swap-oob="true">' in content
    assert STATUS_CHANGED.format(label=invoice.label, status="Approved") in content
    assert refreshed(invoice).status == InvoiceStatus.APPROVED


@pytest.mark.parametrize(
    "status",
    [
        InvoiceStatus.APPROVED,
        InvoiceStatus.APPROVED_AS_NOTED,
        InvoiceStatus.PENDING_OWNER_APPROVAL,
        InvoiceStatus.REVISE_AND_RESUBMIT,
    ],
)
def test_project_admin_reviews_an_invoice_under_review(client, world, headers, status):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["project_admin"])

    response = client.post(
        url("invoices:set_status", invoice), {"status": status}, follow=not headers, **headers
    )

    assertContains(
        response, escape(STATUS_CHANGED.format(label=invoice.label, status=status.label))
    )
    assert refreshed(invoice).status == status


def test_forged_approve_by_a_standard_member_is_refused(client, world, headers):
    """Riley (Standard) cannot approve, even by posting the form by hand."""
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["standard"])

    response = client.post(
        url("invoices:set_status", invoice), {"status": "approved"}, follow=not headers, **headers
    )

    assertContains(response, MAY_NOT_REVIEW.format(label=invoice.label))
    assert refreshed(invoice).status == InvoiceStatus.UNDER_REVIEW
    assert refreshed(invoice).revision == 1


@pytest.mark.parametrize("role", ["read_only", "invoice_contact"])
def test_forged_submit_by_a_user_who_may_not_edit_is_refused(client, world, headers, role):
    """Read Only members never submit; a contact does not submit someone else's draft."""
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users[role])

    response = client.post(
        url("invoices:set_status", invoice),
        {"status": "under_review"},
        follow=not headers,
        **headers,
    )

    assertContains(response, MAY_NOT_EDIT.format(label=invoice.label))
    assert refreshed(invoice).status == InvoiceStatus.DRAFT


def test_review_move_of_a_locked_invoice_is_refused_with_the_lock_message(client, world, headers):
    invoice = world.invoice(status=InvoiceStatus.APPROVED, erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(
        url("invoices:set_status", invoice),
        {"status": "revise_and_resubmit"},
        follow=not headers,
        **headers,
    )

    assertContains(response, escape(lock_message(invoice)))
    assert refreshed(invoice).status == InvoiceStatus.APPROVED
    assert not ChangeHistoryEntry.objects.filter(invoice=invoice).exists()


def test_illegal_review_move_is_refused(client, world, headers):
    invoice = world.invoice(status=InvoiceStatus.DRAFT)
    client.force_login(world.users["project_admin"])

    response = client.post(
        url("invoices:set_status", invoice), {"status": "approved"}, follow=not headers, **headers
    )

    assertContains(
        response,
        ILLEGAL_STATUS_CHANGE.format(label=invoice.label, current="Draft", new="Approved"),
    )
    assert refreshed(invoice).status == InvoiceStatus.DRAFT


def test_read_only_member_repeating_the_current_status_is_refused_not_reassured(client, world):
    """ "Already Under Review" is for the user who moved it; someone who may not move it
    hears why."""
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["read_only"])

    response = client.post(
        url("invoices:set_status", invoice), {"status": "under_review"}, follow=True
    )

    assertNotContains(response, "is already Under Review")
    assertContains(response, escape(MAY_NOT_REVIEW.format(label=invoice.label)))


@pytest.mark.parametrize("data", [{"status": "paid"}, {}], ids=["unknown", "missing"])
def test_review_move_to_an_unknown_status_is_refused(client, world, data):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["project_admin"])

    response = client.post(url("invoices:set_status", invoice), data, follow=True)

    assertContains(response, UNKNOWN_STATUS.format(status=data.get("status", "")))
    assert refreshed(invoice).status == InvoiceStatus.UNDER_REVIEW


def test_a_second_click_on_a_review_button_is_harmless(client, world, htmx):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["project_admin"])
    client.post(url("invoices:set_status", invoice), {"status": "approved"})

    response = client.post(url("invoices:set_status", invoice), {"status": "approved"}, **htmx)

    assertContains(response, ALREADY_IN_STATUS.format(label=invoice.label, status="Approved"))
    assert refreshed(invoice).revision == 2
    assert ChangeHistoryEntry.objects.filter(invoice=invoice).count() == 1


@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_review_move_is_404_for_a_user_who_may_not_see_the_invoice(client, world, role):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users[role])

    response = client.post(url("invoices:set_status", invoice), {"status": "approved"})

    assert response.status_code == 404
    assert refreshed(invoice).status == InvoiceStatus.UNDER_REVIEW


def test_review_move_refuses_get(client, world):
    invoice = world.invoice(status=InvoiceStatus.UNDER_REVIEW)
    client.force_login(world.users["project_admin"])

    assert client.get(url("invoices:set_status", invoice)).status_code == 405


# The page with review buttons. Deciding which to show adds no query: the permissions it
# asks about are already loaded for the Edit button. An invoice contact's page runs two
# more queries than an admin's (their permissions on the commitment itself).
# One of them asks whether a later invoice of the commitment is locked (Edit's reason),
# one loads the attachments list.
REVIEW_PAGE_QUERIES = {
    ("project_admin", "plain"): 12,
    ("project_admin", "htmx"): 10,
    ("invoice_contact", "plain"): 14,
    ("invoice_contact", "htmx"): 12,
}


@pytest.mark.parametrize("rows", [5, 100])
@pytest.mark.parametrize("kind", ["plain", "htmx"])
@pytest.mark.parametrize(
    ("role", "status"),
    [("project_admin", InvoiceStatus.UNDER_REVIEW), ("invoice_contact", InvoiceStatus.DRAFT)],
)
def test_invoice_page_with_review_buttons_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, rows, kind, role, status, htmx
):
    invoice = world.invoice(status=status, created_by=world.users["invoice_contact"], lines=rows)
    ChangeHistoryEntryFactory.create_batch(rows, invoice=invoice, action_by=world.users["standard"])
    client.force_login(world.users[role])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(REVIEW_PAGE_QUERIES[role, kind]):
        response = client.get(url("invoices:detail", invoice), **headers)

    assert review_buttons(response)
    assert response.content.decode().count('<td class="text-nowrap">03-') == rows


CREATE_PAGE_QUERIES = {"plain": 10, "htmx": 8}


@pytest.mark.parametrize("rows", [5, 100])
@pytest.mark.parametrize("kind", ["plain", "htmx"])
def test_create_page_query_count_does_not_grow_with_invoices(
    client, world, django_assert_num_queries, rows, kind, htmx
):
    """The same number of queries with 5 invoices (and SOV lines) as with 100."""
    InvoiceFactory.create_batch(rows, commitment=world.commitment)
    SovLineFactory.create_batch(rows, commitment=world.commitment)
    client.force_login(world.users["invoice_contact"])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(CREATE_PAGE_QUERIES[kind]):
        response = client.get(commitment_url("invoices:create", world), **headers)

    assertContains(response, "Create invoice</button>")
