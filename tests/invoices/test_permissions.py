"""The access layer's answer for every role of DESIGN.md on invoices: Draft, Revise &
Resubmit, Approved and locked (waiting in the ERP Integrations queue), on the public and on
the private commitment, and an invoice of another company.

EXPECTED is the whole matrix, one cell per (role, question), written by hand from
DESIGN.md's "Who uses it"; every cell is its own test. The services' own refusals (the
lock, the workflow) are tested in tests/invoices/test_services.py and
tests/erp_integrations/test_services.py; this file pins the access layer they ask.
Roles and objects: tests/access_world.py.
"""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import Http404

from commitments.services import commitment_remove_invoice_contact
from core.errors import ActionRefused
from erp_integrations.models import ExportState
from invoices.models import InvoiceStatus
from invoices.permissions import (
    STATUS_MOVE_ORDER,
    access_invoice_on_project,
    access_invoice_to_download,
    can_create_invoice,
    can_decide_export,
    can_edit_invoice,
    can_read_through_queue,
    can_send_or_retrieve,
    can_view_invoice,
    status_moves_for,
)
from invoices.services import invoice_set_status
from tests.access_world import ROLES, AccessWorld
from tests.world import build_world


def opens_invoice(w: AccessWorld, user, name: str, access=access_invoice_to_download) -> bool:
    """True when the access function returns the invoice, False when it raises 404."""
    invoice = w.invoices[name]
    commitment = invoice.commitment
    try:
        found = access(
            user, invoice.pk, project_id=commitment.project_id, commitment_id=commitment.pk
        )
    except Http404:
        return False
    assert found == invoice
    return True


def opens_on_project(w: AccessWorld, user, name: str) -> bool:
    return opens_invoice(w, user, name, access=access_invoice_on_project)


def invoice_question(check, name: str):
    return lambda w, user: check(user, w.invoices[name])


def commitment_question(check, name: str):
    return lambda w, user: check(user, w.commitments[name])


QUESTIONS = {
    "can_view_invoice(approved)": invoice_question(can_view_invoice, "approved"),
    "can_view_invoice(private_draft)": invoice_question(can_view_invoice, "private_draft"),
    "can_create_invoice(public)": commitment_question(can_create_invoice, "public"),
    "can_create_invoice(private)": commitment_question(can_create_invoice, "private"),
    "can_edit_invoice(draft)": invoice_question(can_edit_invoice, "draft"),
    "can_edit_invoice(revise_and_resubmit)": invoice_question(
        can_edit_invoice, "revise_and_resubmit"
    ),
    "can_edit_invoice(approved)": invoice_question(can_edit_invoice, "approved"),
    "can_edit_invoice(locked)": invoice_question(can_edit_invoice, "locked"),
    "can_edit_invoice(private_draft)": invoice_question(can_edit_invoice, "private_draft"),
    "can_send_or_retrieve(approved)": invoice_question(can_send_or_retrieve, "approved"),
    "can_send_or_retrieve(private_locked)": invoice_question(
        can_send_or_retrieve, "private_locked"
    ),
    "can_decide_export(locked)": invoice_question(can_decide_export, "locked"),
    "can_decide_export(other_company_locked)": invoice_question(
        can_decide_export, "other_company_locked"
    ),
    "access_invoice_on_project(approved)": lambda w, user: opens_on_project(w, user, "approved"),
    "access_invoice_on_project(private_locked)": lambda w, user: opens_on_project(
        w, user, "private_locked"
    ),
    "access_invoice_on_project(other_company_locked)": lambda w, user: opens_on_project(
        w, user, "other_company_locked"
    ),
    "access_invoice_to_download(approved)": lambda w, user: opens_invoice(w, user, "approved"),
    "access_invoice_to_download(private_draft)": lambda w, user: opens_invoice(
        w, user, "private_draft"
    ),
    "access_invoice_to_download(private_locked)": lambda w, user: opens_invoice(
        w, user, "private_locked"
    ),
    "access_invoice_to_download(other_company_locked)": lambda w, user: opens_invoice(
        w, user, "other_company_locked"
    ),
}

