"""The base template, login and logout, and the pages built on them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from erp_integrations.models import ExportState
from projects.models import ToolLevel
from projects.services import (
    company_set_erp_integrations_level,
    company_set_push_to_accounting,
    project_set_commitments_level,
)
from projects.terms import PointOfView
from tests.factories import CompanyFactory, ProjectFactory, UserFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[1]


def member_of(project, level=ToolLevel.READ_ONLY, **user_fields):
    user = UserFactory(**user_fields)
    project_set_commitments_level(user=user, project=project, level=level)
    return user


def approver_of(company):
    user = UserFactory()
    company_set_erp_integrations_level(user=user, company=company, level=ToolLevel.STANDARD)
    company_set_push_to_accounting(user=user, company=company, allowed=True)
    return user


def asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]*)"', html)


def test_login_page_has_labelled_username_and_password_fields(client):
    """The login page labels both fields, so a screen reader names them."""
    response = client.get(reverse("login"))

    assertContains(
        response, '<label class="form-label" for="id_username">Username</label>', html=True
    )
    assertContains(
        response, '<label class="form-label" for="id_password">Password</label>', html=True
    )
    assertContains(response, 'id="id_username"')
    assertContains(response, 'id="id_password"')


def test_user_logs_in_and_lands_on_the_project_list(client):
    """Right credentials log the user in and take them to the project list."""
    user = UserFactory(username="pat")

    response = client.post(reverse("login"), {"username": "pat", "password": "demo"})

    assertRedirects(response, reverse("projects:list"))
    assert client.session["_auth_user_id"] == str(user.pk)


def test_login_with_a_wrong_password_shows_the_error(client):
    """A wrong password re-shows the form with Django's error, as an alert."""
    UserFactory(username="pat")

    response = client.post(reverse("login"), {"username": "pat", "password": "wrong"})

    assert response.status_code == 200
    assertContains(response, 'role="alert"')
    assertContains(response, "Please enter a correct username and password.")
    assert "_auth_user_id" not in client.session


def test_login_with_an_empty_password_marks_the_field_invalid(client):
    """A missing password is reported on the field and tied to it for screen readers."""
    UserFactory(username="pat")

    response = client.post(reverse("login"), {"username": "pat", "password": ""})

    assertContains(response, 'aria-describedby="id_password-errors"')
    assertContains(response, "This field is required.")


def test_logout_logs_the_user_out_and_returns_to_login(client):
    """The navigation's Log out button (a POST) ends the session and shows the login page."""
    client.force_login(UserFactory())

    response = client.post(reverse("logout"))

    assertRedirects(response, reverse("login"))
    assert "_auth_user_id" not in client.session


def test_navigation_logs_out_with_a_post_form(client):
    """Logout is POST-only in Django, so the navigation offers it as a form with a token."""
    client.force_login(UserFactory())

    response = client.get(reverse("projects:list"))

    form = re.search(
        r'<form method="post" action="{}"[^>]*>(.*?)</form>'.format(reverse("logout")),
        response.content.decode(),
        re.S,
    )
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(1)
    assert "Log out" in form.group(1)


@pytest.mark.parametrize("page", ["projects:list", "projects:detail"])
def test_anonymous_user_is_redirected_to_login(client, headers, page):
    """Without a session every page sends the visitor to the login page, then back; an
    htmx request through HX-Redirect, so the login page is not swapped into the page."""
    project = ProjectFactory()
    url = reverse(page, args=[project.pk] if page == "projects:detail" else [])

    response = client.get(url, **headers)

    if headers:
        assert response.status_code == 204
        assert response["HX-Redirect"] == f"{reverse('login')}?next={url}"
    else:
        assertRedirects(response, f"{reverse('login')}?next={url}")


