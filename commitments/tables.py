"""The Commitments tool's table (django-tables2)."""

from __future__ import annotations

import django_tables2 as tables

from commitments.models import Commitment


class CommitmentTable(tables.Table):
    number = tables.Column(verbose_name="Number", attrs={"td": {"class": "text-nowrap"}})
    vendor = tables.Column(
        verbose_name="Contract company", accessor="vendor__name", order_by=("vendor__name",)
    )
    title = tables.Column(verbose_name="Title")
    status = tables.Column(verbose_name="Status")
    erp_status = tables.TemplateColumn(
        verbose_name="ERP status",
        template_code=(
            '{% include "includes/erp_status_badge.html" with status=record.erp_status '
            "label=record.get_erp_status_display %}"
        ),
    )
    scheduled_value_total = tables.TemplateColumn(
        verbose_name="Original contract",
        template_code='${{ value|floatformat:"2g" }}',
        attrs={"th": {"class": "num"}, "td": {"class": "num"}},
    )
    invoiced_to_date = tables.TemplateColumn(
        verbose_name="Invoiced to date",
        template_code='${{ value|floatformat:"2g" }}',
        attrs={"th": {"class": "num"}, "td": {"class": "num"}},
    )
    is_private = tables.BooleanColumn(verbose_name="Private", yesno="Yes,No")
    view = tables.TemplateColumn(
        verbose_name="Actions",
        orderable=False,
        empty_values=(),
        template_code=(
            # Opens the commitment page itself, not a region of this one.
            '<a href="{{ record.get_absolute_url }}" hx-boost="false" '
            'class="btn btn-outline-primary btn-sm">'
            'View<span class="visually-hidden"> {{ record.number }}</span></a>'
        ),
        attrs={"th": {"class": "visually-hidden-header"}, "td": {"class": "text-end"}},
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
