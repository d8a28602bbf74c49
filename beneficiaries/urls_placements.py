"""Placements (namespace `placements`)."""

from django.urls import path

from beneficiaries import views_placements as views

app_name = "placements"

urlpatterns = [
    path("", views.placement_list, name="list"),
    path("nouveau/", views.placement_create, name="create"),
    path("choix/<slug:kind>/", views.placement_choices, name="choices"),
    path("<int:pk>/", views.placement_detail, name="detail"),
    path("<int:pk>/modifier/", views.placement_update, name="update"),
    path("<int:pk>/sortie/", views.outcome_record, name="outcome"),
]
