from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import agent_views, token_views, views
from api.errors import not_found

app_name = "api"
urlpatterns = [
    path("account/api-tokens/", token_views.token_list, name="tokens"),
    path(
        "account/api-tokens/<dbid:token_id>/revoke/",
        token_views.token_revoke,
        name="token-revoke",
    ),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own (`?script`), so the
    # page needs no inline script and the site's CSP (script-src 'self') holds as it is.
    path("api/v1/docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("api/v1/projects/", views.ProjectList.as_view(), name="project-list"),
    path("api/v1/projects/<dbid:project_id>/", views.ProjectDetail.as_view(), name="project"),
    path(
        "api/v1/projects/<dbid:project_id>/commitments/",
        views.CommitmentList.as_view(),
        name="commitment-list",
    ),
    path(
        "api/v1/projects/<dbid:project_id>/commitments/<dbid:commitment_id>/",
        views.CommitmentDetail.as_view(),
        name="commitment",
    ),
    path(
        "api/v1/projects/<dbid:project_id>/commitments/<dbid:commitment_id>/invoices/",
        views.InvoiceList.as_view(),
        name="invoice-list",
    ),
    path(
        "api/v1/projects/<dbid:project_id>/commitments/<dbid:commitment_id>/invoices/"
        "<dbid:invoice_id>/",
        views.InvoiceDetail.as_view(),
        name="invoice",
    ),
    # The ERP agent's pull (erp_integrations/pull.py).
    path(
        "api/v1/companies/<dbid:company_id>/erp/exports/claim/",
        agent_views.ExportClaim.as_view(),
        name="erp-exports-claim",
    ),
    path(
        "api/v1/companies/<dbid:company_id>/erp/exports/<dbid:item_id>/synced/",
        agent_views.ExportSynced.as_view(),
        name="erp-export-synced",
    ),
    path(
        "api/v1/companies/<dbid:company_id>/erp/exports/<dbid:item_id>/failed/",
        agent_views.ExportFailed.as_view(),
        name="erp-export-failed",
    ),
    # Anything else under the API (an unknown path, an id out of range) is a JSON 404.
    re_path(r"^api/.*$", not_found),
]
