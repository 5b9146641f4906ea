from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commitments.permissions import access_commitment


@require_GET
@login_required
def commitment_detail(request: HttpRequest, project_id: int, commitment_id: int) -> HttpResponse:
    commitment = access_commitment(request.user, project_id, commitment_id)
    return render(
        request,
        "commitments/commitment_detail.html",
        {
            "commitment": commitment,
            "project": commitment.project,
            "company": commitment.project.company,
        },
    )
