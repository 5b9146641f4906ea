"""The ERP Integrations pages: the queue's tabs, accept / reject / retry, the review."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from erp_integrations import selectors
from erp_integrations.models import (
    REJECTION_REASON_MAX_LENGTH,
    ErpConnection,
    ErpSystem,
    ExportItem,
    ExportState,
)
from erp_integrations.services import (
    NOT_ACCOUNTING_APPROVER,
    NOTHING_SELECTED,
    REJECTION_REASON_REQUIRED,
    REJECTION_REASON_TOO_LONG,
)
from erp_integrations.systems import things_to_know
from invoices.models import ChangeHistoryEntry, InvoiceErpStatus
from projects.models import ToolLevel
from projects.services import project_set_commitments_level
from tests.factories import ChangeHistoryEntryFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

# htmx requests name the region they swap, as the page's links and forms do.
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-queue"}
HTMX_REVIEW = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-review"}
REQUEST_KINDS = pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
REVIEW_REQUEST_KINDS = pytest.mark.parametrize("headers", [{}, HTMX_REVIEW], ids=["plain", "htmx"])
TAB_STATES = {tab.slug: tab.state for tab in selectors.QUEUE_TABS}
# Roles that may not open the company's ERP Integrations at all.
NOT_ALLOWED = ["project_admin", "standard", "read_only", "invoice_contact", "outsider"]


def queue_url(world):
    return reverse("erp_integrations:queue", args=[world.company.pk])


def tab_url(world, slug):
    return reverse("erp_integrations:tab", args=[world.company.pk, slug])


def action_url(world, action):
    return reverse(f"erp_integrations:{action}", args=[world.company.pk])


def review_url(world, item):
    return reverse("erp_integrations:review", args=[world.company.pk, item.pk])


def item_of(invoice):
    return ExportItem.objects.get(invoice=invoice)


def state_of(item):
    item.refresh_from_db()
    return item.state


def as_user(client, world, role="approver"):
    client.force_login(world.users[role])
    return client


def label_of(item):
    commitment = item.invoice.commitment
    return f"{item.invoice.label} of {commitment.number} ({commitment.project.number})"


# --- The queue and its tabs --------------------------------------------------------------


@REQUEST_KINDS
def test_queue_opens_on_ready_to_export(client, headers):
    """The queue's first tab lists Ready to Export invoices with a link to their review."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    item = item_of(invoice)

    response = as_user(client, world).get(queue_url(world), **headers)

    assert response.status_code == 200
    assertContains(response, f'href="{review_url(world, item)}"')
    assertContains(response, f'aria-label="Select {label_of(item)}"')
    assertContains(response, world.commitment.vendor.name)
    assertContains(response, world.project.name)


@REQUEST_KINDS
@pytest.mark.parametrize("slug", list(TAB_STATES))
def test_each_tab_lists_only_its_state(client, headers, slug):
    """Each tab has its own URL and lists the items in its state, no others."""
    world = build_world()
    items = {state: item_of(world.invoice(erp_state=state)) for state in TAB_STATES.values()}

    response = as_user(client, world).get(tab_url(world, slug), **headers)

    for state, item in items.items():
        link = f'href="{review_url(world, item)}"'
        if state == TAB_STATES[slug]:
            assertContains(response, link)
        else:
            assertNotContains(response, link)


def test_htmx_tab_request_gets_only_the_queue_region(client):
    """An htmx tab request gets the queue region, not the whole page."""
    world = build_world()

    response = as_user(client, world).get(tab_url(world, "synced"), **HTMX)

    assertContains(response, 'id="erp-queue"')
    assertNotContains(response, "<html")
    assertNotContains(response, "Things to know")


def test_htmx_request_for_another_region_gets_the_whole_page(client):
    """An htmx request that names none of the page's regions (a boosted link) gets the
    whole page."""
    world = build_world()

    response = as_user(client, world).get(queue_url(world), HTTP_HX_REQUEST="true")

    assertContains(response, "<html")
    assertContains(response, "Things to know about your ERP integration")


def test_htmx_review_request_gets_only_the_review_region(client):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).get(review_url(world, item), **HTMX_REVIEW)

    assertContains(response, 'id="erp-review"')
    assertNotContains(response, "<html")


def test_tab_links_work_with_and_without_htmx(client):
    """Every tab is a plain link to its own URL that htmx loads into the queue region."""
    world = build_world()

    response = as_user(client, world).get(queue_url(world))

    for slug in TAB_STATES:
        url = tab_url(world, slug)
        assertContains(response, f'href="{url}"')
        assertContains(response, f'hx-get="{url}"')


