"""Django admin for commitments and their schedule of values.

A commitment's object permissions page grants private access and names invoice contacts
through the commitment services, so the rule that a contact works for the vendor (and is
put on the private access list) holds here too.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdmin
from guardian.shortcuts import get_user_perms

from commitments.models import (
    INVOICE_CONTACT_PERMISSION,
    PRIVATE_ACCESS_PERMISSION,
    STATUSES_BY_TYPE,
    Commitment,
    CommitmentType,
    SovLine,
)
from commitments.services import (
    NOT_A_VENDOR_EMPLOYEE,
    commitment_add_invoice_contact,
    commitment_grant_private_access,
    commitment_remove_invoice_contact,
    commitment_revoke_private_access,
)
from invoices.admin import CascadeDeletesRecordsMixin
from projects.admin import ObjectGrantsAdminMixin
from projects.models import VendorEmployee

VENDOR_OF_ANOTHER_COMPANY = "The contract company must be a vendor of the project's company."
STATUS_NOT_OF_TYPE = "A {type} cannot be {status}; choose one of: {statuses}."


class CommitmentUserGrantsForm(AdminUserObjectPermissionsForm):
    """A user's place on the commitment: its private access list and its invoice contacts."""

    def __init__(self, user, obj, *args, **kwargs) -> None:
        self.held = set(get_user_perms(user, obj))
        super().__init__(user, obj, *args, **kwargs)
        self.fields["invoice_contact"] = forms.BooleanField(
            label="Invoice contact",
            required=False,
            initial=INVOICE_CONTACT_PERMISSION in self.held,
            help_text="An employee of the contract company; also put on the access list.",
        )

    def get_obj_perms_field(self) -> forms.Field:
        return forms.BooleanField(
            label="On the private access list",
            required=False,
            initial=PRIVATE_ACCESS_PERMISSION in self.held,
        )

    def clean_invoice_contact(self) -> bool:
        wanted = self.cleaned_data["invoice_contact"]
        if wanted and INVOICE_CONTACT_PERMISSION not in self.held:
            works_for_vendor = VendorEmployee.objects.filter(
                user=self.user, vendor_id=self.obj.vendor_id
            ).exists()
            if not works_for_vendor:
                raise forms.ValidationError(NOT_A_VENDOR_EMPLOYEE.format(vendor=self.obj.vendor))
        return wanted

    @transaction.atomic
    def save_obj_perms(self) -> None:
        commitment, user = self.obj, self.user
        if self.cleaned_data["permissions"]:
            commitment_grant_private_access(commitment=commitment, user=user)
        else:
            commitment_revoke_private_access(commitment=commitment, user=user)
        was_contact = INVOICE_CONTACT_PERMISSION in self.held
        if self.cleaned_data["invoice_contact"] and not was_contact:
            commitment_add_invoice_contact(commitment=commitment, user=user)
        elif not self.cleaned_data["invoice_contact"] and was_contact:
            commitment_remove_invoice_contact(commitment=commitment, user=user)


class CommitmentForm(forms.ModelForm):
    class Meta:
        model = Commitment
        fields = [
            "project",
            "type",
            "number",
            "title",
            "vendor",
            "status",
            "executed",
            "is_private",
            "default_retainage_percent",
            "erp_status",
            "erp_reference",
        ]

    def clean(self):
        cleaned_data = super().clean()
        project, vendor = cleaned_data.get("project"), cleaned_data.get("vendor")
        if project and vendor and vendor.company_id != project.company_id:
            self.add_error("vendor", VENDOR_OF_ANOTHER_COMPANY)
        commitment_type, status = cleaned_data.get("type"), cleaned_data.get("status")
        if commitment_type and status:
            statuses = STATUSES_BY_TYPE[commitment_type]
            if status not in statuses.values:
                self.add_error(
                    "status",
                    STATUS_NOT_OF_TYPE.format(
                        type=CommitmentType(commitment_type).label,
                        status=dict(self.fields["status"].choices).get(status, status),
                        statuses=", ".join(statuses.labels),
                    ),
                )
        return cleaned_data


class SovLineInline(admin.TabularInline):
    model = SovLine
    extra = 0
    fields = ["position", "cost_code", "description", "scheduled_value"]


@admin.register(Commitment)
class CommitmentAdmin(ObjectGrantsAdminMixin, CascadeDeletesRecordsMixin, GuardedModelAdmin):
    form = CommitmentForm
    list_display = [
        "number",
        "title",
        "project",
        "vendor",
        "type",
        "status",
        "executed",
        "is_private",
        "erp_status",
    ]
    list_display_links = ["number", "title"]
    list_filter = ["type", "status", "executed", "is_private", "erp_status", "project__company"]
    search_fields = [
        "number",
        "title",
        "vendor__name",
        "project__number",
        "project__name",
        "erp_reference",
    ]
    list_select_related = ["project", "vendor"]
    autocomplete_fields = ["project", "vendor"]
    readonly_fields = ["created_at"]
    inlines = [SovLineInline]
    object_permission_codenames = (PRIVATE_ACCESS_PERMISSION, INVOICE_CONTACT_PERMISSION)
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "project",
                    "type",
                    "number",
                    "title",
                    "vendor",
                    "status",
                    "executed",
                    "is_private",
                    "default_retainage_percent",
                    "created_at",
                ]
            },
        ),
        # No ERP service links a commitment yet, so the site admin records the link here.
        ("ERP", {"fields": ["erp_status", "erp_reference"]}),
    ]

    def get_obj_perms_manage_user_form(self, request):
        return CommitmentUserGrantsForm


@admin.register(SovLine)
class SovLineAdmin(admin.ModelAdmin):
    list_display = ["cost_code", "description", "commitment", "position", "scheduled_value"]
    list_display_links = ["cost_code", "description"]
    list_filter = ["commitment__project__company"]
    search_fields = ["cost_code", "description", "commitment__number", "commitment__title"]
    list_select_related = ["commitment"]
    autocomplete_fields = ["commitment"]
