"""The access layer's answer for every role of DESIGN.md on projects and companies.

EXPECTED is the whole matrix, one cell per (role, question), written by hand from
DESIGN.md's "Who uses it"; every cell is its own test, so changing any answer of the
access layer (or any cell) fails exactly one test. Roles and objects: tests/access_world.py.
"""

from __future__ import annotations

import pytest
from django.http import Http404

from commitments.permissions import access_project, visible_projects
from projects.models import ToolLevel
from projects.permissions import (
    access_erp_integrations,
    accounting_approvers,
    approver_companies,
    commitments_level,
    erp_integrations_level,
    is_accounting_approver,
)
from projects.services import company_set_push_to_accounting
from tests.access_world import ROLES

ADMIN, STANDARD, READ_ONLY, NONE = (
    ToolLevel.ADMIN,
    ToolLevel.STANDARD,
    ToolLevel.READ_ONLY,
    ToolLevel.NONE,
)


def opens(access_function, *args) -> bool:
    """True when the access function returns the object, False when it raises 404."""
    try:
        access_function(*args)
    except Http404:
        return False
    return True


QUESTIONS = {
    "visible_projects": lambda w, user: w.keys(visible_projects(user)),
    "commitments_level(project)": lambda w, user: commitments_level(user, w.project),
    "commitments_level(other_project)": lambda w, user: commitments_level(user, w.other_project),
    "erp_integrations_level": lambda w, user: erp_integrations_level(user, w.company),
    "is_accounting_approver": lambda w, user: is_accounting_approver(user, w.company),
    "access_erp_integrations": lambda w, user: opens(access_erp_integrations, user, w.company.pk),
    "approver_companies": lambda w, user: w.keys(approver_companies(user)),
    "in accounting_approvers(company)": lambda w, user: (
        user.pk is not None and accounting_approvers(w.company).filter(pk=user.pk).exists()
    ),
}

