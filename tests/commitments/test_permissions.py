"""The access layer's answer for every role of DESIGN.md on commitments, public and
private.

EXPECTED is the whole matrix, one cell per (role, question), written by hand from
DESIGN.md's "Who uses it"; every cell is its own test. Roles and objects (the public
commitment with the invoice contact, a private commitment with an access list, a commitment
on another project and one of another company): tests/access_world.py.
"""

from __future__ import annotations

import pytest
from django.http import Http404

from commitments.permissions import (
    access_commitment,
    can_view_commitment,
    commitments_user_contacts,
    is_invoice_contact,
    is_on_private_access_list,
    visible_commitments,
)
from commitments.services import (
    commitment_grant_private_access,
    commitment_remove_invoice_contact,
    commitment_revoke_private_access,
)
from tests.access_world import ROLES, AccessWorld


def opens(access_function, *args) -> bool:
    """True when the access function returns the object, False when it raises 404."""
    try:
        access_function(*args)
    except Http404:
        return False
    return True


def opens_commitment(w: AccessWorld, user, name: str) -> bool:
    commitment = w.commitments[name]
    return opens(access_commitment, user, commitment.project_id, commitment.pk)


QUESTIONS = {
    "can_view_commitment(public)": lambda w, user: can_view_commitment(
        user, w.commitments["public"]
    ),
    "access_commitment(public)": lambda w, user: opens_commitment(w, user, "public"),
    "can_view_commitment(private)": lambda w, user: can_view_commitment(
        user, w.commitments["private"]
    ),
    "access_commitment(private)": lambda w, user: opens_commitment(w, user, "private"),
    "visible_commitments(project)": lambda w, user: w.keys(visible_commitments(user, w.project)),
    "visible_commitments()": lambda w, user: w.keys(visible_commitments(user)),
    "is_invoice_contact(public)": lambda w, user: is_invoice_contact(user, w.commitments["public"]),
    "is_on_private_access_list(public)": lambda w, user: is_on_private_access_list(
        user, w.commitments["public"]
    ),
    "is_on_private_access_list(private)": lambda w, user: is_on_private_access_list(
        user, w.commitments["private"]
    ),
    "commitments_user_contacts": lambda w, user: w.keys(commitments_user_contacts(user)),
}

