"""The checks every browser test runs on its pages (tests/browser/audits.py) catch what
they are for: each test here provokes one finding on purpose, sees it reported, and
clears it so that the test itself passes."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def reported_csp_violations(page, page_audits, expected: str) -> str:
    """The violations reported once `expected` is among them (or after 5 s): the page's
    events and console messages reach the test asynchronously."""
    deadline = time.monotonic() + 5
    while expected not in "\n".join(page_audits.csp_violations) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return "\n".join(page_audits.csp_violations)


def test_htmx_adds_no_inline_style_to_a_page(demo, log_in, page_audits):
    """htmx, told not to, injects no <style> for its indicator: nothing to refuse."""
    page = log_in("pat")

    expect(page.get_by_role("heading", name="Projects")).to_be_visible()
    expect(page.locator("style")).to_have_count(0)
    assert page_audits.csp_violations == []


def test_the_policy_refuses_an_inline_script_and_the_refusal_is_reported(demo, log_in, page_audits):
    page = log_in("pat")

    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "document.title = 'injected'";
            document.body.append(script);
        }"""
    )
    reported = reported_csp_violations(page, page_audits, "script-src-elem blocked 'inline'")

    assert "script-src-elem blocked 'inline'" in reported
    assert page.title() != "injected"
    page_audits.clear()


def test_the_policy_refuses_a_style_attribute_and_the_refusal_is_reported(
    demo, log_in, page_audits
):
    page = log_in("pat")

    page.evaluate(
        """() => document.body.insertAdjacentHTML(
            "beforeend", '<p id="styled" style="color: rgb(255, 0, 0)">Red?</p>'
        )"""
    )
    reported = reported_csp_violations(page, page_audits, "style-src-attr blocked 'inline'")

    assert "style-src-attr blocked 'inline'" in reported
    expect(page.locator("#styled")).not_to_have_css("color", "rgb(255, 0, 0)")
    page_audits.clear()


def test_a_serious_accessibility_violation_is_reported(demo, log_in, page_audits):
    """An image without a text alternative (axe's image-alt, critical) on the page the
    test acts on next."""
    page = log_in("pat")
    page.evaluate(
        """() => document.querySelector("main").insertAdjacentHTML(
            "beforeend", '<img src="/static/img/favicon.svg">'
        )"""
    )

    expect(page.get_by_role("heading", name="Projects")).to_be_visible()

    assert "image-alt (critical)" in "\n".join(page_audits.accessibility_violations)
    page_audits.clear()


def test_an_htmx_swap_writes_no_style_attribute(demo, log_in, page_audits):
    """A style set from script (as Playwright's screenshots and Bootstrap do) is not
    written back as a style attribute when htmx swaps the element's region."""
    page = log_in("alex")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="ERP Integrations").click()
    reason = page.get_by_label("Reason for rejecting the checked invoices")
    reason.evaluate("(textarea) => { textarea.style.caretColor = 'transparent'; }")

    page.get_by_role("button", name="Accept INV-3 of SC-001 (RMC-101)").click()

    expect(page.get_by_role("status").get_by_text("INV-3: accepted.")).to_be_visible()
    assert "style-src-attr" not in reported_csp_violations(page, page_audits, "style-src-attr")
