"""The OpenAPI document and its Swagger UI page."""

from __future__ import annotations

import dataclasses
import re

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from api.action_serializers import INPUT_CODES
from erp_integrations.models import ExportItem, ExportState
from erp_integrations.services import Code
from tests.api.conftest import bearer
from tests.erp_integrations.agents import accepted_invoices, agent_world

pytestmark = pytest.mark.django_db

# The paths of the ERP agent's actions (tried by their own test, in an agent's world).
AGENT_PATHS = "/erp/exports/"


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


def operation_requests(w) -> dict[tuple[str, str], tuple[str, dict, dict | None]]:
    """For each operation of the schema, the role that may call it, its path's ids and its
    body (None for a GET), so that it succeeds in the world `w` (a fresh access world):
    each action on an invoice of its own, in the state it acts on."""

    def invoice_id(erp_state=None) -> int:
        return w.world.invoice(erp_state=erp_state).pk

    def item_id(erp_state) -> int:
        return ExportItem.objects.get(invoice_id=invoice_id(erp_state)).pk

    ready, failed, synced = (
        ExportState.READY_TO_EXPORT,
        ExportState.FAILED_TO_EXPORT,
        ExportState.SYNCED,
    )
    reads = {
        "project_id": w.project.pk,
        "commitment_id": w.commitments["public"].pk,  # w.world.invoice()'s commitment
        "invoice_id": w.invoices["locked"].pk,
    }
    commitment = "/api/v1/projects/{project_id}/commitments/{commitment_id}/invoices"
    items = "/api/v1/companies/{company_id}/erp/items"
    company = {"company_id": w.company.pk}
    reason = {"reason": "Wrong period"}
    unlink = {"reason": "Deleted in the ERP", "confirm": True}
    # Unlinking refuses an invoice while a later one of its commitment is in the ERP: the
    # two to unlink are on a commitment of their own, the list (called first) taking the
    # later one.
    elsewhere = dataclasses.replace(w.world, commitment=w.commitments["other_project_commitment"])
    unlink_one, unlink_in_list = (
        ExportItem.objects.get(invoice=elsewhere.invoice(erp_state=synced)).pk for _ in range(2)
    )
    return {
        ("get", "/api/v1/projects/"): ("project_admin", {}, None),
        ("get", "/api/v1/projects/{project_id}/"): ("project_admin", reads, None),
        ("get", "/api/v1/projects/{project_id}/commitments/"): ("project_admin", reads, None),
        ("get", "/api/v1/projects/{project_id}/commitments/{commitment_id}/"): (
            "project_admin",
            reads,
            None,
        ),
        ("get", f"{commitment}/"): ("project_admin", reads, None),
        ("get", f"{commitment}/{{invoice_id}}/"): ("project_admin", reads, None),
        ("get", "/api/v1/projects/{project_id}/invoices/"): ("project_admin", reads, None),
        ("get", f"{items}/"): ("approver", company, None),
        ("post", "/api/v1/invoices/{invoice_id}/send/"): (
            "project_admin",
            {"invoice_id": invoice_id()},
            {},
        ),
        ("post", "/api/v1/invoices/{invoice_id}/retrieve/"): (
            "project_admin",
            {"invoice_id": invoice_id(ready)},
            {},
        ),
        ("post", f"{commitment}/send/"): ("project_admin", reads, {"ids": [invoice_id()]}),
        ("post", f"{commitment}/retrieve/"): (
            "project_admin",
            reads,
            {"ids": [invoice_id(ready)]},
        ),
        ("post", "/api/v1/projects/{project_id}/invoices/send/"): (
            "project_admin",
            reads,
            {"ids": [invoice_id()]},
        ),
        ("post", "/api/v1/projects/{project_id}/invoices/retrieve/"): (
            "project_admin",
            reads,
            {"ids": [invoice_id(ready)]},
        ),
        ("post", f"{items}/accept/"): ("approver", company, {"ids": [item_id(ready)]}),
        ("post", f"{items}/{{item_id}}/accept/"): (
            "approver",
            {**company, "item_id": item_id(ready)},
            {},
        ),
        ("post", f"{items}/reject/"): ("approver", company, {"ids": [item_id(ready)], **reason}),
        ("post", f"{items}/{{item_id}}/reject/"): (
            "approver",
            {**company, "item_id": item_id(ready)},
            reason,
        ),
        ("post", f"{items}/retry/"): ("approver", company, {"ids": [item_id(failed)]}),
        ("post", f"{items}/{{item_id}}/retry/"): (
            "approver",
            {**company, "item_id": item_id(failed)},
            {},
        ),
        ("post", f"{items}/unlink/"): ("approver", company, {"ids": [unlink_in_list], **unlink}),
        ("post", f"{items}/{{item_id}}/unlink/"): (
            "approver",
            {**company, "item_id": unlink_one},
            unlink,
        ),
    }