def test_tabs_show_their_counts(client):
    """Each tab shows how many invoices it holds."""
    world = build_world()
    for _ in range(3):
        world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    world.invoice(erp_state=ExportState.REJECTED)

    response = as_user(client, world).get(queue_url(world))

    counts = {count.tab.slug: count.display for count in response.context["tab_counts"]}
    assert counts == {
        "ready-to-export": "3",
        "exporting": "0",
        "synced": "0",
        "failed-to-export": "0",
        "rejected": "1",
    }


def test_tab_counts_stop_at_the_limit(client, monkeypatch):
    """Beyond the limit a tab says "limit+" instead of counting every row."""
    monkeypatch.setattr(selectors, "TAB_COUNT_LIMIT", 3)
    world = build_world()
    for _ in range(5):
        world.invoice(erp_state=ExportState.READY_TO_EXPORT)

    response = as_user(client, world).get(queue_url(world))

    assertContains(response, "3+")
    assert response.context["tab_counts"][0].count == 4


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("ready-to-export", "No invoices are ready to export."),
        ("exporting", "No invoices are exporting."),
        ("synced", "No invoices have synced to the ERP yet."),
        ("failed-to-export", "No invoices failed to export."),
        ("rejected", "No invoices have been rejected."),
    ],
)
def test_empty_tab_says_so(client, slug, message):
    """An empty tab says what it would list."""
    world = build_world()

    response = as_user(client, world).get(tab_url(world, slug))

    assertContains(response, f'<p class="empty-state">{message}</p>', html=True)


def test_unknown_tab_is_404(client):
    """A tab name that is not one of the five is 404."""
    world = build_world()

    response = as_user(client, world).get(tab_url(world, "pending"))

    assert response.status_code == 404


def test_queue_lists_only_the_company_items(client):
    """Another company's items never show in the queue."""
    world = build_world()
    other = build_world()
    other_item = item_of(other.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).get(queue_url(world))

    assertNotContains(response, review_url(other, other_item))
    assertContains(response, "No invoices are ready to export.")


def test_things_to_know_panel_shows_the_connection_rules(client):
    """The queue page shows "Things to know about your ERP integration" for the
    company's ERP system."""
    world = build_world()

    response = as_user(client, world).get(queue_url(world))

    assertContains(response, "Things to know about your ERP integration")
    for line in things_to_know(world.company.erp_connection):
        assertContains(response, f"<li>{line}</li>", html=True)


def test_things_to_know_panel_shows_the_systems_length_limits(client):
    """A QuickBooks Desktop company reads that longer commitment numbers are cut and
    longer vendor names refused."""
    world = build_world()
    ErpConnection.objects.filter(company=world.company).update(
        system=ErpSystem.QUICKBOOKS_DESKTOP, retainage_item="Retainage"
    )

    response = as_user(client, world).get(queue_url(world))

    assertContains(
        response,
        "<li>Commitment numbers longer than 11 characters are cut to their first 11 "
        "characters in the export, so two that differ only after that arrive as the same.</li>",
        html=True,
    )
    assertContains(
        response,
        "<li>Vendor names can be at most 41 characters long; invoices of a vendor with a "
        "longer name cannot be sent.</li>",
        html=True,
    )


