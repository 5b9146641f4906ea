"""A person logs in through the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from erp_integrations.models import ExportItem, ExportState


@pytest.mark.django_db(transaction=True)
def test_pat_logs_in_and_sees_the_projects(demo, log_in):
    """pat logs in with the demo password and lands on the project list."""
    page = log_in("pat")
    expect(page.get_by_role("link", name="Riverside Medical Center").first).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_alex_logs_in_and_lands_on_erp_integrations(demo, log_in):
    """alex approves for Summit Builders and sees no project: he lands on its ERP
    Integrations page, and the navigation counts what waits in Ready to Export."""
    waiting = ExportItem.objects.filter(state=ExportState.READY_TO_EXPORT).count()
    assert waiting > 0
    page = log_in("alex")

    expect(page.get_by_role("heading", name="ERP Integrations", exact=True)).to_be_visible()
    expect(page.get_by_text("You have no projects yet")).to_have_count(0)
    nav = page.get_by_role("navigation", name="Main")
    expect(
        nav.get_by_role("link", name=f"ERP Integrations {waiting} ready to export")
    ).to_be_visible()

    # Accepting one in place takes it off the count, without a reload.
    page.get_by_role("button", name="Accept INV-3 of SC-001 (RMC-101)").click()
    expect(page.get_by_role("status").get_by_text("INV-3: accepted.")).to_be_visible()
    expect(
        nav.get_by_role("link", name=f"ERP Integrations {waiting - 1} ready to export")
    ).to_be_visible()
