"""The access journal and the right-of-access export (namespace `audit`)."""

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    path("journal-des-acces/", views.journal, name="journal"),
    path("participants/<int:pk>/droit-d-acces/", views.right_of_access_page, name="right_of_access"),
    path("participants/<int:pk>/droit-d-acces.json", views.right_of_access_json, name="right_of_access_json"),
]
