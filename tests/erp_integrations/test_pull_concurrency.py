"""ERP agents pulling at the same moment, on PostgreSQL: each accepted invoice is exported
exactly once, a dead agent's items are finished by another once its lease runs out, and
an agent's repeated or contradictory reports change nothing twice.

Each agent runs in its own thread with its own API token and database connection; a
barrier releases them together."""

from __future__ import annotations

import time
from collections import Counter
from functools import partial

import pytest
from django.db import connection

from erp_integrations.models import ExportItem, ExportState
from invoices.models import ChangeHistoryEntry, InvoiceErpStatus
from tests.erp_integrations.agents import Agent, accepted_invoices, agent_world, new_agent
from tests.erp_integrations.test_concurrency import race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres_only,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]

ROUNDS = 20
# Agents draining hundreds of exports take longer than a two-actor race.
together = partial(race, timeout=600)


@pytest.fixture
def world(dummy_tasks):
    return agent_world()


def drain(agent: Agent, limit: int = 10):
    """Claim and report synced until a claim comes back empty; the ids it synced."""

    def work() -> list[int]:
        synced = []
        while items := agent.claim(limit).json()["items"]:
            for item in items:
                response = agent.synced(item["id"], f"AP-{item['id']}")
                assert response.status_code == 200, response.content
                synced.append(item["id"])
        return synced

    return work


def synced_history_rows(item_ids) -> Counter:
    items = dict(ExportItem.objects.filter(pk__in=item_ids).values_list("invoice_id", "pk"))
    rows = ChangeHistoryEntry.objects.filter(
        invoice_id__in=items, to_value=InvoiceErpStatus.SYNCED.label
    ).values_list("invoice_id", flat=True)
    return Counter(items[invoice_id] for invoice_id in rows)


def test_three_agents_export_three_hundred_invoices_each_exactly_once(world):
    items = accepted_invoices(world, 300)
    agents = [new_agent(world, f"agent-{number}") for number in range(3)]
    results = together(*(drain(agent) for agent in agents))
    for result in results:
        assert not isinstance(result, Exception), result
    exported = [item_id for result in results for item_id in result]
    assert sorted(exported) == sorted(item.pk for item in items)  # each once, none left
    assert all(results), "every agent got a share"
    states = Counter(ExportItem.objects.filter(pk__in=exported).values_list("state", "attempts"))
    assert states == {(ExportState.SYNCED, 1): 300}
    assert set(synced_history_rows(exported).values()) == {1}


def test_a_dead_agents_items_are_finished_by_another_once_its_lease_runs_out(world, settings):
    settings.ERP_AGENT_LEASE_SECONDS = 1.5
    items = accepted_invoices(world, 20)
    dead, alive = new_agent(world, "dead"), new_agent(world, "alive")
    held = [item["id"] for item in dead.claim(20).json()["items"]]
    assert len(held) == 20
    # While the lease lasts nobody else gets them.
    assert alive.claim(20).json() == {"items": []}
    time.sleep(1.6)
    (finished,) = together(drain(alive))
    assert sorted(finished) == sorted(item.pk for item in items)
    # The dead agent comes back and reports: too late, the items are another's.
    response = dead.synced(held[0], "AP-late")
    assert response.json()["code"] == "lease_lost"
    assert Counter(ExportItem.objects.filter(pk__in=held).values_list("state", "attempts")) == {
        (ExportState.SYNCED, 2): 20
    }
    assert set(synced_history_rows(held).values()) == {1}


def test_claims_racing_an_expiry_never_give_one_item_to_two_agents(world, settings):
    """Agents claiming together the items of a lease that just ran out: each item goes
    to one of them."""
    settings.ERP_AGENT_LEASE_SECONDS = 0.5
    for _ in range(ROUNDS):
        items = accepted_invoices(world, 5)
        new_agent(world, "dead").claim(5)
        time.sleep(0.6)
        first, second = new_agent(world, "first"), new_agent(world, "second")
        answers = [
            answer.json() for answer in together(partial(first.claim, 5), partial(second.claim, 5))
        ]
        taken = [entry["id"] for answer in answers for entry in answer["items"]]
        assert sorted(taken) == sorted(item.pk for item in items)
        for agent, answer in zip((first, second), answers, strict=True):
            for entry in answer["items"]:
                assert agent.synced(entry["id"], "AP-1").status_code == 200


def test_a_synced_report_sent_again_while_the_first_is_in_flight_counts_once(world):
    """The agent lost the answer to `synced` and sent it again: both calls answer the
    same, and the invoice is synced once, with one history row."""
    agent = new_agent(world, "retrying")
    for _ in range(ROUNDS):
        (item,) = accepted_invoices(world, 1)
        agent.claim()
        answers = together(
            partial(agent.synced, item.pk, "AP-1"), partial(agent.synced, item.pk, "AP-1")
        )
        assert [answer.status_code for answer in answers] == [200, 200]
        assert answers[0].json() == answers[1].json()
        assert answers[0].json()["state"] == ExportState.SYNCED
        assert synced_history_rows([item.pk]) == {item.pk: 1}


def test_failed_and_synced_for_one_item_at_once_one_wins(world):
    """An agent reports the same item failed and synced at the same moment: exactly one
    report is recorded, the other is refused with its code, and the item and its invoice
    agree."""
    agent = new_agent(world, "confused")
    winners = Counter()
    for _ in range(ROUNDS):
        (item,) = accepted_invoices(world, 1)
        agent.claim()
        failed, synced = together(
            partial(agent.failed, item.pk, "timeout", transient=True),
            partial(agent.synced, item.pk, "AP-1"),
        )
        item.refresh_from_db()
        item.invoice.refresh_from_db()
        assert item.invoice.erp_status == item.state
        if synced.status_code == 200:
            winners["synced"] += 1
            assert (failed.status_code, failed.json()["code"]) == (409, "already_synced")
            assert item.state == ExportState.SYNCED
        else:
            winners["failed"] += 1
            assert failed.status_code == 200
            assert (synced.status_code, synced.json()["code"]) == (409, "not_claimed")
            assert item.state == ExportState.EXPORTING and item.next_retry_at is not None
    assert sum(winners.values()) == ROUNDS
