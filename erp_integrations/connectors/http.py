"""Posts the export document as JSON to an ERP gateway.

The gateway contract: `POST <gateway URL>` with the document as the body and an
`Idempotency-Key` header. A 2xx answer carries `{"reference": "..."}`. A request repeated
with the same key must not create a second document: the gateway answers with the first
document's reference (2xx, or 409 Conflict with the reference in the body).

How answers are read:
- 2xx with a reference, or 409 with a reference: delivered.
- 408, 409 without a reference, 425, 429, 5xx, a timeout, a refused, reset or dropped
  connection, or a 2xx whose body is not the expected JSON: transient (the document may
  or may not exist; trying again with the same key finds out without creating another).
- Any other answer (4xx, a redirect): permanent, with the gateway's message.

Each attachment the document lists travels as its name, type, size and SHA-256 plus a
`download_url`: a signed link on SITE_URL, valid for ATTACHMENT_LINK_SECONDS, that the
gateway fetches without a session while the invoice is exporting or exported
(`invoices.attachment_links`).
"""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Sequence

from erp_integrations.connectors.base import PermanentExportError, TransientExportError
from invoices.attachment_links import attachment_link

MAX_RESPONSE_BYTES = 1_000_000
MAX_MESSAGE_CHARACTERS = 300
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429})

# The names users read after a status, in the product's own words. Neither the gateway's
# reason phrase nor http.HTTPStatus is used: both vary (Python 3.13 renamed 422 to
# "Unprocessable Content"), and an error message must not depend on the server's Python.
STATUS_NAMES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    425: "Too Early",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

NO_GATEWAY_URL = (
    "The ERP connection has no gateway URL. Ask your company admin to set the gateway URL "
    "on the ERP connection."
)
INVALID_GATEWAY_URL = (
    "The ERP connection's gateway URL {url} is not a valid http(s) URL. Ask your company "
    "admin to correct it."
)
TIMED_OUT = "The ERP gateway at {url} did not answer within {timeout:g} seconds."
UNREACHABLE = "Could not reach the ERP gateway at {url}: {reason}."
DROPPED = "The ERP gateway at {url} closed the connection without answering ({reason})."
CERTIFICATE_INVALID = (
    "The ERP gateway's TLS certificate at {url} could not be verified ({reason}). Ask your "
    "company admin to check the gateway URL."
)
ANSWERED_ERROR = "The ERP gateway answered {status}{phrase}{message}"
ANSWERED_WITHOUT_REFERENCE = (
    "The ERP gateway answered {status} but without a document reference{message}"
)
REDIRECTED = (
    "The ERP gateway answered {status} (redirect to {location}). Ask your company admin to "
    "update the gateway URL on the ERP connection."
)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirected POST would be replayed as a GET or not at all; report it instead."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


class HttpConnector:
    def __init__(self, url: str, *, timeout: float) -> None:
        self.url = url
        self.timeout = timeout

    def deliver(self, document: dict, *, idempotency_key: str, attachments: Sequence = ()) -> str:
        if document.get("attachments"):
            document = {
                **document,
                "attachments": [
                    {**entry, "download_url": attachment_link(entry["id"])}
                    for entry in document["attachments"]
                ],
            }
        if not self.url:
            raise PermanentExportError(NO_GATEWAY_URL)
        if not self.url.lower().startswith(("http://", "https://")):
            raise PermanentExportError(INVALID_GATEWAY_URL.format(url=self.url))
        request = urllib.request.Request(
            self.url,
            data=json.dumps(document).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Idempotency-Key": idempotency_key,
            },
        )
        try:
            with _opener.open(request, timeout=self.timeout) as response:
                status, body = response.status, response.read(MAX_RESPONSE_BYTES)
        except urllib.error.HTTPError as error:
            try:
                return self._error_answer(error.code, error.headers, error)
            finally:
                error.close()
        except ValueError as error:  # urllib's "unknown url type" and the like
            raise PermanentExportError(INVALID_GATEWAY_URL.format(url=self.url)) from error
        except TimeoutError as error:
            raise TransientExportError(
                TIMED_OUT.format(url=self.url, timeout=self.timeout)
            ) from error
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, ssl.SSLCertVerificationError):
                raise PermanentExportError(
                    CERTIFICATE_INVALID.format(url=self.url, reason=reason.verify_message)
                ) from error
            if isinstance(reason, TimeoutError):
                raise TransientExportError(
                    TIMED_OUT.format(url=self.url, timeout=self.timeout)
                ) from error
            raise TransientExportError(
                UNREACHABLE.format(url=self.url, reason=_describe(reason))
            ) from error
        except (http.client.HTTPException, ConnectionError) as error:
            raise TransientExportError(
                DROPPED.format(url=self.url, reason=_describe(error))
            ) from error
        except OSError as error:
            raise TransientExportError(
                UNREACHABLE.format(url=self.url, reason=_describe(error))
            ) from error
        reference = _reference_in(body)
        if reference is None:
            raise TransientExportError(
                ANSWERED_WITHOUT_REFERENCE.format(status=status, message=_message_in(body))
            )
        return reference

    def _error_answer(self, status: int, headers, error) -> str:
        try:
            body = error.read(MAX_RESPONSE_BYTES)
        except (OSError, http.client.HTTPException):
            body = b""
        if status == 409:
            # The key was seen before: the document exists and this is its reference.
            reference = _reference_in(body)
            if reference is not None:
                return reference
        if 300 <= status < 400:
            raise PermanentExportError(
                REDIRECTED.format(status=status, location=headers.get("Location", "?"))
            )
        message = ANSWERED_ERROR.format(
            status=status, phrase=_status_name(status), message=_message_in(body)
        )
        if status >= 500 or status in TRANSIENT_STATUSES:
            raise TransientExportError(message)
        raise PermanentExportError(message)


def _status_name(status: int) -> str:
    """' Unprocessable Entity' for a status we name, '' for one we do not."""
    name = STATUS_NAMES.get(status)
    return f" {name}" if name else ""


def _reference_in(body: bytes) -> str | None:
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    reference = answer.get("reference")
    if isinstance(reference, int | str) and str(reference).strip():
        return str(reference).strip()
    return None


def _message_in(body: bytes) -> str:
    """The gateway's own explanation, if it gave one, ending the sentence: ': <message>.'
    (or just '.')."""
    try:
        answer = json.loads(body)
    except ValueError:
        text = body.decode(errors="replace").strip()
    else:
        text = ""
        if isinstance(answer, dict):
            for key in ("error", "message", "detail"):
                if isinstance(answer.get(key), str):
                    text = answer[key].strip()
                    break
        if not text:
            text = json.dumps(answer)
    text = " ".join(text.split())
    if not text:
        return "."
    if len(text) > MAX_MESSAGE_CHARACTERS:
        text = text[: MAX_MESSAGE_CHARACTERS - 1] + "…"
    return f": {text}" if text.endswith((".", "!", "?")) else f": {text}."


def _describe(error: object) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