EXPECTED = {
    # Invoicing follows the Commitments tool: who sees the commitment sees its invoices.
    ("superuser", "can_view_invoice(approved)"): True,
    ("project_admin", "can_view_invoice(approved)"): True,
    ("standard", "can_view_invoice(approved)"): True,
    ("standard_via_group", "can_view_invoice(approved)"): True,
    ("read_only", "can_view_invoice(approved)"): True,
    ("listed_read_only", "can_view_invoice(approved)"): True,
    ("listed_standard", "can_view_invoice(approved)"): True,
    ("invoice_contact", "can_view_invoice(approved)"): True,
    ("approver", "can_view_invoice(approved)"): False,
    ("approver_via_group", "can_view_invoice(approved)"): False,
    ("erp_standard_without_push", "can_view_invoice(approved)"): False,
    ("erp_read_only_with_push", "can_view_invoice(approved)"): False,
    ("other_project_admin", "can_view_invoice(approved)"): False,
    ("outsider", "can_view_invoice(approved)"): False,
    ("inactive_admin", "can_view_invoice(approved)"): False,
    ("anonymous", "can_view_invoice(approved)"): False,
    ("superuser", "can_view_invoice(private_draft)"): True,
    ("project_admin", "can_view_invoice(private_draft)"): True,
    ("standard", "can_view_invoice(private_draft)"): False,
    ("standard_via_group", "can_view_invoice(private_draft)"): False,
    ("read_only", "can_view_invoice(private_draft)"): False,
    ("listed_read_only", "can_view_invoice(private_draft)"): True,
    ("listed_standard", "can_view_invoice(private_draft)"): True,
    ("invoice_contact", "can_view_invoice(private_draft)"): False,
    ("approver", "can_view_invoice(private_draft)"): False,
    ("approver_via_group", "can_view_invoice(private_draft)"): False,
    ("erp_standard_without_push", "can_view_invoice(private_draft)"): False,
    ("erp_read_only_with_push", "can_view_invoice(private_draft)"): False,
    ("other_project_admin", "can_view_invoice(private_draft)"): False,
    ("outsider", "can_view_invoice(private_draft)"): False,
    ("inactive_admin", "can_view_invoice(private_draft)"): False,
    ("anonymous", "can_view_invoice(private_draft)"): False,
    # Creating: Standard and above, and the commitment's invoice contacts; Read Only never.
    ("superuser", "can_create_invoice(public)"): True,
    ("project_admin", "can_create_invoice(public)"): True,
    ("standard", "can_create_invoice(public)"): True,
    ("standard_via_group", "can_create_invoice(public)"): True,
    ("read_only", "can_create_invoice(public)"): False,
    ("listed_read_only", "can_create_invoice(public)"): False,
    ("listed_standard", "can_create_invoice(public)"): True,
    ("invoice_contact", "can_create_invoice(public)"): True,
    ("approver", "can_create_invoice(public)"): False,
    ("approver_via_group", "can_create_invoice(public)"): False,
    ("erp_standard_without_push", "can_create_invoice(public)"): False,
    ("erp_read_only_with_push", "can_create_invoice(public)"): False,
    ("other_project_admin", "can_create_invoice(public)"): False,
    ("outsider", "can_create_invoice(public)"): False,
    ("inactive_admin", "can_create_invoice(public)"): False,
    ("anonymous", "can_create_invoice(public)"): False,
    ("superuser", "can_create_invoice(private)"): True,
    ("project_admin", "can_create_invoice(private)"): True,
    ("standard", "can_create_invoice(private)"): False,
    ("standard_via_group", "can_create_invoice(private)"): False,
    ("read_only", "can_create_invoice(private)"): False,
    ("listed_read_only", "can_create_invoice(private)"): False,
    ("listed_standard", "can_create_invoice(private)"): True,
    ("invoice_contact", "can_create_invoice(private)"): False,
    ("approver", "can_create_invoice(private)"): False,
    ("approver_via_group", "can_create_invoice(private)"): False,
    ("erp_standard_without_push", "can_create_invoice(private)"): False,
    ("erp_read_only_with_push", "can_create_invoice(private)"): False,
    ("other_project_admin", "can_create_invoice(private)"): False,
    ("outsider", "can_create_invoice(private)"): False,
    ("inactive_admin", "can_create_invoice(private)"): False,
    ("anonymous", "can_create_invoice(private)"): False,
    # Editing (the role's part; the ERP lock is the edit service's to refuse): admins any
    # invoice; Standard members Draft and Revise & Resubmit ones; the invoice contact only
    # the Draft / Revise & Resubmit invoices they wrote themselves (INV-1, not INV-2).
    ("superuser", "can_edit_invoice(draft)"): True,
    ("project_admin", "can_edit_invoice(draft)"): True,
    ("standard", "can_edit_invoice(draft)"): True,
    ("standard_via_group", "can_edit_invoice(draft)"): True,
    ("read_only", "can_edit_invoice(draft)"): False,
    ("listed_read_only", "can_edit_invoice(draft)"): False,
    ("listed_standard", "can_edit_invoice(draft)"): True,
    ("invoice_contact", "can_edit_invoice(draft)"): True,
    ("approver", "can_edit_invoice(draft)"): False,
    ("approver_via_group", "can_edit_invoice(draft)"): False,
    ("erp_standard_without_push", "can_edit_invoice(draft)"): False,
    ("erp_read_only_with_push", "can_edit_invoice(draft)"): False,
    ("other_project_admin", "can_edit_invoice(draft)"): False,
    ("outsider", "can_edit_invoice(draft)"): False,
    ("inactive_admin", "can_edit_invoice(draft)"): False,
    ("anonymous", "can_edit_invoice(draft)"): False,
    ("superuser", "can_edit_invoice(revise_and_resubmit)"): True,
    ("project_admin", "can_edit_invoice(revise_and_resubmit)"): True,
    ("standard", "can_edit_invoice(revise_and_resubmit)"): True,
    ("standard_via_group", "can_edit_invoice(revise_and_resubmit)"): True,
    ("read_only", "can_edit_invoice(revise_and_resubmit)"): False,
    ("listed_read_only", "can_edit_invoice(revise_and_resubmit)"): False,
    ("listed_standard", "can_edit_invoice(revise_and_resubmit)"): True,
    ("invoice_contact", "can_edit_invoice(revise_and_resubmit)"): False,
    ("approver", "can_edit_invoice(revise_and_resubmit)"): False,
    ("approver_via_group", "can_edit_invoice(revise_and_resubmit)"): False,
    ("erp_standard_without_push", "can_edit_invoice(revise_and_resubmit)"): False,
    ("erp_read_only_with_push", "can_edit_invoice(revise_and_resubmit)"): False,
    ("other_project_admin", "can_edit_invoice(revise_and_resubmit)"): False,
    ("outsider", "can_edit_invoice(revise_and_resubmit)"): False,
    ("inactive_admin", "can_edit_invoice(revise_and_resubmit)"): False,
    ("anonymous", "can_edit_invoice(revise_and_resubmit)"): False,
    ("superuser", "can_edit_invoice(approved)"): True,
    ("project_admin", "can_edit_invoice(approved)"): True,
    ("standard", "can_edit_invoice(approved)"): False,
    ("standard_via_group", "can_edit_invoice(approved)"): False,
    ("read_only", "can_edit_invoice(approved)"): False,
    ("listed_read_only", "can_edit_invoice(approved)"): False,
    ("listed_standard", "can_edit_invoice(approved)"): False,
    ("invoice_contact", "can_edit_invoice(approved)"): False,
    ("approver", "can_edit_invoice(approved)"): False,
    ("approver_via_group", "can_edit_invoice(approved)"): False,
    ("erp_standard_without_push", "can_edit_invoice(approved)"): False,
    ("erp_read_only_with_push", "can_edit_invoice(approved)"): False,
    ("other_project_admin", "can_edit_invoice(approved)"): False,
    ("outsider", "can_edit_invoice(approved)"): False,
    ("inactive_admin", "can_edit_invoice(approved)"): False,
    ("anonymous", "can_edit_invoice(approved)"): False,
    ("superuser", "can_edit_invoice(locked)"): True,
    ("project_admin", "can_edit_invoice(locked)"): True,
    ("standard", "can_edit_invoice(locked)"): False,
    ("standard_via_group", "can_edit_invoice(locked)"): False,
    ("read_only", "can_edit_invoice(locked)"): False,
    ("listed_read_only", "can_edit_invoice(locked)"): False,
    ("listed_standard", "can_edit_invoice(locked)"): False,
    ("invoice_contact", "can_edit_invoice(locked)"): False,
    ("approver", "can_edit_invoice(locked)"): False,
    ("approver_via_group", "can_edit_invoice(locked)"): False,
    ("erp_standard_without_push", "can_edit_invoice(locked)"): False,
    ("erp_read_only_with_push", "can_edit_invoice(locked)"): False,
    ("other_project_admin", "can_edit_invoice(locked)"): False,
    ("outsider", "can_edit_invoice(locked)"): False,
    ("inactive_admin", "can_edit_invoice(locked)"): False,
    ("anonymous", "can_edit_invoice(locked)"): False,
    ("superuser", "can_edit_invoice(private_draft)"): True,
    ("project_admin", "can_edit_invoice(private_draft)"): True,
    ("standard", "can_edit_invoice(private_draft)"): False,
    ("standard_via_group", "can_edit_invoice(private_draft)"): False,
    ("read_only", "can_edit_invoice(private_draft)"): False,
    ("listed_read_only", "can_edit_invoice(private_draft)"): False,
    ("listed_standard", "can_edit_invoice(private_draft)"): True,
    ("invoice_contact", "can_edit_invoice(private_draft)"): False,
    ("approver", "can_edit_invoice(private_draft)"): False,
    ("approver_via_group", "can_edit_invoice(private_draft)"): False,
    ("erp_standard_without_push", "can_edit_invoice(private_draft)"): False,
    ("erp_read_only_with_push", "can_edit_invoice(private_draft)"): False,
    ("other_project_admin", "can_edit_invoice(private_draft)"): False,
    ("outsider", "can_edit_invoice(private_draft)"): False,
    ("inactive_admin", "can_edit_invoice(private_draft)"): False,
    ("anonymous", "can_edit_invoice(private_draft)"): False,
    # Send to ERP and Retrieve from ERP: project admins only.
    ("superuser", "can_send_or_retrieve(approved)"): True,
    ("project_admin", "can_send_or_retrieve(approved)"): True,
    ("standard", "can_send_or_retrieve(approved)"): False,
    ("standard_via_group", "can_send_or_retrieve(approved)"): False,
    ("read_only", "can_send_or_retrieve(approved)"): False,
    ("listed_read_only", "can_send_or_retrieve(approved)"): False,
    ("listed_standard", "can_send_or_retrieve(approved)"): False,
    ("invoice_contact", "can_send_or_retrieve(approved)"): False,
    ("approver", "can_send_or_retrieve(approved)"): False,
    ("approver_via_group", "can_send_or_retrieve(approved)"): False,
    ("erp_standard_without_push", "can_send_or_retrieve(approved)"): False,
    ("erp_read_only_with_push", "can_send_or_retrieve(approved)"): False,
    ("other_project_admin", "can_send_or_retrieve(approved)"): False,
    ("outsider", "can_send_or_retrieve(approved)"): False,
    ("inactive_admin", "can_send_or_retrieve(approved)"): False,
    ("anonymous", "can_send_or_retrieve(approved)"): False,
    ("superuser", "can_send_or_retrieve(private_locked)"): True,
    ("project_admin", "can_send_or_retrieve(private_locked)"): True,
    ("standard", "can_send_or_retrieve(private_locked)"): False,
    ("standard_via_group", "can_send_or_retrieve(private_locked)"): False,
    ("read_only", "can_send_or_retrieve(private_locked)"): False,
    ("listed_read_only", "can_send_or_retrieve(private_locked)"): False,
    ("listed_standard", "can_send_or_retrieve(private_locked)"): False,
    ("invoice_contact", "can_send_or_retrieve(private_locked)"): False,
    ("approver", "can_send_or_retrieve(private_locked)"): False,
    ("approver_via_group", "can_send_or_retrieve(private_locked)"): False,
    ("erp_standard_without_push", "can_send_or_retrieve(private_locked)"): False,
    ("erp_read_only_with_push", "can_send_or_retrieve(private_locked)"): False,
    ("other_project_admin", "can_send_or_retrieve(private_locked)"): False,
    ("outsider", "can_send_or_retrieve(private_locked)"): False,
    ("inactive_admin", "can_send_or_retrieve(private_locked)"): False,
    ("anonymous", "can_send_or_retrieve(private_locked)"): False,
    # Accept, reject, retry: the company's accounting approvers, not those of another company.
    ("superuser", "can_decide_export(locked)"): True,
    ("project_admin", "can_decide_export(locked)"): False,
    ("standard", "can_decide_export(locked)"): False,
    ("standard_via_group", "can_decide_export(locked)"): False,
    ("read_only", "can_decide_export(locked)"): False,
    ("listed_read_only", "can_decide_export(locked)"): False,
    ("listed_standard", "can_decide_export(locked)"): False,
    ("invoice_contact", "can_decide_export(locked)"): False,
    ("approver", "can_decide_export(locked)"): True,
    ("approver_via_group", "can_decide_export(locked)"): True,
    ("erp_standard_without_push", "can_decide_export(locked)"): False,
    ("erp_read_only_with_push", "can_decide_export(locked)"): False,
    ("other_project_admin", "can_decide_export(locked)"): False,
    ("outsider", "can_decide_export(locked)"): False,
    ("inactive_admin", "can_decide_export(locked)"): False,
    ("anonymous", "can_decide_export(locked)"): False,
    ("superuser", "can_decide_export(other_company_locked)"): True,
    ("project_admin", "can_decide_export(other_company_locked)"): False,
    ("standard", "can_decide_export(other_company_locked)"): False,
    ("standard_via_group", "can_decide_export(other_company_locked)"): False,
    ("read_only", "can_decide_export(other_company_locked)"): False,
    ("listed_read_only", "can_decide_export(other_company_locked)"): False,
    ("listed_standard", "can_decide_export(other_company_locked)"): False,
    ("invoice_contact", "can_decide_export(other_company_locked)"): False,
    ("approver", "can_decide_export(other_company_locked)"): False,
    ("approver_via_group", "can_decide_export(other_company_locked)"): False,
    ("erp_standard_without_push", "can_decide_export(other_company_locked)"): False,
    ("erp_read_only_with_push", "can_decide_export(other_company_locked)"): False,
    ("other_project_admin", "can_decide_export(other_company_locked)"): False,
    ("outsider", "can_decide_export(other_company_locked)"): False,
    ("inactive_admin", "can_decide_export(other_company_locked)"): False,
    ("anonymous", "can_decide_export(other_company_locked)"): False,
    # access_invoice_on_project: who sees the commitment, and nobody else: not the
    # approver, not even for an invoice waiting in his queue.
    ("superuser", "access_invoice_on_project(approved)"): True,
    ("project_admin", "access_invoice_on_project(approved)"): True,
    ("standard", "access_invoice_on_project(approved)"): True,
    ("standard_via_group", "access_invoice_on_project(approved)"): True,
    ("read_only", "access_invoice_on_project(approved)"): True,
    ("listed_read_only", "access_invoice_on_project(approved)"): True,
    ("listed_standard", "access_invoice_on_project(approved)"): True,
    ("invoice_contact", "access_invoice_on_project(approved)"): True,
    ("approver", "access_invoice_on_project(approved)"): False,
    ("approver_via_group", "access_invoice_on_project(approved)"): False,
    ("erp_standard_without_push", "access_invoice_on_project(approved)"): False,
    ("erp_read_only_with_push", "access_invoice_on_project(approved)"): False,
    ("other_project_admin", "access_invoice_on_project(approved)"): False,
    ("outsider", "access_invoice_on_project(approved)"): False,
    ("inactive_admin", "access_invoice_on_project(approved)"): False,
    ("anonymous", "access_invoice_on_project(approved)"): False,
    ("superuser", "access_invoice_on_project(private_locked)"): True,
    ("project_admin", "access_invoice_on_project(private_locked)"): True,
    ("standard", "access_invoice_on_project(private_locked)"): False,
    ("standard_via_group", "access_invoice_on_project(private_locked)"): False,
    ("read_only", "access_invoice_on_project(private_locked)"): False,
    ("listed_read_only", "access_invoice_on_project(private_locked)"): True,
    ("listed_standard", "access_invoice_on_project(private_locked)"): True,
    ("invoice_contact", "access_invoice_on_project(private_locked)"): False,
    ("approver", "access_invoice_on_project(private_locked)"): False,
    ("approver_via_group", "access_invoice_on_project(private_locked)"): False,
    ("erp_standard_without_push", "access_invoice_on_project(private_locked)"): False,
    ("erp_read_only_with_push", "access_invoice_on_project(private_locked)"): False,
    ("other_project_admin", "access_invoice_on_project(private_locked)"): False,
    ("outsider", "access_invoice_on_project(private_locked)"): False,
    ("inactive_admin", "access_invoice_on_project(private_locked)"): False,
    ("anonymous", "access_invoice_on_project(private_locked)"): False,
    ("superuser", "access_invoice_on_project(other_company_locked)"): True,
    ("project_admin", "access_invoice_on_project(other_company_locked)"): False,
    ("standard", "access_invoice_on_project(other_company_locked)"): False,
    ("standard_via_group", "access_invoice_on_project(other_company_locked)"): False,
    ("read_only", "access_invoice_on_project(other_company_locked)"): False,
    ("listed_read_only", "access_invoice_on_project(other_company_locked)"): False,
    ("listed_standard", "access_invoice_on_project(other_company_locked)"): False,
    ("invoice_contact", "access_invoice_on_project(other_company_locked)"): False,
    ("approver", "access_invoice_on_project(other_company_locked)"): False,
    ("approver_via_group", "access_invoice_on_project(other_company_locked)"): False,
    ("erp_standard_without_push", "access_invoice_on_project(other_company_locked)"): False,
    ("erp_read_only_with_push", "access_invoice_on_project(other_company_locked)"): False,
    ("other_project_admin", "access_invoice_on_project(other_company_locked)"): False,
    ("outsider", "access_invoice_on_project(other_company_locked)"): False,
    ("inactive_admin", "access_invoice_on_project(other_company_locked)"): False,
    ("anonymous", "access_invoice_on_project(other_company_locked)"): False,
    # access_invoice_to_download: who sees the commitment, and whoever may open the
    # invoice's review page in the company's ERP Integrations (any level of the tool,
    # approver or not: the review page lists the attachments, so its links must open) for
    # invoices that have been sent to the queue (they reach them there without any
    # Commitments level; the approved invoice here was never sent); everyone else gets 404.
    ("superuser", "access_invoice_to_download(approved)"): True,
    ("project_admin", "access_invoice_to_download(approved)"): True,
    ("standard", "access_invoice_to_download(approved)"): True,
    ("standard_via_group", "access_invoice_to_download(approved)"): True,
    ("read_only", "access_invoice_to_download(approved)"): True,
    ("listed_read_only", "access_invoice_to_download(approved)"): True,
    ("listed_standard", "access_invoice_to_download(approved)"): True,
    ("invoice_contact", "access_invoice_to_download(approved)"): True,
    ("approver", "access_invoice_to_download(approved)"): False,
    ("approver_via_group", "access_invoice_to_download(approved)"): False,
    ("erp_standard_without_push", "access_invoice_to_download(approved)"): False,
    ("erp_read_only_with_push", "access_invoice_to_download(approved)"): False,
    ("other_project_admin", "access_invoice_to_download(approved)"): False,
    ("outsider", "access_invoice_to_download(approved)"): False,
    ("inactive_admin", "access_invoice_to_download(approved)"): False,
    ("anonymous", "access_invoice_to_download(approved)"): False,
    ("superuser", "access_invoice_to_download(private_draft)"): True,
    ("project_admin", "access_invoice_to_download(private_draft)"): True,
    ("standard", "access_invoice_to_download(private_draft)"): False,
    ("standard_via_group", "access_invoice_to_download(private_draft)"): False,
    ("read_only", "access_invoice_to_download(private_draft)"): False,
    ("listed_read_only", "access_invoice_to_download(private_draft)"): True,
    ("listed_standard", "access_invoice_to_download(private_draft)"): True,
    ("invoice_contact", "access_invoice_to_download(private_draft)"): False,
    ("approver", "access_invoice_to_download(private_draft)"): False,
    ("approver_via_group", "access_invoice_to_download(private_draft)"): False,
    ("erp_standard_without_push", "access_invoice_to_download(private_draft)"): False,
    ("erp_read_only_with_push", "access_invoice_to_download(private_draft)"): False,
    ("other_project_admin", "access_invoice_to_download(private_draft)"): False,
    ("outsider", "access_invoice_to_download(private_draft)"): False,
    ("inactive_admin", "access_invoice_to_download(private_draft)"): False,
    ("anonymous", "access_invoice_to_download(private_draft)"): False,
    ("superuser", "access_invoice_to_download(private_locked)"): True,
    ("project_admin", "access_invoice_to_download(private_locked)"): True,
    ("standard", "access_invoice_to_download(private_locked)"): False,
    ("standard_via_group", "access_invoice_to_download(private_locked)"): False,
    ("read_only", "access_invoice_to_download(private_locked)"): False,
    ("listed_read_only", "access_invoice_to_download(private_locked)"): True,
    ("listed_standard", "access_invoice_to_download(private_locked)"): True,
    ("invoice_contact", "access_invoice_to_download(private_locked)"): False,
    ("approver", "access_invoice_to_download(private_locked)"): True,
    ("approver_via_group", "access_invoice_to_download(private_locked)"): True,
    ("erp_standard_without_push", "access_invoice_to_download(private_locked)"): True,
    ("erp_read_only_with_push", "access_invoice_to_download(private_locked)"): True,
    ("other_project_admin", "access_invoice_to_download(private_locked)"): False,
    ("outsider", "access_invoice_to_download(private_locked)"): False,
    ("inactive_admin", "access_invoice_to_download(private_locked)"): False,
    ("anonymous", "access_invoice_to_download(private_locked)"): False,
    ("superuser", "access_invoice_to_download(other_company_locked)"): True,
    ("project_admin", "access_invoice_to_download(other_company_locked)"): False,
    ("standard", "access_invoice_to_download(other_company_locked)"): False,
    ("standard_via_group", "access_invoice_to_download(other_company_locked)"): False,
    ("read_only", "access_invoice_to_download(other_company_locked)"): False,
    ("listed_read_only", "access_invoice_to_download(other_company_locked)"): False,
    ("listed_standard", "access_invoice_to_download(other_company_locked)"): False,
    ("invoice_contact", "access_invoice_to_download(other_company_locked)"): False,
    ("approver", "access_invoice_to_download(other_company_locked)"): False,
    ("approver_via_group", "access_invoice_to_download(other_company_locked)"): False,
    ("erp_standard_without_push", "access_invoice_to_download(other_company_locked)"): False,
    ("erp_read_only_with_push", "access_invoice_to_download(other_company_locked)"): False,
    ("other_project_admin", "access_invoice_to_download(other_company_locked)"): False,
    ("outsider", "access_invoice_to_download(other_company_locked)"): False,
    ("inactive_admin", "access_invoice_to_download(other_company_locked)"): False,
    ("anonymous", "access_invoice_to_download(other_company_locked)"): False,
}


