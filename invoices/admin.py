"""Django admin for invoices, their lines and their change history.

The ERP lock holds here as everywhere: an invoice whose ERP status locks it is shown
read-only, and any POST that would change or delete it (the change form, the lines
inline, the invoice line admin, the delete page, the bulk delete action) is refused with
the lock's reason, changing nothing. So is an invoice while a later invoice of its
commitment is locked, as its lines make up that invoice's previous work completed
(`invoices.locking.edit_lock_message`). Every such POST first takes the row locks of the
invoice and of its commitment's later invoices, which the ERP services hold for every
transition, so the check and the write see the same ERP statuses. ERP fields are never
editable: only the ERP services change them.

An invoice's number and commitment never change here either: its previous work completed
comes from the invoices numbered before it on its commitment, so renumbering or moving one
invoice would change another's figures, a locked one's included. A POST that would change
them is refused.

Invoices and their lines are created and edited here through the pages' services
(`invoice_add`, `invoice_edit`): an added invoice is numbered after every other invoice of
its commitment and gets one line per SOV line, every edit is checked like one made on the
pages, recorded in the change history and raises the revision. A refusal from a service
becomes an error message, and the save is rolled back (`core.admin.ServiceRefusalsMixin`).

Deleting a company, project or commitment would delete its invoices with it. While one of
them is locked (in ERP Integrations or exported), the delete page and the bulk delete
action list it among the protected objects and delete nothing, as the invoice's own
delete is refused (`CascadeDeletesRecordsMixin`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import csrf_protect_m
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from commitments.models import SovLine
from core.admin import (
    REFUSED,
    AtomicActionsMixin,
    ServiceRefusalsMixin,
    ViewOnlyMixin,
    posted_changes,
)
from erp_integrations.models import ExportItem
from invoices.amounts import CENT, amounts_of_invoices
from invoices.locking import edit_lock_message, lock_for_edit, lock_invoices
from invoices.models import (
    ERP_WORKFLOW,
    ChangeHistoryEntry,
    Invoice,
    InvoiceAttachment,
    InvoiceLine,
)
from invoices.services import (
    HEADER_FIELDS,
    SOV_LINE_OF_ANOTHER_COMMITMENT,
    NewLine,
    invoice_add,
    invoice_edit,
)

LOCKED_REFUSAL = REFUSED
# A locked invoice that deleting its company, project or commitment would delete with it.
HELD_INVOICE = "{invoice} of {commitment} ({project}): in ERP Integrations ({status})"
INVOICE_PLACE_FIXED = (
    "The number and commitment of {label} cannot change: each invoice's previous work "
    "completed comes from the invoices numbered before it on its commitment."
)
# Fixed once the invoice exists (INVOICE_PLACE_FIXED).
INVOICE_PLACE_FIELDS = ["commitment", "number"]

# Shown, never editable: the ERP services move the ERP status, and every edit (here too)
# raises the revision by itself.
INVOICE_SERVICE_FIELDS = ["erp_status", "revision"]
LINE_INPUT_FIELDS = [
    "work_completed_this_period",
    "materials_presently_stored",
    "work_retainage_percent",
    "materials_retainage_percent",
]


def edit_lock(invoice: Invoice) -> str | None:
    """Why the invoice's lines and header may not change here (`edit_lock_message`), read
    once per invoice instance: the permission checks ask several times per page."""
    # A per-instance cache, not a model field: hence the ignores.
    if not hasattr(invoice, "_edit_lock"):
        invoice._edit_lock = edit_lock_message(invoice)  # type: ignore[attr-defined]
    return invoice._edit_lock  # type: ignore[attr-defined]


def refuse_locked(request, invoice: Invoice, *, redirect_to: str) -> HttpResponseRedirect:
    messages.error(request, LOCKED_REFUSAL.format(reason=edit_lock(invoice)))
    return HttpResponseRedirect(redirect_to)


def held_by_a_later_invoice(prefix: str = "") -> Exists:
    """Filter for invoices (or, with prefix "invoice__", their lines) that a locked later
    invoice of the same commitment holds."""
    return Exists(
        Invoice.objects.filter(
            commitment_id=OuterRef(f"{prefix}commitment_id"),
            number__gt=OuterRef(f"{prefix}number"),
            erp_status__in=ERP_WORKFLOW.locked_statuses,
        )
    )


def lock_invoice_rows(invoice_ids) -> list[Invoice]:
    """Take the row locks of these invoices and of their commitments' later invoices,
    whose figures they feed (caller is inside `transaction.atomic`), and return these
    invoices as they are now, each with its `edit_lock` reason read from the locked rows."""
    invoice_ids = set(invoice_ids)
    earlier_one_asked = Invoice.objects.filter(
        pk__in=invoice_ids,
        commitment_id=OuterRef("commitment_id"),
        number__lt=OuterRef("number"),
    )
    rows = lock_invoices(
        Q(pk__in=invoice_ids) | Q(Exists(earlier_one_asked)), select_related=("commitment",)
    )
    by_commitment = defaultdict(list)
    for row in rows:
        by_commitment[row.commitment_id].append(row)
    asked = [row for row in rows if row.pk in invoice_ids]
    for invoice in asked:
        invoice._edit_lock = edit_lock_message(  # type: ignore[attr-defined]  # edit_lock's cache
            invoice, later=by_commitment[invoice.commitment_id]
        )
    return asked


def report_locked(request, invoices: list[Invoice]) -> None:
    for invoice in invoices:
        if reason := edit_lock(invoice):
            messages.error(request, reason)


def lock_owned_invoices(owner_lookup: str, owner_ids: Iterable[int]) -> list[Invoice]:
    """Take the row locks of the invoices that deleting these owners would delete (caller
    is inside `transaction.atomic`) through `lock_invoices`, so a send of any of them
    waits for the delete or lands before this check.
    Returns the locked ones (in ERP Integrations or exported), by project, commitment and
    number. `owner_lookup` leads from an invoice to the owner ("commitment__project")."""
    invoices = lock_invoices(
        Q(**{f"{owner_lookup}__in": list(owner_ids)}), select_related=("commitment__project",)
    )
    return sorted(
        (invoice for invoice in invoices if invoice.is_locked),
        key=lambda invoice: (
            invoice.commitment.project.number,
            invoice.commitment.number,
            invoice.number,
        ),
    )


def held_invoice(invoice: Invoice) -> str:
    return HELD_INVOICE.format(
        invoice=invoice.label,
        commitment=invoice.commitment.number,
        project=invoice.commitment.project.number,
        status=invoice.get_erp_status_display(),
    )


class CascadeDeletesRecordsMixin(AtomicActionsMixin):
    """Change history and export items cannot be deleted on their own in admin, yet they go
    with the invoice (or company) they belong to. Without this, Django would refuse to
    delete any invoice that has history, for lack of the right to delete its history.

    An admin whose objects own invoices names the lookup from an invoice to its model in
    `invoice_owner_lookup`. Deleting such objects deletes their invoices too, so while one
    of them is locked the delete page and the bulk delete action list it among the
    protected objects, and Django deletes nothing. The check runs under the row locks of
    those invoices, in the delete's transaction."""

    records_deleted_with_their_owner = (ChangeHistoryEntry, ExportItem)
    invoice_owner_lookup = ""

    def get_deleted_objects(self, objs, request):
        held = []
        if self.invoice_owner_lookup:
            owned = lock_owned_invoices(self.invoice_owner_lookup, (obj.pk for obj in objs))
            held = [held_invoice(invoice) for invoice in owned]
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        records = {model._meta.verbose_name for model in self.records_deleted_with_their_owner}
        perms_needed -= records
        if held:
            # Django shows missing permissions before protected objects; the locked
            # invoices (which nobody may delete) are what stands in the way.
            perms_needed = set()
        return deleted, counts, perms_needed, [*protected, *held]


