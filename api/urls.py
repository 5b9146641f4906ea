from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import action_views, agent_views, invoicing_views, queue_views, token_views, views
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
    path(
        "api/v1/projects/<dbid:project_id>/invoices/",
        invoicing_views.ProjectInvoiceList.as_view(),
        name="project-invoice-list",
    ),
    path(
        "api/v1/companies/<dbid:company_id>/erp/items/",
        queue_views.QueueItemList.as_view(),
        name="queue-item-list",
    ),
    # The actions (api.action_views): one invoice, or many at once.
    path(
        "api/v1/invoices/<dbid:invoice_id>/send/",
        action_views.InvoiceSend.as_view(),
        name="invoice-send",
    ),
    path(
        "api/v1/invoices/<dbid:invoice_id>/retrieve/",
        action_views.InvoiceRetrieve.as_view(),
        name="invoice-retrieve",
    ),
    path(
        "api/v1/projects/<dbid:project_id>/commitments/<dbid:commitment_id>/invoices/send/",
        action_views.CommitmentInvoicesSend.as_view(),
        name="invoices-send",
    ),
    path(
        "api/v1/projects/<dbid:project_id>/commitments/<dbid:commitment_id>/invoices/retrieve/",
        action_views.CommitmentInvoicesRetrieve.as_view(),
        name="invoices-retrieve",
    ),
    path(
        "api/v1/projects/<dbid:project_id>/invoices/send/",
        action_views.ProjectInvoicesSend.as_view(),
        name="project-invoices-send",
    ),
    path(
        "api/v1/projects/<dbid:project_id>/invoices/retrieve/",
        action_views.ProjectInvoicesRetrieve.as_view(),
        name="project-invoices-retrieve",
    ),
    *[
        path(
            f"api/v1/companies/<dbid:company_id>/erp/items/{verb}/",
            bulk.as_view(),
            name=f"items-{verb}",
        )
        for verb, bulk in (
            ("accept", action_views.ItemsAccept),
            ("reject", action_views.ItemsReject),
            ("retry", action_views.ItemsRetry),
            ("unlink", action_views.ItemsUnlink),
        )
    ],
    *[
        path(
            f"api/v1/companies/<dbid:company_id>/erp/items/<dbid:item_id>/{verb}/",
            single.as_view(),
            name=f"item-{verb}",
        )
        for verb, single in (
            ("accept", action_views.ItemAccept),
            ("reject", action_views.ItemReject),
            ("retry", action_views.ItemRetry),
            ("unlink", action_views.ItemUnlink),
        )
    ],
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