def test_amount_is_the_invoice_current_payment_due(client):
    """A row's amount is the invoice's current payment due (work less retainage)."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    line = invoice.lines.get()
    line.work_completed_this_period = "1000.00"
    line.materials_presently_stored = "0.00"
    line.work_retainage_percent = "10.00"
    line.save()

    response = as_user(client, world).get(queue_url(world))

    assertContains(response, '<td class="num">$900.00</td>', html=True)


def test_queue_pages_by_fifty_newest_first(client):
    """A tab shows 50 items a page, newest sending first, with a link to the next page."""
    world = build_world()
    items = [item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT)) for _ in range(51)]
    client = as_user(client, world)

    first = client.get(queue_url(world))
    second = client.get(tab_url(world, "ready-to-export") + "?page=2")

    assert [item.pk for item in first.context["page"].items] == [
        item.pk for item in reversed(items[1:])
    ]
    assertContains(first, f'href="{tab_url(world, "ready-to-export")}?page=2"')
    assert [item.pk for item in second.context["page"].items] == [items[0].pk]
    assertContains(second, "Previous")


@pytest.mark.parametrize("page", ["abc", "0", "-3", str(10**30)])
def test_a_page_number_that_is_not_a_page_is_harmless(client, page):
    """A page number that is not a number, or far beyond the last page, shows a page of
    the tab (the first, or an empty one), never an error."""
    world = build_world()

    response = as_user(client, world).get(f"{tab_url(world, 'synced')}?page={page}")

    assert response.status_code == 200
    assertContains(response, "No invoices have synced to the ERP yet.")


# --- Who may open it ---------------------------------------------------------------------


@REQUEST_KINDS
@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_queue_is_404_for_non_approvers(client, headers, role):
    """Anyone without ERP Integrations access gets 404, as if the page did not exist."""
    world = build_world()
    client = as_user(client, world, role)

    assert client.get(queue_url(world), **headers).status_code == 404
    assert client.get(tab_url(world, "synced"), **headers).status_code == 404


@REVIEW_REQUEST_KINDS
@pytest.mark.parametrize("role", NOT_ALLOWED)
def test_review_is_404_for_non_approvers(client, headers, role):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world, role).get(review_url(world, item), **headers)

    assert response.status_code == 404


def test_queue_redirects_anonymous_users_to_log_in(client):
    world = build_world()

    response = client.get(queue_url(world))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_viewer_without_push_privilege_sees_no_actions(client):
    """ERP Integrations Standard without 'Can push to accounting' sees the queue but no
    checkboxes or buttons."""
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world, "erp_standard_without_push").get(queue_url(world))

    assertContains(response, f'href="{review_url(world, item)}"')
    assertNotContains(response, "Select INV")
    assertNotContains(response, "Accept checked")
    assertContains(response, "Only an accounting approver can accept, reject, retry or unlink")


# --- Accept ------------------------------------------------------------------------------


def test_accept_one_plain_redirects_back_with_a_message(client, django_capture_on_commit_callbacks):
    """A plain Accept of one item exports it and returns to the tab with a message."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    item = item_of(invoice)

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, world).post(
            action_url(world, "accept"), {"item_ids": [item.pk], "tab": "ready-to-export"}
        )

    assertRedirects(response, tab_url(world, "ready-to-export"), fetch_redirect_response=False)
    # The test settings export immediately, through the file connector.
    assert state_of(item) == ExportState.SYNCED
    page = client.get(response["Location"])
    assertContains(page, f"{invoice.label}: accepted.")


def test_accept_one_htmx_updates_the_region_and_result_panel(client, dummy_tasks):
    """An htmx Accept re-renders the queue region with the result and the messages."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    item = item_of(invoice)

    response = as_user(client, world).post(
        action_url(world, "accept"), {"item_ids": [item.pk], "tab": "ready-to-export"}, **HTMX
    )

    assert response.status_code == 200
    assertContains(response, 'id="erp-queue"')
    assertContains(response, 'id="erp-result"')
    assertContains(response, f"{invoice.label}: accepted.")
    assertContains(response, "Accepted 1 invoice for export.")
    assertContains(response, 'hx-swap-oob="true"')
    assertContains(response, "No invoices are ready to export.")
    assert state_of(item) == ExportState.EXPORTING


@REQUEST_KINDS
def test_accept_many_accepts_each_checked_item(client, dummy_tasks, headers):
    """Accept on checked items moves each to Exporting."""
    world = build_world()
    items = [item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT)) for _ in range(3)]

    as_user(client, world).post(
        action_url(world, "accept"), {"item_ids": [item.pk for item in items]}, **headers
    )

    assert [state_of(item) for item in items] == [ExportState.EXPORTING] * 3


def test_accept_reports_each_refused_invoice(client, dummy_tasks):
    """A bulk Accept accepts what it can and says why the others were not."""
    world = build_world()
    ready = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    rejected_invoice = world.invoice(erp_state=ExportState.REJECTED)
    rejected = item_of(rejected_invoice)

    response = as_user(client, world).post(
        action_url(world, "accept"), {"item_ids": [ready.pk, rejected.pk]}, **HTMX
    )

    assert state_of(ready) == ExportState.EXPORTING
    assert state_of(rejected) == ExportState.REJECTED
    assertContains(response, f"{rejected_invoice.label}: already rejected by")
    assertContains(response, "1 invoice could not be accepted.")


@REQUEST_KINDS
def test_accept_without_a_selection_says_so(client, headers):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).post(action_url(world, "accept"), {}, follow=True, **headers)

    assertContains(response, NOTHING_SELECTED)
    assert state_of(item) == ExportState.READY_TO_EXPORT


# --- Reject ------------------------------------------------------------------------------


@REQUEST_KINDS
def test_reject_one_with_a_reason(client, headers):
    """Reject with a reason unlocks the invoice and keeps the reason."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    item = item_of(invoice)

    response = as_user(client, world).post(
        action_url(world, "reject"),
        {"item_ids": [item.pk], "reason": "Wrong billing period", "tab": "ready-to-export"},
        follow=True,
        **headers,
    )

    item.refresh_from_db()
    invoice.refresh_from_db()
    assert item.state == ExportState.REJECTED
    assert item.rejection_reason == "Wrong billing period"
    assert invoice.erp_status == InvoiceErpStatus.REJECTED
    assertContains(response, f"{invoice.label}: rejected.")


