from django.urls import path

from commitments import views

app_name = "commitments"
urlpatterns = [
    path("", views.commitment_list, name="list"),
    path("<int:commitment_id>/", views.commitment_detail, name="detail"),
    path("<int:commitment_id>/schedule-of-values/", views.commitment_sov, name="sov"),
    path("<int:commitment_id>/invoices/", views.commitment_invoices_tab, name="invoices"),
    path("<int:commitment_id>/history/", views.commitment_history_tab, name="history"),
    path(
        "<int:commitment_id>/invoices/send-to-erp/",
        views.commitment_invoices_send,
        name="invoices_send",
    ),
    path(
        "<int:commitment_id>/invoices/retrieve-from-erp/",
        views.commitment_invoices_retrieve,
        name="invoices_retrieve",
    ),
]
