"""Landing where the work is: a user whose only role is accounting approver signs in to
the company's ERP Integrations page, not to an empty project list, and the navigation
counts what waits in Ready to Export."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from erp_integrations import selectors
from erp_integrations.models import ExportState
from projects.models import ToolLevel
from projects.services import (
    company_set_erp_integrations_level,
    company_set_push_to_accounting,
    project_set_commitments_level,
)
from tests.factories import CompanyFactory, UserFactory
from tests.projects.test_views import PROJECT_LIST_QUERIES
from tests.world import build_world

pytestmark = pytest.mark.django_db

# Session, user, the projects (none) and the approver's companies with their counts.
APPROVER_LANDING_QUERIES = 4


@pytest.fixture
def world():
    return build_world()


def queue_url(company) -> str:
    return reverse("erp_integrations:queue", args=[company.pk])


def sign_in(client, user, *, follow=False, **fields):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": "demo", **fields},
        follow=follow,
    )


def nav_of(response) -> str:
    return response.content.decode().split("<main", 1)[0]


def also_on_the_project(world, user):
    project_set_commitments_level(user=user, project=world.project, level=ToolLevel.READ_ONLY)


# --- Where a user lands -------------------------------------------------------------------


def test_an_approver_without_projects_lands_on_erp_integrations_after_signing_in(client, world):
    approver = world.users["approver"]

    response = sign_in(client, approver, follow=True)

    assert response.redirect_chain[-1] == (queue_url(world.company), 302)
    assert response.status_code == 200
    assertContains(response, world.company.name)
    assertNotContains(response, "You have no projects yet")


def test_an_approver_without_projects_opening_the_project_list_goes_to_erp_integrations(
    client, world, headers
):
    client.force_login(world.users["approver"])

    response = client.get(reverse("projects:list"), **headers)

    assertRedirects(response, queue_url(world.company))


def test_an_approver_with_a_project_keeps_the_project_list(client, world):
    approver = world.users["approver"]
    also_on_the_project(world, approver)

    response = sign_in(client, approver)
    assertRedirects(response, reverse("projects:list"))

    response = client.get(reverse("projects:list"))
    assert response.status_code == 200
    assertContains(response, world.project.name)


def test_a_user_without_projects_or_approval_still_sees_the_empty_project_list(client, world):
    """Standard on ERP Integrations without 'Can push to accounting' is not an approver."""
    client.force_login(world.users["erp_standard_without_push"])

    response = client.get(reverse("projects:list"))

    assert response.status_code == 200
    assertContains(response, "You have no projects yet")


@pytest.mark.parametrize("role", ["approver", "approver_with_project"])
def test_signing_in_still_honours_next(client, world, role):
    approver = world.users["approver"]
    if role == "approver_with_project":
        also_on_the_project(world, approver)
    synced_tab = reverse("erp_integrations:tab", args=[world.company.pk, "synced"])

    response = sign_in(client, approver, next=synced_tab)

    assertRedirects(response, synced_tab)


def test_an_approver_of_two_companies_lands_on_the_first_by_name(client, world):
    approver = world.users["approver"]
    first = CompanyFactory(name="Aardvark Builders")
    company_set_erp_integrations_level(user=approver, company=first, level=ToolLevel.ADMIN)
    company_set_push_to_accounting(user=approver, company=first, allowed=True)
    client.force_login(approver)

    response = client.get(reverse("projects:list"))

    assertRedirects(response, queue_url(first))


def test_the_approvers_landing_costs_a_fixed_number_of_queries(
    client, world, django_assert_num_queries
):
    for _ in range(5):
        world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])

    with django_assert_num_queries(APPROVER_LANDING_QUERIES):
        response = client.get(reverse("projects:list"))

    assert response.status_code == 302


# --- The navigation's Ready to Export count -------------------------------------------------


def test_navigation_counts_the_companys_ready_to_export_invoices(client, world):
    for _ in range(3):
        world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    # Other states and other companies' items are not counted.
    world.invoice(erp_state=ExportState.SYNCED)
    world.invoice(erp_state=ExportState.FAILED_TO_EXPORT)
    build_world().invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])

    response = client.get(queue_url(world.company))

    assertContains(
        response,
        f'<a class="nav-link active" href="{queue_url(world.company)}" aria-current="page">'
        f'ERP Integrations <span id="nav-ready-to-export-{world.company.pk}">'
        '<span class="badge rounded-pill text-bg-warning">3'
        '<span class="visually-hidden"> ready to export</span></span></span></a>',
        html=True,
    )


def test_navigation_shows_no_count_when_nothing_is_ready_to_export(client, world):
    world.invoice(erp_state=ExportState.SYNCED)
    client.force_login(world.users["approver"])

    response = client.get(queue_url(world.company))

    assert "ready to export</span>" not in nav_of(response)
    assertContains(
        response,
        f'<a class="nav-link active" href="{queue_url(world.company)}" aria-current="page">'
        f'ERP Integrations <span id="nav-ready-to-export-{world.company.pk}"></span></a>',
        html=True,
    )


def test_navigation_caps_the_count_as_the_tab_does(client, world, monkeypatch):
    monkeypatch.setattr(selectors, "TAB_COUNT_LIMIT", 2)
    for _ in range(4):
        world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])

    response = client.get(queue_url(world.company))

    assert '2+<span class="visually-hidden"> ready to export</span>' in nav_of(response)


def test_navigation_counts_each_company_of_an_approver_of_two(client, world):
    approver = world.users["approver"]
    other = build_world()
    company_set_erp_integrations_level(user=approver, company=other.company, level=ToolLevel.ADMIN)
    company_set_push_to_accounting(user=approver, company=other.company, allowed=True)
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    for _ in range(2):
        other.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(approver)

    response = client.get(queue_url(world.company))

    nav = nav_of(response)
    for company, count in ((world.company, 1), (other.company, 2)):
        # The company's entry in the ERP Integrations menu.
        item = re.search(
            rf'class="dropdown-item[^"]*"\s+href="{queue_url(company)}".*?</a>', nav, re.S
        )
        assert item is not None
        assert f'{count}<span class="visually-hidden"> ready to export</span>' in item.group()


@pytest.mark.parametrize("ready", [1, 30])
@pytest.mark.parametrize("role", ["approver", "standard"])
def test_the_count_adds_no_query_to_the_project_list(
    client, world, django_assert_num_queries, role, ready
):
    """The count is a subquery of the navigation's companies: the project list costs what
    it cost before, for an approver (with a project) and for anyone else, however many
    invoices wait."""
    user = world.users[role]
    if role == "approver":
        also_on_the_project(world, user)
    for _ in range(ready):
        world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(user)

    with django_assert_num_queries(PROJECT_LIST_QUERIES["plain"]):
        response = client.get(reverse("projects:list"))

    assert response.status_code == 200
    assert ("ready to export</span>" in nav_of(response)) == (role == "approver")


def test_a_user_who_approves_nothing_gets_no_count(client, world):
    user = UserFactory()
    project_set_commitments_level(user=user, project=world.project, level=ToolLevel.ADMIN)
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(user)

    response = client.get(reverse("projects:list"))

    assert "ERP Integrations" not in nav_of(response)


def test_the_menu_of_an_approver_of_two_opens_the_first_company_without_javascript(client, world):
    """The ERP Integrations menu's toggle is a link as well, like the Projects menu's:
    without JavaScript it opens the first company's page by name, not "#"."""
    approver = world.users["approver"]
    first = CompanyFactory(name="Aardvark Builders")
    company_set_erp_integrations_level(user=approver, company=first, level=ToolLevel.ADMIN)
    company_set_push_to_accounting(user=approver, company=first, allowed=True)
    client.force_login(approver)

    response = client.get(queue_url(world.company))

    toggle = re.search(
        r'<a class="nav-link dropdown-toggle" href="([^"]*)" id="nav-erp"', nav_of(response)
    )
    assert toggle is not None
    assert toggle.group(1) == queue_url(first)


