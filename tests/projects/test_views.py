"""The project list and the project page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from projects.models import ToolLevel
from projects.services import project_set_commitments_level
from tests.factories import CompanyFactory, ProjectFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


# Session, user, the projects (with their company), the navigation's projects and
# approver companies.
PROJECT_LIST_QUERIES = {"plain": 5, "htmx": 5}


@pytest.mark.parametrize("rows", [5, 100])
@pytest.mark.parametrize("kind", ["plain", "htmx"])
def test_project_list_query_count_does_not_grow_with_rows(
    client, django_assert_num_queries, rows, kind, htmx
):
    """Each row's company comes with its project, not one query a row."""
    world = build_world()
    user = world.users["standard"]
    for _ in range(rows - 1):
        project = ProjectFactory(company=CompanyFactory())
        project_set_commitments_level(project=project, user=user, level=ToolLevel.READ_ONLY)
    client.force_login(user)
    headers = htmx if kind == "htmx" else {}

    with django_assert_num_queries(PROJECT_LIST_QUERIES[kind]):
        response = client.get(reverse("projects:list"), **headers)

    assert len(response.context["projects"]) == rows
