"""Django admin for ERP connections and the export queue.

A change of an ERP connection (Direct Export turned on or off, or its approver emails
moved between per send, digest only and both) is recorded in the admin's log, shown on the
connection's History page.

Export items are view-only: their state and every field about the export change only
through the ERP services (send, retrieve, accept, reject, retry, the export task).
"""

from __future__ import annotations

from django.contrib import admin

from core.admin import ViewOnlyMixin
from erp_integrations.models import (
    ErpConnection,
    ErpDigestDelivery,
    ErpDigestSubscription,
    ExportItem,
)


@admin.register(ErpConnection)
class ErpConnectionAdmin(admin.ModelAdmin):
    list_display = [
        "company",
        "system",
        "connector",
        "direct_export",
        "approver_emails",
        "gateway_url",
        "timeout_seconds",
    ]
    list_filter = ["system", "connector", "direct_export", "approver_emails"]
    search_fields = ["company__name"]
    list_select_related = ["company"]
    autocomplete_fields = ["company"]


@admin.register(ExportItem)
class ExportItemAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = [
        "invoice",
        "company",
        "state",
        "sent_by",
        "sent_at",
        "decided_by",
        "decided_at",
        "attempts",
        "erp_reference",
    ]
    list_filter = ["state", "company"]
    search_fields = [
        "invoice__commitment__number",
        "invoice__commitment__vendor__name",
        "erp_reference",
        "rejection_reason",
        "last_error",
    ]
    list_select_related = ["invoice__commitment", "company", "sent_by", "decided_by"]
    date_hierarchy = "sent_at"
    readonly_fields = [field.name for field in ExportItem._meta.fields]
    fieldsets = [
        (None, {"fields": ["invoice", "company", "state", "invoice_revision", "batch_id"]}),
        ("Sent", {"fields": ["sent_by", "sent_at"]}),
        ("Decided", {"fields": ["decided_by", "decided_at", "rejection_reason"]}),
        ("Retrieved", {"fields": ["retrieved_by", "retrieved_at"]}),
        ("Direct Export", {"fields": ["sent_directly"]}),
        ("Unlinked", {"fields": ["unlinked_by", "unlinked_at", "unlink_reason"]}),
        (
            "Export",
            {
                "fields": [
                    "attempts",
                    "last_error",
                    "next_retry_at",
                    "export_started_at",
                    "claim_expires_at",
                    "claimed_by",
                    "erp_reference",
                    "synced_at",
                    "idempotency_key",
                ]
            },
        ),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related(
                "invoice__commitment",
                "company",
                "sent_by",
                "decided_by",
                "retrieved_by",
                "unlinked_by",
            )
        )


@admin.register(ErpDigestSubscription)
class ErpDigestSubscriptionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Who unsubscribed from the daily ERP digest; users change it on their Notifications
    page (or through the link in a digest)."""

    list_display = ["user", "subscribed", "changed_at"]
    list_filter = ["subscribed"]
    search_fields = ["user__username", "user__email"]
    list_select_related = ["user"]
    readonly_fields = ["user", "subscribed", "changed_at"]


@admin.register(ErpDigestDelivery)
class ErpDigestDeliveryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Each approver's digest per day, as `manage.py send_erp_digest` claimed and sent
    it; a Failed one is retried by the next run of the day."""

    list_display = ["date", "user", "status", "claimed_at", "sent_at"]
    list_filter = ["status", "date"]
    search_fields = ["user__username", "user__email", "error"]
    list_select_related = ["user"]
    date_hierarchy = "date"
    readonly_fields = [field.name for field in ErpDigestDelivery._meta.fields]
