"""Every API error as JSON: a stable machine-readable `code` and a human `message`
(plus `errors` per field for invalid input)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from api.action_serializers import INPUT_CODES
from core.errors import ActionRefused
from erp_integrations.services import Code

# DRF's default codes, renamed where ours say more.
CODES = {
    "not_authenticated": "not_authenticated",
    "authentication_failed": "authentication_failed",
    "permission_denied": "permission_denied",
    "not_found": "not_found",
    "method_not_allowed": "method_not_allowed",
    "not_acceptable": "not_acceptable",
    "unsupported_media_type": "unsupported_media_type",
    "throttled": "throttled",
    "parse_error": "malformed_request",
    "invalid": "invalid",
}


# The HTTP status of a refused action (core.errors.ActionRefused), by its code: who may see
# but not act 403, input the service refuses 400, an id it does not find 404; any other
# refusal is about the object's state (already accepted, locked...), 409.
REFUSAL_STATUS = {
    Code.NOT_PROJECT_ADMIN: 403,
    Code.NOT_ACCOUNTING_APPROVER: 403,
    Code.NOTHING_SELECTED: 400,
    Code.REASON_REQUIRED: 400,
    Code.REASON_TOO_LONG: 400,
    Code.NOT_FOUND: 404,
}
REFUSAL_CONFLICT = 409


class RefusedAction(exceptions.APIException):
    """An ActionRefused as the API answers it: its code and message, its status."""

    def __init__(self, refusal: ActionRefused) -> None:
        super().__init__(str(refusal), code=refusal.code)
        self.status_code = REFUSAL_STATUS.get(refusal.code, REFUSAL_CONFLICT)


def _invalid_input(detail) -> tuple[str, str]:
    """The code and message of invalid input: the first error's, when it is one the API
    documents (INPUT_CODES: too_many_ids, unknown_field...), else `invalid`."""
    while isinstance(detail, dict | list) and detail:
        detail = next(iter(detail.values())) if isinstance(detail, dict) else detail[0]
    code = getattr(detail, "code", None)
    if code in INPUT_CODES and code != "invalid":
        return code, str(detail)
    return "invalid", "The request is not valid."


def error_body(code: str, message: str, **extra) -> dict:
    return {"code": code, "message": message, **extra}


def exception_handler(exc, context):
    if isinstance(exc, ActionRefused):
        exc = RefusedAction(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a bug, which Django reports as such
    if isinstance(exc, Http404):
        code, message = "not_found", str(exc) or "Not found."
    elif isinstance(exc, exceptions.ValidationError):
        code, message = _invalid_input(exc.detail)
        response.data = error_body(code, message, errors=response.data)
        return response
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        code = getattr(detail, "code", None) or exc.default_code
        message = str(detail)
    else:  # PermissionDenied from Django, turned into DRF's by its handler
        code, message = "permission_denied", str(exc) or "Permission denied."
    response.data = error_body(CODES.get(code, code), message)
    return response


def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any path under /api/v1/ that names no endpoint (or an id out of range)."""
    return JsonResponse(error_body("not_found", "No such endpoint or object."), status=404)
