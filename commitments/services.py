"""Changes to a commitment's people: the private access list and invoice contacts."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm, remove_perm

from commitments.models import INVOICE_CONTACT_PERMISSION, PRIVATE_ACCESS_PERMISSION, Commitment
from projects.models import VendorEmployee
from projects.permissions import forget_object_permissions

NOT_A_VENDOR_EMPLOYEE = (
    "An invoice contact must be an employee of the commitment's vendor ({vendor})."
)


@transaction.atomic
def commitment_grant_private_access(*, commitment: Commitment, user: User) -> None:
    assign_perm(PRIVATE_ACCESS_PERMISSION, user, commitment)
    forget_object_permissions(user)


@transaction.atomic
def commitment_revoke_private_access(*, commitment: Commitment, user: User) -> None:
    remove_perm(PRIVATE_ACCESS_PERMISSION, user, commitment)
    forget_object_permissions(user)


@transaction.atomic
def commitment_add_invoice_contact(*, commitment: Commitment, user: User) -> None:
    """Name an employee of the commitment's vendor an invoice contact; they are put on
    the private access list too, as the contact must see the commitment."""
    works_for_vendor = VendorEmployee.objects.filter(
        user=user, vendor_id=commitment.vendor_id
    ).exists()
    if not works_for_vendor:
        raise ValidationError(NOT_A_VENDOR_EMPLOYEE.format(vendor=commitment.vendor))
    assign_perm(INVOICE_CONTACT_PERMISSION, user, commitment)
    assign_perm(PRIVATE_ACCESS_PERMISSION, user, commitment)
    forget_object_permissions(user)


@transaction.atomic
def commitment_remove_invoice_contact(*, commitment: Commitment, user: User) -> None:
    remove_perm(INVOICE_CONTACT_PERMISSION, user, commitment)
    forget_object_permissions(user)
