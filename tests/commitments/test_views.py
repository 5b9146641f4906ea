"""The Commitments tool, the commitment page's tabs and the Invoices tab's bulk actions."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from commitments.models import CommitmentErpStatus, SubcontractStatus
from commitments.services import commitment_grant_private_access
from commitments.views import COMMITMENTS_PER_PAGE, HISTORY_PER_PAGE
from erp_integrations.models import ExportItem, ExportState
from erp_integrations.services import (
    ALREADY_ACCEPTED,
    NOT_PROJECT_ADMIN,
    NOTHING_SELECTED,
)
from invoices.models import InvoiceErpStatus, InvoiceStatus
from tests.factories import (
    ChangeHistoryEntryFactory,
    CommitmentFactory,
    InvoiceLineFactory,
    SovLineFactory,
    VendorFactory,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db

TABS = {
    "commitments:detail": "General",
    "commitments:sov": "Schedule of Values",
    "commitments:invoices": "Invoices",
    "commitments:history": "Change History",
}
NOT_ALLOWED_TO_ACT = ("standard", "read_only", "invoice_contact")


@pytest.fixture
def world():
    return build_world()


def list_url(world):
    return reverse("commitments:list", args=[world.project.pk])


def tab_url(world, name="commitments:invoices", commitment=None):
    return reverse(name, args=[world.project.pk, (commitment or world.commitment).pk])


def retrieve_url(world):
    return reverse("commitments:invoices_retrieve", args=[world.project.pk, world.commitment.pk])


def send_url(world):
    return reverse("commitments:invoices_send", args=[world.project.pk, world.commitment.pk])


def refreshed(invoice):
    invoice.refresh_from_db()
    return invoice


# --- The Commitments tool ----------------------------------------------------------------


def test_commitments_tool_renders_the_whole_page_for_a_plain_request(client, world):
    """A plain request gets the page: heading, filters and the table."""
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world))

    assertContains(response, "<html")
    assertContains(response, '<h1 class="h2 mb-1">Commitments</h1>', html=True)
    assertContains(response, 'id="commitment-table"')
    assertContains(response, world.commitment.number)


def test_commitments_tool_returns_only_the_table_to_htmx(client, world, htmx):
    """An htmx request (filter, sort, page) gets the table region only."""
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), **htmx)

    assertNotContains(response, "<html")
    assertNotContains(response, "<h1")
    assert response.content.decode().lstrip().startswith('<div id="commitment-table"')
    assertContains(response, world.commitment.number)


def rows_shown(response):
    return len(response.context["table"].page.object_list)


@pytest.mark.parametrize("per_page", ["-1", "0", "1", "100000", "abc"])
def test_commitments_tool_page_size_is_fixed(client, world, headers, per_page):
    """The page size is not the visitor's to choose: `?per_page=` is ignored, so a
    negative one is not a 500 and a huge one does not list every commitment."""
    add_commitments(world, COMMITMENTS_PER_PAGE + 5)
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"per_page": per_page}, **headers)

    assert response.status_code == 200
    assert rows_shown(response) == COMMITMENTS_PER_PAGE


@pytest.mark.parametrize(
    ("asked", "shown_page"),
    [("abc", 1), ("1e5", 1), ("", 1), ("0", 1), ("-3", 1), ("2", 2), ("3", 2), (str(10**30), 2)],
)
def test_commitments_tool_page_that_is_not_a_page_is_harmless(
    client, world, headers, asked, shown_page
):
    """A page number that is not a number or below 1 shows the first page; one past the
    end shows the last page (here the second: 30 commitments, 25 a page)."""
    add_commitments(world, COMMITMENTS_PER_PAGE + 5)
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"page": asked}, **headers)

    assert response.status_code == 200
    assert response.context["table"].page.number == shown_page


def test_commitments_tool_shows_the_columns_and_totals(client, world, headers):
    """Each row shows contract company, title, status, ERP status, the scheduled value
    total, what was invoiced to date, private, and a View link."""
    world.invoice(lines=2)  # two SOV lines of $10,000, $1,000 billed on each
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), **headers)

    for text in (
        world.commitment.vendor.name,
        world.commitment.title,
        "Approved",
        '<span class="badge erp-status erp-status--synced">Synced</span>',
        "$20,000.00",
        "$2,000.00",
    ):
        assertContains(response, text)
    # The View link opens the commitment page, not a region of the boosted table.
    assertContains(response, f'href="{world.commitment.get_absolute_url()}" hx-boost="false"')


def test_private_commitment_is_listed_for_a_project_admin(client, world, headers):
    """A project admin sees private commitments in the tool."""
    CommitmentFactory(project=world.project, number="SC-900", is_private=True)
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), **headers)

    assertContains(response, "SC-900")


def test_private_commitment_is_hidden_from_a_member_not_on_its_list(client, world, headers):
    """A Read Only member not on the private access list does not see it listed."""
    CommitmentFactory(project=world.project, number="SC-900", is_private=True)
    client.force_login(world.users["read_only"])

    response = client.get(list_url(world), **headers)

    assertContains(response, world.commitment.number)
    assertNotContains(response, "SC-900")


def test_private_commitment_is_listed_for_a_member_on_its_list(client, world):
    """A member on the private access list sees the private commitment."""
    private = CommitmentFactory(project=world.project, number="SC-900", is_private=True)
    commitment_grant_private_access(commitment=private, user=world.users["read_only"])
    client.force_login(world.users["read_only"])

    response = client.get(list_url(world))

    assertContains(response, "SC-900")


def test_invoice_contact_sees_only_their_commitments(client, world):
    """An invoice contact sees the commitments they are a contact on, no others."""
    CommitmentFactory(project=world.project, number="SC-777")
    client.force_login(world.users["invoice_contact"])

    response = client.get(list_url(world))

    assertContains(response, world.commitment.number)
    assertNotContains(response, "SC-777")


@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_commitments_tool_is_404_for_a_user_without_the_project(client, world, role):
    """A user who may not see the project gets 404, so its existence does not leak."""
    client.force_login(world.users[role])

    assert client.get(list_url(world)).status_code == 404


def test_commitments_tool_filters_by_status(client, world, htmx):
    """The Status filter keeps the commitments in that status."""
    CommitmentFactory(project=world.project, number="SC-500", status=SubcontractStatus.DRAFT)
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"status": "draft"}, **htmx)

    assertContains(response, "SC-500")
    assertNotContains(response, world.commitment.number)


def test_commitments_tool_filters_by_contract_company(client, world, htmx):
    """The Contract company filter keeps that vendor's commitments."""
    vendor = VendorFactory(company=world.company, name="Brightline Electric")
    CommitmentFactory(project=world.project, number="SC-600", vendor=vendor)
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"vendor": vendor.pk}, **htmx)

    assertContains(response, "SC-600")
    assertNotContains(response, world.commitment.number)


