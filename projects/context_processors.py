from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from commitments.permissions import visible_projects
from erp_integrations.selectors import approver_companies_with_ready_counts
from projects.models import Company

NAV_PROJECT_LIMIT = 25


def navigation_erp_companies(request: HttpRequest) -> list[Company]:
    """The companies whose ERP Integrations page the navigation links, each with its Ready
    to Export count (`approver_companies_with_ready_counts`). Read once per request: the
    project list asks it too, to send an approver without projects to the queue."""
    cached = getattr(request, "_navigation_erp_companies", None)
    if cached is None:
        cached = approver_companies_with_ready_counts(request.user)
        request._navigation_erp_companies = cached  # type: ignore[attr-defined]
    return cached


def navigation(request: HttpRequest) -> dict[str, object]:
    """The navigation's project links and the ERP Integrations links of the companies
    the user approves for. Lazy: a page that does not render them runs no query."""
    user = request.user
    return {
        "nav_projects": SimpleLazyObject(
            lambda: list(visible_projects(user).order_by("name")[:NAV_PROJECT_LIMIT])
        ),
        "nav_erp_companies": SimpleLazyObject(lambda: navigation_erp_companies(request)),
    }
