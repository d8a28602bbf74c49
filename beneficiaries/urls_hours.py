"""The monthly hours grid (namespace `hours`)."""

from django.urls import path

from beneficiaries import views_hours as views

app_name = "hours"

urlpatterns = [
    path("", views.hours_grid, name="grid"),
]