def textarea_tag(html, field_id):
    match = re.search(rf'<textarea[^>]* id="{field_id}"[^>]*>', html)
    assert match, f"no textarea #{field_id}"
    return match.group()


@pytest.mark.parametrize(
    ("erp_state", "tab_fields", "review_field"),
    [
        (ExportState.READY_TO_EXPORT, ["bulk-reason", "reason-{item}"], "review-reason"),
        (
            ExportState.SYNCED,
            ["bulk-unlink-reason", "unlink-reason-{item}"],
            "review-unlink-reason",
        ),
    ],
)
def test_reason_fields_stop_at_the_length_the_server_accepts(
    client, erp_state, tab_fields, review_field
):
    """The browser stops typing where the server would refuse, on the tab and the review."""
    world = build_world()
    item = item_of(world.invoice(erp_state=erp_state))
    slug = next(slug for slug, state in TAB_STATES.items() if state == erp_state)
    client = as_user(client, world)
    limit = f'maxlength="{REJECTION_REASON_MAX_LENGTH}"'

    tab = client.get(tab_url(world, slug)).content.decode()
    review = client.get(review_url(world, item)).content.decode()

    for field in tab_fields:
        assert limit in textarea_tag(tab, field.format(item=item.pk))
    assert limit in textarea_tag(review, review_field)


def test_reject_many_with_one_reason(client):
    world = build_world()
    items = [item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT)) for _ in range(2)]
    failed = item_of(world.invoice(erp_state=ExportState.FAILED_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, "reject"),
        {"item_ids": [item.pk for item in [*items, failed]], "reason": "Duplicate"},
        **HTMX,
    )

    assert {state_of(item) for item in [*items, failed]} == {ExportState.REJECTED}
    assertContains(response, "Rejected 3 invoices.")


@REQUEST_KINDS
@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_without_a_reason_is_refused_and_changes_nothing(client, headers, reason):
    """An empty reason is refused with the service's message; nothing changes."""
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    history_before = ChangeHistoryEntry.objects.count()

    response = as_user(client, world).post(
        action_url(world, "reject"),
        {"item_ids": [item.pk], "reason": reason, "tab": "ready-to-export"},
        follow=True,
        **headers,
    )

    assertContains(response, REJECTION_REASON_REQUIRED)
    assert state_of(item) == ExportState.READY_TO_EXPORT
    assert ChangeHistoryEntry.objects.count() == history_before


@REQUEST_KINDS
def test_reject_with_a_reason_over_the_limit_is_refused_and_changes_nothing(
    client, headers, dummy_tasks, django_capture_on_commit_callbacks
):
    """A reason longer than the limit is refused with a clear message: the item stays
    Ready to Export, no history is written and no email is queued."""
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    history_before = ChangeHistoryEntry.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(client, world).post(
            action_url(world, "reject"),
            {
                "item_ids": [item.pk],
                "reason": "x" * (REJECTION_REASON_MAX_LENGTH + 1),
                "tab": "ready-to-export",
            },
            follow=True,
            **headers,
        )

    assertContains(response, REJECTION_REASON_TOO_LONG)
    assert state_of(item) == ExportState.READY_TO_EXPORT
    assert ChangeHistoryEntry.objects.count() == history_before
    assert dummy_tasks.results == []


# --- Retry -------------------------------------------------------------------------------


