"""Django admin for commitments and their schedule of values.

A commitment's object permissions page grants private access and names invoice contacts
through the commitment services, so the rule that a contact works for the vendor (and is
put on the private access list) holds here too.

What an invoice in ERP Integrations exports is read when it is exported: its lines'
scheduled values and the commitment's number, title, vendor and ERP link. So while any
invoice of the commitment is in ERP Integrations (Ready to Export, Exporting, Failed to
Export), its SOV lines (in the inline and in their own admin: change, add, delete) and
those fields are read-only, and a POST that would change them anyway is refused with the
reason, changing nothing. The project of a commitment that has invoices never changes:
its invoices would move with it to another project, perhaps of another company. Every
such POST first takes the row lock of the commitment (which creating an invoice takes
too) and those of its invoices, which the ERP services hold for every transition, so the
check and the write see the same invoices and ERP statuses. Adding an SOV line is refused
too, to keep the rule simple: the Schedule of Values is locked as a whole. Synced invoices
do not hold the commitment: the ERP has their figures, and change orders must still reach
the Schedule of Values. Deleting the commitment would delete its invoices, so it is refused
while one of them is locked, synced ones included (`CascadeDeletesRecordsMixin`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Q
from django.forms.models import modelform_factory
from django.http import HttpResponseRedirect
from django.urls import reverse
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
from core.admin import AtomicActionsMixin, ObjectGrantsAdminMixin, posted_changes
from invoices.admin import CascadeDeletesRecordsMixin
from invoices.locking import lock_invoices
from invoices.models import ERP_WORKFLOW, Invoice
from projects.models import VendorEmployee

VENDOR_OF_ANOTHER_COMPANY = "The contract company must be a vendor of the project's company."
STATUS_NOT_OF_TYPE = "A {type} cannot be {status}; choose one of: {statuses}."
COMMITMENT_LOCKED = (
    "{commitment} has invoices in ERP Integrations ({invoices}); its {what} is locked "
    "until they are exported, rejected or retrieved."
)
COMMITMENT_HAS_INVOICES = (
    "{commitment} has invoices; its project cannot change, as they would move to another "
    "project with it."
)
SCHEDULE_OF_VALUES = "Schedule of Values"
# Exported with each of the commitment's invoices (what each is called in the message).
# Its project is exported too, and fixed for good once it has invoices (PROJECT_FIELD).
EXPORTED_FIELDS = {
    "number": "number",
    "title": "title",
    "vendor": "contract company",
    "erp_status": "ERP status",
    "erp_reference": "ERP reference",
}
PROJECT_FIELD = "project"
SOV_FIELDS = ("position", "cost_code", "description", "scheduled_value")
SOV_PREFIX = "sov_lines"


def lock_commitment_invoices(
    commitment_ids, *, every_invoice: bool = False
) -> dict[int, list[Invoice]]:
    """Take the row locks of every invoice of these commitments (caller is inside
    `transaction.atomic`) through `lock_invoices`, so a send of any of them waits for this
    save or lands before it. Returns each commitment's invoices in ERP Integrations (with
    `every_invoice`, all its invoices), by number."""
    commitment_ids = set(commitment_ids)
    in_erp: dict[int, list[Invoice]] = {commitment_id: [] for commitment_id in commitment_ids}
    invoices = lock_invoices(Q(commitment_id__in=commitment_ids))
    for invoice in invoices:
        if every_invoice or invoice.erp_status in ERP_WORKFLOW.in_erp_integrations_statuses:
            in_erp[invoice.commitment_id].append(invoice)
    for invoices_of_one in in_erp.values():
        invoices_of_one.sort(key=lambda invoice: invoice.number)
    return in_erp


def invoices_in_erp(commitment: Commitment) -> list[Invoice]:
    """The commitment's invoices in ERP Integrations, by number: those read under the row
    locks when this request took them, otherwise read now (once per instance)."""
    # A per-instance cache, not a model field: hence the ignores.
    if not hasattr(commitment, "_invoices_in_erp"):
        commitment._invoices_in_erp = list(  # type: ignore[attr-defined]
            commitment.invoices.filter(
                erp_status__in=ERP_WORKFLOW.in_erp_integrations_statuses
            ).order_by("number")
        )
    return commitment._invoices_in_erp  # type: ignore[attr-defined]


def has_invoices(commitment: Commitment) -> bool:
    """Whether the commitment has any invoice: read under its row lock when this request
    took it, otherwise read now (once per instance)."""
    # A per-instance cache, not a model field: hence the ignores.
    if not hasattr(commitment, "_has_invoices"):
        commitment._has_invoices = commitment.invoices.exists()  # type: ignore[attr-defined]
    return commitment._has_invoices  # type: ignore[attr-defined]


def commitment_lock_message(commitment: Commitment, what: str) -> str | None:
    invoices = invoices_in_erp(commitment)
    if not invoices:
        return None
    return COMMITMENT_LOCKED.format(
        commitment=commitment.number,
        invoices=", ".join(invoice.label for invoice in invoices),
        what=what,
    )


def sov_lines_changed(data, commitment: Commitment) -> bool:
    """Whether a POST of the commitment's change form would change, add or delete one of
    its SOV lines. A field the POST does not carry (the inline was shown read-only) counts
    as unchanged."""
    form_class = modelform_factory(SovLine, fields=SOV_FIELDS)
    lines = {str(line.pk): line for line in commitment.sov_lines.all()}
    try:
        total = min(int(data.get(f"{SOV_PREFIX}-TOTAL_FORMS", 0)), 1000)
    except ValueError:
        total = 0
    for index in range(total):
        prefix = f"{SOV_PREFIX}-{index}"
        line = lines.get(data.get(f"{prefix}-id", ""))
        form = form_class(data=data, prefix=prefix, instance=line)
        if data.get(f"{prefix}-DELETE"):
            if line is not None:
                return True
            continue
        for name, field in form.fields.items():
            if form.add_prefix(name) not in data:
                continue
            if field.has_changed(form.get_initial_for_field(field, name), form[name].data):
                return True
    return False


class CommitmentUserGrantsForm(AdminUserObjectPermissionsForm):
    """A user's place on the commitment: its private access list and its invoice contacts."""

    obj: Commitment

    def __init__(self, user, obj: Commitment, *args, **kwargs) -> None:
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
        super().clean()
        cleaned_data = self.cleaned_data
        project, vendor = cleaned_data.get("project"), cleaned_data.get("vendor")
        if project and vendor and vendor.company_id != project.company_id:
            self.add_error("vendor", VENDOR_OF_ANOTHER_COMPANY)
        commitment_type, status = cleaned_data.get("type"), cleaned_data.get("status")
        if commitment_type and status:
            statuses = STATUSES_BY_TYPE[commitment_type]
            if status not in statuses.values:
                status_labels = dict(Commitment._meta.get_field("status").flatchoices)
                self.add_error(
                    "status",
                    STATUS_NOT_OF_TYPE.format(
                        type=CommitmentType(commitment_type).label,
                        status=status_labels.get(status, status),
                        statuses=", ".join(statuses.labels),
                    ),
                )
        return cleaned_data


