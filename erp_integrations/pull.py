"""The pull connector: an ERP agent beside an on-premises ERP takes the company's accepted
items through the API and reports each one synced or failed.

A company whose ERP connection uses the Agent connector has nothing pushed: the export
worker passes its items over (`exporting.pushed_items`) and they wait, Exporting, for an
agent. The agent's attempts are the worker's attempts, kept on the same fields:
- `exports_claim` takes up to `limit` claimable items for one attempt each, leased to the
  agent (`claimed_by`, the agent's identity) until ERP_AGENT_LEASE_SECONDS from now,
  under the row locks (invoices, then items, SKIP LOCKED: two agents claiming at once
  take different items). It answers each item's export document, the one the push
  connectors send, with its idempotency key and attachment download links.
- `export_report_synced` and `export_report_failed` record the attempt's outcome through
  `exporting.record_outcome`, as the worker's `finish_export` does: Synced with the ERP's
  reference and a history row; or a retry after the same backoff (the item goes back
  into the pool once it is due), or Failed to Export with the approvers emailed, after
  the same attempts.
- A lease that runs out returns the item to the pool; an agent that reports after its
  lease passed to another agent is refused (`lease_lost`), so two agents never hold one
  item at once and the ERP's idempotency key covers the one delivery made twice.
- A report repeated (its answer was lost) answers the same and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.errors import ActionRefused
from erp_integrations.connectors import (
    ExportError,
    PermanentExportError,
    TransientExportError,
)
from erp_integrations.exporting import (
    Claim,
    ExportOutcome,
    claim_locked_items,
    claimable,
    record_outcome,
)
from erp_integrations.models import ConnectorKind, ExportItem, ExportState
from erp_integrations.payloads import build_document
from erp_integrations.tasks import enqueue_email, send_export_failed_email
from invoices.amounts import amounts_of_invoices
from invoices.attachment_links import attachment_link
from invoices.locking import lock_invoices
from invoices.models import ERP_WORKFLOW, InvoiceAttachment
from projects.models import Company

NOT_AN_AGENT_CONNECTION = (
    "{company}'s ERP connection does not use the Agent connector: its exports are pushed "
    "by the export worker. Ask your company admin to choose Agent on the ERP connection."
)
LEASE_LOST = (
    "{label} is no longer yours: your lease ran out and another agent claimed it. Its "
    "outcome is that agent's to report; nothing was changed."
)
NOT_CLAIMED = (
    "You do not hold {label}: claim it before reporting on it (a failure already reported "
    "gave it back to the pool). Nothing was changed."
)
NOT_EXPORTING = (
    "{label} is {state}, not Exporting: there is nothing to report. Nothing was changed."
)
ALREADY_SYNCED = (
    "{label} is already synced to the ERP as {reference}: it cannot be reported {what}. "
    "Nothing was changed."
)
AGENT_REPORTED = "The ERP agent reported: {error}"

# Agent identities are stored in `claimed_by` with this prefix, apart from the worker's
# task ids.
AGENT_PREFIX = "agent:"
CLAIMED_BY_LENGTH = ExportItem._meta.get_field("claimed_by").max_length or 64


class PullRefused(ActionRefused):
    """A claim or report the item's state does not allow; `code` names why, stably."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def agent_lease() -> timedelta:
    return timedelta(seconds=getattr(settings, "ERP_AGENT_LEASE_SECONDS", 300))


def agent_identity(credential: str, agent_name: str = "") -> str:
    """What `claimed_by` holds for an agent: its credential (an API token, or a user)
    and the name it gives itself, so that two agents sharing one token hold their leases
    apart."""
    return f"{AGENT_PREFIX}{credential}:{agent_name}"[:CLAIMED_BY_LENGTH]


@dataclass(frozen=True)
class ClaimedExport:
    item: ExportItem
    document: dict


