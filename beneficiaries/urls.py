"""Beneficiaries (namespace `beneficiaries`). Placements and hours have their own modules and namespaces."""

from django.urls import path

from beneficiaries import views, views_duplicates

app_name = "beneficiaries"

urlpatterns = [
    path("", views.beneficiary_list, name="list"),
    path("nouveau/", views.beneficiary_create, name="create"),
    path("communes/", views.commune_options, name="commune_options"),
    path("qpv/", views.qpv_options, name="qpv_options"),
    path("<int:pk>/", views.beneficiary_detail, name="detail"),
    path("<int:pk>/modifier/", views.beneficiary_update, name="update"),
    path("<int:pk>/fusionner/", views_duplicates.beneficiary_merge, name="merge"),
    path("<int:pk>/criteres/", views.criterion_add, name="criterion_add"),
    path("<int:pk>/criteres/<int:criterion_pk>/retirer/", views.criterion_delete, name="criterion_delete"),
]
