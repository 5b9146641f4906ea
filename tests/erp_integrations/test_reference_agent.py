"""The reference ERP agent (`manage.py run_erp_agent`) against a live server: the pull
protocol end to end, over HTTP only, writing into a folder as the file connector does."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command

from api.services import api_token_create
from demo.documents import text_pdf
from erp_integrations.agent_client import AgentApiError, PullClient, ReferenceAgent
from erp_integrations.connectors.file import FileConnector
from erp_integrations.models import ExportItem, ExportState
from erp_integrations.payloads import build_document
from invoices.models import ChangeHistoryEntry, InvoiceErpStatus
from tests.erp_integrations.agents import accepted_invoices, agent_world
from tests.factories import InvoiceAttachmentFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(settings, live_server):
    # The attachments' download links point at the live server.
    settings.SITE_URL = live_server.url
    return agent_world()


def exports_url(live_server, world) -> str:
    return f"{live_server.url}/api/v1/companies/{world.company.pk}/erp/exports/"


def token_of(world) -> str:
    return api_token_create(user=world.users["agent"], name="ERP agent").key


def attach(item: ExportItem, text: str = "Lien waiver"):
    content = text_pdf([text])
    return InvoiceAttachmentFactory.create(
        invoice_id=item.invoice_id,
        original_name="Lien waiver.pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        file__data=content,
    )


def test_the_agent_writes_each_document_as_the_file_connector_and_reports_it_synced(
    world, live_server, tmp_path, capsys
):
    items = accepted_invoices(world, 5)
    attachment = attach(items[0])
    folder = tmp_path / "erp-import"
    call_command(
        "run_erp_agent",
        url=exports_url(live_server, world),
        token=token_of(world),
        dir=str(folder),
        once=True,
        limit=2,
    )
    assert "Synced 5, failed 0, refused 0." in capsys.readouterr().out
    # The file connector writes the very same files for the same items.
    reference_folder = tmp_path / "file-connector"
    for item in ExportItem.objects.filter(pk__in=[item.pk for item in items]):
        key = str(item.idempotency_key)
        assert (item.state, item.erp_reference) == (ExportState.SYNCED, f"{key}.json")
        assert item.attempts == 1
        document = build_document(item)
        FileConnector(reference_folder).deliver(
            document, idempotency_key=key, attachments=list(item.invoice.attachments.all())
        )
        assert (folder / f"{key}.json").read_bytes() == (
            reference_folder / f"{key}.json"
        ).read_bytes()
        assert json.loads((folder / f"{key}.json").read_text()) == document
    written = folder / str(items[0].idempotency_key) / f"{attachment.pk}-Lien waiver.pdf"
    assert hashlib.sha256(written.read_bytes()).hexdigest() == attachment.sha256
    assert not [path for path in folder.iterdir() if path.name.startswith(".")]


def test_a_lost_answer_to_synced_is_sent_again_and_counts_once(world, live_server, tmp_path):
    """The server records the report, the answer never reaches the agent: the agent
    reports again, the server answers the same, and the invoice is synced once."""
    (item,) = accepted_invoices(world, 1)
    client = PullClient(exports_url(live_server, world), token_of(world), name="flaky")
    send = client._post
    lost = []

    def loses_the_first_synced_answer(path: str, body: dict) -> dict:
        answer = send(path, body)
        if path.endswith("synced/") and not lost:
            lost.append(answer)
            raise AgentApiError(0, "unreachable", "timed out")
        return answer

    client._post = loses_the_first_synced_answer
    run = ReferenceAgent(client, str(tmp_path), pause=lambda seconds: None).run_once()
    assert run.synced == [item.pk] and run.refused == {}
    item.refresh_from_db()
    assert item.state == ExportState.SYNCED and item.attempts == 1
    synced_rows = ChangeHistoryEntry.objects.filter(
        invoice_id=item.invoice_id, to_value=InvoiceErpStatus.SYNCED.label
    )
    assert synced_rows.count() == 1


def test_a_folder_it_cannot_write_is_reported_as_a_transient_failure(world, live_server, tmp_path):
    (item,) = accepted_invoices(world, 1)
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("in the way")
    client = PullClient(exports_url(live_server, world), token_of(world))
    run = ReferenceAgent(client, str(not_a_folder / "erp")).run_once()
    assert run.failed == [item.pk]
    item.refresh_from_db()
    assert item.state == ExportState.EXPORTING
    assert item.last_error.startswith("The ERP agent reported: Could not write the export")
    assert item.next_retry_at is not None


def test_an_attachment_that_does_not_match_its_checksum_is_not_exported(
    world, live_server, tmp_path
):
    (item,) = accepted_invoices(world, 1)
    attachment = attach(item)
    type(attachment).objects.filter(pk=attachment.pk).update(sha256="0" * 64)
    client = PullClient(exports_url(live_server, world), token_of(world))
    run = ReferenceAgent(client, str(tmp_path)).run_once()
    assert run.failed == [item.pk]
    assert "does not match the export document" in ExportItem.objects.get(pk=item.pk).last_error
    assert not (tmp_path / f"{item.idempotency_key}.json").exists()


def test_the_command_refuses_a_token_that_is_not_an_agents(world, live_server, tmp_path):
    key = api_token_create(user=world.users["approver"], name="not an agent").key
    with pytest.raises(CommandError, match="404 not_found"):
        call_command(
            "run_erp_agent",
            url=exports_url(live_server, world),
            token=key,
            dir=str(tmp_path),
            once=True,
        )


def test_a_claim_the_server_could_not_answer_is_tried_again(world, live_server, tmp_path):
    (item,) = accepted_invoices(world, 1)
    client = PullClient(exports_url(live_server, world), token_of(world))
    claim = client.claim
    answers = [AgentApiError(503, "http_error", "Service Unavailable")]

    def busy_once(limit: int) -> list[dict]:
        if answers:
            raise answers.pop()
        return claim(limit)

    client.claim = busy_once
    run = ReferenceAgent(client, str(tmp_path), pause=lambda seconds: None).run_once()
    assert run.synced == [item.pk]


def test_a_refused_claim_is_not_tried_again(world, live_server, tmp_path):
    """A 4xx is an answer, not a failure to answer: the agent stops at once."""
    client = PullClient(exports_url(live_server, world), "erp_not-a-key")
    pauses: list[float] = []
    with pytest.raises(AgentApiError) as refused:
        ReferenceAgent(client, str(tmp_path), pause=pauses.append).run_once()
    assert (refused.value.status, refused.value.code, pauses) == (401, "token_invalid", [])
