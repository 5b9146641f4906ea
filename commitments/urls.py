from django.urls import path

from commitments import views

app_name = "commitments"
urlpatterns = [
    path("<int:commitment_id>/", views.commitment_detail, name="detail"),
]
