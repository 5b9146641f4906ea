from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from commitments.permissions import access_project, visible_projects
from projects.context_processors import navigation_erp_companies


@require_GET
@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The user's projects. Where the user's work is elsewhere, there instead: a user who
    sees no project but approves for a company lands on its ERP Integrations page (the
    first by name), after signing in (LOGIN_REDIRECT_URL is this page) as on `/`."""
    projects = list(visible_projects(request.user).order_by("name"))
    if not projects:
        # The navigation reads the same list: no second query when the page renders.
        erp_companies = navigation_erp_companies(request)
        if erp_companies:
            return redirect("erp_integrations:queue", erp_companies[0].pk)
    return render(request, "projects/project_list.html", {"projects": projects})


@require_GET
@login_required
def project_detail(request: HttpRequest, project_id: int) -> HttpResponse:
    project = access_project(request.user, project_id)
    return render(
        request, "projects/project_detail.html", {"project": project, "company": project.company}
    )