@REQUEST_KINDS
def test_retry_one_failed_item(client, dummy_tasks, headers):
    """Retry sends a Failed to Export item back to Exporting."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.FAILED_TO_EXPORT)
    item = item_of(invoice)

    response = as_user(client, world).post(
        action_url(world, "retry"),
        {"item_ids": [item.pk], "tab": "failed-to-export"},
        follow=True,
        **headers,
    )

    assert state_of(item) == ExportState.EXPORTING
    assertContains(response, f"{invoice.label}: sent to export again.")


def test_retry_many_failed_items(client, dummy_tasks):
    world = build_world()
    items = [item_of(world.invoice(erp_state=ExportState.FAILED_TO_EXPORT)) for _ in range(3)]

    response = as_user(client, world).post(
        action_url(world, "retry"),
        {"item_ids": [item.pk for item in items], "tab": "failed-to-export"},
        **HTMX,
    )

    assert {state_of(item) for item in items} == {ExportState.EXPORTING}
    assertContains(response, "Sent 3 invoices to export again.")


def test_failed_rows_offer_retry_and_reject(client):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.FAILED_TO_EXPORT))

    response = as_user(client, world).get(tab_url(world, "failed-to-export"))

    assertContains(response, f'aria-label="Retry {label_of(item)}"')
    assertContains(response, f"Reason for rejecting {label_of(item)}")


# --- Forged requests ---------------------------------------------------------------------


@REQUEST_KINDS
@pytest.mark.parametrize("action", ["accept", "reject", "retry"])
def test_viewer_without_push_privilege_cannot_act(client, headers, action):
    """A forged POST from an ERP Integrations viewer who is not an approver is refused
    with the reason and changes nothing."""
    world = build_world()
    items = [
        item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT)),
        item_of(world.invoice(erp_state=ExportState.FAILED_TO_EXPORT)),
    ]

    response = as_user(client, world, "erp_standard_without_push").post(
        action_url(world, action),
        {"item_ids": [item.pk for item in items], "reason": "Because"},
        follow=True,
        **headers,
    )

    assertContains(response, escape(NOT_ACCOUNTING_APPROVER))
    assert [state_of(item) for item in items] == [
        ExportState.READY_TO_EXPORT,
        ExportState.FAILED_TO_EXPORT,
    ]


@REQUEST_KINDS
@pytest.mark.parametrize("action", ["accept", "reject", "retry"])
@pytest.mark.parametrize("role", ["project_admin", "outsider"])
def test_forged_post_from_a_non_approver_is_404(client, headers, action, role):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world, role).post(
        action_url(world, action), {"item_ids": [item.pk], "reason": "Because"}, **headers
    )

    assert response.status_code == 404
    assert state_of(item) == ExportState.READY_TO_EXPORT


def test_items_of_another_company_are_not_found(client):
    """An approver cannot act on another company's item through their own company."""
    world = build_world()
    other = build_world()
    other_item = item_of(other.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, "accept"), {"item_ids": [other_item.pk]}, **HTMX
    )

    assertContains(
        response, escape(f"#{other_item.pk}: not found in this company's ERP Integrations.")
    )
    assert state_of(other_item) == ExportState.READY_TO_EXPORT


@REQUEST_KINDS
@pytest.mark.parametrize("action", ["accept", "reject", "retry"])
@pytest.mark.parametrize("bad_id", ["99999999999999999999", str(2**63), "0", "abc"])
def test_an_item_id_that_cannot_exist_is_reported_as_not_found(client, headers, action, bad_id):
    """An id outside 1..2**63-1 (too large for the database) or not a number is not a
    500: it is refused as not found, and nothing changes."""
    world = build_world()
    ready = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    failed = item_of(world.invoice(erp_state=ExportState.FAILED_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, action),
        {"item_ids": [bad_id], "reason": "Wrong period"},
        follow=not headers,
        **headers,
    )

    assert response.status_code == 200
    assertContains(response, escape(f"#{bad_id}: not found in this company's ERP Integrations."))
    assert state_of(ready) == ExportState.READY_TO_EXPORT
    assert state_of(failed) == ExportState.FAILED_TO_EXPORT


def test_an_id_too_large_does_not_stop_the_other_checked_items(client, dummy_tasks):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, "accept"), {"item_ids": ["99999999999999999999", item.pk]}, **HTMX
    )

    assertContains(response, "#99999999999999999999: not found in this company")
    assert state_of(item) == ExportState.EXPORTING


def vary_headers(response):
    return {header.strip().lower() for header in response.get("Vary", "").split(",")}


