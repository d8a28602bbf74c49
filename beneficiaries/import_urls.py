from django.urls import path

from beneficiaries import import_views

app_name = "imports"

urlpatterns = [
    path("heures/", import_views.upload, name="upload"),
    path("heures/confirmer/", import_views.confirm, name="confirm"),
    path("heures/modele.<str:extension>", import_views.template_file, name="template"),
]
