"""Granting the 'ERP agent' privilege on a company in Django admin, to a user or a group."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from erp_integrations.models import ConnectorKind, ErpConnection
from erp_integrations.systems import AGENT_PULLS_NOTE, things_to_know
from projects.models import ERP_AGENT_PERMISSION, ToolLevel
from projects.permissions import is_accounting_approver, is_erp_agent
from tests.erp_integrations.agents import accepted_invoices, new_agent
from tests.factories import UserFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = build_world()
    ErpConnection.objects.filter(company=world.company).update(connector=ConnectorKind.AGENT)
    return world


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


def test_site_admin_makes_a_user_the_companys_erp_agent_and_nothing_more(admin_client, world):
    user = UserFactory()
    url = reverse(
        "admin:projects_company_permissions_manage_user", args=[world.company.pk, user.pk]
    )
    response = admin_client.post(url, {"permissions": str(ToolLevel.NONE.value), "erp_agent": "on"})
    assert response.status_code == 302
    assert is_erp_agent(fresh(user), world.company)
    assert not is_accounting_approver(fresh(user), world.company)
    assert admin_client.get(url).context["form"]["erp_agent"].value() is True

    admin_client.post(url, {"permissions": str(ToolLevel.NONE.value)})
    assert not is_erp_agent(fresh(user), world.company)


def test_an_accounting_approver_is_not_an_erp_agent(world):
    assert not is_erp_agent(world.users["approver"], world.company)


def test_a_group_granted_erp_agent_pulls_through_the_api(admin_client, world):
    """The group page offers the privilege; a member's token then claims."""
    group = Group.objects.create(name="ERP agents")
    user = UserFactory()
    user.groups.add(group)
    url = reverse(
        "admin:projects_company_permissions_manage_group", args=[world.company.pk, group.pk]
    )
    choices = dict(admin_client.get(url).context["form"].fields["permissions"].choices)
    assert choices[ERP_AGENT_PERMISSION] == "ERP agent: pulls accepted exports"

    admin_client.post(url, {"permissions": [ERP_AGENT_PERMISSION]})
    accepted_invoices(world, 1)
    assert len(new_agent(world, user=user).claim().json()["items"]) == 1


def test_things_to_know_says_that_an_agent_pulls(world):
    world.company.erp_connection.refresh_from_db()
    assert things_to_know(world.company.erp_connection)[0] == AGENT_PULLS_NOTE
    ErpConnection.objects.filter(company=world.company).update(connector=ConnectorKind.FILE)
    world.company.erp_connection.refresh_from_db()
    assert AGENT_PULLS_NOTE not in things_to_know(world.company.erp_connection)
