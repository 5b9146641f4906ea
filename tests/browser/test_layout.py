"""The main pages on a tablet: nothing overflows the page sideways (wide tables scroll
inside their own box) and the actions stay on screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

TABLET = {"width": 820, "height": 1180}


def page_overflows_sideways(page) -> bool:
    """Asked of the loaded page: evaluated while a click's navigation is still replacing
    the document, `document.documentElement` can be null."""
    page.wait_for_load_state()
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_pats_pages_fit_a_tablet(demo, log_in, page):
    page.set_viewport_size(TABLET)
    page = log_in("pat")
    page.get_by_role("link", name="Riverside Medical Center").first.click()
    page.get_by_role("link", name="Commitments", exact=True).click()
    expect(page).to_have_url(re.compile(r"/commitments/$"))
    assert not page_overflows_sideways(page)

    page.get_by_role("link", name="View SC-001").click()
    page.get_by_role("tab", name="Invoices").click()
    expect(page.get_by_role("button", name="Retrieve from ERP")).to_be_in_viewport()
    assert not page_overflows_sideways(page)

    page.get_by_role("link", name="View INV-3").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+/$"))
    expect(page.get_by_role("button", name="Retrieve from ERP")).to_be_in_viewport()
    assert not page_overflows_sideways(page)


def test_pats_invoicing_tool_fits_a_tablet(demo, log_in, page):
    page.set_viewport_size(TABLET)
    page = log_in("pat")
    page.get_by_role("link", name="Riverside Medical Center").first.click()
    page.get_by_role("navigation", name="Project tools").get_by_role(
        "link", name="Invoicing"
    ).click()
    expect(page).to_have_url(re.compile(r"/invoicing/$"))
    expect(page.get_by_role("button", name="Retrieve from ERP")).to_be_in_viewport()
    assert not page_overflows_sideways(page)


def test_alexs_erp_integrations_page_fits_a_tablet(demo, log_in, page):
    page.set_viewport_size(TABLET)
    page = log_in("alex")
    page.get_by_role("link", name="ERP Integrations").click()
    expect(page.get_by_role("button", name="Accept checked")).to_be_in_viewport()
    assert not page_overflows_sideways(page)
