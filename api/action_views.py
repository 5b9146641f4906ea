"""The action endpoints: send and retrieve (a project admin's), accept, reject, retry and
unlink (an accounting approver's), for one invoice or many. Each calls the service the
page calls, so permissions, row locks, change history and emails are the pages' own; the
view checks the input's shape and answers with the result of each invoice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.action_serializers import (
    INPUT_CODES,
    MAX_IDS,
    BulkResultSerializer,
    IdsReasonSerializer,
    IdsSerializer,
    IdsUnlinkSerializer,
    InvoiceResultSerializer,
    NoInputSerializer,
    ReasonSerializer,
    UnlinkSerializer,
)
from api.serializers import ErrorSerializer
from erp_integrations.services import (
    ActionResult,
    Code,
    InvoiceResult,
    export_items_accept,
    export_items_reject,
    export_items_retry,
    export_items_unlink,
    invoice_retrieve_from_erp,
    invoice_send_to_erp,
    invoices_retrieve_from_erp,
    invoices_send_to_erp,
    project_invoices_retrieve_from_erp,
    project_invoices_send_to_erp,
)

PROJECT_ID = OpenApiParameter("project_id", int, OpenApiParameter.PATH)
COMMITMENT_ID = OpenApiParameter("commitment_id", int, OpenApiParameter.PATH)
INVOICE_ID = OpenApiParameter("invoice_id", int, OpenApiParameter.PATH)
COMPANY_ID = OpenApiParameter("company_id", int, OpenApiParameter.PATH)
ITEM_ID = OpenApiParameter(
    "item_id", int, OpenApiParameter.PATH, description="An export item id (the queue's `id`)."
)
ACTION_ERRORS = {
    400: ErrorSerializer,  # input of the wrong shape, or refused as the page refuses it
    401: ErrorSerializer,
    403: ErrorSerializer,  # may see, may not act: not_project_admin, not_accounting_approver
    404: ErrorSerializer,
    409: ErrorSerializer,  # one invoice's action refused by its state: already_accepted...
    429: ErrorSerializer,
}
BULK_NOTE = (
    f" Many at once: `ids` (at most {MAX_IDS}, each once). Each is decided on its own and "
    "reported in `results` in the order asked: those that can be acted on are, the others "
    "are left as they were, with `ok: false` and the reason's `code`."
)
SINGLE_NOTE = (
    " Answers the invoice's result; a refusal is an error with the reason's `code` (409 "
    "when the invoice's state refuses it, e.g. `already_accepted`)."
)

REFUSAL_CODES = sorted(
    value
    for name, value in vars(Code).items()
    if name.isupper() and isinstance(value, str) and value not in Code.DONE
)


def _listed(codes) -> str:
    return ", ".join(f"`{code}`" for code in codes)


CODES_NOTE = (
    f" Refusal codes (of the error, or of a result): {_listed(REFUSAL_CODES)}."
    f" Input codes: {_listed(INPUT_CODES)}."
)


def result_data(asked_id: int, result: InvoiceResult) -> dict[str, Any]:
    return {
        "id": asked_id,
        "label": result.label,
        "ok": result.ok,
        "outcome": result.outcome,
        "code": result.code,
        "message": result.message,
    }


class ActionView(APIView):
    """POST the input (`input_serializer`), run the service; the answer is the result."""

    input_serializer: type[serializers.Serializer]

    def post(self, request: Request, **kwargs) -> Response:
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return Response(self.act(request.user, serializer.validated_data, **kwargs))

    def act(self, user: User, data: dict, **kwargs) -> dict:
        raise NotImplementedError


class SingleAction(ActionView):
    input_serializer = NoInputSerializer

    def act(self, user: User, data: dict, **kwargs) -> dict:
        result = self.run(user, data, **kwargs)
        return result_data(result.invoice_id, result)  # type: ignore[arg-type]

    def run(self, user: User, data: dict, **kwargs) -> InvoiceResult:
        raise NotImplementedError


class BulkAction(ActionView):
    input_serializer = IdsSerializer

    def act(self, user: User, data: dict, **kwargs) -> dict:
        action = self.run(user, data, **kwargs)
        # The input has no repeats, so the results follow the ids one to one.
        return {
            "batch_id": action.batch_id,
            "results": [
                result_data(asked_id, result)
                for asked_id, result in zip(data["ids"], action.results, strict=True)
            ],
        }

    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        raise NotImplementedError


def action_schema(
    operation_id: str, summary: str, *parameters, request=None, many=False, note: str = ""
):
    # On `post`, not the class: drf-spectacular takes an operation id only per method.
    return extend_schema_view(
        post=extend_schema(
            operation_id=operation_id,
            summary=summary,
            description=summary + note + (BULK_NOTE if many else SINGLE_NOTE) + CODES_NOTE,
            parameters=list(parameters),
            request=request,
            responses={
                200: BulkResultSerializer if many else InvoiceResultSerializer,
                **ACTION_ERRORS,
            },
        )
    )


# --- Send and retrieve (a project admin's) --------------------------------------------


@action_schema("invoice_send", "Send the invoice to ERP Integrations.", INVOICE_ID)
class InvoiceSend(SingleAction):
    def run(self, user: User, data: dict, **kwargs) -> InvoiceResult:
        return invoice_send_to_erp(user=user, invoice_id=kwargs["invoice_id"])


@action_schema("invoice_retrieve", "Retrieve the invoice from ERP Integrations.", INVOICE_ID)
class InvoiceRetrieve(SingleAction):
    def run(self, user: User, data: dict, **kwargs) -> InvoiceResult:
        return invoice_retrieve_from_erp(user=user, invoice_id=kwargs["invoice_id"])


def _on_commitment(
    service: Callable[..., ActionResult], user: User, data: dict, kwargs: dict
) -> ActionResult:
    return service(
        user=user,
        project_id=kwargs["project_id"],
        commitment_id=kwargs["commitment_id"],
        invoice_ids=data["ids"],
    )


@action_schema(
    "invoices_send",
    "Send the commitment's invoices to ERP Integrations.",
    PROJECT_ID,
    COMMITMENT_ID,
    request=IdsSerializer,
    many=True,
)
class CommitmentInvoicesSend(BulkAction):
    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_commitment(invoices_send_to_erp, user, data, kwargs)


@action_schema(
    "invoices_retrieve",
    "Retrieve the commitment's invoices from ERP Integrations.",
    PROJECT_ID,
    COMMITMENT_ID,
    request=IdsSerializer,
    many=True,
)
class CommitmentInvoicesRetrieve(BulkAction):
    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_commitment(invoices_retrieve_from_erp, user, data, kwargs)


def _on_project(
    service: Callable[..., ActionResult], user: User, data: dict, kwargs: dict
) -> ActionResult:
    return service(user=user, project_id=kwargs["project_id"], invoice_ids=data["ids"])


# Across commitments (the Invoicing tool's): each invoice is checked against its own.
ACROSS_COMMITMENTS_NOTE = (
    " Each invoice is checked against its own commitment: one the caller may not act on is "
    "refused in `results` (`not_project_admin`), one the caller does not see is `not_found`."
)


@action_schema(
    "project_invoices_send",
    "Send invoices of the project's commitments to ERP Integrations.",
    PROJECT_ID,
    request=IdsSerializer,
    many=True,
    note=ACROSS_COMMITMENTS_NOTE,
)
class ProjectInvoicesSend(BulkAction):
    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_project(project_invoices_send_to_erp, user, data, kwargs)


@action_schema(
    "project_invoices_retrieve",
    "Retrieve invoices of the project's commitments from ERP Integrations.",
    PROJECT_ID,
    request=IdsSerializer,
    many=True,
    note=ACROSS_COMMITMENTS_NOTE,
)
class ProjectInvoicesRetrieve(BulkAction):
    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_project(project_invoices_retrieve_from_erp, user, data, kwargs)


# --- Accept, reject, retry, unlink (an accounting approver's) ---------------------------


def _on_items(
    service: Callable[..., ActionResult], user: User, ids: list[int], kwargs: dict, **extra
) -> ActionResult:
    return service(user=user, company_id=kwargs["company_id"], export_item_ids=ids, **extra)


def _reason(data: dict) -> dict:
    return {"reason": data["reason"]}


@action_schema(
    "items_accept",
    "Accept the queue's items: each starts exporting.",
    COMPANY_ID,
    request=IdsSerializer,
    many=True,
)
class ItemsAccept(BulkAction):
    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_items(export_items_accept, user, data["ids"], kwargs)


@action_schema("item_accept", "Accept the item: it starts exporting.", COMPANY_ID, ITEM_ID)
class ItemAccept(SingleAction):
    def run(self, user: User, data: dict, **kwargs) -> InvoiceResult:
        return _on_items(export_items_accept, user, [kwargs["item_id"]], kwargs).single()


@action_schema(
    "items_reject",
    "Reject the queue's items with a reason: each invoice is unlocked, its sender emailed.",
    COMPANY_ID,
    request=IdsReasonSerializer,
    many=True,
)
class ItemsReject(BulkAction):
    input_serializer = IdsReasonSerializer

    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_items(export_items_reject, user, data["ids"], kwargs, **_reason(data))


@action_schema(
    "item_reject",
    "Reject the item with a reason: the invoice is unlocked, its sender emailed.",
    COMPANY_ID,
    ITEM_ID,
    request=ReasonSerializer,
)
class ItemReject(SingleAction):
    input_serializer = ReasonSerializer

    def run(self, user: User, data: dict, **kwargs) -> InvoiceResult:
        ids = [kwargs["item_id"]]
        return _on_items(export_items_reject, user, ids, kwargs, **_reason(data)).single()


@action_schema(
    "items_retry",
    "Export the queue's Failed to Export items again.",
    COMPANY_ID,
    request=IdsSerializer,
    many=True,
)
class ItemsRetry(BulkAction):
    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_items(export_items_retry, user, data["ids"], kwargs)


@action_schema("item_retry", "Export the Failed to Export item again.", COMPANY_ID, ITEM_ID)
class ItemRetry(SingleAction):
    def run(self, user: User, data: dict, **kwargs) -> InvoiceResult:
        return _on_items(export_items_retry, user, [kwargs["item_id"]], kwargs).single()


UNLINK_SUMMARY = (
    "Unlink Synced items whose invoices were deleted in the ERP (a reason, and `confirm: "
    "true`): each invoice is back to Not Sent, unlocked."
)


@action_schema("items_unlink", UNLINK_SUMMARY, COMPANY_ID, request=IdsUnlinkSerializer, many=True)
class ItemsUnlink(BulkAction):
    input_serializer = IdsUnlinkSerializer

    def run(self, user: User, data: dict, **kwargs) -> ActionResult:
        return _on_items(export_items_unlink, user, data["ids"], kwargs, **_reason(data))


@action_schema("item_unlink", UNLINK_SUMMARY, COMPANY_ID, ITEM_ID, request=UnlinkSerializer)
class ItemUnlink(SingleAction):
    input_serializer = UnlinkSerializer

    def run(self, user: User, data: dict, **kwargs) -> InvoiceResult:
        ids = [kwargs["item_id"]]
        return _on_items(export_items_unlink, user, ids, kwargs, **_reason(data)).single()
