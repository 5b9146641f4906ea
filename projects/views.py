from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commitments.permissions import access_project, visible_projects


@require_GET
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    projects = visible_projects(request.user).order_by("name")
    return render(request, "projects/project_list.html", {"projects": projects})


@require_GET
@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access_project(request.user, project_id)
    return render(
        request, "projects/project_detail.html", {"project": project, "company": project.company}
    )