def shown(value) -> str:
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    return "" if value is None else str(value)


def line_values(form: forms.ModelForm, names) -> dict[str, Decimal]:
    """A line form's amounts and retainage, to the cent as the database keeps them (and as
    the history shows them)."""
    return {
        name: form.cleaned_data[name].quantize(CENT)
        for name in names
        if name in LINE_INPUT_FIELDS and form.cleaned_data.get(name) is not None
    }


class InvoiceLineForm(forms.ModelForm):
    class Meta:
        model = InvoiceLine
        fields = ["invoice", "sov_line", *LINE_INPUT_FIELDS]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        sov_line = self.fields.get("sov_line")
        if sov_line is not None and self.instance.pk:
            # A line bills one SOV line for good; bill another by adding a line.
            sov_line.disabled = True

    def clean(self):
        super().clean()
        cleaned_data = self.cleaned_data
        invoice = cleaned_data.get("invoice") or getattr(self.instance, "invoice", None)
        sov_line = cleaned_data.get("sov_line")
        if invoice and sov_line and sov_line.commitment_id != invoice.commitment_id:
            self.add_error(
                "sov_line",
                SOV_LINE_OF_ANOTHER_COMMITMENT.format(
                    sov_line=sov_line, commitment=invoice.commitment
                ),
            )
        return cleaned_data


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    form = InvoiceLineForm
    extra = 0
    fields = ["sov_line", "scheduled_value", *LINE_INPUT_FIELDS]
    readonly_fields = ["scheduled_value"]

    def get_queryset(self, request):
        # The invoice and commitment name each row (InvoiceLine.__str__).
        return super().get_queryset(request).select_related("invoice__commitment", "sov_line")

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        sov_line = formset.form.base_fields.get("sov_line")
        if isinstance(sov_line, forms.ModelChoiceField):
            sov_line.queryset = SovLine.objects.filter(
                commitment=obj.commitment_id if obj else None
            )
            # Evaluated once for the page instead of once per line's select box.
            # (The field's `choices` are this iterator until they are set.)
            sov_line.choices = list(sov_line.iterator(sov_line))
        return formset

    @admin.display(description="Scheduled value")
    def scheduled_value(self, line: InvoiceLine) -> str:
        sov_line = getattr(line, "sov_line", None)
        return shown(sov_line.scheduled_value) if sov_line else "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and not (obj and edit_lock(obj))

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and edit_lock(obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and edit_lock(obj))