def test_the_matrix_has_a_cell_for_every_role_and_question():
    assert set(EXPECTED) == {(role, question) for role in ROLES for question in QUESTIONS}


@pytest.mark.parametrize(("role", "question"), list(EXPECTED))
def test_access_layer_answer(access, role, question):
    assert QUESTIONS[question](access, access.users[role]) == EXPECTED[(role, question)]


@pytest.mark.parametrize("role", ROLES)
def test_access_invoice_on_project_opens_what_can_view_invoice_allows(access, role):
    user = access.users[role]
    for name, invoice in access.invoices.items():
        assert opens_on_project(access, user, name) == can_view_invoice(user, invoice), name


@pytest.mark.parametrize("role", ROLES)
def test_access_invoice_to_download_opens_the_project_path_and_the_queue_path(access, role):
    user = access.users[role]
    for name, invoice in access.invoices.items():
        expected = can_view_invoice(user, invoice) or can_read_through_queue(user, invoice)
        assert opens_invoice(access, user, name) == expected, name


@pytest.mark.parametrize("role", ["approver", "approver_via_group"])
def test_access_invoice_on_project_refuses_the_approver_even_for_his_queue(access, role):
    """The approver reads the invoices of his queue, but never through the project: no
    invoice page, edit, send, retrieve or attachment change."""
    user = access.users[role]
    for name in ("locked", "private_locked"):
        assert opens_invoice(access, user, name), name
        assert not opens_on_project(access, user, name), name
        invoice = access.invoices[name]
        with pytest.raises(Http404), transaction.atomic():
            access_invoice_on_project(user, invoice.pk, for_update=True)


