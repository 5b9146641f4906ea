"""An expired session sends the user to log in and back to the page they were on, for
htmx requests and for POSTs as well as for plain page loads."""

from __future__ import annotations

import pytest
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from pytest_django.asserts import assertRedirects

from erp_integrations.models import ExportState
from tests.world import build_world

pytestmark = pytest.mark.django_db

SITE = "http://testserver"


@pytest.fixture
def world():
    return build_world()


def login_url(next_path: str) -> str:
    return redirect_to_login(next_path)["Location"]


def commitment_url(world):
    return reverse("commitments:detail", args=[world.project.pk, world.commitment.pk])


def history_tab_url(world):
    return reverse("commitments:history", args=[world.project.pk, world.commitment.pk])


def retrieve_url(world):
    return reverse("commitments:invoices_retrieve", args=[world.project.pk, world.commitment.pk])


def htmx_from(page_path: str, **headers) -> dict:
    """The headers htmx sends from the page at `page_path`."""
    return {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": f"{SITE}{page_path}", **headers}


def test_a_plain_page_load_goes_to_log_in_and_back_to_that_page(client, world):
    response = client.get(commitment_url(world))

    assertRedirects(response, login_url(commitment_url(world)), fetch_redirect_response=False)


def test_an_htmx_tab_click_sends_the_browser_to_log_in_and_back_to_the_page(client, world):
    """Not the login page swapped into the tab panel: 204 and HX-Redirect, with `next`
    the page the user is on (not the tab region's URL)."""
    response = client.get(history_tab_url(world), **htmx_from(commitment_url(world)))

    assert response.status_code == 204
    assert response.content == b""
    assert response["HX-Redirect"] == login_url(commitment_url(world))
    assert "Location" not in response


def test_the_exporting_poll_sends_the_browser_to_log_in_and_back_to_the_tab(client, world):
    tab = reverse("erp_integrations:tab", args=[world.company.pk, "exporting"])

    response = client.get(
        f"{tab}?page=2", **htmx_from(f"{tab}?page=2", HTTP_HX_TARGET="erp-queue-tabs")
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == login_url(f"{tab}?page=2")


def test_an_htmx_action_sends_the_browser_to_log_in_and_back_to_the_page(client, world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    invoices_tab = reverse("commitments:invoices", args=[world.project.pk, world.commitment.pk])

    response = client.post(
        retrieve_url(world), {"invoice_ids": [invoice.pk]}, **htmx_from(invoices_tab)
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == login_url(invoices_tab)
    invoice.refresh_from_db()
    assert invoice.erp_status == ExportState.READY_TO_EXPORT


@pytest.mark.parametrize(
    "current_url", ["https://evil.example/projects/", "//evil.example/x", "javascript:alert(1)"]
)
def test_an_htmx_current_url_of_another_site_is_not_used(client, world, current_url):
    """A GET then comes back to its own URL (a whole page without htmx)."""
    response = client.get(
        history_tab_url(world), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=current_url
    )

    assert response["HX-Redirect"] == login_url(history_tab_url(world))


def test_a_history_restore_follows_the_plain_redirect(client, world):
    """htmx's history restore (Back to a pushed URL it has not cached) swaps the whole
    body and ignores HX-Redirect: it gets the login page through the plain redirect."""
    response = client.get(
        history_tab_url(world),
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
        **htmx_from(history_tab_url(world)),
    )

    assertRedirects(response, login_url(history_tab_url(world)), fetch_redirect_response=False)


def test_an_anonymous_post_comes_back_to_the_page_of_its_form(client, world):
    """`next` is not the action's URL (answered by POST only: a 405 after logging in) but
    the page the form was on."""
    invoices_tab = reverse("commitments:invoices", args=[world.project.pk, world.commitment.pk])

    response = client.post(
        retrieve_url(world), {"invoice_ids": [1]}, HTTP_REFERER=f"{SITE}{invoices_tab}?x=1"
    )

    assertRedirects(response, login_url(f"{invoices_tab}?x=1"), fetch_redirect_response=False)


@pytest.mark.parametrize("referer", [None, "https://evil.example/projects/1/", "not a url"])
def test_an_anonymous_post_without_a_referer_of_this_site_comes_back_to_the_projects(
    client, world, referer
):
    headers = {"HTTP_REFERER": referer} if referer else {}

    response = client.post(retrieve_url(world), {"invoice_ids": [1]}, **headers)

    assertRedirects(response, login_url(reverse("projects:list")), fetch_redirect_response=False)


def test_an_htmx_post_without_a_current_url_comes_back_to_the_page_of_its_form(client, world):
    response = client.post(
        retrieve_url(world),
        {"invoice_ids": [1]},
        HTTP_HX_REQUEST="true",
        HTTP_REFERER=f"{SITE}{commitment_url(world)}",
    )

    assert response["HX-Redirect"] == login_url(commitment_url(world))


def test_logging_in_after_an_anonymous_post_opens_the_page_of_the_form(client, world):
    """The whole round trip: the POST, the login page, then the form's page (not a 405)."""
    invoices_tab = reverse("commitments:invoices", args=[world.project.pk, world.commitment.pk])
    response = client.post(
        retrieve_url(world), {"invoice_ids": [1]}, HTTP_REFERER=f"{SITE}{invoices_tab}"
    )
    user = world.users["project_admin"]

    response = client.post(
        response["Location"], {"username": user.get_username(), "password": "demo"}, follow=True
    )

    assert response.redirect_chain[-1][0] == invoices_tab
    assert response.status_code == 200


def test_logging_out_still_goes_to_the_login_page_without_a_next(client, world):
    """A redirect to the login page that is not a login_required one is left alone."""
    client.force_login(world.users["project_admin"])

    response = client.post(reverse("logout"), HTTP_REFERER=f"{SITE}{commitment_url(world)}")

    assertRedirects(response, reverse("login"), fetch_redirect_response=False)


def test_a_logged_in_htmx_request_is_untouched(client, world):
    client.force_login(world.users["project_admin"])

    response = client.get(history_tab_url(world), **htmx_from(commitment_url(world)))

    assert response.status_code == 200
    assert "HX-Redirect" not in response