def exports_claim(*, company: Company, holder: str, limit: int) -> list[ClaimedExport]:
    """Claim up to `limit` of the company's Exporting items that nobody holds and whose
    retry (if any) is due, oldest first, for one attempt each by `holder`. Returns them
    with their export documents. An item whose document cannot be built (the invoice
    changed, the ERP system's rules now refuse it) fails at once, as in the push path,
    and is not returned; so does one whose attempts were used up by agents that never
    reported. Raises PullRefused unless the company's connection uses the Agent
    connector. `company` comes with its `erp_connection` loaded."""
    connection = getattr(company, "erp_connection", None)
    if connection is None or connection.connector != ConnectorKind.AGENT:
        raise PullRefused(
            "connector_not_agent", NOT_AN_AGENT_CONNECTION.format(company=company.name)
        )
    now = timezone.now()
    with transaction.atomic():
        claimed, failed = _claim_rows(company, holder=holder, limit=limit, now=now)
        exports = []
        amounts = amounts_of_invoices([item.invoice for item in claimed])
        attachments = _attachments_of([item.invoice_id for item in claimed])
        for item in claimed:
            item.company = company
            try:
                document = build_document(
                    item,
                    attachments=attachments.get(item.invoice_id, []),
                    amounts=amounts.get(item.invoice_id),
                )
            except ExportError as error:
                record_outcome(item.invoice, item, _claim_of(item), error=error)
                failed.append(item.pk)
                continue
            exports.append(ClaimedExport(item=item, document=_with_download_links(document)))
        _email_failures(failed)
    return exports


def export_report_synced(
    *, company: Company, item_id: int, holder: str, reference: str
) -> ExportItem:
    """Record that the agent created the item's document in the ERP as `reference`:
    Synced, with a history row, as when the worker delivers. The same report again
    answers the item as it is. Raises ExportItem.DoesNotExist for an item not in the
    company's queue, PullRefused for one the holder does not hold (anymore)."""
    with transaction.atomic():
        item = _lock_item(company, item_id)
        if item.state == ExportState.SYNCED:
            if item.claimed_by == holder and item.erp_reference == reference:
                return item  # a repeated report: its first answer was lost
            _refuse_on_synced(item, holder, what="synced again as " + reference)
        _check_held(item, holder)
        attempt = record_outcome(item.invoice, item, _claim_of(item), reference=reference)
        _email_failures([item.pk] if attempt.outcome == ExportOutcome.FAILED else [])
        return item


def export_report_failed(
    *, company: Company, item_id: int, holder: str, error: str, transient: bool
) -> ExportItem:
    """Record that the agent could not create the item's document: with `transient`, a
    retry after the push connectors' backoff (the item goes back into the pool once
    due), until the attempts are used up; otherwise, or then, Failed to Export with the
    approvers emailed. A failure already reported by the holder answers the item as it
    is. Raises as `export_report_synced`, and PullRefused (`already_synced`) after the
    item was synced."""
    with transaction.atomic():
        item = _lock_item(company, item_id)
        if item.state == ExportState.SYNCED:
            _refuse_on_synced(item, holder, what="failed")
        if _failure_already_reported(item, holder):
            return item
        _check_held(item, holder)
        kind = TransientExportError if transient else PermanentExportError
        attempt = record_outcome(
            item.invoice, item, _claim_of(item), error=kind(AGENT_REPORTED.format(error=error))
        )
        _email_failures([item.pk] if attempt.outcome == ExportOutcome.FAILED else [])
        return item


# --- Helpers -----------------------------------------------------------------------------


def _claim_rows(
    company: Company, *, holder: str, limit: int, now: datetime
) -> tuple[list[ExportItem], list[int]]:
    """Lock and claim up to `limit` items, page by page of candidates: rows another
    transaction holds (another agent claiming, an approver acting) are skipped, not
    waited for, and the next page is tried until enough are claimed or none is left."""
    claimed: list[ExportItem] = []
    failed: list[int] = []
    after = 0
    while len(claimed) < limit:
        wanted = limit - len(claimed)
        candidates = list(
            ExportItem.objects.filter(claimable(now), company=company, pk__gt=after)
            .order_by("pk")
            .values_list("pk", "invoice_id")[:wanted]
        )
        if not candidates:
            break
        after = candidates[-1][0]
        # The lock order: the invoices, then their items (invoices.locking).
        invoices = {
            invoice.pk: invoice
            for invoice in lock_invoices(
                Q(pk__in=[invoice_id for _, invoice_id in candidates]),
                select_related=["commitment__project", "commitment__vendor"],
                skip_locked=True,
            )
        }
        items = list(
            ExportItem.objects.select_for_update(skip_locked=True)
            .filter(
                claimable(now),
                pk__in=[pk for pk, invoice_id in candidates if invoice_id in invoices],
            )
            .order_by("pk")
        )
        taken, used_up = claim_locked_items(
            invoices, items, worker=holder, lease=agent_lease(), now=now
        )
        for item in taken:
            item.invoice = invoices[item.invoice_id]
        claimed += taken
        failed += used_up
    return claimed, failed


