"""The API's rows: the ERP Integrations queue read as one list of 100 items, and a bulk
retrieve of 100 invoices followed by the bulk send that puts them back (as the Invoices
tab's pair in `benchmarks.run`), each with a personal API token as an integration sends
it. The tokens are made for the run and revoked after it.

Needs Django set up (`django.setup()`) before use, with the benchmark's environment.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from api.models import ApiToken
from api.services import api_token_create, api_token_revoke
from benchmarks.client import Client, Response
from benchmarks.measured import Measured
from benchmarks.scenario import BULK_SIZE, invoices_are
from invoices.models import InvoiceErpStatus

TOKEN_NAME = "benchmark"


def bearer(username: str) -> dict[str, str]:
    from django.contrib.auth import get_user_model  # noqa: PLC0415 (models load after django.setup())

    user = get_user_model().objects.get(username=username)
    return {"Authorization": f"Bearer {api_token_create(user=user, name=TOKEN_NAME).key}"}


def revoke_run_tokens() -> None:
    for token_id in ApiToken.objects.filter(name=TOKEN_NAME, revoked_at__isnull=True).values_list(
        "pk", flat=True
    ):
        api_token_revoke(token_id=token_id)


def measure_queue_list(s, client: Client, *, warmups: int, requests: int) -> Measured:
    path = f"/api/v1/companies/{s.company_id}/erp/items/?page_size={BULK_SIZE}"
    measured = Measured(
        f"API list of {BULK_SIZE} queue items", "GET", path, "bench_approver (token)"
    )
    headers = bearer("bench_approver")
    for round_number in range(warmups + requests):
        response = client.get(path, headers=headers)
        if response.status != 200:
            measured.error = f"HTTP {response.status}"
            break
        if len(json.loads(response.body)["results"]) != BULK_SIZE:
            measured.error = f"the list did not hold {BULK_SIZE} items"
            break
        if round_number >= warmups:
            measured.add(response)
    return measured


def measure_bulk_retrieve(s, client: Client, *, warmups: int, requests: int) -> list[Measured]:
    """API bulk retrieve of the 100 Ready to Export invoices of SC-BENCH-150, each followed
    by the API bulk send of the same 100; the database is checked after each."""
    invoices = f"/api/v1/projects/{s.bench_project_id}/commitments/{s.bench_commitment_id}/invoices"
    ids = list(s.bulk_invoice_ids)
    headers = bearer("bench_admin")
    steps: list[tuple[Measured, Callable[[], bool]]] = [
        (
            Measured(
                f"API bulk retrieve of {BULK_SIZE}",
                "POST",
                f"{invoices}/retrieve/",
                "bench_admin (token)",
            ),
            lambda: invoices_are(ids, InvoiceErpStatus.RETRIEVED),
        ),
        (
            Measured(
                f"API bulk send of {BULK_SIZE} back",
                "POST",
                f"{invoices}/send/",
                "bench_admin (token)",
            ),
            lambda: invoices_are(ids, InvoiceErpStatus.READY_TO_EXPORT),
        ),
    ]
    for round_number in range(warmups + requests):
        for measured, done in steps:
            response = client.request(
                "POST", measured.path, json_body={"ids": ids}, headers=headers
            )
            error = _post_error(response, done)
            if error:
                # The pair stops here: the invoices are no longer where the next step
                # expects them.
                measured.error = error
                return [measured for measured, _ in steps]
            if round_number >= warmups:
                measured.add(response)
    return [measured for measured, _ in steps]


def _post_error(response: Response, done: Callable[[], bool]) -> str | None:
    if response.status != 200:
        return f"HTTP {response.status}"
    results = json.loads(response.body)["results"]
    refused = [result["code"] for result in results if not result["ok"]]
    if refused:
        return f"{len(refused)} refused ({refused[0]})"
    if not done():
        return "the POST answered but did not do its work"
    return None
