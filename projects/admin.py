"""Django admin for companies, vendors and projects.

Companies and projects use guardian's admin, with forms that speak in levels ("Commitments:
Admin") rather than raw codenames and that save through the grant services, so a grant
made here is the same as one made anywhere else.

An invoice in ERP Integrations exports its project's number, name and ERP job id, read
when it is exported. So while any invoice of the project is in ERP Integrations (Ready to
Export, Exporting, Failed to Export), they are read-only, and a POST that would change them
anyway is refused with the reason, changing nothing. The company of a project that has
commitments never changes: its commitments, their vendors and invoices would move with it
to another company. Every such POST first takes the row lock of the project (which adding
a commitment to it waits for) and those of its invoices, which the ERP services hold for
every transition, so the check and the write see the same commitments and ERP statuses.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.db import router, transaction
from django.http import HttpResponseRedirect
from guardian.admin import (
    AdminGroupObjectPermissionsForm,
    AdminUserObjectPermissionsForm,
    GuardedModelAdmin,
)
from guardian.shortcuts import get_user_perms

from invoices.admin import CascadeDeletesRecordsMixin, posted_changes
from invoices.locking import IN_ERP_INTEGRATIONS_STATUSES
from invoices.models import Invoice
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

PROJECT_LOCKED = (
    "{project} has invoices in ERP Integrations ({invoices}); its {what} is locked "
    "until they are exported, rejected or retrieved."
)
PROJECT_HAS_COMMITMENTS = (
    "{project} has commitments; its company cannot change, as they would move to another "
    "company with it."
)
# Exported with each invoice of the project (what each is called in the message). Its
# company is exported too, and fixed for good once it has commitments (COMPANY_FIELD).
PROJECT_EXPORTED_FIELDS = {"number": "number", "name": "name", "erp_job_id": "ERP job id"}
COMPANY_FIELD = "company"


def lock_project_invoices(project: Project) -> list[Invoice]:
    """Take the row locks of every invoice of the project (caller is inside
    `transaction.atomic`), in primary key order like every path that locks invoices, so a
    send of any of them waits for this save or lands before it. Returns those in ERP
    Integrations, by commitment and number."""
    invoices = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("commitment")
        .filter(commitment__project_id=project.pk)
        .order_by("pk")
    )
    return sorted(
        (invoice for invoice in invoices if invoice.erp_status in IN_ERP_INTEGRATIONS_STATUSES),
        key=lambda invoice: (invoice.commitment.number, invoice.number),
    )


def project_invoices_in_erp(project: Project) -> list[Invoice]:
    """The project's invoices in ERP Integrations: those read under the row locks when this
    request took them, otherwise read now (once per instance)."""
    if not hasattr(project, "_invoices_in_erp"):
        project._invoices_in_erp = list(
            Invoice.objects.select_related("commitment")
            .filter(commitment__project_id=project.pk, erp_status__in=IN_ERP_INTEGRATIONS_STATUSES)
            .order_by("commitment__number", "number")
        )
    return project._invoices_in_erp


def has_commitments(project: Project) -> bool:
    if not hasattr(project, "_has_commitments"):
        project._has_commitments = project.commitments.exists()
    return project._has_commitments


def project_lock_message(project: Project, what: str) -> str:
    return PROJECT_LOCKED.format(
        project=project.number,
        invoices=", ".join(str(invoice) for invoice in project_invoices_in_erp(project)),
        what=what,
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

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and has_commitments(obj):
            readonly.append(COMPANY_FIELD)
        if obj is not None and project_invoices_in_erp(obj):
            readonly += PROJECT_EXPORTED_FIELDS
        return readonly

    def get_object(self, request, object_id, from_field=None):
        project = super().get_object(request, object_id, from_field)
        if project is not None and request.method == "POST":
            # Decide under the project's row lock, which a new commitment's reference to it
            # waits for, and the invoices' row locks: the check and the save must see the
            # commitments and the ERP statuses the other paths see.
            try:
                project.refresh_from_db(from_queryset=Project.objects.select_for_update())
            except Project.DoesNotExist:
                return None
            project._invoices_in_erp = lock_project_invoices(project)
            project._has_commitments = project.commitments.exists()
        return project

    def locked_changes(self, request, project: Project) -> list[str]:
        """Why this POST may not be saved: each locked part it would change."""
        data, refusals = request.POST, []
        if has_commitments(project) and posted_changes(data, project, [COMPANY_FIELD]):
            refusals.append(PROJECT_HAS_COMMITMENTS.format(project=project.number))
        if project_invoices_in_erp(project):
            for name in posted_changes(data, project, PROJECT_EXPORTED_FIELDS):
                refusals.append(project_lock_message(project, PROJECT_EXPORTED_FIELDS[name]))
        return refusals

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None or request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            project = self.get_object(request, unquote(object_id))
            refusals = self.locked_changes(request, project) if project else []
            if refusals:
                for refusal in refusals:
                    messages.error(request, f"{refusal} Nothing was changed.")
                return HttpResponseRedirect(request.get_full_path())
            return super().changeform_view(request, object_id, form_url, extra_context)
