"""A person logs in through the browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


@pytest.mark.django_db(transaction=True)
def test_pat_logs_in_and_sees_the_projects(demo, log_in):
    """pat logs in with the demo password and lands on the project list."""
    page = log_in("pat")
    expect(page.get_by_role("link", name="Riverside Medical Center").first).to_be_visible()