def test_project_list_shows_only_the_projects_the_user_can_see(client, headers):
    """Projects where the user has no Commitments level are not listed."""
    visible = ProjectFactory(name="Riverside Medical Center", number="RMC-101")
    ProjectFactory(name="Harbor Tower", number="HT-200")
    client.force_login(member_of(visible))

    response = client.get(reverse("projects:list"), **headers)

    assertContains(response, "Riverside Medical Center")
    assertContains(response, "RMC-101")
    assertContains(response, visible.company.name)
    assertNotContains(response, "Harbor Tower")


def test_project_list_links_each_project_to_its_page(client):
    """Each listed project's name opens that project's tool menu."""
    project = ProjectFactory(name="Riverside Medical Center")
    client.force_login(member_of(project))

    response = client.get(reverse("projects:list"))

    assertContains(
        response,
        f'<a href="{project.get_absolute_url()}" class="fw-semibold">Riverside Medical Center</a>',
        html=True,
    )


def test_project_list_without_projects_explains_why(client):
    """A user with no project sees an empty state, not an empty table."""
    client.force_login(UserFactory())

    response = client.get(reverse("projects:list"))

    assertContains(response, "You have no projects yet")
    assertNotContains(response, "<table")


def test_navigation_lists_the_users_projects(client):
    """The Projects menu links to the user's projects."""
    project = ProjectFactory(name="Riverside Medical Center", number="RMC-101")
    client.force_login(member_of(project))

    response = client.get(reverse("projects:list"))

    nav = response.content.decode().split("<main", 1)[0]
    assert f'href="{project.get_absolute_url()}"' in nav
    assert "Riverside Medical Center" in nav


def test_navigation_shows_erp_integrations_to_an_accounting_approver(client, headers):
    """An accounting approver gets a link to the company's ERP Integrations page."""
    company = CompanyFactory()
    user = approver_of(company)
    # A project too, so the project list shows (an approver without one lands on the queue).
    project_set_commitments_level(
        user=user, project=ProjectFactory(company=company), level=ToolLevel.READ_ONLY
    )
    client.force_login(user)

    response = client.get(reverse("projects:list"), **headers)

    queue_url = reverse("erp_integrations:queue", args=[company.pk])
    assertContains(
        response,
        f'<a class="nav-link" href="{queue_url}">ERP Integrations'
        # Where the count of invoices Ready to Export shows (none here).
        f'<span id="nav-ready-to-export-{company.pk}"></span></a>',
        html=True,
    )


def test_navigation_hides_erp_integrations_without_push_to_accounting(client, headers):
    """Standard on ERP Integrations without 'Can push to accounting' is not an approver."""
    company = CompanyFactory()
    user = UserFactory()
    company_set_erp_integrations_level(user=user, company=company, level=ToolLevel.STANDARD)
    client.force_login(user)

    response = client.get(reverse("projects:list"), **headers)

    assertNotContains(response, reverse("erp_integrations:queue", args=[company.pk]))
    assertNotContains(response, "ERP Integrations")


def test_navigation_hides_erp_integrations_from_a_project_member(client):
    """A project member who is not an approver sees no ERP Integrations link."""
    project = ProjectFactory()
    client.force_login(member_of(project, ToolLevel.ADMIN))

    response = client.get(reverse("projects:list"))

    assertNotContains(response, "ERP Integrations")


def test_navigation_lists_each_company_an_approver_works_for(client):
    """An approver of two companies picks the company's ERP Integrations page by name."""
    first, second = CompanyFactory(name="Summit Builders"), CompanyFactory(name="Granite Works")
    user = approver_of(first)
    company_set_erp_integrations_level(user=user, company=second, level=ToolLevel.ADMIN)
    company_set_push_to_accounting(user=user, company=second, allowed=True)
    project_set_commitments_level(
        user=user, project=ProjectFactory(company=first), level=ToolLevel.READ_ONLY
    )
    client.force_login(user)

    response = client.get(reverse("projects:list"))

    for company in (first, second):
        queue_url = reverse("erp_integrations:queue", args=[company.pk])
        assertContains(
            response,
            f'<a class="dropdown-item" href="{queue_url}">{company.name}'
            f'<span id="nav-ready-to-export-{company.pk}"></span></a>',
            html=True,
        )