def contract_company_choices(response) -> list[str]:
    """The names the Contract company filter offers (its empty choice left out)."""
    field = response.context["filter"].form.fields["vendor"]
    return [str(label) for value, label in field.choices if value]


def test_contract_company_filter_hides_the_vendor_of_a_private_commitment(client, world):
    """A member not on a private commitment's access list is not told its vendor."""
    hidden_vendor = VendorFactory(company=world.company, name="Ironclad Steel Erectors")
    CommitmentFactory(project=world.project, vendor=hidden_vendor, is_private=True)
    client.force_login(world.users["read_only"])

    response = client.get(list_url(world))

    assert contract_company_choices(response) == [world.commitment.vendor.name]
    assertNotContains(response, "Ironclad Steel Erectors")


def test_contract_company_filter_names_the_vendors_of_an_invoice_contacts_commitments(
    client, world
):
    """An invoice contact sees only the vendors of the commitments they are a contact on."""
    CommitmentFactory(
        project=world.project, vendor=VendorFactory(company=world.company, name="Other Vendor")
    )
    client.force_login(world.users["invoice_contact"])

    response = client.get(list_url(world))

    assert contract_company_choices(response) == [world.commitment.vendor.name]


def test_contract_company_filter_names_every_vendor_for_a_project_admin(client, world):
    """A project admin sees private commitments, so their vendors too."""
    hidden_vendor = VendorFactory(company=world.company, name="Ironclad Steel Erectors")
    CommitmentFactory(project=world.project, vendor=hidden_vendor, is_private=True)
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world))

    assert sorted(contract_company_choices(response)) == sorted(
        [world.commitment.vendor.name, "Ironclad Steel Erectors"]
    )