EXPECTED = {
    # Members from Read Only up see the non-private commitments; the invoice contact sees
    # the one they are a contact on; ERP Integrations grants show no commitment.
    ("superuser", "can_view_commitment(public)"): True,
    ("project_admin", "can_view_commitment(public)"): True,
    ("standard", "can_view_commitment(public)"): True,
    ("standard_via_group", "can_view_commitment(public)"): True,
    ("read_only", "can_view_commitment(public)"): True,
    ("listed_read_only", "can_view_commitment(public)"): True,
    ("listed_standard", "can_view_commitment(public)"): True,
    ("invoice_contact", "can_view_commitment(public)"): True,
    ("approver", "can_view_commitment(public)"): False,
    ("approver_via_group", "can_view_commitment(public)"): False,
    ("erp_standard_without_push", "can_view_commitment(public)"): False,
    ("erp_read_only_with_push", "can_view_commitment(public)"): False,
    ("other_project_admin", "can_view_commitment(public)"): False,
    ("outsider", "can_view_commitment(public)"): False,
    ("inactive_admin", "can_view_commitment(public)"): False,
    ("anonymous", "can_view_commitment(public)"): False,
    ("superuser", "access_commitment(public)"): True,
    ("project_admin", "access_commitment(public)"): True,
    ("standard", "access_commitment(public)"): True,
    ("standard_via_group", "access_commitment(public)"): True,
    ("read_only", "access_commitment(public)"): True,
    ("listed_read_only", "access_commitment(public)"): True,
    ("listed_standard", "access_commitment(public)"): True,
    ("invoice_contact", "access_commitment(public)"): True,
    ("approver", "access_commitment(public)"): False,
    ("approver_via_group", "access_commitment(public)"): False,
    ("erp_standard_without_push", "access_commitment(public)"): False,
    ("erp_read_only_with_push", "access_commitment(public)"): False,
    ("other_project_admin", "access_commitment(public)"): False,
    ("outsider", "access_commitment(public)"): False,
    ("inactive_admin", "access_commitment(public)"): False,
    ("anonymous", "access_commitment(public)"): False,
    # A private commitment: admins, and members on its access list (Read Only is enough).
    ("superuser", "can_view_commitment(private)"): True,
    ("project_admin", "can_view_commitment(private)"): True,
    ("standard", "can_view_commitment(private)"): False,
    ("standard_via_group", "can_view_commitment(private)"): False,
    ("read_only", "can_view_commitment(private)"): False,
    ("listed_read_only", "can_view_commitment(private)"): True,
    ("listed_standard", "can_view_commitment(private)"): True,
    ("invoice_contact", "can_view_commitment(private)"): False,
    ("approver", "can_view_commitment(private)"): False,
    ("approver_via_group", "can_view_commitment(private)"): False,
    ("erp_standard_without_push", "can_view_commitment(private)"): False,
    ("erp_read_only_with_push", "can_view_commitment(private)"): False,
    ("other_project_admin", "can_view_commitment(private)"): False,
    ("outsider", "can_view_commitment(private)"): False,
    ("inactive_admin", "can_view_commitment(private)"): False,
    ("anonymous", "can_view_commitment(private)"): False,
    ("superuser", "access_commitment(private)"): True,
    ("project_admin", "access_commitment(private)"): True,
    ("standard", "access_commitment(private)"): False,
    ("standard_via_group", "access_commitment(private)"): False,
    ("read_only", "access_commitment(private)"): False,
    ("listed_read_only", "access_commitment(private)"): True,
    ("listed_standard", "access_commitment(private)"): True,
    ("invoice_contact", "access_commitment(private)"): False,
    ("approver", "access_commitment(private)"): False,
    ("approver_via_group", "access_commitment(private)"): False,
    ("erp_standard_without_push", "access_commitment(private)"): False,
    ("erp_read_only_with_push", "access_commitment(private)"): False,
    ("other_project_admin", "access_commitment(private)"): False,
    ("outsider", "access_commitment(private)"): False,
    ("inactive_admin", "access_commitment(private)"): False,
    ("anonymous", "access_commitment(private)"): False,
    ("superuser", "visible_commitments(project)"): ("private", "public"),
    ("project_admin", "visible_commitments(project)"): ("private", "public"),
    ("standard", "visible_commitments(project)"): ("public",),
    ("standard_via_group", "visible_commitments(project)"): ("public",),
    ("read_only", "visible_commitments(project)"): ("public",),
    ("listed_read_only", "visible_commitments(project)"): ("private", "public"),
    ("listed_standard", "visible_commitments(project)"): ("private", "public"),
    ("invoice_contact", "visible_commitments(project)"): ("public",),
    ("approver", "visible_commitments(project)"): (),
    ("approver_via_group", "visible_commitments(project)"): (),
    ("erp_standard_without_push", "visible_commitments(project)"): (),
    ("erp_read_only_with_push", "visible_commitments(project)"): (),
    ("other_project_admin", "visible_commitments(project)"): (),
    ("outsider", "visible_commitments(project)"): (),
    ("inactive_admin", "visible_commitments(project)"): (),
    ("anonymous", "visible_commitments(project)"): (),
    # Across every project: a superuser sees every company's commitments.
    ("superuser", "visible_commitments()"): (
        "other_company_commitment",
        "other_project_commitment",
        "private",
        "public",
    ),
    ("project_admin", "visible_commitments()"): ("private", "public"),
    ("standard", "visible_commitments()"): ("public",),
    ("standard_via_group", "visible_commitments()"): ("public",),
    ("read_only", "visible_commitments()"): ("public",),
    ("listed_read_only", "visible_commitments()"): ("private", "public"),
    ("listed_standard", "visible_commitments()"): ("private", "public"),
    ("invoice_contact", "visible_commitments()"): ("public",),
    ("approver", "visible_commitments()"): (),
    ("approver_via_group", "visible_commitments()"): (),
    ("erp_standard_without_push", "visible_commitments()"): (),
    ("erp_read_only_with_push", "visible_commitments()"): (),
    ("other_project_admin", "visible_commitments()"): ("other_project_commitment",),
    ("outsider", "visible_commitments()"): (),
    ("inactive_admin", "visible_commitments()"): (),
    ("anonymous", "visible_commitments()"): (),
    # guardian hands a superuser every object permission, so the superuser counts as a
    # contact and as listed too; it changes nothing, as a superuser is Admin everywhere.
    ("superuser", "is_invoice_contact(public)"): True,
    ("project_admin", "is_invoice_contact(public)"): False,
    ("standard", "is_invoice_contact(public)"): False,
    ("standard_via_group", "is_invoice_contact(public)"): False,
    ("read_only", "is_invoice_contact(public)"): False,
    ("listed_read_only", "is_invoice_contact(public)"): False,
    ("listed_standard", "is_invoice_contact(public)"): False,
    ("invoice_contact", "is_invoice_contact(public)"): True,
    ("approver", "is_invoice_contact(public)"): False,
    ("approver_via_group", "is_invoice_contact(public)"): False,
    ("erp_standard_without_push", "is_invoice_contact(public)"): False,
    ("erp_read_only_with_push", "is_invoice_contact(public)"): False,
    ("other_project_admin", "is_invoice_contact(public)"): False,
    ("outsider", "is_invoice_contact(public)"): False,
    ("inactive_admin", "is_invoice_contact(public)"): False,
    ("anonymous", "is_invoice_contact(public)"): False,
    # Naming an invoice contact puts them on the commitment's access list as well.
    ("superuser", "is_on_private_access_list(public)"): True,
    ("project_admin", "is_on_private_access_list(public)"): False,
    ("standard", "is_on_private_access_list(public)"): False,
    ("standard_via_group", "is_on_private_access_list(public)"): False,
    ("read_only", "is_on_private_access_list(public)"): False,
    ("listed_read_only", "is_on_private_access_list(public)"): False,
    ("listed_standard", "is_on_private_access_list(public)"): False,
    ("invoice_contact", "is_on_private_access_list(public)"): True,
    ("approver", "is_on_private_access_list(public)"): False,
    ("approver_via_group", "is_on_private_access_list(public)"): False,
    ("erp_standard_without_push", "is_on_private_access_list(public)"): False,
    ("erp_read_only_with_push", "is_on_private_access_list(public)"): False,
    ("other_project_admin", "is_on_private_access_list(public)"): False,
    ("outsider", "is_on_private_access_list(public)"): False,
    ("inactive_admin", "is_on_private_access_list(public)"): False,
    ("anonymous", "is_on_private_access_list(public)"): False,
    ("superuser", "is_on_private_access_list(private)"): True,
    ("project_admin", "is_on_private_access_list(private)"): False,
    ("standard", "is_on_private_access_list(private)"): False,
    ("standard_via_group", "is_on_private_access_list(private)"): False,
    ("read_only", "is_on_private_access_list(private)"): False,
    ("listed_read_only", "is_on_private_access_list(private)"): True,
    ("listed_standard", "is_on_private_access_list(private)"): True,
    ("invoice_contact", "is_on_private_access_list(private)"): False,
    ("approver", "is_on_private_access_list(private)"): False,
    ("approver_via_group", "is_on_private_access_list(private)"): False,
    ("erp_standard_without_push", "is_on_private_access_list(private)"): False,
    ("erp_read_only_with_push", "is_on_private_access_list(private)"): False,
    ("other_project_admin", "is_on_private_access_list(private)"): False,
    ("outsider", "is_on_private_access_list(private)"): False,
    ("inactive_admin", "is_on_private_access_list(private)"): False,
    ("anonymous", "is_on_private_access_list(private)"): False,
    # The list of a user's contact commitments is built from the grants alone.
    ("superuser", "commitments_user_contacts"): (),
    ("project_admin", "commitments_user_contacts"): (),
    ("standard", "commitments_user_contacts"): (),
    ("standard_via_group", "commitments_user_contacts"): (),
    ("read_only", "commitments_user_contacts"): (),
    ("listed_read_only", "commitments_user_contacts"): (),
    ("listed_standard", "commitments_user_contacts"): (),
    ("invoice_contact", "commitments_user_contacts"): ("public",),
    ("approver", "commitments_user_contacts"): (),
    ("approver_via_group", "commitments_user_contacts"): (),
    ("erp_standard_without_push", "commitments_user_contacts"): (),
    ("erp_read_only_with_push", "commitments_user_contacts"): (),
    ("other_project_admin", "commitments_user_contacts"): (),
    ("outsider", "commitments_user_contacts"): (),
    ("inactive_admin", "commitments_user_contacts"): (),
    ("anonymous", "commitments_user_contacts"): (),
}


