"""ERP agents' throughput (the pull connector): exports per second with 1, 2 and 4
reference agents (`erp_integrations.agent_client.ReferenceAgent`, each a thread with its
own API token) pulling the same company's accepted items from the running gunicorn over
HTTP, each writing its documents into a folder of its own as the file connector does and
reporting them synced.

Its data set is a company of its own, "Bench Agent Builders" on the Agent connector
(`ensure_agent_company`), added to the bench database beside the pages' data: `items`
accepted invoices, ten per commitment, two lines each. Before each run every item is put
back in the pool (Exporting, no attempt made) and its history of earlier runs removed.
After each run every item must be Synced after exactly one attempt, or the run reports
an error instead of a figure.
"""

from __future__ import annotations

import datetime
import tempfile
import threading
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from api.services import api_token_create
from commitments.models import Commitment, CommitmentErpStatus, CommitmentType, SovLine
from erp_integrations.agent_client import AgentApiError, PullClient, ReferenceAgent
from erp_integrations.models import ConnectorKind, ErpConnection, ErpSystem, ExportItem, ExportState
from invoices.models import (
    ChangeHistoryEntry,
    Invoice,
    InvoiceErpStatus,
    InvoiceLine,
    InvoiceStatus,
)
from projects.models import Company, Project, Vendor
from projects.services import company_set_erp_agent

AGENT_COMPANY_NAME = "Bench Agent Builders"
AGENT_USERNAME = "bench_erp_agent"
AGENT_COUNTS = (1, 2, 4)
INVOICES_PER_COMMITMENT = 10
CLAIM_LIMIT = 50


def ensure_agent_company(items: int) -> Company:
    """The agent company with at least `items` accepted invoices (created in bulk)."""
    user_model = get_user_model()
    agent_user, _ = user_model.objects.get_or_create(username=AGENT_USERNAME)
    company, created = Company.objects.get_or_create(name=AGENT_COMPANY_NAME)
    if created:
        ErpConnection.objects.create(
            company=company, system=ErpSystem.SAGE_INTACCT, connector=ConnectorKind.AGENT
        )
        company_set_erp_agent(user=agent_user, company=company, allowed=True)
    have = ExportItem.objects.filter(company=company).count()
    if have < items:
        _add_accepted_invoices(company, agent_user, items - have)
    return company


@transaction.atomic
def _add_accepted_invoices(company: Company, sender, count: int) -> None:
    project, _ = Project.objects.get_or_create(
        company=company, number="AG-1", defaults={"name": "Agent Tower", "erp_job_id": "JAG1"}
    )
    vendor, _ = Vendor.objects.get_or_create(
        company=company, name="Pull Concrete", defaults={"erp_vendor_id": "VAG1"}
    )
    start = Commitment.objects.filter(project=project).count()
    commitments = Commitment.objects.bulk_create(
        Commitment(
            project=project,
            type=CommitmentType.SUBCONTRACT,
            number=f"AG-{start + index:05d}",
            title="Pulled scope",
            vendor=vendor,
            status="approved",
            executed=True,
            default_retainage_percent=Decimal("10.00"),
            erp_status=CommitmentErpStatus.SYNCED,
            erp_reference=f"ERP-AG-{start + index}",
        )
        for index in range(-(-count // INVOICES_PER_COMMITMENT))
    )
    sov_lines = SovLine.objects.bulk_create(
        SovLine(
            commitment=commitment,
            position=position,
            cost_code=f"03-{position:03d}",
            description=f"Pour {position}",
            scheduled_value=Decimal("100000.00"),
        )
        for commitment in commitments
        for position in (1, 2)
    )
    lines_of: dict[int, list[SovLine]] = {}
    for sov_line in sov_lines:
        lines_of.setdefault(sov_line.commitment_id, []).append(sov_line)
    period_end = datetime.date(2026, 10, 31)
    invoices = Invoice.objects.bulk_create(
        Invoice(
            commitment=commitments[index // INVOICES_PER_COMMITMENT],
            number=index % INVOICES_PER_COMMITMENT + 1,
            billing_period_start=datetime.date(2026, 10, 1),
            billing_period_end=period_end,
            billing_date=period_end,
            status=InvoiceStatus.APPROVED,
            erp_status=InvoiceErpStatus.EXPORTING,
            created_by=sender,
        )
        for index in range(count)
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            sov_line=sov_line,
            work_completed_this_period=Decimal("1000.00"),
            materials_presently_stored=Decimal("0.00"),
            work_retainage_percent=Decimal("10.00"),
            materials_retainage_percent=Decimal("0.00"),
        )
        for invoice in invoices
        for sov_line in lines_of[invoice.commitment_id]
    )
    now = timezone.now()
    ExportItem.objects.bulk_create(
        ExportItem(
            invoice=invoice,
            company=company,
            state=ExportState.EXPORTING,
            invoice_revision=invoice.revision,
            sent_by=sender,
            sent_at=now,
            decided_by=sender,
            decided_at=now,
        )
        for invoice in invoices
    )


@transaction.atomic
def reset_pool(company: Company) -> int:
    """Every item of the company back in the pool, as accepted and never tried."""
    items = ExportItem.objects.filter(company=company)
    Invoice.objects.filter(export_items__company=company).update(
        erp_status=InvoiceErpStatus.EXPORTING
    )
    ChangeHistoryEntry.objects.filter(invoice__export_items__company=company).delete()
    return items.update(
        state=ExportState.EXPORTING,
        attempts=0,
        last_error="",
        next_retry_at=None,
        export_started_at=None,
        claim_expires_at=None,
        claimed_by="",
        erp_reference="",
        synced_at=None,
    )


def run_agents(exports_url: str, keys: list[str], folder: str) -> tuple[float, list[str]]:
    """Run one reference agent per key until the pool is empty; (seconds, errors)."""
    errors: list[str] = []

    def work(number: int, key: str) -> None:
        client = PullClient(exports_url, key, name=f"bench-{number}")
        agent = ReferenceAgent(client, f"{folder}/agent-{number}", limit=CLAIM_LIMIT)
        try:
            run = agent.run_once()
        except AgentApiError as error:
            errors.append(str(error))
            return
        if run.failed or run.refused:
            errors.append(f"agent {number}: failed {run.failed[:3]}, refused {run.refused}")

    threads = [threading.Thread(target=work, args=(number, key)) for number, key in enumerate(keys)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, errors


def measure(host: str, port: int, *, items: int) -> dict:
    """Exports per second with each number of agents in AGENT_COUNTS."""
    company = ensure_agent_company(items)
    agent_user = get_user_model().objects.get(username=AGENT_USERNAME)
    exports_url = f"http://{host}:{port}/api/v1/companies/{company.pk}/erp/exports/"
    rows = []
    for agents in AGENT_COUNTS:
        pool = reset_pool(company)
        keys = [
            api_token_create(user=agent_user, name=f"bench agent {number}").key
            for number in range(agents)
        ]
        with tempfile.TemporaryDirectory(prefix="erp-agent-bench-") as folder:
            seconds, errors = run_agents(exports_url, keys, folder)
        outcome = ExportItem.objects.filter(company=company).exclude(
            state=ExportState.SYNCED, attempts=1
        )
        if not errors and outcome.exists():
            errors.append(f"{outcome.count()} item(s) not synced after exactly one attempt")
        rows.append(
            {
                "agents": agents,
                "items": pool,
                "seconds": round(seconds, 2),
                "exports_per_second": None if errors else round(pool / seconds, 1),
                "error": "; ".join(errors) or None,
            }
        )
    return {"items": items, "claim_limit": CLAIM_LIMIT, "runs": rows}