def test_access_invoice_on_project_is_404_under_another_project(access):
    """The URL's project must be the invoice's, like its commitment."""
    invoice = access.invoices["approved"]
    with pytest.raises(Http404):
        access_invoice_on_project(
            access.users["superuser"],
            invoice.pk,
            project_id=access.other_project.pk,
            commitment_id=invoice.commitment_id,
        )
    with pytest.raises(Http404):
        access_invoice_to_download(
            access.users["superuser"],
            invoice.pk,
            project_id=access.other_project.pk,
            commitment_id=invoice.commitment_id,
        )


def test_the_locked_invoice_is_locked(access):
    assert access.invoices["locked"].is_locked
    assert access.invoices["private_locked"].is_locked
    assert not access.invoices["approved"].is_locked


@pytest.mark.parametrize("access_function", [access_invoice_on_project, access_invoice_to_download])
def test_access_is_404_under_another_commitment(access, access_function):
    """Even a superuser cannot reach an invoice through another commitment's address."""
    invoice = access.invoices["approved"]
    other = access.commitments["private"]
    with pytest.raises(Http404):
        access_function(access.users["superuser"], invoice.pk, commitment_id=other.pk)


@pytest.mark.parametrize("access_function", [access_invoice_on_project, access_invoice_to_download])
@pytest.mark.parametrize("invoice_id", [0, 999_999, "abc", None])
def test_access_is_404_for_an_id_that_names_no_invoice(access, access_function, invoice_id):
    with pytest.raises(Http404):
        access_function(access.users["superuser"], invoice_id)