@pytest.mark.parametrize(
    "headers",
    [{}, HTMX, HTMX_REVIEW, {"HTTP_HX_REQUEST": "true"}],
    ids=["plain", "htmx-queue", "htmx-review", "htmx-no-target"],
)
@pytest.mark.parametrize("view", ["queue", "tab", "review"])
def test_every_page_says_it_varies_on_the_htmx_headers(client, headers, view):
    """The queue, its tabs and the review differ by HX-Request and HX-Target, and say so,
    so a browser never shows a cached region as the page (Back after a pushed tab)."""
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.SYNCED))
    url = {
        "queue": queue_url(world),
        "tab": tab_url(world, "synced"),
        "review": review_url(world, item),
    }[view]

    response = as_user(client, world).get(url, **headers)

    assert response.status_code == 200
    assert {"hx-request", "hx-target"} <= vary_headers(response)


@REQUEST_KINDS
@pytest.mark.parametrize("action", ["accept", "reject", "retry"])
def test_every_action_says_it_varies_on_the_htmx_headers(client, dummy_tasks, headers, action):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, action), {"item_ids": [item.pk], "reason": "Wrong period"}, **headers
    )

    assert {"hx-request", "hx-target"} <= vary_headers(response)


def test_actions_refuse_get(client):
    world = build_world()

    response = as_user(client, world).get(action_url(world, "accept"))

    assert response.status_code == 405


# --- Exporting items update without a reload ---------------------------------------------


ROWS_POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-queue-rows"}


def test_exporting_tab_polls_its_rows_not_the_filter_form(client, dummy_tasks):
    """The poll reloads the rows region, which comes after the filter form: what the
    user is typing in the form stays."""
    world = build_world()
    world.invoice(erp_state=ExportState.EXPORTING)

    response = as_user(client, world).get(tab_url(world, "exporting"), **HTMX)

    content = response.content.decode()
    assertContains(response, 'hx-trigger="every 3s"', count=1)
    polled = content.index(
        f'<div id="erp-queue-rows"\n           hx-get="{tab_url(world, "exporting")}" '
        'hx-trigger="every 3s" hx-target="this"'
    )
    assert content.index('role="search"') < polled


def test_exporting_rows_poll_gets_the_rows_and_the_counts_without_the_filter_form(client):
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.EXPORTING)
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)

    response = as_user(client, world).get(f"{tab_url(world, 'exporting')}?q=SC", **ROWS_POLL)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="erp-queue-rows"')
    assertContains(response, invoice.label)
    assertContains(response, 'id="erp-queue-tabs"', count=1)
    assertContains(response, 'hx-swap-oob="true"', count=1)
    assertNotContains(response, 'role="search"')
    assertNotContains(response, 'name="q"')


def test_exporting_tab_stops_polling_when_none_export(client):
    world = build_world()
    world.invoice(erp_state=ExportState.SYNCED)

    response = as_user(client, world).get(tab_url(world, "exporting"), **HTMX)

    assertNotContains(response, "every 3s")


def test_tab_counts_poll_on_other_tabs_while_items_export(client):
    """On another tab only the tab counts reload, so checked boxes stay checked."""
    world = build_world()
    world.invoice(erp_state=ExportState.EXPORTING)
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)

    response = as_user(client, world).get(queue_url(world))

    assertContains(response, 'hx-trigger="every 3s"', count=1)
    assert response.content.decode().count('id="erp-queue-tabs"') == 1
    assert 'id="erp-queue-tabs" class="mb-3" aria-label="ERP Integrations tabs"\n' in (
        response.content.decode()
    )