# --- The count follows the queue's htmx answers ----------------------------------------------

HTMX_QUEUE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-queue"}
HTMX_TABS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "erp-queue-tabs"}


def oob_count(response, company) -> str | None:
    """The text of the out-of-band navigation count in an htmx answer ("" when it is
    empty), or None when the answer has none."""
    opening = f'<span id="nav-ready-to-export-{company.pk}" hx-swap-oob="true">'
    content = response.content.decode()
    if opening not in content:
        return None
    after = content.split(opening, 1)[1]
    # The count's span closes after its badge's two spans, or at once when it is empty.
    inside = "" if after.startswith("</span>") else after.split("</span></span></span>", 1)[0]
    return re.sub(r"<[^>]+>", "", inside).strip()


def test_accepting_in_place_updates_the_navigation_count(client, world, dummy_tasks):
    items = [world.invoice(erp_state=ExportState.READY_TO_EXPORT) for _ in range(3)]
    client.force_login(world.users["approver"])
    item = items[0].export_items.get()

    response = client.post(
        reverse("erp_integrations:accept", args=[world.company.pk]),
        {"item_ids": [item.pk], "tab": "ready-to-export"},
        **HTMX_QUEUE,
    )

    assert response.status_code == 200
    assert oob_count(response, world.company) == "2 ready to export"


def test_the_tab_counts_poll_updates_the_navigation_count_to_none(client, world):
    world.invoice(erp_state=ExportState.SYNCED)
    client.force_login(world.users["approver"])

    response = client.get(queue_url(world.company), **HTMX_TABS)

    assert oob_count(response, world.company) == ""


@pytest.mark.parametrize("role", ["erp_standard_without_push", "superuser"])
def test_the_out_of_band_count_goes_where_the_navigation_shows_one(client, world, role):
    """A member of the tool who is no approver has no count in the navigation: none is
    sent. (The superuser's navigation lists every company.)"""
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users[role])

    response = client.get(queue_url(world.company), **HTMX_QUEUE)

    assert response.status_code == 200
    expected = "1 ready to export" if role == "superuser" else None
    assert oob_count(response, world.company) == expected


def test_a_filtered_answer_leaves_the_navigation_count_alone(client, world):
    """Filtered tab counts are not the queue's: the navigation keeps the whole count. A
    sort changes no count, so it still updates it."""
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])

    filtered = client.get(queue_url(world.company), {"q": "NO-SUCH-NUMBER"}, **HTMX_QUEUE)
    sorted_only = client.get(queue_url(world.company), {"sort": "-sent"}, **HTMX_QUEUE)

    assert oob_count(filtered, world.company) is None
    assert oob_count(sorted_only, world.company) == "1 ready to export"


def test_the_whole_queue_page_has_the_count_once(client, world):
    world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["approver"])

    response = client.get(queue_url(world.company))

    assert response.content.decode().count(f'id="nav-ready-to-export-{world.company.pk}"') == 1
    assert "hx-swap-oob" not in nav_of(response)
