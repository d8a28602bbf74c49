from django.contrib import admin
from django.urls import include, path

from beneficiaries.views_home import home
from markets.lot_views import lot_detail
from organisations.urls import account_urlpatterns

urlpatterns = [
    path("", home, name="home"),
    path("compte/", include(account_urlpatterns)),
    path("compte/notifications/", include("notifications.urls")),
    path("organisations/", include("organisations.urls")),
    path("", include("markets.urls")),
    path("clauses/", include("clauses.urls")),
    path("", include("reporting.urls")),
    path("", include("api.urls")),
    path("imports/", include("beneficiaries.import_urls")),
    path("", include("audit.urls")),
    path("participants/", include("beneficiaries.urls")),
    path("contrats/", include("beneficiaries.urls_placements")),
    path("heures/", include("beneficiaries.urls_hours")),
    path("entreprise/", include("companies.urls")),
    path("lots/<int:pk>/", lot_detail, name="lot_detail"),
    path("public/", include("reporting.public_urls")),  # no login: published figures only
    path("aide/", include("config.guide")),
    path("admin/", admin.site.urls),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
