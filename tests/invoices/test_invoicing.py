"""The project's Invoicing tool: its list (columns, filters, sort, pages, the URL that
keeps them) and its bulk "Send to ERP" and "Retrieve from ERP" across commitments, with
and without htmx, and their query counts. Who may do what, role by role: see
test_invoicing_permissions.py."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from commitments.services import commitment_grant_private_access
from erp_integrations.models import ExportItem, ExportState
from erp_integrations.services import (
    ALREADY_ACCEPTED,
    NOT_FOUND_ON_PROJECT,
    NOTHING_SELECTED,
)
from invoices.models import InvoiceErpStatus, InvoiceStatus
from invoices.views import INVOICING_PER_PAGE
from projects.terms import PointOfView
from tests.factories import CommitmentFactory, ProjectFactory, VendorFactory
from tests.world import World, build_world

pytestmark = pytest.mark.django_db

READY = ExportState.READY_TO_EXPORT


@pytest.fixture
def world() -> World:
    return build_world()


def tool_url(world, query: str = "") -> str:
    url = reverse("invoicing:list", args=[world.project.pk])
    return f"{url}?{query}" if query else url


def send_url(world) -> str:
    return reverse("invoicing:send", args=[world.project.pk])


def retrieve_url(world) -> str:
    return reverse("invoicing:retrieve", args=[world.project.pk])


def on(world, commitment, **kwargs):
    """An invoice of another commitment of the world's project."""
    original = world.commitment
    world.commitment = commitment
    try:
        return world.invoice(**kwargs)
    finally:
        world.commitment = original


def listed(response) -> list:
    return [invoice for invoice, _, _ in response.context["invoice_rows"]]


def refreshed(invoice):
    invoice.refresh_from_db()
    return invoice


# --- The list -----------------------------------------------------------------------------


def test_tool_renders_the_whole_page_for_a_plain_request(client, world):
    world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world))

    assertContains(response, "<html")
    assertContains(response, '<h1 class="h2 mb-1">Invoicing</h1>', html=True)
    assertContains(response, 'id="invoicing"')


def test_tool_returns_only_its_region_to_htmx(client, world, htmx):
    world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world), **htmx)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="invoicing"')
    assert "<html" not in content
    assert response["Vary"].startswith("HX-Request")


def test_tool_is_named_by_the_companys_point_of_view(client):
    """A Specialty Contractor calls it Progress Billings, in the heading and the menu."""
    world = build_world()
    world.company.point_of_view = PointOfView.SPECIALTY_CONTRACTOR
    world.company.save(update_fields=["point_of_view"])
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world))
    menu = client.get(world.project.get_absolute_url())

    assertContains(response, '<h1 class="h2 mb-1">Progress Billings</h1>', html=True)
    assertNotContains(response, "Invoicing")
    assertContains(menu, f'href="{tool_url(world)}"')
    assertContains(menu, ">Progress Billings</a>")


def test_project_tool_menu_links_to_invoicing(client, world, headers):
    client.force_login(world.users["read_only"])

    response = client.get(world.project.get_absolute_url(), **headers)

    assertContains(
        response,
        f'<a href="{tool_url(world)}" class="h5 stretched-link text-decoration-none">Invoicing</a>',
        html=True,
    )


def test_tool_shows_each_invoice_with_its_commitment_vendor_period_and_amounts(
    client, world, headers
):
    """One line of $1,000 at 10% retainage: $1,000 this period, $100 retained, $900 due."""
    invoice = world.invoice(
        erp_state=READY,
        billing_period_start=datetime.date(2026, 3, 1),
        billing_period_end=datetime.date(2026, 3, 31),
    )
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world), **headers)

    content = response.content.decode()
    row = content.split(f'aria-label="Select {invoice.label} of', 1)[1].split("</tr>", 1)[0]
    assert invoice.label in row
    assert world.commitment.number in row
    assert world.commitment.vendor.name in row
    assert "Mar 1, 2026 \N{EN DASH} Mar 31, 2026" in row
    assert "Approved" in row
    assert "erp-status--ready_to_export" in row
    assert [cell.split("</td>", 1)[0] for cell in row.split('<td class="num">')[1:]] == [
        "$1,000.00",
        "$100.00",
        "$900.00",
    ]
    assert f'href="{invoice.get_absolute_url()}"' in row
    assertContains(response, "Amount due on this page: <strong>$900.00</strong>")


