"""The Commitments tool's table (django-tables2)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.html import format_html

from commitments.models import Commitment
from core.display import money
from core.templatetags.display import erp_status_badge


class CommitmentTable(tables.Table):
    number = tables.Column(verbose_name="Number", attrs={"td": {"class": "text-nowrap"}})
    vendor = tables.Column(
        verbose_name="Contract company", accessor="vendor__name", order_by=("vendor__name",)
    )
    title = tables.Column(verbose_name="Title")
    status = tables.Column(verbose_name="Status")
    erp_status = tables.Column(verbose_name="ERP status")
    scheduled_value_total = tables.Column(
        verbose_name="Original contract", attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    invoiced_to_date = tables.Column(
        verbose_name="Invoiced to date", attrs={"th": {"class": "num"}, "td": {"class": "num"}}
    )
    is_private = tables.BooleanColumn(verbose_name="Private", yesno="Yes,No")
    view = tables.Column(
        verbose_name="Actions",
        orderable=False,
        empty_values=(),
        attrs={"th": {"class": "visually-hidden-header"}, "td": {"class": "text-end"}},
    )

    # Cells render with format_html rather than TemplateColumn: a template per cell
    # costs more than the rest of the row.
    def render_erp_status(self, record: Commitment) -> str:
        return erp_status_badge(record.erp_status, record.get_erp_status_display())

    def render_scheduled_value_total(self, value) -> str:
        return money(value)

    def render_invoiced_to_date(self, value) -> str:
        return money(value)

    def render_view(self, record: Commitment) -> str:
        # hx-boost="false": opens the commitment page itself, not a region of this one.
        return format_html(
            '<a href="{}" hx-boost="false" class="btn btn-outline-primary btn-sm">'
            'View<span class="visually-hidden"> {}</span></a>',
            record.get_absolute_url(),
            record.number,
        )

    class Meta:
        model = Commitment
        fields = ()
        sequence = (
            "number",
            "vendor",
            "title",
            "status",
            "erp_status",
            "scheduled_value_total",
            "invoiced_to_date",
            "is_private",
            "view",
        )
        template_name = "commitments/table.html"
        attrs = {"class": "table table-hover align-middle"}
        empty_text = "No commitments match."
        order_by = ("number",)
