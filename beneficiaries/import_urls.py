from django.urls import path

from beneficiaries import history_views, import_views

app_name = "imports"

urlpatterns = [
    path("heures/", import_views.upload, name="upload"),
    path("heures/confirmer/", import_views.confirm, name="confirm"),
    path("heures/modele.<str:extension>", import_views.template_file, name="template"),
    path("historique/", history_views.upload, name="history"),
    path("historique/confirmer/", history_views.confirm, name="history_confirm"),
    path("historique/modele/<str:name>", history_views.template_file, name="history_template"),
]