@pytest.mark.parametrize("access_function", [access_invoice_on_project, access_invoice_to_download])
def test_access_loads_commitment_project_company_and_vendor(
    access, access_function, django_assert_num_queries
):
    invoice = access.invoices["approved"]
    with django_assert_num_queries(1):
        found = access_function(access.users["superuser"], invoice.pk)
        assert found.commitment.project.company == access.company
        assert found.commitment.vendor == invoice.commitment.vendor


def test_access_invoice_on_project_for_update_returns_the_invoice_inside_a_transaction(access):
    invoice = access.invoices["locked"]
    with transaction.atomic():
        found = access_invoice_on_project(
            access.users["project_admin"], invoice.pk, for_update=True
        )
    assert found == invoice


def test_access_invoice_on_project_for_update_still_refuses_who_may_not_see(access):
    invoice = access.invoices["private_locked"]
    with pytest.raises(Http404), transaction.atomic():
        access_invoice_on_project(access.users["read_only"], invoice.pk, for_update=True)


def test_a_removed_invoice_contact_can_no_longer_edit_their_draft(fresh):
    user, draft = fresh.users["invoice_contact"], fresh.invoices["draft"]
    commitment_remove_invoice_contact(commitment=fresh.commitments["public"], user=user)
    assert not can_edit_invoice(user, draft)
    assert not can_create_invoice(user, fresh.commitments["public"])
    with pytest.raises(Http404):
        access_invoice_on_project(user, draft.pk)


