"""The access matrix of the pages, replayed through the API: for every role of
tests/access_world.py and every project, commitment and invoice there, the API answers
what the page answers (200 where the page opens, 404 where it is hidden, 401 where the
page sends the visitor to log in), and a list holds exactly what the page lists."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import api_token_create
from tests.access_world import ROLES, AccessWorld

# What the page's answer becomes in the API: a visitor the page sends to log in gets
# 401 (the API has no login page to send them to).
API_ANSWER_FOR_PAGE = {200: 200, 404: 404, 302: 401}


def page_client(w: AccessWorld, role: str) -> Client:
    client = Client()
    user = w.users[role]
    if user.is_authenticated:
        client.force_login(user)
    return client


def api_client(w: AccessWorld, role: str) -> APIClient:
    client = APIClient()
    user = w.users[role]
    if user.is_authenticated:
        key = api_token_create(user=user, name="matrix").key
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def objects(w: AccessWorld):
    """(name, page URL, API URL) of every object of the world, and of each commitment
    and invoice asked for under a project it is not on."""
    for name in ("project", "other_project", "other_company_project"):
        project = getattr(w, name)
        yield (
            name,
            reverse("projects:detail", args=[project.pk]),
            f"/api/v1/projects/{project.pk}/",
        )
    for name, commitment in w.commitments.items():
        for project_id, where in ((commitment.project_id, ""), (w.other_project.pk, " elsewhere")):
            if where and project_id == commitment.project_id:
                continue
            yield (
                name + where,
                reverse("commitments:detail", args=[project_id, commitment.pk]),
                f"/api/v1/projects/{project_id}/commitments/{commitment.pk}/",
            )
    for name, invoice in w.invoices.items():
        commitment = invoice.commitment
        yield (
            name,
            reverse("invoices:detail", args=[commitment.project_id, commitment.pk, invoice.pk]),
            f"/api/v1/projects/{commitment.project_id}/commitments/{commitment.pk}"
            f"/invoices/{invoice.pk}/",
        )
        other = w.commitments["private" if commitment != w.commitments["private"] else "public"]
        yield (
            name + " under another commitment",
            reverse("invoices:detail", args=[other.project_id, other.pk, invoice.pk]),
            f"/api/v1/projects/{other.project_id}/commitments/{other.pk}/invoices/{invoice.pk}/",
        )


@pytest.mark.parametrize("role", ROLES)
def test_api_answers_what_the_page_answers(access, role):
    pages, api = page_client(access, role), api_client(access, role)
    answers = {}
    for name, page_url, api_url in objects(access):
        page_status = pages.get(page_url).status_code
        response = api.get(api_url)
        answers[name] = (page_status, response.status_code)
        if response.status_code != 200:
            assert set(response.json()) == {"code", "message"}, api_url
    expected = {name: (page, API_ANSWER_FOR_PAGE[page]) for name, (page, _) in answers.items()}
    assert answers == expected
    # The matrix is not trivially uniform: every role but the anonymous and inactive
    # ones is refused somewhere, and each opens something or nothing as the pages do.
    if role not in ("anonymous", "inactive_admin"):
        assert {api_status for _, api_status in answers.values()} <= {200, 404}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", [role for role in ROLES if role not in ("anonymous",)])
def test_api_lists_what_the_pages_list(access, role):
    pages, api = page_client(access, role), api_client(access, role)
    if role == "inactive_admin":
        assert api.get("/api/v1/projects/").status_code == 401
        return
    listed = pages.get(reverse("projects:list"))
    page_projects = (
        {project.pk for project in listed.context["projects"]}
        if listed.status_code == 200
        else set()
    )
    assert ids(api.get("/api/v1/projects/")) == page_projects

    for project in (access.project, access.other_project, access.other_company_project):
        page = pages.get(reverse("commitments:list", args=[project.pk]))
        response = api.get(f"/api/v1/projects/{project.pk}/commitments/")
        if page.status_code == 404:
            assert response.status_code == 404
            continue
        page_commitments = {row.record.pk for row in page.context["table"].rows}
        assert ids(response) == page_commitments

    for commitment in access.commitments.values():
        list_url = f"/api/v1/projects/{commitment.project_id}/commitments/{commitment.pk}/invoices/"
        response = api.get(list_url)
        detail = pages.get(
            reverse("commitments:detail", args=[commitment.project_id, commitment.pk])
        )
        if detail.status_code == 404:
            assert response.status_code == 404
            continue
        opening = {
            invoice.pk
            for invoice in access.invoices.values()
            if invoice.commitment_id == commitment.pk
            and pages.get(invoice.get_absolute_url()).status_code == 200
        }
        assert ids(response) == opening


@pytest.mark.parametrize(
    ("role", "answer"), [("read_only", 404), ("listed_read_only", 200), ("project_admin", 200)]
)
def test_private_commitment_and_its_invoices_are_hidden_as_on_the_pages(access, role, answer):
    api = api_client(access, role)
    private = access.commitments["private"]
    base = f"/api/v1/projects/{private.project_id}/commitments/{private.pk}/"
    invoice = access.invoices["private_draft"]
    assert api.get(base).status_code == answer
    assert api.get(f"{base}invoices/").status_code == answer
    assert api.get(f"{base}invoices/{invoice.pk}/").status_code == answer
    listed = ids(api.get(f"/api/v1/projects/{private.project_id}/commitments/"))
    assert (private.pk in listed) == (answer == 200)