def _attachments_of(invoice_ids: list[int]) -> dict[int, list[InvoiceAttachment]]:
    """The attachments of the invoices, each invoice's in the order its export lists
    them (`payloads.invoice_attachments_for_export`), in one query."""
    by_invoice: dict[int, list[InvoiceAttachment]] = {}
    for attachment in InvoiceAttachment.objects.filter(invoice_id__in=invoice_ids).order_by("pk"):
        by_invoice.setdefault(attachment.invoice_id, []).append(attachment)
    return by_invoice


def _with_download_links(document: dict) -> dict:
    """The document with each attachment's signed download link, as the HTTP connector
    sends it: the agent has no session, and links expire, so they are made per claim."""
    return {
        **document,
        "attachments": [
            {**entry, "download_url": attachment_link(entry["id"])}
            for entry in document["attachments"]
        ],
    }


def _claim_of(item: ExportItem) -> Claim:
    """The claim the item holds now (read under its row lock), for `record_outcome`."""
    assert item.export_started_at is not None  # the callers checked it is held
    return Claim(export_item_id=item.pk, attempts=item.attempts, started_at=item.export_started_at)


def _lock_item(company: Company, item_id: int) -> ExportItem:
    """The company's item `item_id` under its invoice's and its own row locks, in the
    lock order. Raises ExportItem.DoesNotExist when there is none."""
    invoice_id = (
        ExportItem.objects.filter(pk=item_id, company=company)
        .values_list("invoice_id", flat=True)
        .first()
    )
    if invoice_id is None:
        raise ExportItem.DoesNotExist
    invoice = lock_invoices(Q(pk=invoice_id))[0]
    item = ExportItem.objects.select_for_update().get(pk=item_id)
    item.invoice = invoice
    return item


def _check_held(item: ExportItem, holder: str) -> None:
    """Refuse unless `holder` holds the item's claim now. A lease that ran out with
    nobody taking the item over still counts: the agent's report is the attempt's
    outcome, and the claim is released by it."""
    label = item.invoice.label
    if item.state not in ERP_WORKFLOW.exporting_statuses:
        raise PullRefused(
            "not_exporting",
            NOT_EXPORTING.format(label=label, state=item.get_state_display()),
        )
    if item.claimed_by != holder and item.claimed_by:
        raise PullRefused("lease_lost", LEASE_LOST.format(label=label))
    if item.claimed_by != holder or item.export_started_at is None:
        raise PullRefused("not_claimed", NOT_CLAIMED.format(label=label))


def _refuse_on_synced(item: ExportItem, holder: str, *, what: str) -> None:
    label = item.invoice.label
    if item.claimed_by != holder:
        raise PullRefused("lease_lost", LEASE_LOST.format(label=label))
    raise PullRefused(
        "already_synced",
        ALREADY_SYNCED.format(label=label, reference=item.erp_reference, what=what),
    )


def _failure_already_reported(item: ExportItem, holder: str) -> bool:
    """Whether the holder's last report on the item was a failure, nobody having claimed
    it since: its claim is released, and the item waits for its retry or has failed."""
    if item.claimed_by != holder or item.export_started_at is not None:
        return False
    if item.state == ExportState.FAILED_TO_EXPORT:
        return True
    return item.state in ERP_WORKFLOW.exporting_statuses and item.next_retry_at is not None


def _email_failures(export_item_ids: list[int]) -> None:
    if export_item_ids:
        transaction.on_commit(
            partial(enqueue_email, send_export_failed_email, export_item_ids), robust=True
        )
