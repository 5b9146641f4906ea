"""The access layer for commitments: who sees which commitment, and who is its
invoice contact. Which projects a user may open is decided here too, not in
projects/permissions.py: an invoice contact on one of a project's commitments opens the
project, and projects sit below commitments."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from commitments.models import (
    INVOICE_CONTACT_PERMISSION,
    PRIVATE_ACCESS_PERMISSION,
    Commitment,
    CommitmentGroupObjectPermission,
    CommitmentUserObjectPermission,
)
from projects.models import Project, ToolLevel
from projects.permissions import (
    User,
    commitments_level,
    holds_any_permission,
    object_permissions,
    projects_with_commitments_level,
)


def is_invoice_contact(user: User, commitment: Commitment) -> bool:
    return INVOICE_CONTACT_PERMISSION in object_permissions(user, commitment)


def is_on_private_access_list(user: User, commitment: Commitment) -> bool:
    return PRIVATE_ACCESS_PERMISSION in object_permissions(user, commitment)


def can_view_commitment(user: User, commitment: Commitment) -> bool:
    """Admins see every commitment; Read Only and Standard members see the non-private
    ones and the private ones whose access list names them; invoice contacts see the
    commitments they are a contact on (and only those)."""
    level = commitments_level(user, commitment.project)
    if level >= ToolLevel.ADMIN or is_invoice_contact(user, commitment):
        return True
    if level >= ToolLevel.READ_ONLY:
        return not commitment.is_private or is_on_private_access_list(user, commitment)
    return False


def commitments_user_contacts(user: User) -> QuerySet[Commitment]:
    """Commitments on which `user` is an invoice contact."""
    if not user.is_authenticated or not user.is_active:
        return Commitment.objects.none()
    return Commitment.objects.filter(
        holds_any_permission(
            user,
            CommitmentUserObjectPermission,
            CommitmentGroupObjectPermission,
            [INVOICE_CONTACT_PERMISSION],
        )
    )


def visible_commitments(user: User, project: Project | None = None) -> QuerySet[Commitment]:
    """The commitments `user` may see (on one project, or on all), as one filtered query:
    the same rules as `can_view_commitment`, joined instead of checked per row."""
    commitments = Commitment.objects.all()
    if project is not None:
        commitments = commitments.filter(project=project)
    if not user.is_authenticated or not user.is_active:
        return commitments.none()
    if user.is_superuser:
        return commitments
    is_admin = Q(
        project__in=Project.objects.filter(projects_with_commitments_level(user, ToolLevel.ADMIN))
    )
    is_member = Q(
        project__in=Project.objects.filter(
            projects_with_commitments_level(user, ToolLevel.READ_ONLY)
        )
    )
    listed = holds_any_permission(
        user,
        CommitmentUserObjectPermission,
        CommitmentGroupObjectPermission,
        [PRIVATE_ACCESS_PERMISSION],
    )
    contact = holds_any_permission(
        user,
        CommitmentUserObjectPermission,
        CommitmentGroupObjectPermission,
        [INVOICE_CONTACT_PERMISSION],
    )
    return commitments.filter(is_admin | contact | (is_member & (Q(is_private=False) | listed)))


def access_commitment(user: User, project_id: int, commitment_id: int) -> Commitment:
    """The commitment (with project and company loaded), or 404 when the user may not
    see it or it is not on that project."""
    try:
        commitment = Commitment.objects.select_related("project__company", "vendor").get(
            pk=commitment_id, project_id=project_id
        )
    except (Commitment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such commitment.") from None
    if not can_view_commitment(user, commitment):
        raise Http404("No such commitment.")
    return commitment


def visible_projects(user: User) -> QuerySet[Project]:
    """Projects the user can open: any Commitments level, or invoice contact on one of
    the project's commitments."""
    projects = Project.objects.select_related("company")
    if not user.is_authenticated or not user.is_active:
        return projects.none()
    if user.is_superuser:
        return projects.all()
    contact_projects = commitments_user_contacts(user).values("project_id")
    return projects.filter(
        projects_with_commitments_level(user, ToolLevel.READ_ONLY) | Q(pk__in=contact_projects)
    )


def access_project(user: User, project_id: int) -> Project:
    """The project, or 404 when the user may not see it (existence does not leak)."""
    try:
        return visible_projects(user).get(pk=project_id)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404("No such project.") from None
