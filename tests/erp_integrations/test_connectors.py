"""The connectors: the `file` connector writes one document per key, atomically; the
`http` connector posts to a real gateway on 127.0.0.1 and reads its answers."""

from __future__ import annotations

import datetime
import json
import os
import socket
import uuid

import pytest
from django.utils import timezone

from erp_integrations.connectors import (
    FileConnector,
    HttpConnector,
    PermanentExportError,
    TransientExportError,
    connector_for,
)
from erp_integrations.exporting import ExportOutcome, export_item
from erp_integrations.models import ConnectorKind, ErpConnection, ErpSystem, ExportState
from erp_integrations.payloads import build_document, invoice_attachments_for_export
from invoices.attachment_links import attachment_for_link, attachment_link_token, link_lifetime
from invoices.attachments import attachment_add
from invoices.models import Invoice
from tests import attachment_files as files
from tests.erp_integrations.erp_server import (
    REJECT_MESSAGE,
    SERVER_ERROR_MESSAGE,
    Fault,
    running_gateway,
)
from tests.world import build_world

DOCUMENT = {"header": {"invoice_id": 7, "invoice_number": "INV-7"}, "lines": [], "totals": {}}


def new_key() -> str:
    return str(uuid.uuid4())


# --- file ---------------------------------------------------------------------------------


def test_file_connector_writes_one_json_document_named_by_the_key(tmp_path):
    """The document lands in the folder as `<idempotency key>.json`, and the file name is
    the reference."""
    key = new_key()
    reference = FileConnector(tmp_path / "exports").deliver(DOCUMENT, idempotency_key=key)
    path = tmp_path / "exports" / f"{key}.json"
    assert reference == f"{key}.json"
    assert json.loads(path.read_text()) == DOCUMENT


def test_file_connector_second_delivery_with_the_same_key_keeps_the_first_document(tmp_path):
    """Delivering the same key again returns the same reference and leaves one document,
    the first one."""
    connector = FileConnector(tmp_path)
    key = new_key()
    first = connector.deliver(DOCUMENT, idempotency_key=key)
    second = connector.deliver({**DOCUMENT, "lines": [{"amount": "1.00"}]}, idempotency_key=key)
    assert second == first
    assert [path.name for path in tmp_path.iterdir()] == [f"{key}.json"]
    assert json.loads((tmp_path / first).read_text()) == DOCUMENT


def test_file_connector_publishes_a_complete_synced_file_under_its_name(tmp_path, monkeypatch):
    """The final name appears only once the whole document is written and flushed to
    disk (a temporary file in the same folder is linked to it)."""
    synced: list[int] = []
    seen_at_link: list[tuple[str, bool, bytes]] = []
    real_fsync, real_link = os.fsync, os.link

    def fsync(descriptor):
        synced.append(descriptor)
        real_fsync(descriptor)

    def link(source, target):
        with open(source, "rb") as published:
            seen_at_link.append((os.path.dirname(source), os.path.exists(target), published.read()))
        real_link(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "link", link)
    key = new_key()
    FileConnector(tmp_path).deliver(DOCUMENT, idempotency_key=key)
    ((folder, target_existed, content),) = seen_at_link
    assert folder == str(tmp_path)
    assert not target_existed
    assert json.loads(content) == DOCUMENT
    assert synced, "the temporary file was not flushed to disk before it was published"
    assert [path.name for path in tmp_path.iterdir()] == [f"{key}.json"]