def test_filtering_by_the_vendor_of_a_hidden_commitment_lists_nothing(client, world):
    """Asking for a vendor the user may not be told of is an unknown choice: no rows."""
    hidden_vendor = VendorFactory(company=world.company, name="Ironclad Steel Erectors")
    CommitmentFactory(project=world.project, number="SC-002", vendor=hidden_vendor, is_private=True)
    client.force_login(world.users["read_only"])

    response = client.get(list_url(world), {"vendor": hidden_vendor.pk})

    assertNotContains(response, "SC-002")
    assertNotContains(response, "Ironclad Steel Erectors")


def test_commitments_tool_filters_by_erp_status(client, world, htmx):
    """The ERP status filter keeps the commitments not yet synced."""
    CommitmentFactory(
        project=world.project,
        number="SC-700",
        erp_status=CommitmentErpStatus.NOT_SYNCED,
        erp_reference="",
    )
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"erp_status": "not_synced"}, **htmx)

    assertContains(response, "SC-700")
    assertNotContains(response, world.commitment.number)


@pytest.mark.parametrize("query", ["sc-800", "Curtain"])
def test_commitments_tool_searches_number_and_title(client, world, query, htmx):
    """The search matches the number or the title, ignoring case."""
    CommitmentFactory(project=world.project, number="SC-800", title="Curtain Wall")
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"q": query}, **htmx)

    assertContains(response, "SC-800")
    assertNotContains(response, world.commitment.number)


def test_commitments_tool_says_when_nothing_matches(client, world):
    """A search without a match shows the empty text, not an empty table."""
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"q": "no such thing"})

    assertContains(response, "No commitments match.")


def test_commitments_tool_sorts_by_invoiced_to_date(client, world):
    """Sorting by a computed amount orders the rows by it and marks the column."""
    CommitmentFactory(project=world.project, number="SC-100")
    world.invoice(lines=1)
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"sort": "-invoiced_to_date"})

    content = response.content.decode()
    assert content.index(world.commitment.number) < content.index("SC-100")
    assert 'aria-sort="descending"' in content


def test_commitments_tool_ignores_an_unknown_filter_value(client, world):
    """A bad filter value is not a 500: the form is invalid and nothing is listed."""
    client.force_login(world.users["project_admin"])

    response = client.get(list_url(world), {"vendor": "not-a-vendor"})

    assert response.status_code == 200


# --- The commitment page's tabs ----------------------------------------------------------


@pytest.mark.parametrize("name", TABS)
def test_each_tab_has_its_own_url_rendering_the_whole_page(client, world, name):
    """Without htmx every tab is a full page with that tab selected."""
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world, name))

    assertContains(response, "<html")
    selected = re.findall(
        r'<a [^>]*aria-selected="true"[^>]*>([^<]*)</a>', response.content.decode()
    )
    assert selected == [TABS[name]]
    assertContains(response, f'href="{tab_url(world, name)}" aria-selected="true"')
    assertContains(response, 'role="tabpanel"')


@pytest.mark.parametrize("name", TABS)
def test_each_tab_returns_its_panel_and_the_tab_list_to_htmx(client, world, name, htmx):
    """An htmx tab click gets the panel, and the tab list out of band to move the
    selection, not the whole page."""
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world, name), **htmx)

    content = response.content.decode()
    assert "<html" not in content
    assert content.lstrip().startswith('<div id="tab-panel"')
    assert 'id="commitment-tablist" class="nav nav-tabs mb-3" role="tablist"' in content
    assert 'hx-swap-oob="true"' in content
    assert response["Vary"].count("HX-Request") == 1


