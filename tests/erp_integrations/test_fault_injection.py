"""Accepted invoices exported to a real (test) ERP gateway on 127.0.0.1 that fails in
every way we know: 500s, timeouts, dropped connections, successes whose answer is lost,
answers without a reference, rejections, and workers that die mid-export or whose task is
lost. Every invoice must end Synced with the gateway's reference, or Failed to Export with
its error, and the gateway must never hold two documents for one invoice."""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import connection, connections
from django.utils import timezone

from erp_integrations import exporting, services
from erp_integrations.models import ConnectorKind, ErpConnection, ErpSystem, ExportItem, ExportState
from erp_integrations.tasks import enqueue_exports, export_batch, requeue_stalled_exports
from invoices.models import ChangeHistoryEntry, Invoice
from tests.erp_integrations.email_tasks import is_export
from tests.erp_integrations.erp_server import (
    REJECT_MESSAGE,
    SERVER_ERROR_MESSAGE,
    ErpGateway,
    Fault,
    running_gateway,
)
from tests.world import World, build_world

pytestmark = pytest.mark.django_db(transaction=True)

SEED = 20261031
INVOICES = 48
MAX_ROUNDS = 25
LEASE = timedelta(seconds=300)
# The connection's timeout is whole seconds: long enough that an answer the gateway does
# not hold back arrives in time on a busy machine.
TIMEOUT_SECONDS = 2

TRANSIENT_FAULTS = [Fault.ERROR_500, Fault.TIMEOUT, Fault.DROP, Fault.LOST_RESPONSE, Fault.BAD_BODY]
TRANSIENT_WEIGHTS = [4, 1, 3, 2, 1]
# Faults after which the gateway holds nothing for the key.
STORELESS_FAULTS = [Fault.ERROR_500, Fault.DROP]
GAVE_UP = "Gave up after 5 attempts."
STORELESS_ERRORS = {
    Fault.ERROR_500: SERVER_ERROR_MESSAGE,
    Fault.DROP: "closed the connection without answering",
}


@dataclass
class Plan:
    """What the gateway and the workers do to one invoice, and how it must end."""

    kind: str
    # None: the gateway answers that attempt normally.
    faults: Sequence[Fault | None] = field(default_factory=list)
    # Parts of the error a failed export must show; none: the export must succeed.
    expected_errors: tuple[str, ...] = ()

    @property
    def fails_first(self) -> bool:
        return bool(self.expected_errors)


def draw_plan(rng: random.Random) -> Plan:
    roll = rng.random()
    if roll < 0.25:
        return Plan("clean")
    if roll < 0.60:
        faults = rng.choices(TRANSIENT_FAULTS, TRANSIENT_WEIGHTS, k=rng.randint(1, 4))
        return Plan("flaky", faults)
    if roll < 0.70:
        faults = [*rng.choices(STORELESS_FAULTS, k=rng.randint(0, 2)), Fault.REJECT_422]
        return Plan("rejected", faults, (REJECT_MESSAGE,))
    if roll < 0.78:
        faults = rng.choices(STORELESS_FAULTS, k=5)
        return Plan("exhausted", faults, (STORELESS_ERRORS[faults[-1]], GAVE_UP))
    if roll < 0.84:
        # The ERP stored the document but never said so; the approver retries later.
        faults = [Fault.LOST_RESPONSE, *rng.choices(STORELESS_FAULTS, k=4)]
        return Plan("stored_then_exhausted", faults, (GAVE_UP,))
    if roll < 0.92:
        return Plan("worker_died", rng.choices([Fault.ERROR_500, None], k=1))
    return Plan("task_lost", rng.choices(TRANSIENT_FAULTS, TRANSIENT_WEIGHTS, k=rng.randint(0, 2)))


def http_world(gateway: ErpGateway) -> World:
    world = build_world()
    ErpConnection.objects.filter(company=world.company).update(
        system=ErpSystem.SAGE_INTACCT,
        connector=ConnectorKind.HTTP,
        gateway_url=gateway.url,
        timeout_seconds=TIMEOUT_SECONDS,
    )
    return world