def test_the_matrix_has_a_cell_for_every_role_and_question():
    assert set(EXPECTED) == {(role, question) for role in ROLES for question in QUESTIONS}


@pytest.mark.parametrize(("role", "question"), list(EXPECTED))
def test_access_layer_answer(access, role, question):
    assert QUESTIONS[question](access, access.users[role]) == EXPECTED[(role, question)]


@pytest.mark.parametrize("role", ROLES)
def test_the_list_and_the_single_check_agree_on_every_commitment(access, role):
    """visible_commitments (one query for a list) and can_view_commitment (one object)
    are two codings of the same rule."""
    user = access.users[role]
    listed = set(access.keys(visible_commitments(user)))
    for name, commitment in access.commitments.items():
        assert can_view_commitment(user, commitment) == (name in listed), name


def test_access_commitment_is_404_on_the_wrong_project(access):
    """Even a superuser cannot reach a commitment through another project's address."""
    commitment = access.commitments["public"]
    with pytest.raises(Http404):
        access_commitment(access.users["superuser"], access.other_project.pk, commitment.pk)


@pytest.mark.parametrize("commitment_id", [0, 999_999, "abc", None])
def test_access_commitment_is_404_for_an_id_that_names_no_commitment(access, commitment_id):
    with pytest.raises(Http404):
        access_commitment(access.users["superuser"], access.project.pk, commitment_id)


