"""Output shapes of the read endpoints: thin, reading what the selectors loaded."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commitments.models import Commitment
from invoices.amounts import LineAmounts
from invoices.models import Invoice, InvoiceLine
from projects.models import Company, Project, Vendor

MONEY = {"max_digits": 16, "decimal_places": 2, "read_only": True}


class CompanySerializer(serializers.ModelSerializer):
    class Meta:
        model = Company
        fields = ["id", "name"]


class VendorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "name"]


class ProjectSerializer(serializers.ModelSerializer):
    company = CompanySerializer(read_only=True)

    class Meta:
        model = Project
        fields = ["id", "name", "number", "erp_job_id", "company"]


class CommitmentSerializer(serializers.ModelSerializer):
    """A commitment with the two totals the Commitments tool shows (its selector's
    annotations)."""

    vendor = VendorSerializer(read_only=True)
    project_id = serializers.IntegerField(read_only=True)
    scheduled_value_total = serializers.DecimalField(**MONEY)
    invoiced_to_date = serializers.DecimalField(**MONEY)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "project_id",
            "type",
            "number",
            "title",
            "vendor",
            "status",
            "executed",
            "is_private",
            "default_retainage_percent",
            "erp_status",
            "scheduled_value_total",
            "invoiced_to_date",
        ]


class AmountsSerializer(serializers.Serializer):
    """The derived amounts of a line, or of an invoice (the sums of its lines)."""

    scheduled_value = serializers.DecimalField(**MONEY)
    previous_work_completed = serializers.DecimalField(**MONEY)
    work_completed_this_period = serializers.DecimalField(**MONEY)
    materials_presently_stored = serializers.DecimalField(**MONEY)
    billed_this_period = serializers.DecimalField(**MONEY)
    total_completed_and_stored = serializers.DecimalField(**MONEY)
    percent_complete = serializers.DecimalField(**MONEY)
    balance_to_finish = serializers.DecimalField(**MONEY)
    retainage_this_period = serializers.DecimalField(**MONEY)
    retainage_held = serializers.DecimalField(**MONEY)
    current_payment_due = serializers.DecimalField(**MONEY)


class InvoiceLineSerializer(serializers.ModelSerializer):
    """A line with its SOV line and its amounts; `instance` is (line, amounts) as
    invoices.amounts gives them."""

    sov_line_id = serializers.IntegerField(read_only=True)
    cost_code = serializers.CharField(source="sov_line.cost_code", read_only=True)
    description = serializers.CharField(source="sov_line.description", read_only=True)
    amounts = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceLine
        fields = [
            "id",
            "sov_line_id",
            "cost_code",
            "description",
            "work_retainage_percent",
            "materials_retainage_percent",
            "amounts",
        ]

    def to_representation(self, instance):
        line, self._amounts = instance
        return super().to_representation(line)

    @extend_schema_field(AmountsSerializer)
    def get_amounts(self, line) -> dict:
        return AmountsSerializer(self._amounts).data


class InvoiceSerializer(serializers.ModelSerializer):
    """An invoice with its lines and totals; the view passes the amounts of the invoices
    it shows in `context["amounts"]` (invoices.amounts.amounts_of_invoices)."""

    commitment_id = serializers.IntegerField(read_only=True)
    label = serializers.CharField(read_only=True)
    is_locked = serializers.BooleanField(read_only=True)
    lines = serializers.SerializerMethodField()
    totals = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "commitment_id",
            "number",
            "label",
            "billing_period_start",
            "billing_period_end",
            "billing_date",
            "status",
            "erp_status",
            "is_locked",
            "revision",
            "lines",
            "totals",
        ]

    def _amounts(self, invoice: Invoice):
        return self.context["amounts"][invoice.pk]

    @extend_schema_field(InvoiceLineSerializer(many=True))
    def get_lines(self, invoice: Invoice) -> list:
        return InvoiceLineSerializer(self._amounts(invoice).lines, many=True).data

    @extend_schema_field(AmountsSerializer)
    def get_totals(self, invoice: Invoice) -> dict:
        totals: LineAmounts = self._amounts(invoice).totals
        return AmountsSerializer(totals).data


class ErrorSerializer(serializers.Serializer):
    """Every error answer (api.errors): `errors` only for invalid input, per field."""

    code = serializers.CharField(help_text="Stable and machine-readable, e.g. token_expired.")
    message = serializers.CharField(help_text="For a person to read.")
    errors = serializers.DictField(required=False)
