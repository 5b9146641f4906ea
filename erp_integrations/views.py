from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from projects.permissions import access_erp_integrations


@require_GET
@login_required
def queue(request: HttpRequest, company_id: int) -> HttpResponse:
    company = access_erp_integrations(request.user, company_id)
    return render(request, "erp_integrations/queue.html", {"company": company})