def test_tab_counts_region_reloads_alone(client):
    """The polling tab counts get only their own region back."""
    world = build_world()
    world.invoice(erp_state=ExportState.EXPORTING)

    response = as_user(client, world).get(
        queue_url(world), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="erp-queue-tabs"
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<nav id="erp-queue-tabs"')
    assertNotContains(response, "erp-queue-table")


# --- Review ------------------------------------------------------------------------------


@REVIEW_REQUEST_KINDS
def test_review_shows_invoice_lines_and_history(client, headers):
    """The review shows the invoice's header, SOV lines with derived amounts, who sent
    it and the change history."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    item = item_of(invoice)
    line = invoice.lines.select_related("sov_line").get()
    ChangeHistoryEntry.objects.create(
        invoice=invoice,
        action_by=world.users["project_admin"],
        changed="ERP Status",
        from_value="Not Sent",
        to_value="Ready to Export",
    )

    response = as_user(client, world).get(review_url(world, item), **headers)

    assertContains(response, f"invoice {invoice.label}")
    assertContains(response, line.sov_line.description)
    assertContains(response, "Balance to finish")
    assertContains(response, world.users["project_admin"].get_username())
    assertContains(response, "<td>Not Sent</td>", html=True)
    assertContains(response, f"Accept {invoice.label}")
    assertContains(response, f"Reason for rejecting {invoice.label}")


def test_review_links_to_the_invoice_page_only_for_who_sees_it_on_its_project(client):
    """The approver reviews the invoice in the queue; the invoice page is the project's,
    so its link shows only once he also sees the invoice there."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    url = review_url(world, item_of(invoice))
    invoice_page = f'href="{invoice.get_absolute_url()}"'

    assertNotContains(as_user(client, world).get(url), invoice_page)
    assert client.get(invoice.get_absolute_url()).status_code == 404

    project_set_commitments_level(
        user=world.users["approver"], project=world.project, level=ToolLevel.READ_ONLY
    )

    assertContains(client.get(url), invoice_page)
    assert client.get(invoice.get_absolute_url()).status_code == 200


def test_review_of_a_synced_item_has_no_actions(client):
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.SYNCED)
    item = item_of(invoice)

    response = as_user(client, world).get(review_url(world, item))

    assertContains(response, f"ERP-{invoice.pk}")
    assertNotContains(response, f"Accept {invoice.label}")
    assertNotContains(response, "Reason for rejecting")


def test_review_of_another_company_item_is_404(client):
    world = build_world()
    other = build_world()
    other_item = item_of(other.invoice(erp_state=ExportState.READY_TO_EXPORT))

    url = reverse("erp_integrations:review", args=[world.company.pk, other_item.pk])
    response = as_user(client, world).get(url)

    assert response.status_code == 404


FILTERED = "q=SC&sort=-vendor"


def test_review_links_back_to_the_tab_with_its_filters_sort_and_page(client):
    """The queue's review links carry its filters, sort and page; the review's tab link
    takes them back, only the known parameters, re-encoded."""
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))
    client = as_user(client, world)
    queue_page = client.get(f"{tab_url(world, 'ready-to-export')}?{FILTERED}&page=1")
    assertContains(queue_page, f'href="{escape(review_url(world, item))}?{escape(FILTERED)}"')

    response = client.get(f"{review_url(world, item)}?{FILTERED}&page=2&next=https://evil.example/")

    back = f"{tab_url(world, 'ready-to-export')}?{FILTERED}&page=2"
    assertContains(response, f'href="{escape(back)}"')
    assertNotContains(response, "evil.example")


@pytest.mark.parametrize(
    ("action", "state", "data"),
    [
        ("accept", ExportState.READY_TO_EXPORT, {}),
        ("reject", ExportState.READY_TO_EXPORT, {"reason": "Wrong period"}),
        ("unlink", ExportState.SYNCED, {"reason": "Deleted in the ERP", "confirm": "on"}),
    ],
)
def test_an_action_from_the_review_returns_to_the_filtered_tab(
    client, dummy_tasks, action, state, data
):
    """The review's forms send back the tab, page and filters it was opened with."""
    world = build_world()
    item = item_of(world.invoice(erp_state=state))
    slug = selectors.TABS_BY_STATE[state].slug
    client = as_user(client, world)
    review = client.get(f"{review_url(world, item)}?{FILTERED}&page=2")
    assertContains(review, f'<input type="hidden" name="query" value="{escape(FILTERED)}">')
    assertContains(review, '<input type="hidden" name="page" value="2">')

    response = client.post(
        action_url(world, action),
        {"item_ids": [item.pk], "tab": slug, "page": "2", "query": FILTERED, **data},
    )

    assertRedirects(
        response, f"{tab_url(world, slug)}?{FILTERED}&page=2", fetch_redirect_response=False
    )
    assert state_of(item) != state


def test_an_unknown_query_sent_back_from_the_review_is_dropped(client, dummy_tasks):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, "accept"),
        {"item_ids": [item.pk], "tab": "ready-to-export", "query": "next=//evil.example&q=SC"},
    )

    assertRedirects(
        response, f"{tab_url(world, 'ready-to-export')}?q=SC", fetch_redirect_response=False
    )


def test_next_to_another_site_is_ignored(client):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, "accept"), {"item_ids": [item.pk], "next": "https://evil.example/"}
    )

    assertRedirects(response, tab_url(world, "ready-to-export"), fetch_redirect_response=False)