@pytest.mark.parametrize("logged_in", [False, True], ids=["login page", "project list"])
def test_styles_and_scripts_come_from_our_own_static_files(client, logged_in):
    """Bootstrap, our stylesheet and htmx load from /static/; no URL points off the site."""
    if logged_in:
        client.force_login(UserFactory())
    response = client.get(reverse("projects:list") if logged_in else reverse("login"))

    urls = asset_urls(response.content.decode())
    assert not [url for url in urls if re.match(r"^(https?:)?//", url)]
    for expected in (
        "/static/bootstrap/css/bootstrap.min.css",
        "/static/bootstrap/js/bootstrap.bundle.min.js",
        "/static/css/app.css",
        "/static/js/app.js",
        "/static/django_htmx/htmx-2.min.js",
    ):
        assert expected in urls


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def test_pages_send_a_content_security_policy_without_inline_code(client, headers):
    """Every response carries the policy: scripts and styles from our own files only."""
    client.force_login(UserFactory())

    response = client.get(reverse("projects:list"), **headers)

    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_login_page_sends_the_content_security_policy(client):
    response = client.get(reverse("login"))

    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_templates_hold_no_inline_script_style_or_event_handler():
    """The policy refuses inline code, so no template may rely on it: no <script> without
    src, no <style>, no style="..." and no on...="..." or hx-on (eval) attributes."""
    inline_code = re.compile(
        r"<script(?![^>]*\ssrc=)[^>]*>|<style[\s>]|<[^>]*\s(style|on[a-z]+|hx-on[^\s=]*)\s*=",
        re.IGNORECASE,
    )
    offenders = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        # Template tags ({% include ... style="btn-success" %}) are not HTML attributes.
        html = re.sub(r"{%.*?%}|{#.*?#}", "", template.read_text(), flags=re.DOTALL)
        offenders += [f"{template.name}: {match.group(0)}" for match in inline_code.finditer(html)]

    assert offenders == []


def test_htmx_is_told_to_write_no_inline_style(client):
    """htmx adds an inline <style> for its indicator, and copies style attributes across
    a swap, unless configured not to; the indicator rules are in app.css instead."""
    response = client.get(reverse("login"))

    config = re.search(
        r"<meta name=\"htmx-config\" content='([^']*)'>", response.content.decode()
    ).group(1)
    assert json.loads(config) == {
        "includeIndicatorStyles": False,
        "attributesToSettle": ["class", "width", "height"],
    }
    assert ".htmx-indicator {" in Path(finders.find("css/app.css")).read_text()


def test_every_static_file_the_base_template_names_exists():
    """Each /static/ URL of the base template is found by the static files finders."""
    html = render_to_string("base.html")

    static_paths = [
        url.removeprefix("/static/") for url in asset_urls(html) if url.startswith("/static/")
    ]
    assert len(static_paths) >= 5
    for path in static_paths:
        assert finders.find(path), path


def test_body_sends_the_csrf_token_with_every_htmx_request(client):
    """<body> carries the CSRF token in hx-headers, so htmx POSTs pass CSRF checks."""
    client.force_login(UserFactory())

    response = client.get(reverse("projects:list"))

    match = re.search(
        r"<body hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'>", response.content.decode()
    )
    assert match is not None
    assert len(match.group(1)) == 64


def test_page_declares_its_language_and_a_skip_link(client):
    """The page has a lang attribute and a skip link to the main content."""
    response = client.get(reverse("login"))

    assertContains(response, '<html lang="en">')
    assertContains(response, 'href="#main"')
    assertContains(response, '<main id="main"')


