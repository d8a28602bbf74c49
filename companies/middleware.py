"""The company portal is a closed garden: a user who works as a company contact (organisations.scoping.Scope
.is_company_only) reaches only the pages listed here; every other page answers 404, whatever it would show (lists
of markets or organisations, reports, people). New pages of the project are therefore closed to companies until
they are deliberately opened here."""

from django.http import Http404
from django.urls import resolve
from django.urls.exceptions import Resolver404

from organisations.scoping import scope_of

OPEN_TO_COMPANIES = frozenset(
    {
        "home",
        "login",
        "logout",
        "password_change",
        "password_change_done",
        "notifications:settings",
        "notifications:unsubscribe",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "organisations:switch",
        "companies:home",
        "companies:lot",
        "companies:declaration",
        "companies:statement",
        "companies:upload",
        "companies:upload_confirm",
        "companies:upload_template",
        "companies:propose",
        "companies:accept",
        # The user guides (config.guide): no personal data, the company's own among them.
        "guide:index",
        "guide:role",
        # The API's public description (the same for an anonymous visitor).
        "api:schema",
        "api:docs",
        "api:redoc",
        # The company API (api/companies.py), by session as by token, and the personal API tokens its software uses.
        # Every other API operation stays closed (api.permissions.ClausierPermission answers a token with a 403).
        "api:company-lot-list",
        "api:company-lot-detail",
        "api:company-lot-placements",
        "api:company-declaration",
        "api:company-declaration-rows",
        "api:company-declaration-submit",
        "api:company-declaration-resubmit",
        "api_tokens:tokens",
        "api_tokens:token_revoke",
        # The public pages of the published reports and their open data (open to everyone, anonymous included).
        "public:index",
        "public:region",
        "public:region_year",
        "public:data_csv",
        "public:data_schema",
        "public:version_csv",
        "api:public-regions",
        "api:public-report",
    }
)
COMPANY_ONLY = "Cette page n'est pas ouverte aux comptes d'entreprise."


def is_open_to_companies(view_name: str) -> bool:
    # The Django admin answers non-staff users itself (its login page).
    return view_name in OPEN_TO_COMPANIES or view_name.startswith("admin:")


class CompanyPortalMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not scope_of(user).is_company_only:
            return None
        try:
            view_name = resolve(request.path_info).view_name
        except Resolver404:
            return None
        if not is_open_to_companies(view_name):
            raise Http404(COMPANY_ONLY)
        return None