def test_tool_lists_the_invoices_of_every_commitment_of_the_project_only(client, world):
    second = CommitmentFactory(project=world.project)
    here = [world.invoice(), on(world, second)]
    elsewhere = build_world().invoice()
    client.force_login(world.users["superuser"])

    response = client.get(tool_url(world))

    assert set(listed(response)) == set(here)
    assert elsewhere not in listed(response)


def test_private_commitments_invoices_are_hidden_as_on_the_commitments_tool(client, world):
    """A member not on the private commitment's access list sees neither its invoices nor
    its number or vendor among the filters' choices."""
    private = CommitmentFactory(
        project=world.project, is_private=True, vendor=VendorFactory(company=world.company)
    )
    public_invoice = world.invoice()
    private_invoice = on(world, private)
    client.force_login(world.users["read_only"])

    response = client.get(tool_url(world))

    assert listed(response) == [public_invoice]
    assertNotContains(response, private.number)
    assertNotContains(response, private.vendor.name)
    assert private_invoice not in listed(response)


def test_a_member_on_the_private_access_list_sees_its_invoices(client, world):
    private = CommitmentFactory(project=world.project, is_private=True)
    private_invoice = on(world, private)
    commitment_grant_private_access(commitment=private, user=world.users["read_only"])
    client.force_login(world.users["read_only"])

    response = client.get(tool_url(world))

    assert private_invoice in listed(response)


def test_invoice_contact_sees_only_the_invoices_of_their_commitments(client, world):
    theirs = world.invoice()
    on(world, CommitmentFactory(project=world.project))
    client.force_login(world.users["invoice_contact"])

    response = client.get(tool_url(world))

    assert listed(response) == [theirs]


@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_tool_is_404_for_a_user_without_the_project(client, world, role, headers):
    client.force_login(world.users[role])

    assert client.get(tool_url(world), **headers).status_code == 404


def test_tool_needs_a_login(client, world):
    response = client.get(tool_url(world))

    assertRedirects(response, f"{reverse('login')}?next={tool_url(world)}")


def test_tool_has_an_empty_state(client, world):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world))

    assertContains(response, "No Subcontractor invoices on this project yet.")
    assertNotContains(response, "Send to ERP</button>")


def test_tool_says_when_no_invoice_matches_the_filters(client, world):
    world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, "erp_status=synced"))

    assertContains(response, "No invoices match these filters.")
    assertContains(response, "0 invoices")


# --- Filters, sort and pages ---------------------------------------------------------------


@pytest.fixture
def spread(world):
    """Invoices on two commitments of two vendors, in different statuses and months."""
    second = CommitmentFactory(project=world.project, number="SC-900")
    return {
        "ready": world.invoice(
            erp_state=READY,
            billing_period_start=datetime.date(2026, 1, 1),
            billing_period_end=datetime.date(2026, 1, 31),
        ),
        "draft": world.invoice(
            status=InvoiceStatus.DRAFT,
            billing_period_start=datetime.date(2026, 2, 1),
            billing_period_end=datetime.date(2026, 2, 28),
        ),
        "synced": on(
            world,
            second,
            erp_state=ExportState.SYNCED,
            billing_period_start=datetime.date(2026, 1, 1),
            billing_period_end=datetime.date(2026, 1, 31),
        ),
        "second": second,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=draft", ["draft"]),
        ("erp_status=ready_to_export", ["ready"]),
        ("erp_status=synced", ["synced"]),
        ("billing_period=2026-01", ["ready", "synced"]),
        ("billing_period=2026-02", ["draft"]),
        ("erp_status=not_sent&status=approved", []),
    ],
)
def test_tool_filters(client, world, spread, query, expected, headers):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, query), **headers)

    assert set(listed(response)) == {spread[name] for name in expected}


def test_tool_filters_by_commitment_and_contract_company(client, world, spread):
    client.force_login(world.users["project_admin"])
    second = spread["second"]

    by_commitment = client.get(tool_url(world, f"commitment={second.pk}"))
    by_vendor = client.get(tool_url(world, f"vendor={world.commitment.vendor_id}"))

    assert listed(by_commitment) == [spread["synced"]]
    assert set(listed(by_vendor)) == {spread["ready"], spread["draft"]}


def test_billing_period_choices_are_the_months_of_the_visible_invoices(client, world, spread):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world))

    assertContains(response, '<option value="2026-02">February 2026</option>', html=True)
    assertContains(response, '<option value="2026-01">January 2026</option>', html=True)
    assertNotContains(response, 'value="2026-03"')


