"""The public pages of the published reports (no login): /public/… (reporting.public_views)."""

from django.urls import path

from reporting import public_views

app_name = "public"

urlpatterns = [
    path("", public_views.index, name="index"),
    path("<str:region>/", public_views.region_page, name="region"),
    path("<str:region>/<int:year>/", public_views.region_page, name="region_year"),
    path("<str:region>/<int:year>/donnees.csv", public_views.data_csv, name="data_csv"),
    path("<str:region>/<int:year>/donnees.schema.json", public_views.data_schema, name="data_schema"),
    path("<str:region>/<int:year>/v<int:version>/donnees.csv", public_views.version_csv, name="version_csv"),
]