def test_tabs_are_links_that_htmx_loads_into_the_panel(client, world):
    """Each tab has an href for the no-JavaScript case and hx-get/hx-push-url for htmx."""
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world, "commitments:detail"))

    for name in TABS:
        url = tab_url(world, name)
        assertContains(response, f'href="{url}" aria-selected=')
        assertContains(
            response,
            f'hx-get="{url}" hx-target="#tab-panel" hx-swap="outerHTML" hx-push-url="true"',
        )


@pytest.mark.parametrize("name", TABS)
def test_private_commitment_tabs_are_404_for_a_member_not_on_its_list(client, world, headers, name):
    """Every tab of a private commitment is 404 for a member not on its access list."""
    private = CommitmentFactory(project=world.project, is_private=True)
    client.force_login(world.users["read_only"])

    response = client.get(tab_url(world, name, commitment=private), **headers)

    assert response.status_code == 404


@pytest.mark.parametrize("name", TABS)
def test_commitment_of_another_project_is_404(client, world, name):
    """A commitment id under another project's URL is not found."""
    other = build_world()
    client.force_login(world.users["superuser"])

    url = reverse(name, args=[world.project.pk, other.commitment.pk])

    assert client.get(url).status_code == 404


def test_general_tab_shows_the_commitment_fields(client, world):
    """The General tab shows the key fields, with the original contract amount."""
    SovLineFactory(commitment=world.commitment, scheduled_value=Decimal("45000.00"))
    client.force_login(world.users["read_only"])

    response = client.get(tab_url(world, "commitments:detail"))

    assertContains(response, world.commitment.vendor.name)
    assertContains(response, "$45,000.00")
    assertContains(response, "10.00%")


def test_schedule_of_values_tab_lists_the_lines_and_their_total(client, world, htmx):
    """The Schedule of Values tab lists each SOV line and totals the scheduled value."""
    SovLineFactory(commitment=world.commitment, cost_code="03-100", description="Forming")
    SovLineFactory(commitment=world.commitment, cost_code="03-200", description="Rebar")
    client.force_login(world.users["read_only"])

    response = client.get(tab_url(world, "commitments:sov"), **htmx)

    assertContains(response, "Forming")
    assertContains(response, "Rebar")
    assertContains(response, "$20,000.00")


def test_change_history_tab_lists_the_invoices_changes(client, world, htmx):
    """The Change History tab lists every invoice's history rows with who did it."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])
    client.post(retrieve_url(world), {"invoice_ids": [invoice.pk]})

    response = client.get(tab_url(world, "commitments:history"), **htmx)

    assertContains(response, invoice.label)
    assertContains(response, "ERP Status")
    assertContains(response, "Ready to Export")
    assertContains(response, "Retrieved")
    assertContains(response, world.users["project_admin"].get_username())


def test_change_history_tab_has_an_empty_state(client, world):
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world, "commitments:history"))

    assertContains(response, "No changes recorded yet.")


# --- The Invoices tab --------------------------------------------------------------------


def test_invoices_tab_shows_each_invoice_with_its_amounts(client, world, headers):
    """Each row: number, billing period, status, ERP status badge, this period,
    completed to date, retainage, current payment due and View."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world), **headers)

    assertContains(response, invoice.label)
    assertContains(response, "Oct 1, 2026 \N{EN DASH} Oct 31, 2026")
    assertContains(response, "Approved")
    assertContains(
        response,
        '<span class="badge erp-status erp-status--ready_to_export">Ready to Export</span>',
        html=True,
    )
    for amount in ("$1,000.00", "$100.00", "$900.00"):
        assertContains(response, amount)
    assertContains(response, f'href="{invoice.get_absolute_url()}"')