def test_billing_period_choices_leave_out_a_hidden_commitments_months(client, world):
    world.invoice(
        billing_period_start=datetime.date(2026, 1, 1),
        billing_period_end=datetime.date(2026, 1, 31),
    )
    on(
        world,
        CommitmentFactory(project=world.project, is_private=True),
        billing_period_start=datetime.date(2025, 7, 1),
        billing_period_end=datetime.date(2025, 7, 31),
    )
    client.force_login(world.users["read_only"])

    response = client.get(tool_url(world))

    assertContains(response, 'value="2026-01"')
    assertNotContains(response, 'value="2025-07"')


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("billing_period=2026-13", "Billing period: Select a valid choice."),
        ("commitment=abc", "Commitment: Select a valid choice."),
        ("vendor=999999", "Contract company: Select a valid choice."),
        ("status=nonsense", "Status: Select a valid choice."),
        ("sort=amount", "Sort: Select a valid choice."),
    ],
)
def test_bad_filter_input_is_ignored_with_a_message(client, world, spread, query, message, headers):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, query), **headers)

    assert response.status_code == 200
    assertContains(response, message)
    assert len(listed(response)) == 3


def test_a_hidden_commitment_is_not_a_commitment_choice(client, world):
    """Filtering by a private commitment's id, by a member who may not see it, is
    refused like an id that does not exist: nothing of it is listed or named."""
    private = CommitmentFactory(project=world.project, is_private=True)
    on(world, private)
    client.force_login(world.users["read_only"])

    response = client.get(tool_url(world, f"commitment={private.pk}"))

    assertContains(response, "Commitment: Select a valid choice.")
    assert listed(response) == []


def test_default_order_is_by_commitment_then_number(client, world, spread):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world))

    # world.commitment's number (SC-0..) sorts before SC-900.
    assert listed(response) == [spread["ready"], spread["draft"], spread["synced"]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("-commitment", ["synced", "draft", "ready"]),
        ("billing_period", ["ready", "synced", "draft"]),
        ("-billing_period", ["draft", "synced", "ready"]),
        ("status", ["ready", "synced", "draft"]),
        ("erp_status", ["draft", "ready", "synced"]),
    ],
)
def test_tool_sorts_by_a_column_both_ways(client, world, spread, sort, expected):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, f"sort={sort}"))

    assert listed(response) == [spread[name] for name in expected]


def test_sort_header_links_keep_the_filters_and_turn_the_sort(client, world, spread):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, "erp_status=synced&sort=vendor"))

    turned = tool_url(world, "erp_status=synced&sort=-vendor")
    assertContains(response, f'href="{escape(turned)}"')
    assertContains(response, 'aria-sort="ascending"')


def test_filter_form_keeps_the_filters_and_the_sort_in_effect(client, world, spread):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, "status=draft&sort=-billing_period"))

    assertContains(response, '<option value="draft" selected>Draft</option>', html=True)
    assertContains(response, '<input type="hidden" name="sort" value="-billing_period">', html=True)


def test_filter_form_request_pushes_the_url_without_its_blank_fields(client, world, htmx):
    """The form sends every field; the address bar (and so Back and a reload) gets the
    URL of the filters in effect only."""
    client.force_login(world.users["project_admin"])

    response = client.get(
        tool_url(world), {"status": "", "erp_status": "synced", "vendor": ""}, **htmx
    )

    assert response["HX-Push-Url"] == tool_url(world, "erp_status=synced")


def test_a_link_request_leaves_the_url_to_htmx(client, world, htmx):
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, "erp_status=synced"), **htmx)

    assert "HX-Push-Url" not in response


def test_pages_carry_the_filters(client, world):
    for _ in range(INVOICING_PER_PAGE + 1):
        world.invoice(erp_state=READY)
    client.force_login(world.users["project_admin"])

    first = client.get(tool_url(world, "erp_status=ready_to_export"))
    second = client.get(tool_url(world, "erp_status=ready_to_export&page=2"))

    assert len(listed(first)) == INVOICING_PER_PAGE
    assertContains(first, f'href="{escape(tool_url(world, "erp_status=ready_to_export&page=2"))}"')
    assert len(listed(second)) == 1
    assertContains(second, "51 invoices · page 2 of 2")


@pytest.mark.parametrize("page", ["abc", "0", "-3", "99999999999999999999"])
def test_a_page_that_is_not_a_page_is_harmless(client, world, page):
    world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world, f"page={page}"))

    assert response.status_code == 200
    assert len(listed(response)) == 1


