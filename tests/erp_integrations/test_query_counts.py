"""Bulk actions cost the same number of queries for 5 invoices as for 50."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from erp_integrations import services
from erp_integrations.models import ExportItem, ExportState
from tests.world import build_world

pytestmark = pytest.mark.django_db

# Pinned: a change that makes a bulk action cost more queries shows up here.
# A send locks the company's ERP connection row (Direct Export may not change under it):
# one query, whatever the batch size.
BULK_SEND_QUERIES = 14
BULK_RETRIEVE_QUERIES = 13
BULK_ACCEPT_QUERIES = 14
# What a bulk send costs once it commits, on the production task backend (django-tasks-db):
# one INSERT of its email task. (The pins above leave the on-commit work out.)
SEND_ON_COMMIT_QUERIES = 1


def count_queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def invoices_in(world, count, erp_state=None):
    return [world.invoice(erp_state=erp_state, lines=2) for _ in range(count)]


@pytest.mark.parametrize("size", [5, 50])
def test_bulk_send_queries_do_not_grow(dummy_tasks, size):
    world = build_world()
    invoices = invoices_in(world, size)
    queries = count_queries(
        lambda: services.invoices_send_to_erp(
            user=fresh(world.users["project_admin"]),
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            invoice_ids=[invoice.pk for invoice in invoices],
        )
    )
    assert ExportItem.objects.filter(state=ExportState.READY_TO_EXPORT).count() == size
    assert queries == BULK_SEND_QUERIES


@pytest.mark.parametrize("size", [5, 50])
def test_bulk_retrieve_queries_do_not_grow(dummy_tasks, size):
    world = build_world()
    invoices = invoices_in(world, size, ExportState.READY_TO_EXPORT)
    queries = count_queries(
        lambda: services.invoices_retrieve_from_erp(
            user=fresh(world.users["project_admin"]),
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            invoice_ids=[invoice.pk for invoice in invoices],
        )
    )
    assert ExportItem.objects.filter(state=ExportState.RETRIEVED).count() == size
    assert queries == BULK_RETRIEVE_QUERIES


@pytest.mark.parametrize("size", [5, 50])
def test_bulk_accept_queries_do_not_grow(dummy_tasks, size):
    world = build_world()
    invoices = invoices_in(world, size, ExportState.READY_TO_EXPORT)
    item_ids = list(ExportItem.objects.filter(invoice__in=invoices).values_list("pk", flat=True))
    queries = count_queries(
        lambda: services.export_items_accept(
            user=fresh(world.users["approver"]),
            company_id=world.company.pk,
            export_item_ids=item_ids,
        )
    )
    assert ExportItem.objects.filter(state=ExportState.EXPORTING).count() == size
    assert queries == BULK_ACCEPT_QUERIES


@pytest.mark.parametrize("size", [5, 50])
def test_bulk_send_enqueues_its_email_in_one_query_on_the_database_backend(settings, size):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    world = build_world()
    invoices = invoices_in(world, size)
    with TestCase.captureOnCommitCallbacks() as callbacks:
        services.invoices_send_to_erp(
            user=fresh(world.users["project_admin"]),
            project_id=world.project.pk,
            commitment_id=world.commitment.pk,
            invoice_ids=[invoice.pk for invoice in invoices],
        )
    queries = count_queries(lambda: [callback() for callback in callbacks])
    (task,) = DBTaskResult.objects.all()
    assert task.task_path == "erp_integrations.tasks.send_invoices_sent_email"
    assert sorted(task.args_kwargs["kwargs"]["export_item_ids"]) == sorted(
        ExportItem.objects.filter(invoice__in=invoices).values_list("pk", flat=True)
    )
    assert queries == SEND_ON_COMMIT_QUERIES