def test_invoices_tab_labels_each_row_checkbox_with_its_invoice(client, world):
    """Each row's checkbox is named for its invoice; a select-all checkbox heads them."""
    first, second = world.invoice(), world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world))

    for invoice in (first, second):
        assertContains(
            response,
            f'<input class="form-check-input" type="checkbox" name="invoice_ids" '
            f'value="{invoice.pk}" aria-label="Select {invoice.label}">',
            html=True,
        )
    assertContains(response, 'aria-label="Select all invoices"')


def test_invoices_tab_offers_both_bulk_actions_to_a_project_admin(client, world):
    """The buttons post to their own URLs, plainly and through htmx, after a confirmation."""
    world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world))

    for url, label in (
        (send_url(world), "Send to ERP"),
        (retrieve_url(world), "Retrieve from ERP"),
    ):
        assertContains(response, f'formaction="{url}"')
        assertContains(response, f'hx-post="{url}" hx-target="#invoice-region"')
        assertContains(response, f">{label}</button>")
    assertContains(response, "hx-confirm=")


@pytest.mark.parametrize("role", NOT_ALLOWED_TO_ACT)
def test_invoices_tab_hides_the_bulk_actions_from_users_who_may_not_act(client, world, role):
    """Standard and Read Only members and invoice contacts see the invoices, not the
    buttons or the checkboxes."""
    invoice = world.invoice()
    client.force_login(world.users[role])

    response = client.get(tab_url(world))

    assertContains(response, invoice.label)
    assertNotContains(response, "Send to ERP")
    assertNotContains(response, "Retrieve from ERP")
    assertNotContains(response, 'name="invoice_ids"')


def test_invoices_tab_has_an_empty_state(client, world):
    """A commitment without invoices says so instead of showing an empty table."""
    client.force_login(world.users["project_admin"])

    response = client.get(tab_url(world))

    assertContains(response, "No Subcontractor invoices on this commitment yet.")
    assertNotContains(response, "Send to ERP")


# --- Bulk Retrieve from ERP / Send to ERP -------------------------------------------------


def test_retrieve_without_htmx_redirects_back_with_a_message(client, world):
    """A plain POST retrieves the checked invoice and redirects to the tab with messages."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [invoice.pk]})

    assertRedirects(response, tab_url(world), fetch_redirect_response=False)
    assert refreshed(invoice).erp_status == InvoiceErpStatus.RETRIEVED
    page = client.get(tab_url(world))
    assertContains(page, f"{invoice.label}: retrieved from ERP Integrations.")


def test_retrieve_with_htmx_updates_the_table_and_the_result_panel(client, world, htmx):
    """An htmx POST returns the invoice region: the result panel and the new badges,
    and the messages out of band."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [invoice.pk]}, **htmx)

    content = response.content.decode()
    assert content.lstrip().startswith('<div id="invoice-region"')
    assert "<html" not in content
    assert "Retrieve from ERP: what happened" in content
    assert f"{invoice.label}: retrieved from ERP Integrations." in content
    assert "erp-status--retrieved" in content
    assert '<div id="messages" class="messages" hx-swap-oob="true">' in content
    assert "Retrieve from ERP: 1 retrieved." in content


def test_mixed_retrieve_reports_each_invoice_on_its_own(client, world, htmx):
    """One invoice is retrieved, a synced one is refused with the service's reason."""
    ready = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    synced = world.invoice(erp_state=ExportState.SYNCED)
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [ready.pk, synced.pk]}, **htmx)

    assertContains(response, f"{ready.label}: retrieved from ERP Integrations.")
    assertContains(response, ALREADY_ACCEPTED.format(label=synced.label))
    assertContains(response, "Retrieve from ERP: 1 retrieved, 1 refused.")
    assert refreshed(ready).erp_status == InvoiceErpStatus.RETRIEVED
    assert refreshed(synced).erp_status == InvoiceErpStatus.SYNCED


def test_mixed_retrieve_without_htmx_shows_each_result_as_a_message(client, world):
    ready = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    synced = world.invoice(erp_state=ExportState.SYNCED)
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [ready.pk, synced.pk]}, follow=True)

    assertContains(response, f"{ready.label}: retrieved from ERP Integrations.")
    assertContains(response, ALREADY_ACCEPTED.format(label=synced.label))


