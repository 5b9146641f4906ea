"""The project's invoices, as its Invoicing tool lists them: every invoice of the
commitments the caller sees, filtered and sorted with the tool's own filter set
(invoices.filters.InvoicingFilter), for whoever may open the project (404 for anyone
else)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from api.list_filters import filtered, refuse_unknown_parameters
from api.pagination import SortedCursorPagination, sorted_for_cursor
from api.serializers import ErrorSerializer, InvoiceSerializer
from api.views import PROJECT_ID, InvoiceAmountsMixin
from commitments.permissions import access_project
from invoices.filters import DEFAULT_SORT, SORTABLE_COLUMNS, InvoicingFilter, invoicing_filter
from invoices.models import Invoice, InvoiceErpStatus, InvoiceStatus


def _label(name: str) -> str:
    return str(InvoicingFilter.base_filters[name].label)


FILTER_PARAMETERS = [
    OpenApiParameter("status", str, enum=InvoiceStatus.values, description=_label("status")),
    OpenApiParameter(
        "erp_status", str, enum=InvoiceErpStatus.values, description=_label("erp_status")
    ),
    OpenApiParameter(
        "commitment", OpenApiTypes.INT, description="A commitment's id (one the caller sees)."
    ),
    OpenApiParameter("vendor", OpenApiTypes.INT, description="The contract company's id."),
    OpenApiParameter(
        "billing_period",
        str,
        pattern=r"^\d{4}-\d{2}$",
        description="The month the billing period ends, e.g. 2026-03 (one of the invoices').",
    ),
    OpenApiParameter(
        "sort",
        str,
        enum=[f"{sign}{name}" for name in SORTABLE_COLUMNS for sign in ("", "-")],
        default=DEFAULT_SORT,
    ),
]


@extend_schema(
    parameters=[PROJECT_ID, *FILTER_PARAMETERS],
    responses={
        200: InvoiceSerializer,
        400: ErrorSerializer,  # a filter value that is not one, an unknown parameter, a bad cursor
        401: ErrorSerializer,
        404: ErrorSerializer,  # not a project the caller may open
        429: ErrorSerializer,
    },
)
class ProjectInvoiceList(InvoiceAmountsMixin, generics.ListAPIView):
    """The invoices of every commitment of the project the caller sees (a private
    commitment's only for those allowed), by commitment unless `sort` says otherwise,
    each with its lines and derived amounts; filtered as the Invoicing tool filters."""

    serializer_class = InvoiceSerializer
    pagination_class = SortedCursorPagination
    ordering: tuple[str, ...] = ()

    def get_queryset(self) -> QuerySet[Invoice]:
        user = self.request.user
        project = access_project(user, self.kwargs["project_id"])
        params = self.request.query_params
        refuse_unknown_parameters(params, InvoicingFilter.Meta.fields)
        filters = invoicing_filter(params, user=user, project=project)
        invoices, self.ordering = sorted_for_cursor(
            filtered(filters), filters.sort_in_effect, SORTABLE_COLUMNS
        )
        return invoices
