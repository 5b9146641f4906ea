from django.urls import path

from erp_integrations import views

app_name = "erp_integrations"
urlpatterns = [
    path("", views.queue, name="queue"),
]
