"""/api/v1/ (token or session), /api/schema/ (OpenAPI 3), /api/docs/ (Swagger UI from the sidecar, no CDN),
/api/redoc/, and the personal token page /compte/jetons/."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from api import views
from api.beneficiaries import BeneficiaryViewSet
from api.clauses import ClauseViewSet
from api.companies import (
    CompanyDeclarationDetail,
    CompanyDeclarationResubmit,
    CompanyDeclarationRows,
    CompanyDeclarationSubmit,
    CompanyLotDetail,
    CompanyLotList,
    CompanyPlacementList,
)
from api.hours import HoursRecordViewSet
from api.markets import LotViewSet, MarketViewSet, OperationViewSet
from api.organisations import OrganisationViewSet
from api.outcomes import OutcomeViewSet
from api.placements import PlacementViewSet
from api.public import PublicRegionList, PublicReportView
from api.reports import YearlyReportView
from api.territories import CommuneViewSet, DepartmentViewSet, EpciViewSet, QpvViewSet, RegionViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("territories/regions", RegionViewSet, basename="region")
router.register("territories/departments", DepartmentViewSet, basename="department")
router.register("territories/epcis", EpciViewSet, basename="epci")
router.register("territories/communes", CommuneViewSet, basename="commune")
router.register("territories/qpvs", QpvViewSet, basename="qpv")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("operations", OperationViewSet, basename="operation")
router.register("markets", MarketViewSet, basename="market")
router.register("lots", LotViewSet, basename="lot")
router.register("clauses", ClauseViewSet, basename="clause")
router.register("beneficiaries", BeneficiaryViewSet, basename="beneficiary")
router.register("placements", PlacementViewSet, basename="placement")
router.register("hours", HoursRecordViewSet, basename="hoursrecord")
router.register("outcomes", OutcomeViewSet, basename="outcome")

# The company API (issue 15): a company contact's lots, contracts and monthly declarations (api/companies.py); the
# only operations open to a company-only account (api.permissions, companies.middleware).
DECLARATION = "company/lots/<int:pk>/declarations/<str:month>/"
company_patterns = [
    path("company/lots/", CompanyLotList.as_view(), name="company-lot-list"),
    path("company/lots/<int:pk>/", CompanyLotDetail.as_view(), name="company-lot-detail"),
    path("company/lots/<int:pk>/placements/", CompanyPlacementList.as_view(), name="company-lot-placements"),
    path(DECLARATION, CompanyDeclarationDetail.as_view(), name="company-declaration"),
    path(f"{DECLARATION}rows/", CompanyDeclarationRows.as_view(), name="company-declaration-rows"),
    path(f"{DECLARATION}submit/", CompanyDeclarationSubmit.as_view(), name="company-declaration-submit"),
    path(f"{DECLARATION}resubmit/", CompanyDeclarationResubmit.as_view(), name="company-declaration-resubmit"),
]
COMPANY_API = frozenset(f"api:{pattern.name}" for pattern in company_patterns)

v1_patterns = [
    *router.urls,
    path("reports/yearly/", YearlyReportView.as_view(), name="yearly-report"),
    # Anonymous and throttled: the published reports in open data (api/public.py).
    path("public/regions/", PublicRegionList.as_view(), name="public-regions"),
    path("public/regions/<str:region>/<int:year>/", PublicReportView.as_view(), name="public-report"),
    *company_patterns,
]

# The API authenticates by itself (token or session) and answers 401/403 in JSON: the login-required
# middleware must not redirect its requests to the login page.
for pattern in v1_patterns:
    pattern.callback = login_not_required(pattern.callback)

# Swagger UI and Redoc inject their own styles: only these two pages allow inline styles (never inline scripts;
# the split Swagger view serves its init script as a file).
DOCS_CSP = {**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE], "worker-src": [CSP.SELF, "blob:"]}

api_patterns = [
    path("v1/", include(v1_patterns)),
    path("schema/", login_not_required(SpectacularAPIView.as_view()), name="schema"),
    path(
        "docs/",
        login_not_required(csp_override(DOCS_CSP)(SpectacularSwaggerSplitView.as_view(url_name="api:schema"))),
        name="docs",
    ),
    path(
        "redoc/",
        login_not_required(csp_override(DOCS_CSP)(SpectacularRedocView.as_view(url_name="api:schema"))),
        name="redoc",
    ),
]

token_patterns = [
    path("", views.token_list, name="tokens"),
    path("<int:token_id>/revoquer/", views.token_revoke, name="token_revoke"),
]

urlpatterns = [
    path("api/", include((api_patterns, "api"))),
    path("compte/jetons/", include((token_patterns, "api_tokens"))),
]
