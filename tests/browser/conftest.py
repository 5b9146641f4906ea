"""Browser tests: pytest-playwright driving Debian's Chromium against `live_server`.

Playwright's sync API runs an event loop in the test's thread; the test's own ORM calls
(setting up data, checking the database afterwards) are synchronous and safe there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.audits import PageAudits
from tests.conftest import CHROMIUM

# expect() polls until the page shows what it asserts and returns at once when it does;
# a busy machine (xdist workers, other jobs) can take longer than the default 5 seconds.
expect.set_options(timeout=30_000)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # The flags keep Chromium off the network it cannot reach here (no background
    # services, no component updates), and run it headless as root.
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def page_audits():
    """The CSP violations and serious accessibility violations of the test's pages; a
    test that provokes one on purpose inspects them here and clears them."""
    return PageAudits()


@pytest.fixture
def new_context(new_context, page_audits):
    """Every browser context a test opens (through `context`, `page` or `new_context`) is
    watched for CSP violations and audited by axe-core; the test fails on any finding."""
    contexts = []

    def new_watched_context(**kwargs):
        context = new_context(**kwargs)
        # Without JavaScript no script can run, neither ours nor axe (nor the page's).
        if kwargs.get("java_script_enabled", True):
            page_audits.attach(context)
            contexts.append(context)
        return context

    yield new_watched_context
    for context in contexts:
        page_audits.audit_open_pages(context)
    if failures := page_audits.failures():
        pytest.fail(failures, pytrace=False)


@pytest.fixture
def log_in(page, live_server):
    """Log in through the login page as a user whose password is `demo`."""

    def log_in_as(username: str, password: str = "demo"):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()
        return page

    return log_in_as


@pytest.fixture
def demo(transactional_db, settings):
    """The demo data of DESIGN.md, committed so the live server sees it."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    call_command("seed_demo", verbosity=0)


def save_screenshot(page, name: str) -> None:
    """Keep a screenshot of a main page for the README (docs/screenshots/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
