"""Every role and object of DESIGN.md's access rules, for the access-layer matrix tests.

Builds on tests/world.py: its company, project, (public) commitment and users, plus what
the matrix needs besides: a private commitment with an access list, a second project of
the same company and a project of another company, roles held through a group, an
inactive user, an anonymous visitor, and invoices in every state that matters.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, Group
from django.db import transaction
from guardian.shortcuts import assign_perm

from commitments.models import Commitment
from commitments.services import commitment_grant_private_access
from invoices.models import Invoice, InvoiceStatus
from projects.models import (
    COMMITMENTS_LEVEL_PERMISSIONS,
    ERP_INTEGRATIONS_LEVEL_PERMISSIONS,
    PUSH_TO_ACCOUNTING_PERMISSION,
    Company,
    Project,
    ToolLevel,
)
from projects.services import (
    company_set_erp_integrations_level,
    company_set_push_to_accounting,
    project_set_commitments_level,
)
from tests.factories import (
    CommitmentFactory,
    ErpConnectionFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProjectFactory,
    SovLineFactory,
    UserFactory,
)
from tests.world import World, build_world

# The columns of every matrix, in this order.
ROLES = (
    "superuser",  # site admin
    "project_admin",  # Admin on the project's Commitments tool
    "standard",  # Standard on Commitments
    "standard_via_group",  # Standard on Commitments through a group
    "read_only",  # Read Only on Commitments
    "listed_read_only",  # Read Only, and on the private commitment's access list
    "listed_standard",  # Standard, and on the private commitment's access list
    "invoice_contact",  # vendor employee, invoice contact on the public commitment
    "approver",  # ERP Integrations Standard + Can push to accounting
    "approver_via_group",  # the same two grants through a group
    "erp_standard_without_push",  # ERP Integrations Standard only
    "erp_read_only_with_push",  # ERP Integrations Read Only + Can push to accounting
    "other_project_admin",  # Admin on Commitments of the company's other project only
    "outsider",  # a user with no grant at all
    "inactive_admin",  # Admin on Commitments, but the account is deactivated
    "anonymous",  # not logged in
)


@dataclass
class AccessWorld:
    world: World
    users: dict
    company: Company
    other_company: Company
    project: Project
    other_project: Project
    other_company_project: Project
    commitments: dict[str, Commitment]
    invoices: dict[str, Invoice]
    other_company_approver: object
    _keys: dict = field(default_factory=dict)

    def key(self, obj) -> str:
        """The name this world gives `obj` ("project", "private", ...)."""
        return self._keys[(type(obj), obj.pk)]

    def keys(self, objects) -> tuple[str, ...]:
        return tuple(sorted(self.key(obj) for obj in objects))


def _invoice(commitment, number, status, created_by, world: World, *, queued=False) -> Invoice:
    invoice = InvoiceFactory.create(
        commitment=commitment,
        number=number,
        status=status,
        created_by=created_by,
        billing_period_start=datetime.date(2026, number, 1),
        billing_period_end=datetime.date(2026, number, 28),
        billing_date=datetime.date(2026, number, 28),
    )
    InvoiceLineFactory.create(
        invoice=invoice, sov_line=SovLineFactory.create(commitment=commitment)
    )
    if queued:
        world.export_item(invoice, "ready_to_export")
    return invoice


def build_access_world() -> AccessWorld:
    world = build_world()
    users = dict(world.users)
    company, project, public = world.company, world.project, world.commitment

    for role in ROLES:
        if role not in users and role != "anonymous":
            users[role] = UserFactory.create(username=f"{role}-{project.pk}")
    users["anonymous"] = AnonymousUser()

    project_set_commitments_level(
        user=users["listed_read_only"], project=project, level=ToolLevel.READ_ONLY
    )
    project_set_commitments_level(
        user=users["listed_standard"], project=project, level=ToolLevel.STANDARD
    )
    project_set_commitments_level(
        user=users["inactive_admin"], project=project, level=ToolLevel.ADMIN
    )
    users["inactive_admin"].is_active = False
    users["inactive_admin"].save(update_fields=["is_active"])

    standard_group = Group.objects.create(name=f"Project team {project.pk}")
    assign_perm(COMMITMENTS_LEVEL_PERMISSIONS[ToolLevel.STANDARD], standard_group, project)
    users["standard_via_group"].groups.add(standard_group)

    accounting_group = Group.objects.create(name=f"Accounting {company.pk}")
    assign_perm(ERP_INTEGRATIONS_LEVEL_PERMISSIONS[ToolLevel.STANDARD], accounting_group, company)
    assign_perm(PUSH_TO_ACCOUNTING_PERMISSION, accounting_group, company)
    users["approver_via_group"].groups.add(accounting_group)

    company_set_erp_integrations_level(
        user=users["erp_read_only_with_push"], company=company, level=ToolLevel.READ_ONLY
    )
    company_set_push_to_accounting(
        user=users["erp_read_only_with_push"], company=company, allowed=True
    )

    private = CommitmentFactory.create(project=project, number="PRIVATE-1", is_private=True)
    commitment_grant_private_access(commitment=private, user=users["listed_read_only"])
    commitment_grant_private_access(commitment=private, user=users["listed_standard"])

    other_project = ProjectFactory.create(company=company)
    project_set_commitments_level(
        user=users["other_project_admin"], project=other_project, level=ToolLevel.ADMIN
    )
    other_project_commitment = CommitmentFactory.create(project=other_project)

    other_company_project = ProjectFactory.create()
    other_company = other_company_project.company
    ErpConnectionFactory.create(company=other_company)
    other_company_commitment = CommitmentFactory.create(project=other_company_project)
    other_company_approver = UserFactory.create(username=f"other-approver-{other_company.pk}")
    company_set_erp_integrations_level(
        user=other_company_approver, company=other_company, level=ToolLevel.ADMIN
    )
    company_set_push_to_accounting(user=other_company_approver, company=other_company, allowed=True)

    invoices = {
        # A Draft the invoice contact wrote.
        "draft": _invoice(public, 1, InvoiceStatus.DRAFT, users["invoice_contact"], world),
        # Sent back for changes; written by a Standard member, not by the contact.
        "revise_and_resubmit": _invoice(
            public, 2, InvoiceStatus.REVISE_AND_RESUBMIT, users["standard"], world
        ),
        "approved": _invoice(public, 3, InvoiceStatus.APPROVED, users["project_admin"], world),
        # Approved and waiting in the ERP Integrations queue: locked.
        "locked": _invoice(
            public, 4, InvoiceStatus.APPROVED, users["project_admin"], world, queued=True
        ),
        "private_draft": _invoice(private, 1, InvoiceStatus.DRAFT, users["listed_standard"], world),
        "private_locked": _invoice(
            private, 2, InvoiceStatus.APPROVED, users["project_admin"], world, queued=True
        ),
    }
    other_world = World(
        company=other_company,
        project=other_company_project,
        commitment=other_company_commitment,
        users={"project_admin": UserFactory.create(), "approver": other_company_approver},
    )
    invoices["other_company_locked"] = _invoice(
        other_company_commitment,
        1,
        InvoiceStatus.APPROVED,
        other_world.users["project_admin"],
        other_world,
        queued=True,
    )
    commitments = {
        "public": public,
        "private": private,
        "other_project_commitment": other_project_commitment,
        "other_company_commitment": other_company_commitment,
    }
    access = AccessWorld(
        world=world,
        users=users,
        company=company,
        other_company=other_company,
        project=project,
        other_project=other_project,
        other_company_project=other_company_project,
        commitments=commitments,
        invoices=invoices,
        other_company_approver=other_company_approver,
    )
    named = {
        "company": company,
        "other_company": other_company,
        "project": project,
        "other_project": other_project,
        "other_company_project": other_company_project,
        **commitments,
        **invoices,
    }
    access._keys = {(type(obj), obj.pk): name for name, obj in named.items()}
    return access


@contextmanager
def shared_access_world(django_db_blocker) -> Iterator[AccessWorld]:
    """One world for a whole module of read-only questions, rolled back at the end.

    Each test still runs in its own savepoint (pytest-django's `db`), so a test that writes
    leaves nothing behind; but the users' permission caches are shared, so tests that
    change grants build their own world with `build_access_world()` instead."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_access_world()
        transaction.set_rollback(True)