def accepted_items(world: World, count: int) -> list[ExportItem]:
    return [world.export_item(world.invoice(lines=2), ExportState.EXPORTING) for _ in range(count)]


def drain(backend) -> list[list[int]]:
    """Take the enqueued tasks off the dummy backend: send the emails now, and return the
    export tasks' batches of ids."""
    results = list(backend.results)
    backend.clear()
    for result in results:
        if not is_export(result):
            result.task.call(*result.args, **result.kwargs)
    return [result.kwargs["export_item_ids"] for result in results if is_export(result)]


def drive(backend, run_batch) -> int:
    """Run what is enqueued, then requeue what stalled, until nothing is Exporting.
    Retries are due at once (base delay 0), so a deferred task may run in the next round.
    Returns the number of rounds."""
    for round_number in range(1, MAX_ROUNDS + 1):
        for batch in drain(backend):
            run_batch(batch)
        requeue_stalled_exports()
        if (
            not backend.results
            and not ExportItem.objects.filter(state=ExportState.EXPORTING).exists()
        ):
            return round_number
    pytest.fail(f"Exports still running after {MAX_ROUNDS} rounds")


def assert_final_states(gateway: ErpGateway, plans: dict[int, Plan], retried: set[int]) -> None:
    items = ExportItem.objects.filter(pk__in=plans).select_related("invoice")
    synced_invoices = set()
    for item in items:
        plan = plans[item.pk]
        key = str(item.idempotency_key)
        context = f"{item.invoice.label} ({plan.kind}, {plan.faults})"
        assert item.invoice.erp_status == item.state, context
        if not plan.fails_first or item.pk in retried:
            assert item.state == ExportState.SYNCED, f"{context}: {item.last_error}"
            assert item.erp_reference == gateway.reference_for(key), context
            assert item.last_error == ""
            synced_invoices.add(item.invoice_id)
        else:
            assert item.state == ExportState.FAILED_TO_EXPORT, context
            for expected in plan.expected_errors:
                assert expected in item.last_error, f"{context}: {item.last_error}"
            assert gateway.reference_for(key) is None, context
    # The ERP holds one document for each synced invoice and nothing else.
    assert dict(gateway.documents_per_invoice) == dict.fromkeys(synced_invoices, 1)