# --- Send to ERP and Retrieve from ERP across commitments ----------------------------------


@pytest.fixture
def two_commitments(world):
    """Two Ready to Export invoices, one on each of two commitments, both INV numbered
    by their own commitment."""
    second = CommitmentFactory(project=world.project, number="SC-900")
    return world.invoice(erp_state=READY), on(world, second, erp_state=READY)


def test_retrieve_with_htmx_reports_a_line_per_invoice_named_by_its_commitment(
    client, world, two_commitments, htmx
):
    first, second = two_commitments
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [first.pk, second.pk]}, **htmx)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="invoicing"')
    assert "Retrieve from ERP: what happened" in content
    assert f"{world.commitment.number} {first.label}: retrieved from ERP Integrations." in content
    assert f"SC-900 {second.label}: retrieved from ERP Integrations." in content
    assert "Retrieve from ERP: 2 retrieved." in content
    assert content.count("erp-status--retrieved") == 2
    assert refreshed(first).erp_status == refreshed(second).erp_status == InvoiceErpStatus.RETRIEVED


def test_retrieve_without_htmx_redirects_back_to_the_filtered_page_with_messages(
    client, world, two_commitments
):
    first, second = two_commitments
    client.force_login(world.users["project_admin"])

    response = client.post(
        retrieve_url(world),
        {
            "invoice_ids": [first.pk, second.pk],
            "query": "erp_status=ready_to_export&sort=-vendor&evil=https://example.com/",
            "page": "1",
        },
    )

    back = tool_url(world, "erp_status=ready_to_export&sort=-vendor")
    assertRedirects(response, back, fetch_redirect_response=False)
    page = client.get(back)
    assertContains(page, f"SC-900 {second.label}: retrieved from ERP Integrations.")
    assert refreshed(first).erp_status == InvoiceErpStatus.RETRIEVED


def test_action_with_htmx_shows_the_filtered_page_it_was_taken_from(
    client, world, two_commitments, htmx
):
    first, second = two_commitments
    client.force_login(world.users["project_admin"])

    response = client.post(
        retrieve_url(world),
        {"invoice_ids": [first.pk], "query": f"commitment={second.commitment_id}"},
        **htmx,
    )

    assert listed(response) == [second]
    assert refreshed(first).erp_status == InvoiceErpStatus.RETRIEVED


def test_mixed_retrieve_reports_each_invoice_on_its_own(client, world, two_commitments, htmx):
    first, _ = two_commitments
    synced = on(world, CommitmentFactory(project=world.project), erp_state=ExportState.SYNCED)
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [first.pk, synced.pk]}, **htmx)

    number = synced.commitment.number
    assertContains(response, f"{number} {ALREADY_ACCEPTED.format(label=synced.label)}")
    assertContains(response, "Retrieve from ERP: 1 retrieved, 1 refused.")
    assert refreshed(synced).erp_status == InvoiceErpStatus.SYNCED


def test_send_sends_approved_invoices_of_several_commitments(client, world, htmx):
    first = world.invoice()
    second = on(world, CommitmentFactory(project=world.project))
    client.force_login(world.users["project_admin"])

    response = client.post(send_url(world), {"invoice_ids": [first.pk, second.pk]}, **htmx)

    assertContains(response, "Send to ERP: 2 sent.")
    for invoice in (first, second):
        assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT
        assert ExportItem.objects.filter(invoice=invoice, state=READY).exists()


def test_send_without_htmx_redirects_back(client, world):
    invoice = world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.post(send_url(world), {"invoice_ids": [invoice.pk]})

    assertRedirects(response, tool_url(world), fetch_redirect_response=False)
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


def test_the_tool_offers_both_actions_and_a_checkbox_per_row_to_a_project_admin(client, world):
    invoice = world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world))

    assertContains(response, "Send to ERP</button>")
    assertContains(response, "Retrieve from ERP</button>")
    assertContains(response, f'aria-label="Select {invoice.label} of {world.commitment.number}"')


@pytest.mark.parametrize("role", ["standard", "read_only", "invoice_contact"])
def test_the_tool_hides_the_actions_from_users_who_may_not_act(client, world, role):
    world.invoice()
    client.force_login(world.users[role])

    response = client.get(tool_url(world))

    assertNotContains(response, "Send to ERP</button>")
    assertNotContains(response, 'name="invoice_ids"')