EXPECTED = {
    # visible_projects: any Commitments level, or invoice contact on one of the project's
    # commitments; a superuser sees every project of every company.
    ("superuser", "visible_projects"): ("other_company_project", "other_project", "project"),
    ("project_admin", "visible_projects"): ("project",),
    ("standard", "visible_projects"): ("project",),
    ("standard_via_group", "visible_projects"): ("project",),
    ("read_only", "visible_projects"): ("project",),
    ("listed_read_only", "visible_projects"): ("project",),
    ("listed_standard", "visible_projects"): ("project",),
    ("invoice_contact", "visible_projects"): ("project",),
    ("approver", "visible_projects"): (),
    ("approver_via_group", "visible_projects"): (),
    ("erp_standard_without_push", "visible_projects"): (),
    ("erp_read_only_with_push", "visible_projects"): (),
    ("other_project_admin", "visible_projects"): ("other_project",),
    ("outsider", "visible_projects"): (),
    ("inactive_admin", "visible_projects"): (),
    ("anonymous", "visible_projects"): (),
    # commitments_level: per project; a deactivated account holds nothing.
    ("superuser", "commitments_level(project)"): ADMIN,
    ("project_admin", "commitments_level(project)"): ADMIN,
    ("standard", "commitments_level(project)"): STANDARD,
    ("standard_via_group", "commitments_level(project)"): STANDARD,
    ("read_only", "commitments_level(project)"): READ_ONLY,
    ("listed_read_only", "commitments_level(project)"): READ_ONLY,
    ("listed_standard", "commitments_level(project)"): STANDARD,
    ("invoice_contact", "commitments_level(project)"): NONE,
    ("approver", "commitments_level(project)"): NONE,
    ("approver_via_group", "commitments_level(project)"): NONE,
    ("erp_standard_without_push", "commitments_level(project)"): NONE,
    ("erp_read_only_with_push", "commitments_level(project)"): NONE,
    ("other_project_admin", "commitments_level(project)"): NONE,
    ("outsider", "commitments_level(project)"): NONE,
    ("inactive_admin", "commitments_level(project)"): NONE,
    ("anonymous", "commitments_level(project)"): NONE,
    ("superuser", "commitments_level(other_project)"): ADMIN,
    ("project_admin", "commitments_level(other_project)"): NONE,
    ("standard", "commitments_level(other_project)"): NONE,
    ("standard_via_group", "commitments_level(other_project)"): NONE,
    ("read_only", "commitments_level(other_project)"): NONE,
    ("listed_read_only", "commitments_level(other_project)"): NONE,
    ("listed_standard", "commitments_level(other_project)"): NONE,
    ("invoice_contact", "commitments_level(other_project)"): NONE,
    ("approver", "commitments_level(other_project)"): NONE,
    ("approver_via_group", "commitments_level(other_project)"): NONE,
    ("erp_standard_without_push", "commitments_level(other_project)"): NONE,
    ("erp_read_only_with_push", "commitments_level(other_project)"): NONE,
    ("other_project_admin", "commitments_level(other_project)"): ADMIN,
    ("outsider", "commitments_level(other_project)"): NONE,
    ("inactive_admin", "commitments_level(other_project)"): NONE,
    ("anonymous", "commitments_level(other_project)"): NONE,
    ("superuser", "erp_integrations_level"): ADMIN,
    ("project_admin", "erp_integrations_level"): NONE,
    ("standard", "erp_integrations_level"): NONE,
    ("standard_via_group", "erp_integrations_level"): NONE,
    ("read_only", "erp_integrations_level"): NONE,
    ("listed_read_only", "erp_integrations_level"): NONE,
    ("listed_standard", "erp_integrations_level"): NONE,
    ("invoice_contact", "erp_integrations_level"): NONE,
    ("approver", "erp_integrations_level"): STANDARD,
    ("approver_via_group", "erp_integrations_level"): STANDARD,
    ("erp_standard_without_push", "erp_integrations_level"): STANDARD,
    ("erp_read_only_with_push", "erp_integrations_level"): READ_ONLY,
    ("other_project_admin", "erp_integrations_level"): NONE,
    ("outsider", "erp_integrations_level"): NONE,
    ("inactive_admin", "erp_integrations_level"): NONE,
    ("anonymous", "erp_integrations_level"): NONE,
    # An approver needs ERP Integrations Standard or above *and* Can push to accounting.
    ("superuser", "is_accounting_approver"): True,
    ("project_admin", "is_accounting_approver"): False,
    ("standard", "is_accounting_approver"): False,
    ("standard_via_group", "is_accounting_approver"): False,
    ("read_only", "is_accounting_approver"): False,
    ("listed_read_only", "is_accounting_approver"): False,
    ("listed_standard", "is_accounting_approver"): False,
    ("invoice_contact", "is_accounting_approver"): False,
    ("approver", "is_accounting_approver"): True,
    ("approver_via_group", "is_accounting_approver"): True,
    ("erp_standard_without_push", "is_accounting_approver"): False,
    ("erp_read_only_with_push", "is_accounting_approver"): False,
    ("other_project_admin", "is_accounting_approver"): False,
    ("outsider", "is_accounting_approver"): False,
    ("inactive_admin", "is_accounting_approver"): False,
    ("anonymous", "is_accounting_approver"): False,
    # The company's ERP Integrations page opens from Read Only up; others get 404.
    ("superuser", "access_erp_integrations"): True,
    ("project_admin", "access_erp_integrations"): False,
    ("standard", "access_erp_integrations"): False,
    ("standard_via_group", "access_erp_integrations"): False,
    ("read_only", "access_erp_integrations"): False,
    ("listed_read_only", "access_erp_integrations"): False,
    ("listed_standard", "access_erp_integrations"): False,
    ("invoice_contact", "access_erp_integrations"): False,
    ("approver", "access_erp_integrations"): True,
    ("approver_via_group", "access_erp_integrations"): True,
    ("erp_standard_without_push", "access_erp_integrations"): True,
    ("erp_read_only_with_push", "access_erp_integrations"): True,
    ("other_project_admin", "access_erp_integrations"): False,
    ("outsider", "access_erp_integrations"): False,
    ("inactive_admin", "access_erp_integrations"): False,
    ("anonymous", "access_erp_integrations"): False,
    # approver_companies: the companies whose queue the user works.
    ("superuser", "approver_companies"): ("company", "other_company"),
    ("project_admin", "approver_companies"): (),
    ("standard", "approver_companies"): (),
    ("standard_via_group", "approver_companies"): (),
    ("read_only", "approver_companies"): (),
    ("listed_read_only", "approver_companies"): (),
    ("listed_standard", "approver_companies"): (),
    ("invoice_contact", "approver_companies"): (),
    ("approver", "approver_companies"): ("company",),
    ("approver_via_group", "approver_companies"): ("company",),
    ("erp_standard_without_push", "approver_companies"): (),
    ("erp_read_only_with_push", "approver_companies"): (),
    ("other_project_admin", "approver_companies"): (),
    ("outsider", "approver_companies"): (),
    ("inactive_admin", "approver_companies"): (),
    ("anonymous", "approver_companies"): (),
    # accounting_approvers(company): who gets notified; superusers administer the site and
    # are not notified as approvers.
    ("superuser", "in accounting_approvers(company)"): False,
    ("project_admin", "in accounting_approvers(company)"): False,
    ("standard", "in accounting_approvers(company)"): False,
    ("standard_via_group", "in accounting_approvers(company)"): False,
    ("read_only", "in accounting_approvers(company)"): False,
    ("listed_read_only", "in accounting_approvers(company)"): False,
    ("listed_standard", "in accounting_approvers(company)"): False,
    ("invoice_contact", "in accounting_approvers(company)"): False,
    ("approver", "in accounting_approvers(company)"): True,
    ("approver_via_group", "in accounting_approvers(company)"): True,
    ("erp_standard_without_push", "in accounting_approvers(company)"): False,
    ("erp_read_only_with_push", "in accounting_approvers(company)"): False,
    ("other_project_admin", "in accounting_approvers(company)"): False,
    ("outsider", "in accounting_approvers(company)"): False,
    ("inactive_admin", "in accounting_approvers(company)"): False,
    ("anonymous", "in accounting_approvers(company)"): False,
}


