"""Django admin for companies, vendors and projects.

Companies and projects use guardian's admin, with forms that speak in levels ("Commitments:
Admin") rather than raw codenames and that save through the grant services, so a grant
made here is the same as one made anywhere else.

An invoice in ERP Integrations exports its project's number, name and ERP job id, its
vendor's name and ERP vendor id and its company's name, read when it is exported. So while
any invoice of the project, vendor or company is in ERP Integrations (Ready to Export,
Exporting, Failed to Export), those fields are read-only, and a POST that would change them
anyway is refused with the reason, changing nothing (`ExportedFieldsLockMixin`). The
company of a project that has commitments never changes: its commitments, their vendors
and invoices would move with it to another company. Every such POST first takes the row
lock of the project, vendor or company (a project's keeps new commitments off it) and
those of its invoices, which the ERP services hold for every transition, so the check and
the write see the same commitments and ERP statuses. Synced invoices do not hold these
fields: the ERP has them already.

Deleting a company or project deletes its invoices too, so it is refused while one of them
is locked (`invoices.admin.CascadeDeletesRecordsMixin`). A vendor with commitments cannot be
deleted at all: they protect it.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.db import router, transaction
from django.db.models import Q
from django.http import HttpResponseRedirect
from guardian.admin import (
    AdminUserObjectPermissionsForm,
    GuardedModelAdmin,
)
from guardian.shortcuts import get_user_perms

from core.admin import ModelAdminMixin, ObjectGrantsAdminMixin, posted_changes
from invoices.admin import CascadeDeletesRecordsMixin
from invoices.locking import lock_invoices
from invoices.models import ERP_WORKFLOW, Invoice
from projects.models import (
    COMMITMENTS_LEVEL_PERMISSIONS,
    ERP_AGENT_PERMISSION,
    ERP_INTEGRATIONS_LEVEL_PERMISSIONS,
    PUSH_TO_ACCOUNTING_PERMISSION,
    Company,
    Project,
    ToolLevel,
    Vendor,
    VendorEmployee,
)
from projects.permissions import held_level
from projects.services import (
    company_set_erp_agent,
    company_set_erp_integrations_level,
    company_set_push_to_accounting,
    project_set_commitments_level,
)

EXPORTED_FIELD_LOCKED = (
    "{owner} has invoices in ERP Integrations ({invoices}); its {what} is locked "
    "until they are exported, rejected or retrieved."
)
# How many invoices EXPORTED_FIELD_LOCKED names; a company may have hundreds in there.
INVOICES_NAMED = 10
MORE_INVOICES = "and {count} more"
PROJECT_HAS_COMMITMENTS = (
    "{project} has commitments; its company cannot change, as they would move to another "
    "company with it."
)
# Exported with each invoice of the project (what each is called in the message). Its
# company is exported too, and fixed for good once it has commitments (COMPANY_FIELD).
PROJECT_EXPORTED_FIELDS = {"number": "number", "name": "name", "erp_job_id": "ERP job id"}
COMPANY_FIELD = "company"
VENDOR_EXPORTED_FIELDS = {"name": "name", "erp_vendor_id": "ERP vendor id"}
COMPANY_EXPORTED_FIELDS = {"name": "name"}


def by_commitment(invoices) -> list[Invoice]:
    return sorted(invoices, key=lambda invoice: (invoice.commitment.number, invoice.number))


def lock_invoices_in_erp(**owner) -> list[Invoice]:
    """Take the row locks of every invoice of the owner (`commitment__project_id=3`;
    caller is inside `transaction.atomic` and holds the owner's row lock) through
    `lock_invoices`, so a send of any of them waits for this save or lands before it.
    Returns those in ERP Integrations, by commitment and number."""
    invoices = lock_invoices(Q(**owner), select_related=("commitment",))
    return by_commitment(
        invoice
        for invoice in invoices
        if invoice.erp_status in ERP_WORKFLOW.in_erp_integrations_statuses
    )


def has_commitments(project: Project) -> bool:
    # A per-instance cache, not a model field: hence the ignores.
    if not hasattr(project, "_has_commitments"):
        project._has_commitments = project.commitments.exists()  # type: ignore[attr-defined]
    return project._has_commitments  # type: ignore[attr-defined]


def level_field(label: str, initial: ToolLevel) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=ToolLevel.choices,
        coerce=int,
        initial=initial,
        widget=forms.RadioSelect,
        help_text="Each level includes the ones below it.",
    )


class CompanyUserGrantsForm(AdminUserObjectPermissionsForm):
    """A user's ERP Integrations level on the company, the 'Can push to accounting'
    privilege (an accounting approver needs Standard or Admin plus the privilege) and the
    'ERP agent' privilege (the user an on-premises agent pulls exports as)."""

    obj: Company

    def __init__(self, user, obj: Company, *args, **kwargs) -> None:
        self.held = set(get_user_perms(user, obj))
        super().__init__(user, obj, *args, **kwargs)
        self.fields["push_to_accounting"] = forms.BooleanField(
            label="Can push to accounting",
            required=False,
            initial=PUSH_TO_ACCOUNTING_PERMISSION in self.held,
        )
        self.fields["erp_agent"] = forms.BooleanField(
            label="ERP agent",
            required=False,
            initial=ERP_AGENT_PERMISSION in self.held,
            help_text=(
                "Pulls the company's accepted exports through the API with its token, "
                "for an ERP connection on the Agent connector. Opens nothing else."
            ),
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
        company_set_erp_agent(
            user=self.user, company=self.obj, allowed=self.cleaned_data["erp_agent"]
        )


class ProjectUserGrantsForm(AdminUserObjectPermissionsForm):
    """A user's level on the project's Commitments tool (invoicing follows it)."""

    obj: Project

    def get_obj_perms_field(self) -> forms.Field:
        held = set(get_user_perms(self.user, self.obj))
        return level_field("Commitments", held_level(held, COMMITMENTS_LEVEL_PERMISSIONS))

    @transaction.atomic
    def save_obj_perms(self) -> None:
        project_set_commitments_level(
            user=self.user, project=self.obj, level=ToolLevel(self.cleaned_data["permissions"])
        )


class ExportedFieldsLockMixin(ModelAdminMixin):
    """While any invoice of the object is in ERP Integrations, its `exported_fields` are
    read-only and a POST that would change them is refused, changing nothing.
    `invoice_owner_lookup` leads from an invoice to the object, as for
    `CascadeDeletesRecordsMixin`."""

    exported_fields: dict[str, str] = {}
    invoice_owner_lookup = ""
    # FOR UPDATE keeps new rows from referring to the object while the POST decides; FOR
    # NO KEY UPDATE only other edits of it. A send, holding its invoice's row lock, adds
    # an export item referring to the company: a company's FOR UPDATE would deadlock it.
    row_lock_keeps_new_references_out = False

    def invoices_in_erp(self, obj) -> list[Invoice]:
        """The object's invoices in ERP Integrations: those read under the row locks when
        this request took them, otherwise read now (once per instance)."""
        if not hasattr(obj, "_invoices_in_erp"):
            obj._invoices_in_erp = by_commitment(
                Invoice.objects.select_related("commitment").filter(
                    erp_status__in=ERP_WORKFLOW.in_erp_integrations_statuses,
                    **{self.invoice_owner_lookup: obj.pk},
                )
            )
        return obj._invoices_in_erp

    def lock_owner_name(self, obj) -> str:
        return str(obj)

    def exported_field_lock(self, obj, what: str) -> str:
        invoices = self.invoices_in_erp(obj)
        named = [str(invoice) for invoice in invoices[:INVOICES_NAMED]]
        if len(invoices) > INVOICES_NAMED:
            named.append(MORE_INVOICES.format(count=len(invoices) - INVOICES_NAMED))
        return EXPORTED_FIELD_LOCKED.format(
            owner=self.lock_owner_name(obj), invoices=", ".join(named), what=what
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.invoices_in_erp(obj):
            readonly += self.exported_fields
        return readonly

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and request.method == "POST":
            # Decide under the object's row lock and its invoices' row locks: the check and
            # the save must see the ERP statuses the ERP services see.
            no_key = not self.row_lock_keeps_new_references_out
            try:
                obj.refresh_from_db(
                    from_queryset=self.model.objects.select_for_update(no_key=no_key)
                )
            except self.model.DoesNotExist:
                return None
            obj._invoices_in_erp = lock_invoices_in_erp(**{self.invoice_owner_lookup: obj.pk})
        return obj

    def locked_changes(self, request, obj) -> list[str]:
        """Why this POST may not be saved: each locked field it would change."""
        if not self.invoices_in_erp(obj):
            return []
        return [
            self.exported_field_lock(obj, self.exported_fields[name])
            for name in posted_changes(request.POST, obj, self.exported_fields)
        ]

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None or request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            obj = self.get_object(request, unquote(object_id))
            refusals = self.locked_changes(request, obj) if obj else []
            if refusals:
                for refusal in refusals:
                    messages.error(request, f"{refusal} Nothing was changed.")
                return HttpResponseRedirect(request.get_full_path())
            return super().changeform_view(request, object_id, form_url, extra_context)


# guardian types change_form_template as an instance str, django-stubs as a ClassVar.
@admin.register(Company)
class CompanyAdmin(  # type: ignore[misc]
    ObjectGrantsAdminMixin, ExportedFieldsLockMixin, CascadeDeletesRecordsMixin, GuardedModelAdmin
):
    list_display = ["name", "point_of_view", "erp_system"]
    list_filter = ["point_of_view"]
    search_fields = ["name"]
    list_select_related = ["erp_connection"]
    object_permission_codenames = (
        *ERP_INTEGRATIONS_LEVEL_PERMISSIONS.values(),
        PUSH_TO_ACCOUNTING_PERMISSION,
        ERP_AGENT_PERMISSION,
    )
    exported_fields = COMPANY_EXPORTED_FIELDS
    invoice_owner_lookup = "commitment__project__company"

    @admin.display(description="ERP system")
    def erp_system(self, company: Company) -> str:
        connection = getattr(company, "erp_connection", None)
        return connection.get_system_display() if connection else "—"

    def get_obj_perms_manage_user_form(self, request):
        return CompanyUserGrantsForm


@admin.register(Vendor)
class VendorAdmin(ExportedFieldsLockMixin, admin.ModelAdmin):
    list_display = ["name", "company", "erp_vendor_id"]
    list_filter = ["company"]
    search_fields = ["name", "erp_vendor_id"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    exported_fields = VENDOR_EXPORTED_FIELDS
    invoice_owner_lookup = "commitment__vendor"


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


# guardian types change_form_template as an instance str, django-stubs as a ClassVar.
@admin.register(Project)
class ProjectAdmin(  # type: ignore[misc]
    ObjectGrantsAdminMixin, ExportedFieldsLockMixin, CascadeDeletesRecordsMixin, GuardedModelAdmin
):
    list_display = ["number", "name", "company", "erp_job_id", "created_at"]
    list_display_links = ["number", "name"]
    list_filter = ["company"]
    search_fields = ["number", "name", "erp_job_id"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]
    readonly_fields = ["created_at"]
    object_permission_codenames = tuple(COMMITMENTS_LEVEL_PERMISSIONS.values())
    exported_fields = PROJECT_EXPORTED_FIELDS
    invoice_owner_lookup = "commitment__project"
    # A commitment added while the POST decides would miss the company check.
    row_lock_keeps_new_references_out = True

    def get_obj_perms_manage_user_form(self, request):
        return ProjectUserGrantsForm

    def lock_owner_name(self, project: Project) -> str:
        return project.number

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and has_commitments(obj):
            readonly.append(COMPANY_FIELD)
        return readonly

    def get_object(self, request, object_id, from_field=None):
        project = super().get_object(request, object_id, from_field)
        if project is not None and request.method == "POST":
            # Read under the project's row lock, which a new commitment's reference to it
            # waits for.
            project._has_commitments = project.commitments.exists()
        return project

    def locked_changes(self, request, project: Project) -> list[str]:
        refusals = []
        if has_commitments(project) and posted_changes(request.POST, project, [COMPANY_FIELD]):
            refusals.append(PROJECT_HAS_COMMITMENTS.format(project=project.number))
        return [*refusals, *super().locked_changes(request, project)]
