from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from commitments.permissions import visible_projects
from projects.permissions import approver_companies

NAV_PROJECT_LIMIT = 25


def navigation(request: HttpRequest) -> dict[str, object]:
    """The navigation's project links and the ERP Integrations links of the companies
    the user approves for. Lazy: a page that does not render them runs no query."""
    user = request.user
    return {
        "nav_projects": SimpleLazyObject(
            lambda: list(visible_projects(user).order_by("name")[:NAV_PROJECT_LIMIT])
        ),
        "nav_erp_companies": SimpleLazyObject(lambda: list(approver_companies(user))),
    }
