"""Django admin for companies, vendors and projects.

Companies and projects use guardian's admin, with forms that speak in levels ("Commitments:
Admin") rather than raw codenames and that save through the grant services, so a grant
made here is the same as one made anywhere else.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    GuardedModelAdmin,
)
from guardian.shortcuts import get_user_perms

from invoices.admin import CascadeDeletesRecordsMixin
from projects.models import (
    COMMITMENTS_LEVEL_PERMISSIONS,
    ERP_INTEGRATIONS_LEVEL_PERMISSIONS,
    PUSH_TO_ACCOUNTING_PERMISSION,
    Company,
    Project,
    ToolLevel,
    Vendor,
    VendorEmployee,
)
from projects.services import (
    company_set_erp_integrations_level,
    company_set_push_to_accounting,
    project_set_commitments_level,
)


def held_level(held: set[str], codenames: dict[ToolLevel, str]) -> ToolLevel:
    """The highest level among the granted codenames (what the access layer reads)."""
    for level in (ToolLevel.ADMIN, ToolLevel.STANDARD, ToolLevel.READ_ONLY):
        if codenames[level] in held:
            return level
    return ToolLevel.NONE


def level_field(label: str, initial: ToolLevel) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=ToolLevel.choices,
        coerce=int,
        initial=initial,
        widget=forms.RadioSelect,
        help_text="Each level includes the ones below it.",
    )


class ObjectGrantsAdminMixin:
    """Guardian's object permission pages limited to the grants that mean something on
    this model (`object_permission_codenames`): the default add/change/delete/view
    permissions are model-wide and would only clutter the per-object table."""

    object_permission_codenames: tuple[str, ...] = ()

    def get_obj_perms_base_context(self, request, obj):
        context = super().get_obj_perms_base_context(request, obj)
        codenames = self.object_permission_codenames
        context["model_perms"] = sorted(
            (
                permission
                for permission in context["model_perms"]
                if permission.codename in codenames
            ),
            key=lambda permission: codenames.index(permission.codename),
        )
        return context

    def get_obj_perms_manage_group_form(self, request):
        codenames = self.object_permission_codenames

        class GroupGrantsForm(AdminGroupObjectPermissionsForm):
            def get_obj_perms_field_choices(self):
                names = dict(super().get_obj_perms_field_choices())
                return [(codename, names[codename]) for codename in codenames]

        return GroupGrantsForm


class CompanyUserGrantsForm(AdminUserObjectPermissionsForm):
    """A user's ERP Integrations level on the company and the 'Can push to accounting'
    privilege; an accounting approver needs Standard or Admin plus the privilege."""

    def __init__(self, user, obj, *args, **kwargs) -> None:
        self.held = set(get_user_perms(user, obj))
        super().__init__(user, obj, *args, **kwargs)
        self.fields["push_to_accounting"] = forms.BooleanField(
            label="Can push to accounting",
            required=False,
            initial=PUSH_TO_ACCOUNTING_PERMISSION in self.held,
        )

    def get_obj_perms_field(self) -> forms.Field:
        return level_field(
            "ERP Integrations", held_level(self.held, ERP_INTEGRATIONS_LEVEL_PERMISSIONS)
        )

    @transaction.atomic
    def save_obj_perms(self) -> None:
        company_set_erp_integrations_level(
            user=self.user, company=self.obj, level=ToolLevel(self.cleaned_data["permissions"])
        )
        company_set_push_to_accounting(
            user=self.user, company=self.obj, allowed=self.cleaned_data["push_to_accounting"]
        )


class ProjectUserGrantsForm(AdminUserObjectPermissionsForm):
    """A user's level on the project's Commitments tool (invoicing follows it)."""

    def get_obj_perms_field(self) -> forms.Field:
        held = set(get_user_perms(self.user, self.obj))
        return level_field("Commitments", held_level(held, COMMITMENTS_LEVEL_PERMISSIONS))

    @transaction.atomic
    def save_obj_perms(self) -> None:
        project_set_commitments_level(
            user=self.user, project=self.obj, level=ToolLevel(self.cleaned_data["permissions"])
        )


@admin.register(Company)
class CompanyAdmin(ObjectGrantsAdminMixin, CascadeDeletesRecordsMixin, GuardedModelAdmin):
    list_display = ["name", "point_of_view", "erp_system"]
    list_filter = ["point_of_view"]
    search_fields = ["name"]
    list_select_related = ["erp_connection"]
    object_permission_codenames = (
        *ERP_INTEGRATIONS_LEVEL_PERMISSIONS.values(),
        PUSH_TO_ACCOUNTING_PERMISSION,
    )

    @admin.display(description="ERP system")
    def erp_system(self, company: Company) -> str:
        connection = getattr(company, "erp_connection", None)
        return connection.get_system_display() if connection else "—"

    def get_obj_perms_manage_user_form(self, request):
        return CompanyUserGrantsForm


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "erp_vendor_id"]
    list_filter = ["company"]
    search_fields = ["name", "erp_vendor_id"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


@admin.register(VendorEmployee)
class VendorEmployeeAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor", "company"]
    list_filter = ["vendor__company"]
    search_fields = ["user__username", "user__email", "user__last_name", "vendor__name"]
    list_select_related = ["user", "vendor__company"]
    autocomplete_fields = ["user", "vendor"]

    @admin.display(ordering="vendor__company__name")
    def company(self, employee: VendorEmployee) -> Company:
        return employee.vendor.company


@admin.register(Project)
class ProjectAdmin(ObjectGrantsAdminMixin, CascadeDeletesRecordsMixin, GuardedModelAdmin):
    list_display = ["number", "name", "company", "erp_job_id", "created_at"]
    list_display_links = ["number", "name"]
    list_filter = ["company"]
    search_fields = ["number", "name", "erp_job_id"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = ["created_at"]
    object_permission_codenames = tuple(COMMITMENTS_LEVEL_PERMISSIONS.values())

    def get_obj_perms_manage_user_form(self, request):
        return ProjectUserGrantsForm
