from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from invoices.views import attachment_link

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("projects.urls")),
    path("projects/<dbid:project_id>/commitments/", include("commitments.urls")),
    path(
        "projects/<dbid:project_id>/commitments/<dbid:commitment_id>/invoices/",
        include("invoices.urls"),
    ),
    path("companies/<dbid:company_id>/erp-integrations/", include("erp_integrations.urls")),
    # Signed, expiring attachment links for the ERP; no session (invoices.attachment_links).
    path("attachment-links/<str:token>/", attachment_link, name="attachment-link"),
]

if settings.BENCHMARK_VIEWS:
    from config.benchmarking import floor

    urlpatterns.append(path("benchmark/floor/", floor, name="benchmark-floor"))
