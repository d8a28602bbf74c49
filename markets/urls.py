from django.urls import path

from markets import views

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
]
