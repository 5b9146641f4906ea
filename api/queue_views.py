"""The ERP Integrations queue of a company, one state at a time, filtered and sorted as
the page does it: with the page's filter set (erp_integrations.filters.QueueFilter), for
whoever may open the page (404 for anyone else)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError

from api.list_filters import filtered, refuse_unknown_parameters
from api.pagination import SortedCursorPagination, sorted_for_cursor
from api.serializers import ErrorSerializer, VendorSerializer
from core.display import display_name
from erp_integrations.filters import DEFAULT_SORT, SORTABLE_COLUMNS, QueueFilter, queue_filter
from erp_integrations.models import ExportItem
from erp_integrations.selectors import TABS_BY_STATE, item_name, with_row_details
from invoices.amounts import period_amounts_of_invoices
from projects.models import Company
from projects.permissions import access_erp_integrations

STATES = list(TABS_BY_STATE)
DEFAULT_STATE = STATES[0]
UNKNOWN_STATE = "Choose one of the queue's states: {states}."


class QueueItemSerializer(serializers.ModelSerializer):
    """A row of the queue: what the page's row shows, and the ids to act on it (`id` is
    the item's, for accept, reject, retry and unlink)."""

    name = serializers.CharField(read_only=True, help_text='e.g. "INV-3 of SC-001 (RMC-101)"')
    invoice_id = serializers.IntegerField(read_only=True)
    invoice_label = serializers.CharField(source="invoice.label", read_only=True)
    commitment_id = serializers.IntegerField(source="invoice.commitment_id", read_only=True)
    commitment_number = serializers.CharField(source="invoice.commitment.number", read_only=True)
    project_id = serializers.IntegerField(source="invoice.commitment.project_id", read_only=True)
    project_name = serializers.CharField(source="invoice.commitment.project.name", read_only=True)
    vendor = VendorSerializer(source="invoice.commitment.vendor", read_only=True)
    sent_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    attachment_count = serializers.IntegerField(read_only=True)
    billed_this_period = serializers.DecimalField(
        max_digits=16, decimal_places=2, source="amounts.billed_this_period", read_only=True
    )
    current_payment_due = serializers.DecimalField(
        max_digits=16, decimal_places=2, source="amounts.current_payment_due", read_only=True
    )

    class Meta:
        model = ExportItem
        fields = [
            "id",
            "name",
            "state",
            "invoice_id",
            "invoice_label",
            "commitment_id",
            "commitment_number",
            "project_id",
            "project_name",
            "vendor",
            "sent_by",
            "sent_at",
            "decided_by",
            "decided_at",
            "rejection_reason",
            "last_error",
            "erp_reference",
            "attachment_count",
            "billed_this_period",
            "current_payment_due",
        ]

    def get_sent_by(self, item: ExportItem) -> str:
        return display_name(item.sent_by)

    def get_decided_by(self, item: ExportItem) -> str | None:
        return display_name(item.decided_by) if item.decided_by_id else None


def _filter_parameters() -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "state",
            str,
            enum=STATES,
            default=DEFAULT_STATE,
            description="The queue's tab.",
        ),
        OpenApiParameter("q", str, description=str(QueueFilter.base_filters["q"].label)),
        *[
            OpenApiParameter(
                name, OpenApiTypes.INT, description=str(QueueFilter.base_filters[name].label)
            )
            for name in ("project", "vendor", "sent_by")
        ],
        *[
            OpenApiParameter(
                name, OpenApiTypes.DATE, description=str(QueueFilter.base_filters[name].label)
            )
            for name in ("sent_from", "sent_to")
        ],
        OpenApiParameter(
            "sort",
            str,
            enum=[f"{sign}{name}" for name in SORTABLE_COLUMNS for sign in ("", "-")],
            default=DEFAULT_SORT,
        ),
    ]


@extend_schema(
    parameters=[OpenApiParameter("company_id", int, OpenApiParameter.PATH), *_filter_parameters()],
    responses={
        200: QueueItemSerializer,
        400: ErrorSerializer,  # an unknown state, filter or parameter; a bad cursor
        401: ErrorSerializer,
        404: ErrorSerializer,  # not a company whose ERP Integrations the caller may open
        429: ErrorSerializer,
    },
)
class QueueItemList(generics.ListAPIView):
    """The company's ERP Integrations items in one state (a tab of the page), newest
    sending first unless `sort` says otherwise, filtered as the page filters."""

    serializer_class = QueueItemSerializer
    pagination_class = SortedCursorPagination
    ordering: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet[ExportItem]:
        company: Company = access_erp_integrations(self.request.user, self.kwargs["company_id"])
        params = self.request.query_params
        refuse_unknown_parameters(params, [*QueueFilter.Meta.fields, "state"])
        state = params.get("state", DEFAULT_STATE)
        if state not in TABS_BY_STATE:
            raise ValidationError({"state": [UNKNOWN_STATE.format(states=", ".join(STATES))]})
        filters = queue_filter(params, company)
        items, self.ordering = sorted_for_cursor(
            filtered(filters).filter(state=state), filters.sort_in_effect, SORTABLE_COLUMNS
        )
        return with_row_details(items)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        amounts = period_amounts_of_invoices(item.invoice_id for item in page)
        for item in page:
            # Carried on the row for the serializer; not fields of the model.
            item.amounts = amounts[item.invoice_id]
            item.name = item_name(item)
        return page
