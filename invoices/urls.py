from django.urls import path

from invoices import views

app_name = "invoices"
urlpatterns = [
    path("<int:invoice_id>/", views.invoice_detail, name="detail"),
]