class SovLineInline(admin.TabularInline):
    model = SovLine
    extra = 0
    fields = SOV_FIELDS

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not (obj and invoices_in_erp(obj))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and invoices_in_erp(obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and invoices_in_erp(obj))


# guardian types change_form_template as an instance str, django-stubs as a ClassVar.
@admin.register(Commitment)
class CommitmentAdmin(  # type: ignore[misc]
    ObjectGrantsAdminMixin, CascadeDeletesRecordsMixin, GuardedModelAdmin
):
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
    # Deleting a commitment deletes its invoices: refused while one is locked.
    invoice_owner_lookup = "commitment"
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

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and has_invoices(obj):
            readonly.append(PROJECT_FIELD)
        if obj is not None and invoices_in_erp(obj):
            readonly += EXPORTED_FIELDS
        return readonly

    def get_object(self, request, object_id, from_field=None):
        commitment = super().get_object(request, object_id, from_field)
        if commitment is not None and request.method == "POST":
            # Decide under the commitment's row lock, which creating an invoice takes, and
            # the invoices' row locks: the check and the save must see the invoices and
            # the ERP statuses the invoice and ERP services see.
            try:
                commitment.refresh_from_db(from_queryset=Commitment.objects.select_for_update())
            except Commitment.DoesNotExist:
                return None
            invoices = lock_commitment_invoices([commitment.pk], every_invoice=True)
            commitment._has_invoices = bool(invoices[commitment.pk])
            commitment._invoices_in_erp = [
                invoice
                for invoice in invoices[commitment.pk]
                if invoice.erp_status in ERP_WORKFLOW.in_erp_integrations_statuses
            ]
        return commitment

    def locked_changes(self, request, commitment: Commitment) -> list[str]:
        """Why this POST may not be saved: each locked part it would change."""
        data, refusals = request.POST, []
        if has_invoices(commitment) and posted_changes(data, commitment, [PROJECT_FIELD]):
            refusals.append(COMMITMENT_HAS_INVOICES.format(commitment=commitment.number))
        if not invoices_in_erp(commitment):
            return refusals
        locked = [
            EXPORTED_FIELDS[name] for name in posted_changes(data, commitment, EXPORTED_FIELDS)
        ]
        if sov_lines_changed(data, commitment):
            locked.append(SCHEDULE_OF_VALUES)
        for what in locked:
            if refusal := commitment_lock_message(commitment, what):
                refusals.append(refusal)
        return refusals

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None or request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            commitment = self.get_object(request, unquote(object_id))
            refusals = self.locked_changes(request, commitment) if commitment else []
            if refusals:
                for refusal in refusals:
                    messages.error(request, f"{refusal} Nothing was changed.")
                return HttpResponseRedirect(request.get_full_path())
            return super().changeform_view(request, object_id, form_url, extra_context)


