from django.urls import path

from markets import views, views_decp

app_name = "markets"

urlpatterns = [
    path("operations/", views.operation_list, name="operation_list"),
    path("operations/nouvelle/", views.operation_create, name="operation_create"),
    path("operations/<int:pk>/", views.operation_detail, name="operation_detail"),
    path("operations/<int:pk>/modifier/", views.operation_update, name="operation_update"),
    path("marches/", views.market_list, name="market_list"),
    path("marches/nouveau/", views.market_create, name="market_create"),
    path("marches/<int:pk>/", views.market_detail, name="market_detail"),
    path("marches/<int:pk>/modifier/", views.market_update, name="market_update"),
    path("marches/<int:pk>/lots/nouveau/", views.lot_create, name="lot_create"),
    path("lots/<int:pk>/modifier/", views.lot_update, name="lot_update"),
    path("marches/a-suivre/", views_decp.decp_to_follow, name="decp_to_follow"),
    path("marches/a-suivre/suivre/", views_decp.decp_follow, name="decp_follow"),
    path("marches/donnees-publiees/import/", views_decp.decp_import, name="decp_import"),
    path("marches/donnees-publiees/import/confirmer/", views_decp.decp_import_confirm, name="decp_import_confirm"),
]
