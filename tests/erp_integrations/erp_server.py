"""A test ERP gateway: a real HTTP server on 127.0.0.1 that stores export documents by
idempotency key, with faults the test can inject.

The gateway keeps the promise the `http` connector relies on: a repeated key returns the
first document's reference and never creates a second document. It also counts the
documents it holds per invoice, so a test can prove the ERP never holds two documents for
one invoice.

Faults, each applied to one request:
- ERROR_500: answer 500 without storing anything;
- TIMEOUT: hold the answer until the client gives up waiting and closes the connection,
  then store and answer (nobody listens). Waiting for the client, not for a fixed delay,
  keeps this a timeout however slowly a busy machine runs either side;
- DROP: close the connection without storing or answering;
- LOST_RESPONSE: store the document, then close the connection without answering;
- REJECT_422: answer 422 with a message (a permanent error);
- BAD_BODY: store the document and answer 200 with a body that is not JSON.
"""

from __future__ import annotations

import enum
import json
import socket
import threading
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Fault(enum.Enum):
    ERROR_500 = "500"
    TIMEOUT = "timeout"
    DROP = "drop"
    LOST_RESPONSE = "lost_response"
    REJECT_422 = "422"
    BAD_BODY = "bad_body"


SERVER_ERROR_MESSAGE = "The ERP database is being backed up; try again later."
REJECT_MESSAGE = "Vendor is on hold in the ERP; bills cannot be created for it."


@dataclass(frozen=True)
class StoredDocument:
    reference: str
    document: dict


class ErpGateway:
    def __init__(
        self,
        *,
        patience: float = 60,
        replay_status: int = 200,
        reason_phrase: str | None = None,
    ) -> None:
        # How long a TIMEOUT answer waits at most for the client to give up.
        self.patience = patience
        # Status of the answer to a repeated key: 200 (like Stripe) or 409 Conflict.
        self.replay_status = replay_status
        # The reason phrase of every answer's status line; None: the standard one.
        self.reason_phrase = reason_phrase
        self.documents: dict[str, StoredDocument] = {}
        self.documents_per_invoice: Counter[int] = Counter()
        self.requests: list[tuple[str, Fault | None]] = []
        self.scripts: dict[str, deque[Fault | None]] = defaultdict(deque)
        # Decides the fault of a request whose key has no script left: (key) -> fault.
        self.fault_for: Callable[[str], Fault | None] = lambda key: None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- Test-facing API ---------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}/bills"

    def script(self, key: str, *faults: Fault | None) -> None:
        """The next requests with `key` meet these faults, in order (None: no fault)."""
        with self._lock:
            self.scripts[key].extend(faults)

    def always(self, fault: Fault | None) -> None:
        self.fault_for = lambda key: fault

    def reference_for(self, key: str) -> str | None:
        stored = self.documents.get(key)
        return stored.reference if stored else None

    def start(self) -> ErpGateway:
        gateway = self

        class Handler(_Handler):
            pass

        Handler.gateway = gateway
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Wait for handlers still holding a timed-out answer when the server stops, so that
        # what the gateway holds is final when the test looks.
        self._server.daemon_threads = False
        self._server.block_on_close = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join()
        self._server = None

    # --- Request handling --------------------------------------------------------------

    def next_fault(self, key: str) -> Fault | None:
        with self._lock:
            script = self.scripts.get(key)
            fault = script.popleft() if script else self.fault_for(key)
            self.requests.append((key, fault))
            return fault

    def store(self, key: str, document: dict) -> tuple[str, bool]:
        """The reference for `key`, storing the document if the key is new. Returns
        (reference, created)."""
        with self._lock:
            if key in self.documents:
                return self.documents[key].reference, False
            reference = f"ERP-BILL-{len(self.documents) + 1:06d}"
            self.documents[key] = StoredDocument(reference, document)
            invoice_id = document.get("header", {}).get("invoice_id")
            self.documents_per_invoice[invoice_id] += 1
            return reference, True


class _Handler(BaseHTTPRequestHandler):
    gateway: ErpGateway
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.headers.get("Idempotency-Key", "")
        if not key:
            self._answer(400, {"error": "The Idempotency-Key header is required."})
            return
        try:
            document = json.loads(body)
        except ValueError:
            self._answer(400, {"error": "The body is not JSON."})
            return
        fault = self.gateway.next_fault(key)
        match fault:
            case Fault.ERROR_500:
                self._answer(500, {"error": SERVER_ERROR_MESSAGE})
            case Fault.REJECT_422:
                self._answer(422, {"error": REJECT_MESSAGE})
            case Fault.DROP:
                self._drop()
            case Fault.LOST_RESPONSE:
                self.gateway.store(key, document)
                self._drop()
            case Fault.TIMEOUT:
                self._wait_for_the_client_to_give_up()
                self._store_and_answer(key, document)
            case Fault.BAD_BODY:
                self.gateway.store(key, document)
                self._answer_raw(200, b"<html>Bill saved</html>", "text/html")
            case _:
                self._store_and_answer(key, document)

    def _store_and_answer(self, key: str, document: dict) -> None:
        reference, created = self.gateway.store(key, document)
        status = 201 if created else self.gateway.replay_status
        with suppress(OSError):  # the client may have given up waiting
            self._answer(status, {"reference": reference})

    def _answer(self, status: int, payload: dict) -> None:
        self._answer_raw(status, json.dumps(payload).encode(), "application/json")

    def _answer_raw(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status, self.gateway.reason_phrase)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def _wait_for_the_client_to_give_up(self) -> None:
        """Block until the client closes the connection (it has sent all it will send),
        or `patience` runs out."""
        self.connection.settimeout(self.gateway.patience)
        with suppress(OSError):
            while self.connection.recv(4096):
                pass

    def _drop(self) -> None:
        """Close the connection without a word."""
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


@contextmanager
def running_gateway(**options) -> Iterator[ErpGateway]:
    """A started gateway, stopped (waiting for its handlers) on the way out."""
    gateway = ErpGateway(**options).start()
    try:
        yield gateway
    finally:
        gateway.stop()
