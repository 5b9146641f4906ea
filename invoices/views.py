from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from invoices.amounts import invoice_amounts
from invoices.permissions import access_invoice


@require_GET
@login_required
def invoice_detail(
    request: HttpRequest, project_id: int, commitment_id: int, invoice_id: int
) -> HttpResponse:
    invoice = access_invoice(request.user, invoice_id, commitment_id=commitment_id)
    if invoice.commitment.project_id != project_id:
        raise Http404("No such invoice.")
    return render(
        request,
        "invoices/invoice_detail.html",
        {
            "invoice": invoice,
            "amounts": invoice_amounts(invoice),
            "commitment": invoice.commitment,
            "project": invoice.commitment.project,
            "company": invoice.commitment.project.company,
        },
    )