def test_every_accepted_invoice_ends_synced_or_failed_and_is_never_created_twice(
    dummy_tasks, settings, capsys
):
    """A seeded mix of faults over ~50 accepted invoices, driven by the export task and
    requeue rounds, then the approver's retry of the failures the ERP had in fact stored."""
    settings.ERP_EXPORT_RETRY_BASE_SECONDS = 0
    settings.ERP_EXPORT_MAX_ATTEMPTS = 5
    rng = random.Random(SEED)
    started = time.monotonic()
    with running_gateway() as gateway:
        world = http_world(gateway)
        items = accepted_items(world, INVOICES)
        plans = {item.pk: draw_plan(rng) for item in items}
        for item in items:
            gateway.script(str(item.idempotency_key), *plans[item.pk].faults)

        long_ago = timezone.now() - LEASE - timedelta(seconds=1)
        for item in items:
            if plans[item.pk].kind == "worker_died":
                # Claimed and delivered (or not) by a worker that died before finishing.
                exporting.claim_export(item.pk)
                with contextlib.suppress(exporting.ExportError):
                    exporting.deliver_export(item.pk)
                ExportItem.objects.filter(pk=item.pk).update(claim_expires_at=long_ago)
            elif plans[item.pk].kind == "task_lost":
                ExportItem.objects.filter(pk=item.pk).update(decided_at=long_ago)
        # The accept's one task, for every item whose task was not lost.
        enqueue_exports(
            item.pk for item in items if plans[item.pk].kind not in {"worker_died", "task_lost"}
        )
        rounds = drive(dummy_tasks, export_batch)

        # The approver retries the failures whose document the ERP had in fact stored.
        retried = {pk for pk, plan in plans.items() if plan.kind == "stored_then_exhausted"}
        if retried:
            approver = get_user_model().objects.get(pk=world.users["approver"].pk)
            services.export_items_retry(
                user=approver, company_id=world.company.pk, export_item_ids=retried
            )
            rounds += drive(dummy_tasks, export_batch)
        faults_met = Counter(fault.value for _, fault in gateway.requests if fault)
        deliveries = len(gateway.requests)
    elapsed = time.monotonic() - started

    assert_final_states(gateway, plans, retried)
    kinds = {plan.kind for plan in plans.values()}
    assert kinds >= {"clean", "flaky", "rejected", "exhausted", "worker_died", "task_lost"}
    assert retried, "the seed should produce a document stored but reported as failed"
    failed_labels = {
        Invoice.objects.get(pk=item.invoice_id).label
        for item in items
        if plans[item.pk].fails_first
    }
    emailed = "\n".join(message.body for message in mail.outbox)
    assert all(f"/ {label}:" in emailed for label in failed_labels)
    history = ChangeHistoryEntry.objects.filter(
        invoice__in=[item.invoice_id for item in items], action_by=None
    )
    assert history.count() == INVOICES + len(retried)
    with capsys.disabled():
        print(
            f"\nfault injection on {connection.vendor}: {INVOICES} invoices, {deliveries} "
            f"deliveries ({dict(faults_met)}), {rounds} rounds, {elapsed:.1f}s"
        )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="concurrent workers need PostgreSQL row locks"
)
def test_workers_racing_on_the_same_items_export_each_invoice_once(dummy_tasks, settings, capsys):
    """Three workers export the same batches at the same moment, with faults: each
    attempt is claimed by one worker only, and each invoice ends Synced with one document."""
    settings.ERP_EXPORT_RETRY_BASE_SECONDS = 0
    rng = random.Random(SEED + 1)
    started = time.monotonic()
    with running_gateway() as gateway:
        world = http_world(gateway)
        items = accepted_items(world, 30)
        plans = {}
        for item in items:
            faults = rng.choices([*STORELESS_FAULTS, Fault.LOST_RESPONSE], k=rng.randint(0, 3))
            plans[item.pk] = Plan("flaky", faults)
            gateway.script(str(item.idempotency_key), *faults)

        def race(batch: list[int]) -> None:
            barrier = threading.Barrier(3)
            errors: list[BaseException] = []

            def worker(order: list[int]) -> None:
                try:
                    barrier.wait()
                    export_batch(order)
                except BaseException as error:  # reported below, in the test's thread
                    errors.append(error)
                finally:
                    connections.close_all()

            orders = [batch, list(reversed(batch)), rng.sample(batch, len(batch))]
            threads = [threading.Thread(target=worker, args=(order,)) for order in orders]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
                assert not thread.is_alive(), "a worker did not finish: deadlock?"
            assert not errors, errors

        enqueue_exports(item.pk for item in items)
        for _ in range(MAX_ROUNDS):
            for batch in drain(dummy_tasks):
                race(batch)
            # Retry tasks were enqueued in the workers' threads; find their items here.
            requeue_stalled_exports(now=timezone.now() + LEASE + timedelta(seconds=1))
            if not dummy_tasks.results:
                break
        attempts = dict(ExportItem.objects.filter(pk__in=plans).values_list("pk", "attempts"))
    elapsed = time.monotonic() - started

    assert_final_states(gateway, plans, retried=set())
    # One delivery per attempt: no attempt was made by two workers.
    delivered = {item.pk: 0 for item in items}
    keys = {str(item.idempotency_key): item.pk for item in items}
    for key, _ in gateway.requests:
        delivered[keys[key]] += 1
    assert delivered == attempts
    with capsys.disabled():
        print(f"\nthree racing workers on {connection.vendor}: 30 invoices, {elapsed:.1f}s")
