"""The OpenAPI document and its Swagger UI page."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.api.conftest import bearer
from tests.erp_integrations.agents import accepted_invoices, agent_world

pytestmark = pytest.mark.django_db


def generated_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_schema_validates_as_openapi_3():
    schema = generated_schema()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on an invalid document


def test_schema_command_validates_without_warnings(tmp_path):
    """`manage.py spectacular --validate --fail-on-warn`, as CI can run it."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/projects/" in out.read_text()


def test_schema_is_served_to_a_signed_in_user(api_client, access):
    response = api_client.get("/api/v1/schema/?format=json", **bearer(access.users["read_only"]))
    assert response.status_code == 200
    assert "/api/v1/projects/{project_id}/commitments/" in response.json()["paths"]


def test_schema_and_docs_are_public_but_the_data_is_not(api_client, access):
    """The schema describes the API and holds no data: an integrator reads it before
    having a token. Every resource asks for authentication."""
    assert api_client.get("/api/v1/schema/").status_code == 200
    assert api_client.get("/api/v1/docs/").status_code == 200
    response = api_client.get(f"/api/v1/projects/{access.project.pk}/")
    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_every_endpoint_of_the_schema_answers_the_project_admin(api_client, access):
    """Each path of the schema, its ids filled from the world, answers 200 with JSON: no
    endpoint goes untried (a new one is tried here as soon as it is in the schema)."""
    ids = {
        "project_id": access.project.pk,
        "commitment_id": access.commitments["public"].pk,
        "invoice_id": access.invoices["locked"].pk,
    }
    headers = bearer(access.users["project_admin"])
    paths = {path: ops for path, ops in generated_schema()["paths"].items() if "get" in ops}
    assert len(paths) == 6
    for path, operations in paths.items():
        assert set(operations) <= {"get", "parameters"}, path
        url = re.sub(r"\{(\w+)\}", lambda match: str(ids[match.group(1)]), path)
        response = api_client.get(url, **headers)
        assert response.status_code == 200, (path, response.content)
        assert response["Content-Type"] == "application/json"


def test_swagger_ui_is_served_from_our_static_files_under_the_csp(client, access):
    client.force_login(access.users["read_only"])
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "inline script"
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source


def test_swagger_ui_start_up_script_is_a_file_naming_the_schema(client, access):
    client.force_login(access.users["read_only"])
    response = client.get("/api/v1/docs/?script=")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in response.content.decode()


def test_every_operation_documents_its_error_answers_in_the_error_shape(api_client, access):
    """401, 404 and 429 on every operation (400 on lists, for a bad cursor), as the
    Error schema; and an actual 404 of each operation has exactly that shape's fields."""
    schema = generated_schema()
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "message"}
    headers = bearer(access.users["outsider"])
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue  # the ERP agent's actions: test_every_erp_agent_action_...
        responses = operations["get"]["responses"]
        documented = {"400", "401", "404", "429"} if path.endswith("s/") else {"401", "404", "429"}
        assert set(responses) == {"200"} | documented, path
        for status in documented:
            reference = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert reference == "#/components/schemas/Error"
        url = re.sub(r"\{\w+\}", str(access.project.pk), path)
        if "{" in path:
            body = api_client.get(url, **headers).json()
            assert set(body) <= set(error["properties"]) and set(error["required"]) <= set(body)


# A valid body for each of the ERP agent's actions, by the end of its path.
AGENT_ACTION_BODIES = {
    "claim/": {"limit": 1},
    "synced/": {"reference": "AP-1"},
    "failed/": {"error": "The ERP is closing the month.", "transient": True},
}


def test_every_erp_agent_action_of_the_schema_answers_the_agent_and_documents_its_errors(
    api_client,
):
    """Each POST path of the schema, its ids filled, answers the company's ERP agent 200
    for the item it claimed, and documents 400, 401, 404, 409 and 429 as the Error
    schema; an outsider gets 404 in that shape."""
    world = agent_world()
    agent, outsider = bearer(world.users["agent"]), bearer(world.users["outsider"])
    claim_url = f"/api/v1/companies/{world.company.pk}/erp/exports/claim/"
    actions = {
        path: operations["post"]
        for path, operations in generated_schema()["paths"].items()
        if "post" in operations
    }
    assert len(actions) == 3
    for path, operation in actions.items():
        # Each action on an item of its own, claimed by the agent (a report needs it).
        (item,) = accepted_invoices(world, 1)
        if "{item_id}" in path:
            api_client.post(claim_url, {"limit": 1}, format="json", **agent)
        ids = {"company_id": world.company.pk, "item_id": item.pk}
        assert set(operation["responses"]) == {"200", "400", "401", "404", "409", "429"}, path
        for status in ("400", "401", "404", "409", "429"):
            schema = operation["responses"][status]["content"]["application/json"]["schema"]
            assert schema["$ref"] == "#/components/schemas/Error"
        url = path.format(**ids)
        body = next(body for end, body in AGENT_ACTION_BODIES.items() if path.endswith(end))
        refused = api_client.post(url, body, format="json", **outsider)
        assert refused.status_code == 404
        assert set(refused.json()) == {"code", "message"}
        response = api_client.post(url, body, format="json", **agent)
        assert response.status_code == 200, (path, response.content)
        assert response["Content-Type"] == "application/json"
