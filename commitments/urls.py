from django.urls import path

from commitments import views

app_name = "commitments"
urlpatterns = [
    path("", views.commitment_list, name="list"),
    path("<dbid:commitment_id>/", views.commitment_detail, name="detail"),
    path("<dbid:commitment_id>/schedule-of-values/", views.commitment_sov, name="sov"),
    path("<dbid:commitment_id>/invoices/", views.commitment_invoices_tab, name="invoices"),
    path("<dbid:commitment_id>/history/", views.commitment_history_tab, name="history"),
    path(
        "<dbid:commitment_id>/invoices/send-to-erp/",
        views.commitment_invoices_send,
        name="invoices_send",
    ),
    path(
        "<dbid:commitment_id>/invoices/retrieve-from-erp/",
        views.commitment_invoices_retrieve,
        name="invoices_retrieve",
    ),
]