def test_send_with_htmx_sends_the_checked_invoice(client, world, htmx):
    """Send to ERP puts an Approved invoice in the queue and shows it Ready to Export."""
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users["project_admin"])

    response = client.post(send_url(world), {"invoice_ids": [invoice.pk]}, **htmx)

    assertContains(response, f"{invoice.label}: sent to ERP Integrations.")
    assertContains(response, "Send to ERP: 1 sent.")
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT
    assert ExportItem.objects.filter(invoice=invoice, state=ExportState.READY_TO_EXPORT).exists()


def test_send_without_htmx_redirects_back(client, world):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users["project_admin"])

    response = client.post(send_url(world), {"invoice_ids": [invoice.pk]})

    assertRedirects(response, tab_url(world))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize("url", [send_url, retrieve_url], ids=["send", "retrieve"])
def test_bulk_action_without_a_checked_invoice_asks_for_one(client, world, headers, url):
    """Nothing checked: "Select at least one invoice." and nothing changes."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(url(world), {}, follow=not headers, **headers)

    assertContains(response, NOTHING_SELECTED)
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


def test_bulk_action_with_only_blank_ids_asks_for_a_selection(client, world, htmx):
    """Blank ids are no selection: the user is asked to select."""
    world.invoice()
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": ["", " "]}, **htmx)

    assertContains(response, NOTHING_SELECTED)


@pytest.mark.parametrize("url", [send_url, retrieve_url], ids=["send", "retrieve"])
@pytest.mark.parametrize("bad_id", ["99999999999999999999", str(2**63), "0", "-1", "abc"])
def test_bulk_action_reports_an_id_that_cannot_exist_as_not_found(
    client, world, headers, url, bad_id
):
    """An id outside 1..2**63-1 (too large for the database) or not a number is not a
    500: it is refused as not found, and nothing changes."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(url(world), {"invoice_ids": [bad_id]}, follow=not headers, **headers)

    assert response.status_code == 200
    assertContains(response, escape(f"#{bad_id}: not found on this commitment."))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


def test_bulk_retrieve_reports_an_invoice_of_another_commitment_as_not_found(client, world, htmx):
    """An id from another commitment is not touched and is reported as not found."""
    other = build_world()
    other.commitment = CommitmentFactory(project=world.project)
    foreign = other.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.post(retrieve_url(world), {"invoice_ids": [foreign.pk]}, **htmx)

    assertContains(response, f"#{foreign.pk}: not found on this commitment.")
    assert refreshed(foreign).erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize("role", NOT_ALLOWED_TO_ACT)
