from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/export.<str:fmt>", views.dashboard_export, name="dashboard_export"),
    path("tableau-de-bord/marches/<int:pk>/", views.market_bilan, name="market_bilan"),
    path("tableau-de-bord/marches/<int:pk>/bilan.pdf", views.market_bilan_pdf, name="market_bilan_pdf"),
    path("tableau-de-bord/marches/<int:pk>/bilan.<str:fmt>", views.market_bilan_export, name="market_bilan_export"),
    path("bilan-annuel/", views.yearly_report, name="yearly_report"),
    path("bilan-annuel/export.<str:fmt>", views.yearly_report_export, name="yearly_report_export"),
    path("bilan-annuel/preparer-export/", views.yearly_report_background, name="yearly_report_background"),
    path("bilan-annuel/publier/", views.yearly_report_publish, name="yearly_report_publish"),
    path("bilan-annuel/versions/<int:pk>/", views.published_report, name="published_report"),
    path(
        "bilan-annuel/versions/<int:pk>/export.<str:fmt>",
        views.published_report_export,
        name="published_report_export",
    ),
    path("exports/<uuid:export_id>/", views.export_status, name="export_status"),
    path("exports/<uuid:export_id>/fichier/", views.export_download, name="export_download"),
    path("exports/<uuid:export_id>/relancer/", views.export_retry, name="export_retry"),
]
