"""The read endpoints of /api/v1/. Each goes through the same access functions and
selectors as the pages: what a page answers 404, the API answers 404."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics

from api.list_filters import filtered, refuse_unknown_parameters
from api.pagination import cursor_pagination
from api.serializers import (
    CommitmentSerializer,
    ErrorSerializer,
    InvoiceSerializer,
    ProjectSerializer,
)
from commitments.filters import CommitmentFilter
from commitments.models import ALL_STATUS_CHOICES, CommitmentErpStatus
from commitments.permissions import access_commitment, access_project, visible_projects
from invoices.amounts import amounts_of_invoices
from invoices.permissions import access_invoice_on_project
from invoices.selectors import commitment_invoices, commitments_for_tool

PROJECT_ID = OpenApiParameter("project_id", int, OpenApiParameter.PATH)
COMMITMENT_ID = OpenApiParameter("commitment_id", int, OpenApiParameter.PATH)
INVOICE_ID = OpenApiParameter("invoice_id", int, OpenApiParameter.PATH)
# The error answers every endpoint may give, in api.errors' shape.
ERRORS = {
    401: ErrorSerializer,  # no, an unknown, expired or revoked token
    404: ErrorSerializer,  # nothing the caller may see by that id
    429: ErrorSerializer,  # over the rate; Retry-After says when to come back
}
LIST_ERRORS = {400: ErrorSerializer, **ERRORS}  # 400: a cursor that is not one


def read_schema(serializer, *parameters, many=False):
    return extend_schema(
        parameters=list(parameters),
        responses={200: serializer, **(LIST_ERRORS if many else ERRORS)},
    )


@read_schema(ProjectSerializer, many=True)
class ProjectList(generics.ListAPIView):
    """The projects the caller may open, by name."""

    serializer_class = ProjectSerializer
    pagination_class = cursor_pagination("name", "pk")

    def get_queryset(self):
        return visible_projects(self.request.user)


@read_schema(ProjectSerializer, PROJECT_ID)
class ProjectDetail(generics.RetrieveAPIView):
    serializer_class = ProjectSerializer

    def get_object(self):
        return access_project(self.request.user, self.kwargs["project_id"])


COMMITMENT_FILTERS = [
    OpenApiParameter("q", str, description="A commitment number or title, or part of one."),
    OpenApiParameter("status", str, enum=[value for value, _ in ALL_STATUS_CHOICES]),
    OpenApiParameter("vendor", int, description="The contract company's id."),
    OpenApiParameter("erp_status", str, enum=CommitmentErpStatus.values),
]


@read_schema(CommitmentSerializer, PROJECT_ID, *COMMITMENT_FILTERS, many=True)
class CommitmentList(generics.ListAPIView):
    """The project's commitments the caller sees, as in its Commitments tool (private
    ones only for those allowed), by number; filtered as the tool filters them (its own
    filter set), and a filter the tool does not have is refused."""

    serializer_class = CommitmentSerializer
    pagination_class = cursor_pagination("number", "pk")

    def get_queryset(self):
        project = access_project(self.request.user, self.kwargs["project_id"])
        params = self.request.query_params
        refuse_unknown_parameters(params, CommitmentFilter.Meta.fields)
        return filtered(
            CommitmentFilter(
                params or None,
                queryset=commitments_for_tool(self.request.user, project),
                user=self.request.user,
                project=project,
            )
        )


@read_schema(CommitmentSerializer, PROJECT_ID, COMMITMENT_ID)
class CommitmentDetail(generics.RetrieveAPIView):
    serializer_class = CommitmentSerializer

    def get_object(self):
        commitment = access_commitment(
            self.request.user, self.kwargs["project_id"], self.kwargs["commitment_id"]
        )
        # The same row with the tool's totals.
        return commitments_for_tool(self.request.user, commitment.project).get(pk=commitment.pk)


class InvoiceAmountsMixin:
    """Serializes invoices with their lines and amounts, read for all of them at once."""

    def get_serializer(self, *args, **kwargs):
        invoices = args[0] if args else kwargs.get("instance")
        if invoices is not None:
            many = kwargs.get("many", False)
            kwargs.setdefault("context", self.get_serializer_context())  # type: ignore[attr-defined]
            kwargs["context"]["amounts"] = amounts_of_invoices(invoices if many else [invoices])
        return super().get_serializer(*args, **kwargs)  # type: ignore[misc]


@read_schema(InvoiceSerializer, PROJECT_ID, COMMITMENT_ID, many=True)
class InvoiceList(InvoiceAmountsMixin, generics.ListAPIView):
    """The commitment's invoices by number, each with its lines and derived amounts."""

    serializer_class = InvoiceSerializer
    pagination_class = cursor_pagination("number")

    def get_queryset(self):
        commitment = access_commitment(
            self.request.user, self.kwargs["project_id"], self.kwargs["commitment_id"]
        )
        return commitment_invoices(commitment)


@read_schema(InvoiceSerializer, PROJECT_ID, COMMITMENT_ID, INVOICE_ID)
class InvoiceDetail(InvoiceAmountsMixin, generics.RetrieveAPIView):
    serializer_class = InvoiceSerializer

    def get_object(self):
        return access_invoice_on_project(
            self.request.user,
            self.kwargs["invoice_id"],
            project_id=self.kwargs["project_id"],
            commitment_id=self.kwargs["commitment_id"],
        )
