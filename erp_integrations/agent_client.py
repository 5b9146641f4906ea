"""The reference ERP agent (`manage.py run_erp_agent`): the other end of the pull
connector, speaking only its HTTP API (api/agent_views.py), as an agent beside an
on-premises ERP would.

It claims items, writes each export document into a folder exactly as the file connector
does (`FileConnector`: the same file names, the same atomic write, attachments first,
downloaded from their signed links and checked against their SHA-256), and reports each
one synced, with the document's file name as the ERP's reference, or failed (a full disk
is transient, a folder it may not write to is not). A report whose answer is lost (a
timeout, a dropped connection) is sent again: the server answers a repeated report as
the first and changes nothing.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, cast

from erp_integrations.connectors.base import ExportError, TransientExportError
from erp_integrations.connectors.file import FileConnector

if TYPE_CHECKING:
    from invoices.models import InvoiceAttachment

logger = logging.getLogger(__name__)

USER_AGENT = "erp-invoices-reference-agent/1"
ATTACHMENT_CHANGED = (
    "The attachment {name} downloaded does not match the export document (size or SHA-256 differ)."
)
DOWNLOAD_FAILED = "Could not download the attachment {name}: {reason}."


class AgentApiError(Exception):
    """The API answered an error (`status`, and the body's `code` and `message`), or
    could not be reached (`status` 0)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    @property
    def is_transient(self) -> bool:
        return self.status == 0 or self.status == 429 or self.status >= 500


class PullClient:
    """The API of one company's exports, as one agent: `exports_url` is
    `<site>/api/v1/companies/<id>/erp/exports/`."""

    def __init__(self, exports_url: str, token: str, *, name: str = "", timeout: float = 30):
        self.exports_url = exports_url.rstrip("/") + "/"
        self.token = token
        self.name = name
        self.timeout = timeout

    def claim(self, limit: int) -> list[dict]:
        return self._post("claim/", {"limit": limit})["items"]

    def synced(self, item_id: int, reference: str) -> dict:
        return self._post(f"{item_id}/synced/", {"reference": reference})

    def failed(self, item_id: int, error: str, *, transient: bool) -> dict:
        return self._post(f"{item_id}/failed/", {"error": error, "transient": transient})

    def download(self, url: str) -> bytes:
        """An attachment, by its signed link (no token: the link is the credential)."""
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return response.read()

    def _post(self, path: str, body: dict) -> dict:
        request = urllib.request.Request(
            self.exports_url + path,
            data=json.dumps({**body, "agent": self.name}).encode(),
            method="POST",
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            with error:
                try:
                    answer = json.loads(error.read())
                except ValueError:
                    answer = {}
            raise AgentApiError(
                error.code, answer.get("code", "http_error"), answer.get("message", str(error))
            ) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            raise AgentApiError(0, "unreachable", str(error)) from None


@dataclass
class DownloadedAttachment:
    """What `FileConnector` reads of an attachment (`pk`, `original_name`, `file.open`),
    from the bytes the agent downloaded."""

    pk: int
    original_name: str
    content: bytes

    @property
    def file(self) -> DownloadedAttachment:
        return self

    def open(self, mode: str = "rb") -> io.BytesIO:
        return io.BytesIO(self.content)


@dataclass
class AgentRun:
    """What one run of the agent did: item ids by outcome."""

    synced: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # Reports the server refused (the lease passed to another agent, ...): code by item.
    refused: dict[int, str] = field(default_factory=dict)

    @property
    def handled(self) -> int:
        return len(self.synced) + len(self.failed) + len(self.refused)


class ReferenceAgent:
    def __init__(
        self,
        client: PullClient,
        directory: str,
        *,
        limit: int = 10,
        tries: int = 5,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.connector = FileConnector(directory)
        self.limit = limit
        self.tries = tries
        self.pause = pause

    def run_once(self) -> AgentRun:
        """Claim and export until a claim comes back empty. A claim the server could not
        answer (unreachable, busy, over the rate limit) is tried again a few times before
        AgentApiError is raised; it changed nothing, or its items return to the pool when
        their lease runs out."""
        run = AgentRun()
        while items := self._again_while_transient(partial(self.client.claim, self.limit)):
            for item in items:
                self.export(item, run)
        return run

    def run_forever(self, interval: float) -> None:
        while True:
            try:
                run = self.run_once()
            except AgentApiError as error:
                logger.warning("Claiming failed: %s", error)
            else:
                if run.handled:
                    logger.info(
                        "Synced %d, failed %d, refused %d",
                        len(run.synced),
                        len(run.failed),
                        len(run.refused),
                    )
            self.pause(interval)

    def export(self, item: dict, run: AgentRun) -> None:
        document = item["document"]
        try:
            attachments = [self._download(entry) for entry in document["attachments"]]
            reference = self.connector.deliver(
                _as_file_connector_writes(document),
                idempotency_key=item["idempotency_key"],
                # What FileConnector reads of an InvoiceAttachment, DownloadedAttachment has.
                attachments=cast("list[InvoiceAttachment]", attachments),
            )
        except ExportError as error:
            transient = isinstance(error, TransientExportError)
            self._report(item["id"], run, run.failed, "failed", str(error), transient=transient)
        else:
            self._report(item["id"], run, run.synced, "synced", reference)

    def _download(self, entry: dict) -> DownloadedAttachment:
        try:
            content = self.client.download(entry["download_url"])
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            raise TransientExportError(
                DOWNLOAD_FAILED.format(name=entry["name"], reason=error)
            ) from error
        if len(content) != entry["size"] or hashlib.sha256(content).hexdigest() != entry["sha256"]:
            raise TransientExportError(ATTACHMENT_CHANGED.format(name=entry["name"]))
        return DownloadedAttachment(pk=entry["id"], original_name=entry["name"], content=content)

    def _report(self, item_id: int, run: AgentRun, outcome: list[int], kind: str, *args, **kwargs):
        """Send the report, again while its answer is lost or the server is busy: the
        server answers a repeated report as the first."""
        send = partial(getattr(self.client, kind), item_id, *args, **kwargs)
        try:
            self._again_while_transient(send)
        except AgentApiError as error:
            logger.warning("Reporting item %s %s was refused: %s", item_id, kind, error)
            run.refused[item_id] = error.code
        else:
            outcome.append(item_id)

    def _again_while_transient[T](self, call: Callable[[], T]) -> T:
        """`call()`, tried up to `tries` times while the server does not answer it."""
        attempt = 1
        while True:
            try:
                return call()
            except AgentApiError as error:
                if not error.is_transient or attempt >= self.tries:
                    raise
            self.pause(min(2**attempt, 30) / 10)
            attempt += 1


def _as_file_connector_writes(document: dict) -> dict:
    """The document without the attachments' download links: the file connector's
    document, which an import job reads the same whichever connector wrote it."""
    return {
        **document,
        "attachments": [
            {key: value for key, value in entry.items() if key != "download_url"}
            for entry in document["attachments"]
        ],
    }
