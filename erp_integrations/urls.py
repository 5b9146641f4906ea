from django.urls import include, path

from erp_integrations import notification_views, views

app_name = "erp_integrations"
queue_patterns = [
    path("", views.queue, name="queue"),
    path("accept/", views.accept, name="accept"),
    path("reject/", views.reject, name="reject"),
    path("retry/", views.retry, name="retry"),
    path("unlink/", views.unlink, name="unlink"),
    path("items/<dbid:item_id>/", views.review, name="review"),
    path("items/<dbid:item_id>/pdf/", views.review_pdf, name="review_pdf"),
    path(
        "items/<dbid:item_id>/pdf/with-attachments/",
        views.review_pdf_with_attachments,
        name="review_pdf_with_attachments",
    ),
    path("<slug:tab>/", views.tab, name="tab"),
    path("<slug:tab>/csv/", views.tab_csv, name="tab_csv"),
]
urlpatterns = [
    path("companies/<dbid:company_id>/erp-integrations/", include(queue_patterns)),
    path("account/notifications/", notification_views.notifications, name="notifications"),
    # Signed, expiring, and no session needed: the link in every digest email.
    path(
        "account/notifications/unsubscribe/<str:token>/",
        notification_views.digest_unsubscribe,
        name="digest_unsubscribe",
    ),
]
