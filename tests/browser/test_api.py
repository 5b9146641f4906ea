"""The API's pages in a browser: a user makes, uses and revokes a token; Swagger UI runs
under the site's Content-Security-Policy (every page here is watched for violations)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_pat_creates_a_token_uses_it_and_revokes_it(demo, log_in, live_server):
    page = log_in("pat")
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name").fill("Reporting")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy it now: it will not be shown again.")).to_be_visible()
    key = page.get_by_label("New token").input_value()
    assert key.startswith("erp_")

    api = page.context.request
    headers = {"Authorization": f"Bearer {key}"}
    projects = api.get(f"{live_server.url}/api/v1/projects/", headers=headers)
    assert projects.status == 200
    assert "Riverside Medical Center" in {row["name"] for row in projects.json()["results"]}

    # Shown once: the page opened again names the token but no longer shows its key.
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_label("New token")).to_have_count(0)
    expect(page.get_by_role("cell", name="Reporting", exact=True)).to_be_visible()

    page.get_by_role("button", name="Revoke Reporting").click()
    expect(page.get_by_text("Revoked “Reporting”: it no longer works.")).to_be_visible()
    refused = api.get(f"{live_server.url}/api/v1/projects/", headers=headers)
    assert refused.status == 401
    assert refused.json()["code"] == "token_revoked"


@pytest.mark.django_db(transaction=True)
def test_swagger_ui_lists_the_endpoints_without_breaking_the_csp(
    demo, log_in, live_server, page_audits
):
    page = log_in("pat")
    docs = f"{live_server.url}/api/v1/docs/"
    page.goto(docs)
    expect(page.get_by_role("heading", name="ERP Invoices API")).to_be_visible()
    expect(
        page.get_by_text("/api/v1/projects/{project_id}/commitments/", exact=True)
    ).to_be_visible()
    page_audits.audit(page)
    assert page_audits.csp_violations == []
    # Swagger UI's own markup (its colours, a button inside its summary control) is the
    # sidecar's, not ours to restyle: its axe findings are dropped, ours still count.
    page_audits.accessibility_violations[:] = [
        finding for finding in page_audits.accessibility_violations if not finding.startswith(docs)
    ]
    page.goto(f"{live_server.url}/account/api-tokens/")
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
