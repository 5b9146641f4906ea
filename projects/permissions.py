"""The access layer for companies and projects: tool levels and what they allow.

Every page and service asks these functions, never guardian directly, so one place
decides who may see and do what. Levels are stored as guardian object permissions, one
codename per level; a user's level is the highest they hold, directly or through a group.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth import models as auth_models
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404
from guardian.core import ObjectPermissionChecker

from projects.models import (
    COMMITMENTS_LEVEL_PERMISSIONS,
    ERP_AGENT_PERMISSION,
    ERP_INTEGRATIONS_LEVEL_PERMISSIONS,
    PUSH_TO_ACCOUNTING_PERMISSION,
    Company,
    CompanyGroupObjectPermission,
    CompanyUserObjectPermission,
    Project,
    ProjectGroupObjectPermission,
    ProjectUserObjectPermission,
    ToolLevel,
)

# Who asks: a signed-in user (AUTH_USER_MODEL is Django's User) or an anonymous visitor.
type User = auth_models.User | AnonymousUser


def object_permissions(user: User, obj: Model) -> set[str]:
    """The codenames `user` holds on `obj`, directly or through groups.

    The checker is kept on the user object, so a request that asks about the same object
    twice (or about objects whose permissions were prefetched) runs no second query.
    """
    if not user.is_authenticated or not user.is_active:
        return set()
    checker = getattr(user, "_object_permission_checker", None)
    if checker is None:
        checker = ObjectPermissionChecker(user)
        # A cache on the instance, not a model field (forget_object_permissions drops it).
        user.__dict__["_object_permission_checker"] = checker
    return set(checker.get_perms(obj))


def forget_object_permissions(user: User) -> None:
    """Drop the permissions cached on `user` (after a grant or a revoke)."""
    user.__dict__.pop("_object_permission_checker", None)


def held_level(held: set[str], codenames: dict[ToolLevel, str]) -> ToolLevel:
    """The highest level among the granted codenames `held`."""
    for level in (ToolLevel.ADMIN, ToolLevel.STANDARD, ToolLevel.READ_ONLY):
        if codenames[level] in held:
            return level
    return ToolLevel.NONE


def commitments_level(user: User, project: Project) -> ToolLevel:
    """The user's level on the project's Commitments tool (invoicing follows it)."""
    if user.is_active and user.is_superuser:
        return ToolLevel.ADMIN
    return held_level(object_permissions(user, project), COMMITMENTS_LEVEL_PERMISSIONS)


def erp_integrations_level(user: User, company: Company) -> ToolLevel:
    """The user's level on the company's ERP Integrations tool."""
    if user.is_active and user.is_superuser:
        return ToolLevel.ADMIN
    return held_level(object_permissions(user, company), ERP_INTEGRATIONS_LEVEL_PERMISSIONS)


def is_accounting_approver(user: User, company: Company) -> bool:
    """Standard or Admin on ERP Integrations *and* 'Can push to accounting'."""
    if user.is_active and user.is_superuser:
        return True
    return erp_integrations_level(
        user, company
    ) >= ToolLevel.STANDARD and PUSH_TO_ACCOUNTING_PERMISSION in object_permissions(user, company)


def is_erp_agent(user: User, company: Company) -> bool:
    """Whether the user may pull the company's accepted exports as its ERP agent: the
    'ERP agent' privilege on the company (granted in Django admin). It opens nothing
    else, and no other role includes it: an approver's token cannot take exports out of
    the pool by mistake."""
    if user.is_active and user.is_superuser:
        return True
    return ERP_AGENT_PERMISSION in object_permissions(user, company)


def can_view_erp_integrations(user: User, company: Company) -> bool:
    return erp_integrations_level(user, company) >= ToolLevel.READ_ONLY


def holds_any_permission(user: User, user_table, group_table, codenames: list[str]) -> Q:
    """A filter for objects on which `user` holds any of `codenames`, as EXISTS subqueries
    on guardian's direct foreign-key tables (no per-row permission checks)."""
    direct = user_table.objects.filter(
        content_object=OuterRef("pk"), user=user, permission__codename__in=codenames
    )
    through_group = group_table.objects.filter(
        content_object=OuterRef("pk"),
        group__in=user.groups.all(),
        permission__codename__in=codenames,
    )
    return Q(Exists(direct)) | Q(Exists(through_group))


def projects_with_commitments_level(user: User, minimum: ToolLevel) -> Q:
    """A Project filter: the user's Commitments level is at least `minimum`."""
    codenames = [code for level, code in COMMITMENTS_LEVEL_PERMISSIONS.items() if level >= minimum]
    return holds_any_permission(
        user, ProjectUserObjectPermission, ProjectGroupObjectPermission, codenames
    )


def approver_companies(user: User) -> QuerySet[Company]:
    """Companies whose ERP Integrations page the user works as an accounting approver."""
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    if user.is_superuser:
        return Company.objects.all()
    return granted_approver_companies(user)


def granted_approver_companies(user: User) -> QuerySet[Company]:
    """Companies on which the user holds the accounting approver's grants (the companies
    whose `accounting_approvers` they are among): a superuser's site-wide access does not
    count, as for the approvers' emails."""
    if not user.is_authenticated or not user.is_active:
        return Company.objects.none()
    level_codes = [
        code
        for level, code in ERP_INTEGRATIONS_LEVEL_PERMISSIONS.items()
        if level >= ToolLevel.STANDARD
    ]
    return Company.objects.filter(
        holds_any_permission(
            user, CompanyUserObjectPermission, CompanyGroupObjectPermission, level_codes
        )
    ).filter(
        holds_any_permission(
            user,
            CompanyUserObjectPermission,
            CompanyGroupObjectPermission,
            [PUSH_TO_ACCOUNTING_PERMISSION],
        )
    )


def accounting_approvers(company: Company) -> QuerySet:
    """The users who approve for `company` (superusers excluded: they administer the site,
    they do not work the queue), e.g. to notify them."""
    user_model = get_user_model()
    level_codes = [
        code
        for level, code in ERP_INTEGRATIONS_LEVEL_PERMISSIONS.items()
        if level >= ToolLevel.STANDARD
    ]

    def holds(codenames: list[str]) -> Q:
        direct = CompanyUserObjectPermission.objects.filter(
            content_object=company, user=OuterRef("pk"), permission__codename__in=codenames
        )
        through_group = CompanyGroupObjectPermission.objects.filter(
            content_object=company,
            group__user=OuterRef("pk"),
            permission__codename__in=codenames,
        )
        return Q(Exists(direct)) | Q(Exists(through_group))

    return user_model.objects.filter(
        holds(level_codes), holds([PUSH_TO_ACCOUNTING_PERMISSION]), is_active=True
    )


def access_erp_integrations(user: User, company_id: int) -> Company:
    """The company, or 404 unless the user may open its ERP Integrations tool (Read Only
    or above). Acting on the queue needs `is_accounting_approver` on top."""
    try:
        company = Company.objects.get(pk=company_id)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise Http404("No such company.") from None
    if not can_view_erp_integrations(user, company):
        raise Http404("No such company.")
    return company