class ChangeHistoryInline(admin.TabularInline):
    """The invoice's history, read-only: rows are only ever added, by the services."""

    model = ChangeHistoryEntry
    fields = readonly_fields = (
        "created_at",
        "action_by",
        "changed",
        "from_value",
        "to_value",
        "batch_id",
    )
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice__commitment", "action_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class InvoiceForm(forms.ModelForm):
    # No number: `invoice_add` numbers a new invoice when the admin saves it.
    class Meta:
        model = Invoice
        fields = [
            "commitment",
            "status",
            "created_by",
            "billing_period_start",
            "billing_period_end",
            "billing_date",
        ]


@admin.register(Invoice)
class InvoiceAdmin(ServiceRefusalsMixin, CascadeDeletesRecordsMixin, admin.ModelAdmin):
    form = InvoiceForm
    list_display = [
        "invoice",
        "commitment",
        "project",
        "vendor",
        "billing_period_start",
        "billing_period_end",
        "status",
        "erp_status",
        "locked",
    ]
    list_filter = ["status", "erp_status", "commitment__project__company", "billing_date"]
    search_fields = [
        "=number",
        "commitment__number",
        "commitment__title",
        "commitment__vendor__name",
        "commitment__project__number",
        "commitment__project__name",
    ]
    list_select_related = ["commitment__project", "commitment__vendor"]
    date_hierarchy = "billing_date"
    autocomplete_fields = ["commitment", "created_by"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("commitment__project__company", "commitment__vendor", "created_by")
        )

    def get_fieldsets(self, request, obj=None):
        period = (
            "Billing period",
            {"fields": ["billing_period_start", "billing_period_end", "billing_date"]},
        )
        if obj is None:
            return [(None, {"fields": ["commitment", "status", "created_by"]}), period]
        return [
            (None, {"fields": ["commitment", "number", "status", "created_by"]}),
            period,
            ("ERP Integrations", {"fields": ["erp_status", "lock", "revision"]}),
            ("Amounts", {"fields": ["amounts", "created_at", "updated_at"]}),
        ]

    def get_readonly_fields(self, request, obj=None):
        always = [*INVOICE_SERVICE_FIELDS, "lock", "amounts", "created_at", "updated_at"]
        if obj is None:
            return always
        # Moving an invoice to another commitment would also orphan its lines.
        return [*always, *INVOICE_PLACE_FIELDS, "created_by"]

    def get_inlines(self, request, obj):
        # A new invoice gets one line per SOV line when it is saved; lines come after.
        return [InvoiceLineInline, ChangeHistoryInline] if obj else []

    def get_changeform_initial_data(self, request):
        return {"created_by": request.user.pk, **super().get_changeform_initial_data(request)}

    @admin.display(description="Invoice", ordering="number")
    def invoice(self, invoice: Invoice) -> str:
        return invoice.label

    @admin.display(ordering="commitment__project__number")
    def project(self, invoice: Invoice):
        return invoice.commitment.project

    @admin.display(description="Contract company", ordering="commitment__vendor__name")
    def vendor(self, invoice: Invoice):
        return invoice.commitment.vendor

    @admin.display(boolean=True, description="Locked")
    def locked(self, invoice: Invoice) -> bool:
        return invoice.is_locked

    @admin.display(description="Lock")
    def lock(self, invoice: Invoice) -> str:
        return edit_lock(invoice) or "Not locked: the invoice can be edited."

    @admin.display(description="Amounts")
    def amounts(self, invoice: Invoice) -> str:
        totals = amounts_of_invoices([invoice])[invoice.pk].totals
        rows = [
            ("Work completed this period", totals.work_completed_this_period),
            ("Materials presently stored", totals.materials_presently_stored),
            ("Total completed and stored to date", totals.total_completed_and_stored),
            ("% complete", totals.percent_complete),
            ("Balance to finish", totals.balance_to_finish),
            ("Retainage held", totals.retainage_held),
            ("Current payment due", totals.current_payment_due),
        ]
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "", "<tr><th>{}</th><td>{}</td></tr>", ((label, shown(v)) for label, v in rows)
            ),
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and edit_lock(obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and edit_lock(obj))

    def get_object(self, request, object_id, from_field=None):
        invoice = super().get_object(request, object_id, from_field)
        if invoice is not None and request.method == "POST":
            # Re-read under the row locks of the invoice and its later invoices: the lock
            # check and the save must see the ERP statuses the ERP services see.
            try:
                later = lock_for_edit(invoice)
            except Invoice.DoesNotExist:
                return None
            invoice._edit_lock = edit_lock_message(invoice, later=later)
        return invoice

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None or request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            invoice = self.get_object(request, unquote(object_id))
            if invoice is not None and edit_lock(invoice):
                return refuse_locked(request, invoice, redirect_to=request.get_full_path())
            if invoice is not None and posted_changes(request.POST, invoice, INVOICE_PLACE_FIELDS):
                reason = INVOICE_PLACE_FIXED.format(label=invoice.label)
                messages.error(request, LOCKED_REFUSAL.format(reason=reason))
                return HttpResponseRedirect(request.get_full_path())
            return super().changeform_view(request, object_id, form_url, extra_context)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)):
            invoice = self.get_object(request, unquote(object_id))
            if invoice is not None and edit_lock(invoice):
                return refuse_locked(
                    request,
                    invoice,
                    redirect_to=reverse("admin:invoices_invoice_change", args=[invoice.pk]),
                )
            return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        invoices = lock_invoice_rows(invoice.pk for invoice in objs)
        report_locked(request, invoices)
        return super().get_deleted_objects(invoices, request)

    def delete_queryset(self, request, queryset):
        locked = Q(erp_status__in=ERP_WORKFLOW.locked_statuses) | held_by_a_later_invoice()
        if queryset.filter(locked).exists():
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def save_model(self, request, obj, form, change):
        if change:
            # The edit is saved with its lines in save_related, in one service call.
            return
        # Numbered after every other invoice of its commitment, under the commitment's row
        # lock, with one line per SOV line, like an invoice created on the pages.
        data = form.cleaned_data
        invoice = invoice_add(
            user=request.user,
            commitment=data["commitment"],
            billing_period_start=data["billing_period_start"],
            billing_period_end=data["billing_period_end"],
            billing_date=data["billing_date"],
            status=data["status"],
            created_by=data["created_by"],
        )
        for field in Invoice._meta.concrete_fields:
            setattr(obj, field.attname, getattr(invoice, field.attname))
        obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        if not change:
            return super().save_related(request, form, formsets, change)
        # commit=False: the lines formset says what it would add, change and delete (the
        # change message reads that) and the edit service does it, with the header.
        lines, new_lines, removed = {}, [], []
        for formset in formsets:
            formset.save(commit=False)  # the history inline is read-only: nothing to save
            if formset.model is not InvoiceLine:
                continue
            deleted = formset.deleted_forms if formset.can_delete else []
            for line_form in formset.forms:
                line = line_form.instance
                if line_form in deleted:
                    if line.pk is not None:
                        removed.append(line.pk)
                elif line.pk is None:
                    if line_form.has_changed():
                        new_lines.append(
                            NewLine(
                                sov_line=line_form.cleaned_data["sov_line"],
                                values=line_values(line_form, LINE_INPUT_FIELDS),
                            )
                        )
                elif line_form.has_changed():
                    lines[line.pk] = line_values(line_form, line_form.changed_data)
        invoice_edit(
            user=request.user,
            invoice=form.instance,
            header={
                name: form.cleaned_data[name] for name in HEADER_FIELDS if name in form.changed_data
            },
            status=form.cleaned_data["status"] if "status" in form.changed_data else None,
            lines=lines,
            new_lines=new_lines,
            removed_line_ids=removed,
        )