def test_messages_show_as_alerts():
    """A message from django.contrib.messages shows as a Bootstrap alert with role=alert."""
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)
    messages.error(request, "INV-4: already accepted by the accounting approver")
    messages.success(request, "INV-5 retrieved from ERP Integrations")

    html = render_to_string("base.html#messages", request=request)

    assert re.search(
        r'class="alert alert-danger[^"]*"\s+role="alert">\s*'
        r"INV-4: already accepted by the accounting approver",
        html,
    )
    assert re.search(r'class="alert alert-success[^"]*"\s+role="alert">\s*INV-5 retrieved', html)
    assert "hx-swap-oob" not in html


def test_messages_partial_can_swap_out_of_band():
    """An htmx response can append the messages partial to update them out of band."""
    html = render_to_string("base.html#messages", {"messages_oob": True})

    assert '<div id="messages" class="messages" hx-swap-oob="true">' in html


def test_specialty_contractor_project_page_says_progress_billings(client, headers):
    """The tool menu speaks the company's point of view: Invoicing is Progress Billings."""
    company = CompanyFactory(point_of_view=PointOfView.SPECIALTY_CONTRACTOR)
    project = ProjectFactory(company=company)
    client.force_login(member_of(project))

    response = client.get(project.get_absolute_url(), **headers)

    assertContains(response, "Progress Billings")
    assertNotContains(response, "Invoicing")
    assertContains(response, "Commitments")


def test_general_contractor_project_page_says_invoicing(client, headers):
    """A General Contractor's tool menu keeps the word Invoicing."""
    project = ProjectFactory()
    client.force_login(member_of(project))

    response = client.get(project.get_absolute_url(), **headers)

    assertContains(response, "Invoicing")
    assertNotContains(response, "Progress Billings")


def test_owner_project_page_says_contracts(client):
    """An Owner says Contract where a General Contractor says Subcontract."""
    project = ProjectFactory(company=CompanyFactory(point_of_view=PointOfView.OWNER))
    client.force_login(member_of(project))

    response = client.get(project.get_absolute_url())

    assertContains(response, "Contracts and Purchase Orders")
    assertNotContains(response, "Subcontract")


def test_commitment_page_links_each_invoice(client, headers):
    """The commitment's Invoices tab lists its invoices with their ERP status and a View link."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.get(
        reverse("commitments:invoices", args=[world.project.pk, world.commitment.pk]), **headers
    )

    assertContains(response, world.commitment.number)
    assertContains(response, f'href="{invoice.get_absolute_url()}"')
    assertContains(
        response,
        '<span class="badge erp-status erp-status--ready_to_export">Ready to Export</span>',
        html=True,
    )


def test_invoice_page_shows_lines_with_derived_amounts(client, headers):
    """Each line shows its derived amounts: $1,000 of $10,000 at 10% retainage."""
    world = build_world()
    invoice = world.invoice(lines=1)
    client.force_login(world.users["project_admin"])

    response = client.get(invoice.get_absolute_url(), **headers)

    content = response.content.decode()
    lines = content.split('id="invoice-lines"', 1)[1]
    assert "$10,000.00" in lines  # scheduled value
    assert "10.00%" in lines  # complete
    assert "$9,000.00" in lines  # balance to finish
    assert "$100.00" in lines  # retainage held
    assert "$900.00" in lines  # current payment due


def test_locked_invoice_page_says_it_is_locked(client):
    """An invoice waiting in ERP Integrations shows why it cannot be edited."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    client.force_login(world.users["project_admin"])

    response = client.get(invoice.get_absolute_url())

    assertContains(response, "It stays locked until the accounting approver accepts or rejects it")


def test_erp_integrations_page_opens_for_an_approver(client, headers):
    """The approver's ERP Integrations page names the company."""
    world = build_world()
    client.force_login(world.users["approver"])

    response = client.get(reverse("erp_integrations:queue", args=[world.company.pk]), **headers)

    assertContains(response, '<h1 class="h2 mb-1">ERP Integrations</h1>', html=True)
    assertContains(response, world.company.name)