@pytest.mark.parametrize("next_url", ["0", "erp_integrations:queue", "review"])
def test_next_that_is_not_a_path_is_ignored(client, dummy_tasks, next_url):
    """Text that is not a path (which `redirect` would look up as a URL name) sends the
    approver back to the tab, not to a 500."""
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.READY_TO_EXPORT))

    response = as_user(client, world).post(
        action_url(world, "accept"), {"item_ids": [item.pk], "next": next_url}
    )

    assertRedirects(response, tab_url(world, "ready-to-export"), fetch_redirect_response=False)


def test_review_status_polls_while_exporting(client):
    world = build_world()
    item = item_of(world.invoice(erp_state=ExportState.EXPORTING))

    response = as_user(client, world).get(
        review_url(world, item), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="erp-review-status"
    )

    content = response.content.decode()
    assert content.lstrip().startswith('<section id="erp-review-status"')
    assertContains(response, 'hx-trigger="every 3s"')


# --- Query counts ------------------------------------------------------------------------

# Pinned per tab: the same with 5 rows as with 100. Plain: session, user, company, its
# permissions, tab counts, page, amounts, the filter form's projects, contract companies
# and senders, ERP connection, and the navigation's projects and approver companies.
# htmx: the region only.
QUERIES_PLAIN = 14
QUERIES_HTMX = 11
# The Exporting tab's poll of its rows: the region without the filter form's choices.
QUERIES_ROWS_POLL = 8


@pytest.mark.parametrize("size", [5, 100])
@pytest.mark.parametrize("slug", list(TAB_STATES))
@pytest.mark.parametrize(
    ("headers", "expected"), [({}, QUERIES_PLAIN), (HTMX, QUERIES_HTMX)], ids=["plain", "htmx"]
)
def test_tab_queries_do_not_grow_with_rows(
    client, django_assert_num_queries, size, slug, headers, expected
):
    world = build_world()
    for _ in range(size):
        world.invoice(erp_state=TAB_STATES[slug])
    client = as_user(client, world)
    url = tab_url(world, slug)

    with django_assert_num_queries(expected):
        response = client.get(url, **headers)

    assert len(response.context["page"].items) == min(size, selectors.PAGE_SIZE)


@pytest.mark.parametrize("size", [5, 100])
def test_exporting_rows_poll_queries_do_not_grow_with_rows(client, django_assert_num_queries, size):
    world = build_world()
    for _ in range(size):
        world.invoice(erp_state=ExportState.EXPORTING)
    client = as_user(client, world)

    with django_assert_num_queries(QUERIES_ROWS_POLL):
        response = client.get(tab_url(world, "exporting"), **ROWS_POLL)

    assert len(response.context["page"].items) == min(size, selectors.PAGE_SIZE)


# The review: session, user, company and its permissions, the item, its history, its
# amounts, the project and commitment permissions (for the invoice page link), and on the
# whole page the navigation's projects and approver companies.
# One of them loads the invoice's attachments.
REVIEW_QUERIES_PLAIN = 15
REVIEW_QUERIES_HTMX = 13


@pytest.mark.parametrize("size", [5, 100])
@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, REVIEW_QUERIES_PLAIN), (HTMX_REVIEW, REVIEW_QUERIES_HTMX)],
    ids=["plain", "htmx"],
)
def test_review_queries_do_not_grow_with_lines(
    client, django_assert_num_queries, size, headers, expected
):
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT, lines=size)
    item = item_of(invoice)
    client = as_user(client, world)

    with django_assert_num_queries(expected):
        response = client.get(review_url(world, item), **headers)

    assert len(response.context["amounts"].lines) == size


@pytest.mark.parametrize("size", [5, 100])
@pytest.mark.parametrize(
    ("headers", "expected"),
    [({}, REVIEW_QUERIES_PLAIN), (HTMX_REVIEW, REVIEW_QUERIES_HTMX)],
    ids=["plain", "htmx"],
)
def test_review_queries_do_not_grow_with_history_rows(
    client, django_assert_num_queries, size, headers, expected
):
    """Each history row's author is loaded with the history, not one query a row."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    authors = [world.users["project_admin"], world.users["standard"], None]
    for index in range(size):
        ChangeHistoryEntryFactory(invoice=invoice, action_by=authors[index % len(authors)])
    item = item_of(invoice)
    client = as_user(client, world)

    with django_assert_num_queries(expected):
        response = client.get(review_url(world, item), **headers)

    assert len(response.context["history"]) >= size
