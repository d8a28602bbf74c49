from django.contrib import admin
from django.urls import include, path

from organisations import views as organisation_views
from organisations.urls import account_urlpatterns

urlpatterns = [
    path("", organisation_views.home, name="home"),
    path("compte/", include(account_urlpatterns)),
    path("organisations/", include("organisations.urls")),
    path("", include("markets.urls")),
    path("clauses/", include("clauses.urls")),
    path("", include("reporting.urls")),
    path("", include("api.urls")),
    path("imports/", include("beneficiaries.import_urls")),
    path("admin/", admin.site.urls),
]
