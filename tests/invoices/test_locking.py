"""`lock_invoices`, the one way invoice rows are locked: its lock order, on PostgreSQL with
two actors, and what it returns."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.db.models import Q

from invoices.locking import lock_invoices
from tests.world import build_world

WAIT_SECONDS = 10


@pytest.mark.django_db
def test_lock_invoices_returns_the_rows_by_primary_key_with_what_was_asked_loaded(
    django_assert_num_queries,
):
    world = build_world()
    first, second, third = (world.invoice() for _ in range(3))

    with transaction.atomic(), django_assert_num_queries(1):
        rows = lock_invoices(
            Q(pk__in=[third.pk, first.pk]) | Q(pk=second.pk),
            select_related=("commitment__project",),
        )
        assert rows == [first, second, third]
        assert rows[0].commitment.project == world.project


def backend_is_waiting_for_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
def test_a_second_actor_takes_the_lower_invoice_before_waiting_for_the_higher(dummy_tasks):
    """The lock order is by primary key whatever the filter says: while one actor holds
    the higher invoice, another asking for both holds the lower one as it waits, so the
    two serialize instead of each holding what the other wants."""
    world = build_world()
    lower, higher = world.invoice(), world.invoice()
    held, release = threading.Event(), threading.Event()
    taker_pid: list[int] = []
    taken: list = []

    def holder():
        try:
            with transaction.atomic():
                lock_invoices(Q(pk=higher.pk))
                held.set()
                release.wait(WAIT_SECONDS)
        finally:
            connections.close_all()

    def taker():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    taker_pid.append(cursor.fetchone()[0])
                taken.extend(lock_invoices(Q(pk__in=[higher.pk, lower.pk])))
        finally:
            connections.close_all()

    holding = threading.Thread(target=holder)
    holding.start()
    assert held.wait(WAIT_SECONDS)
    taking = threading.Thread(target=taker)
    taking.start()
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not (taker_pid and backend_is_waiting_for_a_lock(taker_pid[0])):
            assert time.monotonic() < deadline, "the second actor never waited for the lock"
            time.sleep(0.01)

        with transaction.atomic():
            free = lock_invoices(Q(pk__in=[lower.pk, higher.pk]), skip_locked=True)
        assert free == []  # the lower one is the waiting actor's, the higher the holder's
    finally:
        release.set()
        holding.join(WAIT_SECONDS)
        taking.join(WAIT_SECONDS)

    assert taken == [lower, higher]