class SovLineAdminForm(forms.ModelForm):
    class Meta:
        model = SovLine
        fields = ["commitment", *SOV_FIELDS]

    def clean(self):
        super().clean()
        cleaned_data = self.cleaned_data
        commitment = cleaned_data.get("commitment")
        if commitment is not None and commitment.pk != self.instance.commitment_id:
            # A line added to (or moved onto) a commitment changes its Schedule of Values:
            # decide under its invoices' row locks.
            commitment._invoices_in_erp = lock_commitment_invoices([commitment.pk])[commitment.pk]
            refusal = commitment_lock_message(commitment, SCHEDULE_OF_VALUES)
            if refusal:
                raise forms.ValidationError(f"{refusal} Nothing was changed.")
        return cleaned_data


@admin.register(SovLine)
class SovLineAdmin(AtomicActionsMixin, admin.ModelAdmin):
    form = SovLineAdminForm
    list_display = ["cost_code", "description", "commitment", "position", "scheduled_value"]
    list_display_links = ["cost_code", "description"]
    list_filter = ["commitment__project__company"]
    search_fields = ["cost_code", "description", "commitment__number", "commitment__title"]
    list_select_related = ["commitment"]
    autocomplete_fields = ["commitment"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("commitment")

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (
            obj and invoices_in_erp(obj.commitment)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (
            obj and invoices_in_erp(obj.commitment)
        )

    def get_object(self, request, object_id, from_field=None):
        line = super().get_object(request, object_id, from_field)
        if line is not None and request.method == "POST":
            commitment = line.commitment
            commitment._invoices_in_erp = lock_commitment_invoices([commitment.pk])[commitment.pk]
        return line

    def refuse(self, request, line: SovLine, *, redirect_to: str) -> HttpResponseRedirect:
        refusal = commitment_lock_message(line.commitment, SCHEDULE_OF_VALUES)
        messages.error(request, f"{refusal} Nothing was changed.")
        return HttpResponseRedirect(redirect_to)

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None or request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            line = self.get_object(request, unquote(object_id))
            if line is not None and invoices_in_erp(line.commitment):
                return self.refuse(request, line, redirect_to=request.get_full_path())
            return super().changeform_view(request, object_id, form_url, extra_context)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)):
            line = self.get_object(request, unquote(object_id))
            if line is not None and invoices_in_erp(line.commitment):
                return self.refuse(
                    request,
                    line,
                    redirect_to=reverse("admin:commitments_sovline_change", args=[line.pk]),
                )
            return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        lines = list(objs)
        in_erp = lock_commitment_invoices(line.commitment_id for line in lines)
        reported = set()
        for line in lines:
            line.commitment._invoices_in_erp = in_erp[line.commitment_id]
            refusal = commitment_lock_message(line.commitment, SCHEDULE_OF_VALUES)
            if refusal and line.commitment_id not in reported:
                reported.add(line.commitment_id)
                messages.error(request, refusal)
        return super().get_deleted_objects(lines, request)

    def delete_queryset(self, request, queryset):
        held = Invoice.objects.filter(
            commitment__sov_lines__in=queryset,
            erp_status__in=ERP_WORKFLOW.in_erp_integrations_statuses,
        )
        if held.exists():
            raise PermissionDenied
        super().delete_queryset(request, queryset)
