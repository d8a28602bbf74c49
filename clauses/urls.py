from django.urls import path

from clauses import views

app_name = "clauses"

urlpatterns = [
    path("calibrage/", views.calibration, name="calibration"),
]