def test_the_tool_says_before_the_click_when_direct_export_is_on(client, world):
    world.invoice()
    world.company.erp_connection.direct_export = True
    world.company.erp_connection.save(update_fields=["direct_export"])
    client.force_login(world.users["project_admin"])

    response = client.get(tool_url(world))

    assertContains(response, "direct-export-note")
    assertContains(response, "Direct Export is on")


@pytest.mark.parametrize("url", [send_url, retrieve_url], ids=["send", "retrieve"])
def test_action_without_a_checked_invoice_asks_for_one(client, world, headers, url):
    invoice = world.invoice(erp_state=READY)
    client.force_login(world.users["project_admin"])

    response = client.post(url(world), {}, follow=not headers, **headers)

    assertContains(response, NOTHING_SELECTED)
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize("url", [send_url, retrieve_url], ids=["send", "retrieve"])
@pytest.mark.parametrize("bad_id", ["99999999999999999999", "0", "abc"])
def test_action_reports_an_id_that_cannot_exist_as_not_found(client, world, headers, url, bad_id):
    invoice = world.invoice(erp_state=READY)
    client.force_login(world.users["project_admin"])

    response = client.post(url(world), {"invoice_ids": [bad_id]}, follow=not headers, **headers)

    assert response.status_code == 200
    assertContains(response, escape(NOT_FOUND_ON_PROJECT.format(label=f"#{bad_id}")))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


def test_an_invoice_of_another_project_is_not_found_and_untouched(client, world, htmx):
    other = build_world()
    other.company = world.company
    other.project = ProjectFactory(company=world.company)
    other.commitment = CommitmentFactory(project=other.project)
    foreign = other.invoice(erp_state=READY)
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [foreign.pk]}, **htmx)

    assertContains(response, NOT_FOUND_ON_PROJECT.format(label=f"#{foreign.pk}"))
    assert refreshed(foreign).erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize("url", [send_url, retrieve_url], ids=["send", "retrieve"])
def test_actions_refuse_get(client, world, url):
    client.force_login(world.users["project_admin"])

    assert client.get(url(world)).status_code == 405


# --- Query counts --------------------------------------------------------------------------
# One invoice, and many across several commitments (more than a page of them).

SPREADS = pytest.mark.parametrize(
    ("invoices", "commitments"), [(1, 1), (60, 4)], ids=["1 invoice", "60 invoices"]
)


def add_invoices(world, count: int, commitments: int, **kwargs) -> list:
    owners = [world.commitment] + [
        CommitmentFactory(project=world.project, vendor=VendorFactory(company=world.company))
        for _ in range(commitments - 1)
    ]
    return [on(world, owners[index % commitments], **kwargs) for index in range(count)]


# A plain request's page also reads the navigation's projects and companies. Whoever may
# send is told before the click whether Direct Export is on: one question more.
TOOL_QUERIES = {
    ("project_admin", "plain"): 14,
    ("project_admin", "htmx"): 12,
    ("read_only", "plain"): 13,
    ("read_only", "htmx"): 11,
}
# The re-rendered page included.
RETRIEVE_QUERIES = 22
SEND_QUERIES = 23


@SPREADS
@pytest.mark.parametrize("kind", ["plain", "htmx"])
@pytest.mark.parametrize("role", ["project_admin", "read_only"])
def test_tool_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, invoices, commitments, kind, role, htmx
):
    add_invoices(world, invoices, commitments, erp_state=READY)
    client.force_login(world.users[role])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(TOOL_QUERIES[role, kind]):
        response = client.get(tool_url(world, "erp_status=ready_to_export"), **headers)

    assert len(listed(response)) == min(invoices, INVOICING_PER_PAGE)


@SPREADS
def test_bulk_retrieve_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, invoices, commitments, htmx
):
    ids = [invoice.pk for invoice in add_invoices(world, invoices, commitments, erp_state=READY)]
    client.force_login(world.users["project_admin"])

    with django_assert_num_queries(RETRIEVE_QUERIES):
        response = client.post(retrieve_url(world), {"invoice_ids": ids}, **htmx)

    assert len(response.context["action"].done) == invoices


@SPREADS
def test_bulk_send_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, invoices, commitments, htmx, dummy_tasks
):
    ids = [invoice.pk for invoice in add_invoices(world, invoices, commitments)]
    client.force_login(world.users["project_admin"])

    with django_assert_num_queries(SEND_QUERIES):
        response = client.post(send_url(world), {"invoice_ids": ids}, **htmx)

    assert len(response.context["action"].done) == invoices
    assert ExportItem.objects.filter(invoice_id__in=ids, state=READY).count() == invoices
