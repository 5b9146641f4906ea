"""Every API error as JSON: a stable machine-readable `code` and a human `message`
(plus `errors` per field for invalid input)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import ActionRefused

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


def error_body(code: str, message: str, **extra) -> dict:
    return {"code": code, "message": message, **extra}


def exception_handler(exc, context):
    if isinstance(exc, ActionRefused):
        exc = exceptions.PermissionDenied(str(exc), code="action_refused")
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: a bug, which Django reports as such
    if isinstance(exc, Http404):
        code, message = "not_found", str(exc) or "Not found."
    elif isinstance(exc, exceptions.ValidationError):
        response.data = error_body("invalid", "The request is not valid.", errors=response.data)
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