def test_file_connector_interrupted_write_leaves_no_document_and_no_temporary_file(
    tmp_path, monkeypatch
):
    """A write that fails half-way publishes nothing: the reader sees no file, the
    error is transient, and the next delivery writes the document."""

    def fail(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    connector = FileConnector(tmp_path)
    key = new_key()
    with pytest.raises(TransientExportError, match="No space left on device"):
        connector.deliver(DOCUMENT, idempotency_key=key)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    assert connector.deliver(DOCUMENT, idempotency_key=key) == f"{key}.json"


def test_connector_for_a_file_connection_writes_into_its_folder_or_the_default(settings, tmp_path):
    """A file connection writes into its own export folder, or ERP_EXPORT_DIR if it has
    none."""
    own = ErpConnection(system=ErpSystem.SAGE_300_CRE, connector=ConnectorKind.FILE)
    own.export_directory = str(tmp_path / "own")
    default = ErpConnection(system=ErpSystem.SAGE_300_CRE, connector=ConnectorKind.FILE)
    assert connector_for(own).directory == tmp_path / "own"
    assert connector_for(default).directory == settings.ERP_EXPORT_DIR


# --- http ---------------------------------------------------------------------------------


@pytest.fixture
def gateway():
    with running_gateway() as gateway:
        yield gateway


def http_connector(gateway, timeout: float = 10) -> HttpConnector:
    return HttpConnector(gateway.url, timeout=timeout)


def test_http_connector_posts_the_document_with_its_idempotency_key(gateway):
    """The gateway receives the JSON document under the key, and its reference comes
    back."""
    key = new_key()
    reference = http_connector(gateway).deliver(DOCUMENT, idempotency_key=key)
    assert reference == gateway.reference_for(key)
    assert gateway.documents[key].document == DOCUMENT


def test_http_connector_delivering_a_key_twice_creates_one_document(gateway):
    """The second delivery with the same key gets the first document's reference."""
    key = new_key()
    first = http_connector(gateway).deliver(DOCUMENT, idempotency_key=key)
    second = http_connector(gateway).deliver(DOCUMENT, idempotency_key=key)
    assert first == second
    assert len(gateway.documents) == 1
    assert gateway.documents_per_invoice[7] == 1


def test_http_connector_reads_409_with_a_reference_as_already_created():
    """A gateway that answers a repeated key with 409 Conflict and the reference is a
    success."""
    with running_gateway(replay_status=409) as gateway:
        key = new_key()
        first = http_connector(gateway).deliver(DOCUMENT, idempotency_key=key)
        assert http_connector(gateway).deliver(DOCUMENT, idempotency_key=key) == first


def test_http_connector_server_error_is_transient_with_the_gateways_message(gateway):
    """A 500 is worth retrying; the error names the status and the gateway's message."""
    gateway.always(Fault.ERROR_500)
    with pytest.raises(TransientExportError) as error:
        http_connector(gateway).deliver(DOCUMENT, idempotency_key=new_key())
    assert str(error.value) == (
        f"The ERP gateway answered 500 Internal Server Error: {SERVER_ERROR_MESSAGE}"
    )


def test_http_connector_client_error_is_permanent_with_the_gateways_message(gateway):
    """A 422 will not get better by retrying; the error carries the gateway's reason."""
    gateway.always(Fault.REJECT_422)
    with pytest.raises(PermanentExportError) as error:
        http_connector(gateway).deliver(DOCUMENT, idempotency_key=new_key())
    assert str(error.value) == (
        f"The ERP gateway answered 422 Unprocessable Entity: {REJECT_MESSAGE}"
    )


def test_http_connector_names_the_status_in_its_own_words_not_the_gateways():
    """The status is named the same whatever reason phrase the gateway (or the Python
    serving it: 3.13 says "Unprocessable Content") puts on its status line."""
    with running_gateway(reason_phrase="Vendor On Hold") as gateway:
        gateway.always(Fault.REJECT_422)
        with pytest.raises(PermanentExportError) as error:
            http_connector(gateway).deliver(DOCUMENT, idempotency_key=new_key())
    assert str(error.value) == (
        f"The ERP gateway answered 422 Unprocessable Entity: {REJECT_MESSAGE}"
    )


def test_http_connector_timeout_is_transient(gateway):
    """A gateway slower than the connection's timeout is a transient error."""
    gateway.always(Fault.TIMEOUT)
    with pytest.raises(TransientExportError) as error:
        http_connector(gateway, timeout=0.3).deliver(DOCUMENT, idempotency_key=new_key())
    assert str(error.value) == (
        f"The ERP gateway at {gateway.url} did not answer within 0.3 seconds."
    )


def test_http_connector_dropped_connection_is_transient(gateway):
    """A connection closed without an answer is a transient error; nothing was stored."""
    gateway.always(Fault.DROP)
    with pytest.raises(TransientExportError, match="closed the connection without answering"):
        http_connector(gateway).deliver(DOCUMENT, idempotency_key=new_key())
    assert gateway.documents == {}


def test_http_connector_lost_response_then_retry_returns_the_stored_document(gateway):
    """When the document was stored but the answer was lost, delivering again returns
    that document's reference and creates nothing new."""
    key = new_key()
    gateway.script(key, Fault.LOST_RESPONSE)
    with pytest.raises(TransientExportError):
        http_connector(gateway).deliver(DOCUMENT, idempotency_key=key)
    stored = gateway.reference_for(key)
    assert stored is not None
    assert http_connector(gateway).deliver(DOCUMENT, idempotency_key=key) == stored
    assert len(gateway.documents) == 1


def test_http_connector_success_without_a_reference_is_transient(gateway):
    """A 2xx whose body is not `{"reference": ...}` cannot be trusted; it is retried."""
    gateway.always(Fault.BAD_BODY)
    with pytest.raises(TransientExportError) as error:
        http_connector(gateway).deliver(DOCUMENT, idempotency_key=new_key())
    assert str(error.value).startswith("The ERP gateway answered 200 but without a document")


def test_http_connector_unreachable_gateway_is_transient():
    """Nothing listening on the port is a transient error naming the gateway."""
    # The port stays bound (so no other test's server can take it) but never listens.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/bills"
        with pytest.raises(TransientExportError, match=f"Could not reach the ERP gateway at {url}"):
            HttpConnector(url, timeout=10).deliver(DOCUMENT, idempotency_key=new_key())


def test_http_connector_without_a_url_is_permanent():
    """A connection without a gateway URL cannot export until an admin sets one."""
    with pytest.raises(PermanentExportError, match="has no gateway URL"):
        HttpConnector("", timeout=1).deliver(DOCUMENT, idempotency_key=new_key())


def test_connector_for_an_http_connection_uses_its_url_and_timeout():
    """An http connection posts to its gateway URL with its timeout."""
    connection = ErpConnection(
        system=ErpSystem.SAGE_INTACCT,
        connector=ConnectorKind.HTTP,
        gateway_url="https://erp.example.com/bills",
        timeout_seconds=7,
    )
    connector = connector_for(connection)
    assert isinstance(connector, HttpConnector)
    assert (connector.url, connector.timeout) == ("https://erp.example.com/bills", 7)


# --- attachments ---------------------------------------------------------------------------


@pytest.fixture
def exporting_with_attachments(db, dummy_tasks):
    """An Exporting invoice with a PDF and a CSV attached (while it was Ready to Export)."""
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    admin = world.users["project_admin"]
    attachment_add(user=admin, invoice_id=invoice.pk, upload=files.pdf_upload("Pay App 3.pdf"))
    attachment_add(user=admin, invoice_id=invoice.pk, upload=files.csv_upload("qty.csv"))
    item = invoice.export_items.get()
    item.state = ExportState.EXPORTING
    item.save(update_fields=["state"])
    Invoice.objects.filter(pk=invoice.pk).update(erp_status=ExportState.EXPORTING)
    return world, item


def test_file_connector_writes_the_attachments_beside_the_document(
    exporting_with_attachments, settings
):
    _world, item = exporting_with_attachments
    assert export_item(item.pk) == ExportOutcome.SYNCED
    key = str(item.idempotency_key)
    document = json.loads((settings.ERP_EXPORT_DIR / f"{key}.json").read_text())
    folder = settings.ERP_EXPORT_DIR / key
    written = {path.name: path.read_bytes() for path in folder.iterdir()}
    for attachment in item.invoice.attachments.all():
        with attachment.file.open("rb") as stored:
            assert written[f"{attachment.pk}-{attachment.original_name}"] == stored.read()
    assert sorted(entry["file_name"] for entry in document["attachments"]) == sorted(written)


def test_file_connector_refuses_an_attachment_missing_from_storage(
    exporting_with_attachments, tmp_path
):
    _world, item = exporting_with_attachments
    attachments = invoice_attachments_for_export(item.invoice_id)
    os.unlink(attachments[0].file.path)
    with pytest.raises(PermanentExportError, match="missing from storage"):
        FileConnector(tmp_path).deliver(
            build_document(item, attachments=attachments),
            idempotency_key=str(item.idempotency_key),
            attachments=attachments,
        )
    assert not (tmp_path / f"{item.idempotency_key}.json").exists()


def test_http_connector_sends_each_attachment_with_a_signed_link_that_downloads_it(
    exporting_with_attachments, gateway, client, settings
):
    settings.SITE_URL = "https://erp.example.com"
    _world, item = exporting_with_attachments
    attachments = invoice_attachments_for_export(item.invoice_id)
    key = str(item.idempotency_key)

    http_connector(gateway).deliver(
        build_document(item, attachments=attachments), idempotency_key=key, attachments=attachments
    )

    sent = gateway.documents[key].document["attachments"]
    assert [(entry["name"], entry["size"], entry["sha256"]) for entry in sent] == [
        (attachment.original_name, attachment.size, attachment.sha256) for attachment in attachments
    ]
    for entry, attachment in zip(sent, attachments, strict=True):
        assert entry["download_url"].startswith("https://erp.example.com/attachment-links/")
        response = client.get(entry["download_url"].removeprefix("https://erp.example.com"))
        assert response.status_code == 200
        with attachment.file.open("rb") as stored:
            assert b"".join(response.streaming_content) == stored.read()


def test_a_signed_link_expires_after_the_configured_lifetime(exporting_with_attachments, client):
    _world, item = exporting_with_attachments
    attachment = item.invoice.attachments.first()
    issued = timezone.now()
    token = attachment_link_token(attachment.pk, issued + link_lifetime())
    almost = issued + link_lifetime() - datetime.timedelta(seconds=1)
    assert attachment_for_link(token, now=almost) == attachment
    assert attachment_for_link(token, now=issued + link_lifetime()) is None
