"""The ERP agent's endpoints (the Agent connector, erp_integrations/pull.py): claim
accepted items, report each one synced or failed.

Only a user with the company's 'ERP agent' privilege sees them; anyone else gets 404, as
for any object they may not see. A claim or report the item's state does not allow is
409 with a stable code (`lease_lost`, `already_synced`, `not_claimed`, `not_exporting`,
`connector_not_agent`), and changes nothing."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.agent_serializers import (
    ClaimInputSerializer,
    ClaimSerializer,
    ExportItemStateSerializer,
    FailedInputSerializer,
    SyncedInputSerializer,
)
from api.authentication import token_of
from api.serializers import ErrorSerializer
from erp_integrations.models import ExportItem
from erp_integrations.permissions import access_company_as_erp_agent
from erp_integrations.pull import (
    PullRefused,
    agent_identity,
    export_report_failed,
    export_report_synced,
    exports_claim,
)
from projects.models import Company

COMPANY_ID = OpenApiParameter("company_id", int, OpenApiParameter.PATH)
ITEM_ID = OpenApiParameter("item_id", int, OpenApiParameter.PATH)
ERRORS = {
    400: ErrorSerializer,  # malformed JSON, a wrong type, an unknown field, a bad limit
    401: ErrorSerializer,
    404: ErrorSerializer,  # not the caller's company (no 'ERP agent' privilege), no such item
    409: ErrorSerializer,  # the item's state refuses it: see the codes above
    429: ErrorSerializer,
}


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class AgentView(APIView):
    input_serializer: type = ClaimInputSerializer

    def company(self) -> Company:
        return access_company_as_erp_agent(self.request.user, self.kwargs["company_id"])

    def parsed(self, request: Request) -> dict:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def holder(self, agent_name: str) -> str:
        token = token_of(self.request)
        credential = f"token-{token.pk}" if token else f"user-{self.request.user.pk}"
        return agent_identity(credential, agent_name)


@extend_schema(
    parameters=[COMPANY_ID],
    request=ClaimInputSerializer,
    responses={200: ClaimSerializer, **ERRORS},
)
class ExportClaim(AgentView):
    """Claim up to `limit` Exporting items nobody holds, each leased to the calling agent
    for ERP_AGENT_LEASE_SECONDS: each with its export document. Create each document in
    the ERP with its idempotency key, then report it synced or failed before the lease
    runs out; an item not reported in time goes back to the pool."""

    input_serializer = ClaimInputSerializer

    def post(self, request: Request, company_id: int) -> Response:
        company = self.company()
        data = self.parsed(request)
        try:
            claimed = exports_claim(
                company=company, holder=self.holder(data["agent"]), limit=data["limit"]
            )
        except PullRefused as refused:
            raise Conflict(str(refused), code=refused.code) from None
        return Response(ClaimSerializer({"items": claimed}).data)


class ItemReport(AgentView):
    def report(self, company: Company, item_id: int, holder: str, data: dict) -> ExportItem:
        raise NotImplementedError

    def post(self, request: Request, company_id: int, item_id: int) -> Response:
        company = self.company()
        data = self.parsed(request)
        try:
            item = self.report(company, item_id, self.holder(data["agent"]), data)
        except ExportItem.DoesNotExist:
            raise Http404("No such item.") from None
        except PullRefused as refused:
            raise Conflict(str(refused), code=refused.code) from None
        return Response(ExportItemStateSerializer(item).data)


@extend_schema(
    parameters=[COMPANY_ID, ITEM_ID],
    request=SyncedInputSerializer,
    responses={200: ExportItemStateSerializer, **ERRORS},
)
class ExportSynced(ItemReport):
    """The item's document exists in the ERP as `reference`: it is Synced. Repeating the
    same report answers the same and changes nothing."""

    input_serializer = SyncedInputSerializer

    def report(self, company: Company, item_id: int, holder: str, data: dict) -> ExportItem:
        return export_report_synced(
            company=company, item_id=item_id, holder=holder, reference=data["reference"]
        )


@extend_schema(
    parameters=[COMPANY_ID, ITEM_ID],
    request=FailedInputSerializer,
    responses={200: ExportItemStateSerializer, **ERRORS},
)
class ExportFailed(ItemReport):
    """The item's document could not be created: a transient error retries it after a
    backoff (it goes back to the pool), with the push connectors' attempts; otherwise,
    or once the attempts are used up, it is Failed to Export. Repeating the same report
    answers the same and changes nothing; after `synced` it is refused
    (`already_synced`)."""

    input_serializer = FailedInputSerializer

    def report(self, company: Company, item_id: int, holder: str, data: dict) -> ExportItem:
        return export_report_failed(
            company=company,
            item_id=item_id,
            holder=holder,
            error=data["error"],
            transient=data["transient"],
        )