def test_the_matrix_has_a_cell_for_every_role_and_question():
    assert set(EXPECTED) == {(role, question) for role in ROLES for question in QUESTIONS}


@pytest.mark.parametrize(("role", "question"), list(EXPECTED))
def test_access_layer_answer(access, role, question):
    assert QUESTIONS[question](access, access.users[role]) == EXPECTED[(role, question)]


@pytest.mark.parametrize("role", ROLES)
def test_access_project_opens_exactly_the_visible_projects(access, role):
    user = access.users[role]
    visible = set(access.keys(visible_projects(user)))
    for project in (access.project, access.other_project, access.other_company_project):
        assert opens(access_project, user, project.pk) == (access.key(project) in visible)


@pytest.mark.parametrize("project_id", [0, 999_999, "abc", None])
def test_access_project_is_404_for_an_id_that_names_no_project(access, project_id):
    with pytest.raises(Http404):
        access_project(access.users["superuser"], project_id)


@pytest.mark.parametrize("company_id", [0, 999_999, "abc", None])
def test_access_erp_integrations_is_404_for_an_id_that_names_no_company(access, company_id):
    with pytest.raises(Http404):
        access_erp_integrations(access.users["superuser"], company_id)


def test_approver_of_another_company_cannot_open_this_companys_erp_integrations(access):
    with pytest.raises(Http404):
        access_erp_integrations(access.other_company_approver, access.company.pk)
    assert list(approver_companies(access.other_company_approver)) == [access.other_company]


def test_losing_the_push_privilege_ends_the_approver_role(fresh):
    approver = fresh.users["approver"]
    assert is_accounting_approver(approver, fresh.company)
    company_set_push_to_accounting(user=approver, company=fresh.company, allowed=False)
    assert not is_accounting_approver(approver, fresh.company)
    assert not approver_companies(approver).exists()
    assert not accounting_approvers(fresh.company).filter(pk=approver.pk).exists()


def test_a_deactivated_approver_is_not_notified(fresh):
    approver = fresh.users["approver"]
    approver.is_active = False
    approver.save(update_fields=["is_active"])
    assert list(accounting_approvers(fresh.company)) == [fresh.users["approver_via_group"]]


def test_visible_projects_is_one_query(access, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(visible_projects(access.users["standard_via_group"]))