# --- status_moves_for: the review buttons agree with the service --------------------------


class _Undo(Exception):
    """Raised to roll back a tried move."""


def _service_allows(user, invoice, status) -> bool:
    try:
        with transaction.atomic():
            invoice_set_status(
                user=user, invoice_id=invoice.pk, status=status, commitment_id=invoice.commitment_id
            )
            raise _Undo
    except _Undo:
        return True
    except ActionRefused:
        return False


@pytest.mark.django_db
@pytest.mark.parametrize("locked", [False, True], ids=["unlocked", "locked"])
@pytest.mark.parametrize("status", InvoiceStatus.values)
@pytest.mark.parametrize(
    "role", ["project_admin", "standard", "read_only", "invoice_contact", "superuser"]
)
def test_status_moves_are_exactly_the_moves_the_service_accepts(role, status, locked):
    """Every status the page offers is accepted by `invoice_set_status`, and every other
    one is refused, for each role, from each status, locked or not."""
    world = build_world()
    invoice = world.invoice(
        status=status,
        created_by=world.users["invoice_contact"],
        erp_state=ExportState.READY_TO_EXPORT if locked else None,
    )
    user = world.users[role]

    offered = status_moves_for(user, invoice)

    accepted = [
        target
        for target in STATUS_MOVE_ORDER
        if target != status and _service_allows(user, invoice, target)
    ]
    assert offered == accepted


def test_status_moves_come_in_the_page_order():
    assert set(STATUS_MOVE_ORDER) == set(InvoiceStatus) - {InvoiceStatus.DRAFT}
    assert STATUS_MOVE_ORDER[0] == InvoiceStatus.UNDER_REVIEW