class InvoiceLineAdminForm(InvoiceLineForm):
    def clean(self):
        super().clean()
        cleaned_data = self.cleaned_data
        invoice = cleaned_data.get("invoice")
        if invoice is not None and self.instance._state.adding:
            # Adding a line changes the invoice: take its row lock before checking.
            invoice = lock_invoice_rows([invoice.pk])[0]
            if edit_lock(invoice):
                raise forms.ValidationError(LOCKED_REFUSAL.format(reason=edit_lock(invoice)))
        return cleaned_data


@admin.register(InvoiceLine)
class InvoiceLineAdmin(ServiceRefusalsMixin, AtomicActionsMixin, admin.ModelAdmin):
    form = InvoiceLineAdminForm
    list_display = ["invoice", "sov_line", *LINE_INPUT_FIELDS, "locked"]
    list_filter = ["invoice__erp_status", "invoice__commitment__project__company"]
    search_fields = [
        "invoice__commitment__number",
        "sov_line__cost_code",
        "sov_line__description",
    ]
    list_select_related = ["invoice__commitment", "sov_line"]
    autocomplete_fields = ["invoice", "sov_line"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("invoice__commitment", "sov_line")

    def get_readonly_fields(self, request, obj=None):
        return ["invoice", "sov_line"] if obj else []

    @admin.display(boolean=True, description="Locked")
    def locked(self, line: InvoiceLine) -> bool:
        return line.invoice.is_locked

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and not (obj and edit_lock(obj.invoice))

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and edit_lock(obj.invoice))

    def get_object(self, request, object_id, from_field=None):
        line = super().get_object(request, object_id, from_field)
        if line is not None and request.method == "POST":
            # Changing a line changes its invoice: take its row lock (and its later
            # invoices') first.
            line.invoice = lock_invoice_rows([line.invoice_id])[0]
        return line

    @csrf_protect_m
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id is None or request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with transaction.atomic(using=router.db_for_write(self.model)):
            line = self.get_object(request, unquote(object_id))
            if line is not None and edit_lock(line.invoice):
                return refuse_locked(request, line.invoice, redirect_to=request.get_full_path())
            return super().changeform_view(request, object_id, form_url, extra_context)

    @csrf_protect_m
    def delete_view(self, request, object_id, extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)):
            line = self.get_object(request, unquote(object_id))
            if line is not None and edit_lock(line.invoice):
                return refuse_locked(
                    request,
                    line.invoice,
                    redirect_to=reverse("admin:invoices_invoiceline_change", args=[line.pk]),
                )
            return super().delete_view(request, object_id, extra_context)

    def get_deleted_objects(self, objs, request):
        lines = list(objs)
        invoices = {
            invoice.pk: invoice for invoice in lock_invoice_rows(line.invoice_id for line in lines)
        }
        for line in lines:
            line.invoice = invoices[line.invoice_id]
        report_locked(request, list(invoices.values()))
        return super().get_deleted_objects(lines, request)

    def delete_queryset(self, request, queryset):
        locked = Q(invoice__erp_status__in=ERP_WORKFLOW.locked_statuses) | held_by_a_later_invoice(
            "invoice__"
        )
        if queryset.filter(locked).exists():
            raise PermissionDenied
        removed = defaultdict(list)
        invoices = {}
        for line in queryset.select_related("invoice__commitment"):
            removed[line.invoice_id].append(line.pk)
            invoices[line.invoice_id] = line.invoice
        for invoice_id, line_ids in removed.items():
            invoice_edit(user=request.user, invoice=invoices[invoice_id], removed_line_ids=line_ids)

    def delete_model(self, request, obj):
        invoice_edit(user=request.user, invoice=obj.invoice, removed_line_ids=[obj.pk])

    def save_model(self, request, obj, form, change):
        if change:
            invoice_edit(
                user=request.user,
                invoice=obj.invoice,
                lines={obj.pk: line_values(form, form.changed_data)},
            )
            return
        invoice_edit(
            user=request.user,
            invoice=obj.invoice,
            new_lines=[NewLine(sov_line=obj.sov_line, values=line_values(form, LINE_INPUT_FIELDS))],
        )
        # The admin goes on to the new line's page.
        obj.pk = InvoiceLine.objects.get(invoice=obj.invoice, sov_line=obj.sov_line).pk
        obj._state.adding = False


@admin.register(ChangeHistoryEntry)
class ChangeHistoryEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Append-only: rows are written by the services, never added, changed or deleted here
    (they go only with their invoice)."""

    list_display = ["created_at", "invoice", "action_by", "changed", "from_value", "to_value"]
    list_filter = ["invoice__commitment__project__company"]
    search_fields = [
        "changed",
        "from_value",
        "to_value",
        "invoice__commitment__number",
        "action_by__username",
    ]
    list_select_related = ["invoice__commitment", "action_by"]
    date_hierarchy = "created_at"


@admin.register(InvoiceAttachment)
class InvoiceAttachmentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """View-only: attachments are added and removed on the invoice page, where the ERP
    lock and the upload checks apply, and go with their invoice. The file itself is
    downloaded from the invoice page, never from a media URL."""

    list_display = [
        "original_name",
        "invoice",
        "content_type",
        "size",
        "added_by",
        "added_at",
    ]
    list_filter = ["invoice__commitment__project__company", "content_type"]
    search_fields = ["original_name", "sha256", "invoice__commitment__number"]
    list_select_related = ["invoice__commitment", "added_by"]
    exclude = ["file"]
    date_hierarchy = "added_at"
