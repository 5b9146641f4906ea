"""bin/benchmark's "ERP digest for 5,000 items" row: what it measures, in process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks.run import measure_digest
from erp_integrations.digest import DIGEST_QUERIES
from tests.erp_integrations.digest_data import fill_queue
from tests.factories import UserFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


def test_the_digest_row_names_the_items_and_counts_the_digests_queries():
    world = build_world()
    fill_queue(world.company, sender=world.users["project_admin"], projects=3, waiting=12, failed=2)
    UserFactory.create(username="bench_approver")

    measured = measure_digest(SimpleNamespace(company_id=world.company.pk), warmups=1, requests=3)

    assert measured.name == "ERP digest for 12 items"
    assert measured.error is None
    assert len(measured.samples_ms) == 3
    assert measured.queries == [DIGEST_QUERIES] * 3
