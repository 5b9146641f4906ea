from django.urls import path

from invoices import views

app_name = "invoices"
urlpatterns = [
    path("new/", views.invoice_new, name="create"),
    path("<dbid:invoice_id>/", views.invoice_detail, name="detail"),
    path("<dbid:invoice_id>/edit/", views.invoice_edit, name="edit"),
    path("<dbid:invoice_id>/status/", views.invoice_status, name="set_status"),
    path("<dbid:invoice_id>/send-to-erp/", views.invoice_send, name="send"),
    path("<dbid:invoice_id>/retrieve-from-erp/", views.invoice_retrieve, name="retrieve"),
    path("<dbid:invoice_id>/attachments/", views.attachment_upload, name="attachment_upload"),
    path(
        "<dbid:invoice_id>/attachments/<dbid:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        "<dbid:invoice_id>/attachments/<dbid:attachment_id>/remove/",
        views.attachment_remove_view,
        name="attachment_remove",
    ),
    path("<dbid:invoice_id>/pdf/", views.invoice_pdf, name="pdf"),
    path(
        "<dbid:invoice_id>/pdf/with-attachments/",
        views.invoice_pdf_with_attachments,
        name="pdf_with_attachments",
    ),
]

# The project's Invoicing tool, included under the project's path as "invoicing".
invoicing_urlpatterns = [
    path("", views.invoicing, name="list"),
    path("send-to-erp/", views.invoicing_send, name="send"),
    path("retrieve-from-erp/", views.invoicing_retrieve, name="retrieve"),
]