def test_forged_retrieve_by_a_user_who_may_not_act_is_refused(client, world, headers, role):
    """A forged POST by a Standard or Read Only member or an invoice contact is refused
    with the service's message; the invoice stays in the queue."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users[role])

    response = client.post(
        retrieve_url(world), {"invoice_ids": [invoice.pk]}, follow=not headers, **headers
    )

    assertContains(response, escape(NOT_PROJECT_ADMIN))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT
    assert ExportItem.objects.get(invoice=invoice).state == ExportState.READY_TO_EXPORT


@pytest.mark.parametrize("role", NOT_ALLOWED_TO_ACT)
def test_forged_send_by_a_user_who_may_not_act_is_refused(client, world, role, htmx):
    invoice = world.invoice(status=InvoiceStatus.APPROVED)
    client.force_login(world.users[role])

    response = client.post(send_url(world), {"invoice_ids": [invoice.pk]}, **htmx)

    assertContains(response, escape(NOT_PROJECT_ADMIN))
    assert refreshed(invoice).erp_status == InvoiceErpStatus.NOT_SENT


@pytest.mark.parametrize("role", ["outsider", "approver"])
def test_bulk_retrieve_is_404_for_a_user_who_may_not_see_the_commitment(client, world, role):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users[role])

    response = client.post(retrieve_url(world), {"invoice_ids": [invoice.pk]})

    assert response.status_code == 404
    assert refreshed(invoice).erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize("url", [send_url, retrieve_url], ids=["send", "retrieve"])
def test_bulk_actions_refuse_get(client, world, url):
    """Actions change data, so they are POST only."""
    client.force_login(world.users["project_admin"])

    assert client.get(url(world)).status_code == 405


def test_bulk_action_needs_a_login(client, world):
    response = client.post(retrieve_url(world), {"invoice_ids": [1]})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- Query counts ------------------------------------------------------------------------

ROW_COUNTS = pytest.mark.parametrize("rows", [5, 100])


def add_commitments(world, count):
    vendor = world.commitment.vendor
    for _ in range(count - 1):
        commitment = CommitmentFactory(project=world.project, vendor=vendor)
        InvoiceLineFactory(invoice__commitment=commitment, sov_line__commitment=commitment)


def add_history(world, count):
    """`count` history rows, on invoices of the commitment (a few rows each)."""
    invoices = [world.invoice() for _ in range(5)]
    users = [world.users["project_admin"], world.users["standard"], None]
    for index in range(count):
        ChangeHistoryEntryFactory(
            invoice=invoices[index % len(invoices)], action_by=users[index % len(users)]
        )


def add_invoices(world, count):
    for state in [ExportState.READY_TO_EXPORT, ExportState.SYNCED, None] * (count // 3 + 1):
        if world.commitment.invoices.count() == count:
            break
        world.invoice(erp_state=state)


COMMITMENTS_TOOL_QUERIES = {"plain": 8, "htmx": 5}
# The tab asks once whether the company's Direct Export is on (for whoever may send), to
# say so before "Send to ERP" is clicked.
INVOICES_TAB_QUERIES = {"plain": 10, "htmx": 8}
HISTORY_TAB_QUERIES = {"plain": 9, "htmx": 7}


@ROW_COUNTS
@pytest.mark.parametrize("kind", ["plain", "htmx"])
@pytest.mark.parametrize("role", ["project_admin", "read_only"])
def test_commitments_tool_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, rows, kind, role, htmx
):
    """The same number of queries for 5 commitments as for 100 (25 on the page)."""
    add_commitments(world, rows)
    client.force_login(world.users[role])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(COMMITMENTS_TOOL_QUERIES[kind]):
        response = client.get(list_url(world), **headers)

    assert response.status_code == 200


@ROW_COUNTS
@pytest.mark.parametrize("kind", ["plain", "htmx"])
def test_invoices_tab_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, rows, kind, htmx
):
    """The same number of queries for 5 invoices as for 100."""
    add_invoices(world, rows)
    client.force_login(world.users["project_admin"])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(INVOICES_TAB_QUERIES[kind]):
        response = client.get(tab_url(world), **headers)

    assert response.content.decode().count('name="invoice_ids"') == rows


@ROW_COUNTS
@pytest.mark.parametrize("kind", ["plain", "htmx"])
def test_change_history_tab_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, rows, kind, htmx
):
    """The same number of queries for 5 history rows as for 100 (50 on the page): each
    row's invoice link needs its commitment, loaded in the same query."""
    add_history(world, rows)
    client.force_login(world.users["project_admin"])
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(HISTORY_TAB_QUERIES[kind]):
        response = client.get(tab_url(world, "commitments:history"), **headers)

    assert len(response.context["history_page"].object_list) == min(rows, HISTORY_PER_PAGE)


@ROW_COUNTS
def test_bulk_retrieve_query_count_does_not_grow_with_rows(
    client, world, django_assert_num_queries, rows, htmx
):
    """Retrieving 5 or 100 checked invoices costs the same number of queries."""
    add_invoices(world, rows)
    ids = list(world.commitment.invoices.values_list("pk", flat=True))
    client.force_login(world.users["project_admin"])

    with django_assert_num_queries(BULK_RETRIEVE_QUERIES):
        client.post(retrieve_url(world), {"invoice_ids": ids}, **htmx)


# Includes the re-rendered tab's question whether Direct Export is on.
BULK_RETRIEVE_QUERIES = 18