def test_every_operation_of_the_schema_is_called_and_answers(api_client, fresh, dummy_tasks):
    """Each operation of the schema, called as the role that may, answers 200 with JSON;
    and the table above has an entry for every operation, so a new endpoint is tried here
    as soon as it is in the schema."""
    calls = operation_requests(fresh)
    operations = {
        (method, path)
        for path, methods in generated_schema()["paths"].items()
        for method in methods
        if method != "parameters"
    }
    # The ERP agent's actions need an agent's world: test_every_erp_agent_action_...
    assert {op for op in operations if AGENT_PATHS not in op[1]} == set(calls)
    for (method, path), (role, ids, body) in calls.items():
        url = path.format(**ids)
        headers = bearer(fresh.users[role])
        if method == "get":
            response = api_client.get(url, **headers)
        else:
            response = api_client.post(url, body, format="json", **headers)
        assert response.status_code == 200, (method, path, response.content)
        assert response["Content-Type"] == "application/json"
        if method == "post":
            results = response.json().get("results", [response.json()])
            assert all(result["ok"] for result in results), (path, results)


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
        if AGENT_PATHS in path:
            continue  # the ERP agent's actions: test_every_erp_agent_action_...
        method = "post" if "post" in operations else "get"
        responses = operations[method]["responses"]
        if method == "post":  # an action: 403 (may not act), 409 (refused by the state)
            documented = {"400", "401", "403", "404", "409", "429"}
        elif path.endswith("s/"):
            documented = {"400", "401", "404", "429"}
        else:
            documented = {"401", "404", "429"}
        assert set(responses) == {"200"} | documented, path
        for status in documented:
            reference = responses[status]["content"]["application/json"]["schema"]["$ref"]
            assert reference == "#/components/schemas/Error"
        url = re.sub(r"\{\w+\}", str(access.project.pk), path)
        if "{" in path:
            if method == "get":
                response = api_client.get(url, **headers)
            else:
                response = api_client.post(url, request_body(url), format="json", **headers)
            assert response.status_code == 404, (path, response.content)
            body = response.json()
            assert set(body) <= set(error["properties"]) and set(error["required"]) <= set(body)


def request_body(url: str) -> dict:
    """A body of the right shape for the action at `url`."""
    body: dict = {} if re.search(r"/\d+/\w+/$", url) else {"ids": [1]}
    if url.endswith(("reject/", "unlink/")):
        body["reason"] = "Wrong period"
    if url.endswith("unlink/"):
        body["confirm"] = True
    return body


def test_every_code_is_in_the_schema_and_the_readme():
    """The codes a program may branch on are documented: each result code as the schema's
    enum, each refusal and input code in the actions' descriptions and the README's table."""
    schema = generated_schema()
    result_codes = schema["components"]["schemas"]["InvoiceResult"]["properties"]["code"]
    enum = schema["components"]["schemas"][result_codes["$ref"].rsplit("/", 1)[1]]["enum"]
    codes = {
        value for name, value in vars(Code).items() if name.isupper() and isinstance(value, str)
    }
    assert set(enum) == codes
    description = schema["paths"]["/api/v1/invoices/{invoice_id}/send/"]["post"]["description"]
    readme = (settings.BASE_DIR / "README.md").read_text()
    for code in (codes - Code.DONE) | set(INPUT_CODES):
        assert f"`{code}`" in description, code
        assert f"`{code}`" in readme, code


# A valid body for each of the ERP agent's actions, by the end of its path.
AGENT_ACTION_BODIES = {
    "claim/": {"limit": 1},
    "synced/": {"reference": "AP-1"},
    "failed/": {"error": "The ERP is closing the month.", "transient": True},
}


def test_every_erp_agent_action_of_the_schema_answers_the_agent_and_documents_its_errors(
    api_client,
):
    """Each agent's path of the schema, its ids filled, answers the company's ERP agent 200
    for the item it claimed, and documents 400, 401, 404, 409 and 429 as the Error
    schema; an outsider gets 404 in that shape."""
    world = agent_world()
    agent, outsider = bearer(world.users["agent"]), bearer(world.users["outsider"])
    claim_url = f"/api/v1/companies/{world.company.pk}/erp/exports/claim/"
    actions = {
        path: operations["post"]
        for path, operations in generated_schema()["paths"].items()
        if AGENT_PATHS in path
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