def test_access_commitment_loads_project_company_and_vendor(access, django_assert_num_queries):
    commitment = access.commitments["public"]
    user = access.users["superuser"]
    with django_assert_num_queries(1):
        found = access_commitment(user, commitment.project_id, commitment.pk)
        assert found.project.company == access.company
        assert found.vendor == commitment.vendor


def test_leaving_the_access_list_hides_the_private_commitment(fresh):
    user, private = fresh.users["listed_standard"], fresh.commitments["private"]
    commitment_revoke_private_access(commitment=private, user=user)
    assert not can_view_commitment(user, private)
    assert fresh.keys(visible_commitments(user, fresh.project)) == ("public",)


def test_the_access_list_does_not_open_a_private_commitment_without_a_level(fresh):
    """Being listed is not a role of its own: the outsider still needs a level."""
    user, private = fresh.users["outsider"], fresh.commitments["private"]
    commitment_grant_private_access(commitment=private, user=user)
    assert not can_view_commitment(user, private)
    assert not visible_commitments(user).exists()


def test_a_removed_invoice_contact_no_longer_sees_the_commitment(fresh):
    user, public = fresh.users["invoice_contact"], fresh.commitments["public"]
    commitment_remove_invoice_contact(commitment=public, user=user)
    assert not can_view_commitment(user, public)
    assert not visible_commitments(user).exists()
