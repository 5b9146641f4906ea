from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from invoices.views import attachment_link

# How long a password reset link works, as the reset pages and email say.
RESET_TIMEOUT_HOURS = settings.PASSWORD_RESET_TIMEOUT // 3600

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password self-service with Django's views and the site's templates
    # (templates/registration/). The reset pages answer alike whether or not an account has
    # the email address.
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "password/reset/",
        auth_views.PasswordResetView.as_view(
            extra_email_context={"reset_timeout_hours": RESET_TIMEOUT_HOURS}
        ),
        name="password_reset",
    ),
    path(
        "password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(
            extra_context={"reset_timeout_hours": RESET_TIMEOUT_HOURS}
        ),
        name="password_reset_done",
    ),
    path(
        "password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("api.urls")),
    path("", include("projects.urls")),
    path("projects/<dbid:project_id>/commitments/", include("commitments.urls")),
    path(
        "projects/<dbid:project_id>/commitments/<dbid:commitment_id>/invoices/",
        include("invoices.urls"),
    ),
    # The company's ERP Integrations queue, and the user's Notifications page (the digest).
    path("", include("erp_integrations.urls")),
    # Signed, expiring attachment links for the ERP; no session (invoices.attachment_links).
    path("attachment-links/<str:token>/", attachment_link, name="attachment-link"),
]

if settings.BENCHMARK_VIEWS:
    from config.benchmarking import floor

    urlpatterns.append(path("benchmark/floor/", floor, name="benchmark-floor"))
