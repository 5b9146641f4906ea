"""A company on the Agent connector, its ERP agent users and their API clients, for the
pull connector's tests."""

from __future__ import annotations

from dataclasses import dataclass

from rest_framework.test import APIClient

from api.services import api_token_create
from erp_integrations.models import ConnectorKind, ErpConnection, ExportState
from projects.services import company_set_erp_agent
from tests.factories import UserFactory
from tests.world import World, build_world


@dataclass
class Agent:
    """One ERP agent: an API client with its own token, and the name it reports under."""

    client: APIClient
    company_id: int
    name: str = ""

    def post(self, path: str, body=None, **extra):
        return self.client.post(
            f"/api/v1/companies/{self.company_id}/erp/exports/{path}",
            body if body is not None else {},
            format="json",
            **extra,
        )

    def claim(self, limit: int = 1):
        return self.post("claim/", {"limit": limit, "agent": self.name})

    def synced(self, item_id: int, reference: str):
        return self.post(f"{item_id}/synced/", {"reference": reference, "agent": self.name})

    def failed(self, item_id: int, error: str, *, transient: bool):
        return self.post(
            f"{item_id}/failed/", {"error": error, "transient": transient, "agent": self.name}
        )


def agent_world() -> World:
    """`build_world` with the company on the Agent connector and an `agent` user holding
    its 'ERP agent' privilege."""
    world = build_world()
    ErpConnection.objects.filter(company=world.company).update(connector=ConnectorKind.AGENT)
    world.company.erp_connection.refresh_from_db()
    agent_user = UserFactory.create(username=f"agent-{world.project.pk}")
    company_set_erp_agent(user=agent_user, company=world.company, allowed=True)
    world.users["agent"] = agent_user
    return world


def client_for(user) -> APIClient:
    """An API client authenticated by a new token of `user`."""
    client = APIClient()
    key = api_token_create(user=user, name="ERP agent").key
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def new_agent(world: World, name: str = "", user=None) -> Agent:
    return Agent(
        client=client_for(user or world.users["agent"]), company_id=world.company.pk, name=name
    )


def accepted_invoices(world: World, count: int) -> list:
    """`count` invoices accepted by the approver: Exporting, waiting for an agent."""
    return [world.export_item(world.invoice(), ExportState.EXPORTING) for _ in range(count)]
