"""Granting and revoking tool levels (stored as guardian object permissions)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from projects.models import (
    COMMITMENTS_LEVEL_PERMISSIONS,
    ERP_AGENT_PERMISSION,
    ERP_INTEGRATIONS_LEVEL_PERMISSIONS,
    PUSH_TO_ACCOUNTING_PERMISSION,
    Company,
    Project,
    ToolLevel,
)
from projects.permissions import forget_object_permissions


def _set_level(user, obj, level: ToolLevel, codenames: dict[ToolLevel, str]) -> None:
    """Hold exactly the one codename of `level` (none for ToolLevel.NONE)."""
    for each_level, codename in codenames.items():
        if each_level == level:
            assign_perm(codename, user, obj)
        else:
            remove_perm(codename, user, obj)
    forget_object_permissions(user)


@transaction.atomic
def project_set_commitments_level(*, user: User, project: Project, level: ToolLevel) -> None:
    _set_level(user, project, level, COMMITMENTS_LEVEL_PERMISSIONS)


@transaction.atomic
def company_set_erp_integrations_level(*, user: User, company: Company, level: ToolLevel) -> None:
    _set_level(user, company, level, ERP_INTEGRATIONS_LEVEL_PERMISSIONS)


@transaction.atomic
def company_set_push_to_accounting(*, user: User, company: Company, allowed: bool) -> None:
    if allowed:
        assign_perm(PUSH_TO_ACCOUNTING_PERMISSION, user, company)
    else:
        remove_perm(PUSH_TO_ACCOUNTING_PERMISSION, user, company)
    forget_object_permissions(user)


@transaction.atomic
def company_set_erp_agent(*, user: User, company: Company, allowed: bool) -> None:
    if allowed:
        assign_perm(ERP_AGENT_PERMISSION, user, company)
    else:
        remove_perm(ERP_AGENT_PERMISSION, user, company)
    forget_object_permissions(user)
