"""The ERP agents' benchmark data: a company on the Agent connector whose accepted items
an agent can claim and export, put back in the pool between runs."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from benchmarks.agent_throughput import AGENT_USERNAME, ensure_agent_company, reset_pool
from benchmarks.report import agent_table
from erp_integrations.models import ExportItem, ExportState
from tests.erp_integrations.agents import Agent, client_for

pytestmark = pytest.mark.django_db


def test_the_agent_company_items_are_claimed_with_their_documents_and_reset():
    company = ensure_agent_company(12)
    assert ensure_agent_company(12) == company  # topped up only when short
    assert ExportItem.objects.filter(company=company).count() == 12
    user = get_user_model().objects.get(username=AGENT_USERNAME)
    agent = Agent(client=client_for(user), company_id=company.pk)
    claimed = agent.claim(20).json()["items"]
    assert len(claimed) == 12
    assert all(len(entry["document"]["lines"]) == 2 for entry in claimed)
    assert agent.synced(claimed[0]["id"], "AP-1").status_code == 200

    assert reset_pool(company) == 12
    assert set(ExportItem.objects.filter(company=company).values_list("state", "attempts")) == {
        (ExportState.EXPORTING, 0)
    }
    assert len(agent.claim(20).json()["items"]) == 12


def test_the_report_shows_each_run_or_its_error():
    lines = agent_table(
        {
            "claim_limit": 50,
            "runs": [
                {
                    "agents": 1,
                    "items": 750,
                    "seconds": 5.0,
                    "exports_per_second": 150.0,
                    "error": None,
                },
                {
                    "agents": 2,
                    "items": 750,
                    "seconds": 9.0,
                    "exports_per_second": None,
                    "error": "3 item(s) not synced",
                },
            ],
        }
    )
    assert lines[1].split() == ["1", "750", "5.00", "150.0"]
    assert lines[2].endswith("3 item(s) not synced")
