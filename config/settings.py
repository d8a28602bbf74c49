"""Clausier settings: one module, read from the environment, production-safe defaults.

Environment variables:
- SECRET_KEY: required when DEBUG is off.
- DEBUG: "1"/"true" to enable debug mode (default off).
- ALLOWED_HOSTS: comma-separated host names (default: localhost names when DEBUG is on).
- DATABASE_URL: e.g. postgres://user:pass@127.0.0.1:5432/clausier (default: SQLite file under var/).
- Security (README, « Sécurité et données personnelles »): SECURE_PROXY_SSL_HEADER, SECURE_SSL_REDIRECT,
  SECURE_HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS, SECURE_HSTS_PRELOAD, CSRF_TRUSTED_ORIGINS, SESSION_COOKIE_AGE,
  AXES_FAILURE_LIMIT, AXES_IP_FAILURE_LIMIT, AXES_COOLOFF_MINUTES, TRUSTED_PROXY_COUNT,
  PASSWORD_RESET_LIMIT_PER_ADDRESS, PASSWORD_RESET_LIMIT_PER_IP, PASSWORD_RESET_WINDOW_MINUTES (docs/securite.md);
  COMPANY_INVITATION_DAYS (validity of a company contact's invitation link, default 7);
  e-mail: EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_BACKEND,
  DEFAULT_FROM_EMAIL, EMAIL_REPLY_TO, SITE_URL (the address put in the links of every e-mail).
- EXPORTS_ROOT: the private folder of the background exports (default var/exports), shared by server and worker.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "oui"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY doit être défini quand DEBUG est désactivé.")
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])

INSTALLED_APPS = [
    # First, so that its `changepassword` (which revokes the API tokens) replaces django.contrib.auth's.
    "organisations",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "territories",
    "markets",
    "clauses",
    "beneficiaries",
    "companies",
    "reporting",
    "api",
    "audit",
    "demo",
    "axes",  # throttling of failed logins (security block below)
    "django_tasks_db",  # background tasks stored in the database, run by `manage.py db_worker`
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.NoStoreMiddleware",
    "config.middleware.StatementTimeoutMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.ReadYourWritesMiddleware",  # after a write, the user's reports are read on the primary
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "organisations.scoping.CurrentOrganisationMiddleware",
    "companies.middleware.CompanyPortalMiddleware",  # a company contact reaches its portal only
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "config.middleware.IntegrityErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organisations.scoping.context",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'clausier.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the development server read while a long seed writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    # Writers take the lock when their transaction starts and wait up to 20 s for it, so two saves of the same
    # record queue up (the second then sees the new version) instead of failing with "database is locked".
    # The same file is shared by the web server and the task worker (`make run`): WAL lets one read while the
    # other writes, and the 20 s busy timeout makes the second writer wait instead of failing.
    DATABASES["default"]["OPTIONS"].update({"transaction_mode": "IMMEDIATE", "timeout": 20})

# --- Several application hosts (docs/deploiement.md) -----------------------------------------------------------
# No process keeps state of its own: sessions live in the database and the cache is shared by every host.
# REPORTING_DATABASE_URL: optional read-only replica (e.g. a PostgreSQL streaming replica) for the report and
# dashboard queries, routed by config.routers inside `reporting_database()`.
if os.environ.get("REPORTING_DATABASE_URL"):
    DATABASES["reporting"] = dj_database_url.parse(
        os.environ["REPORTING_DATABASE_URL"], conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0)
    )
    # Tests never create a database on the replica: its alias points at the test database of "default".
    DATABASES["reporting"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["reporting"]["ENGINE"] == "django.db.backends.postgresql":
        # An unreachable replica is set aside quickly (config.replica), never waited on for the OS's minutes.
        DATABASES["reporting"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", int(os.environ.get("REPORTING_CONNECT_TIMEOUT_SECONDS", "2"))
        )
DATABASE_ROUTERS = ["config.routers.ReportingRouter"]
# The replica fails safe (config.routers, config.replica): reads go to the primary while it is unreachable or lags
# more than REPORTING_MAX_LAG_SECONDS (checked at most every REPORTING_HEALTH_CACHE_SECONDS per process), and for
# REPORTING_READ_YOUR_WRITES_SECONDS after a user's successful write (so they see it: at least the lag allowed plus
# the check's cache, beyond which the replica is set aside anyway).
REPORTING_MAX_LAG_SECONDS = float(os.environ.get("REPORTING_MAX_LAG_SECONDS", "5"))
REPORTING_HEALTH_CACHE_SECONDS = float(os.environ.get("REPORTING_HEALTH_CACHE_SECONDS", "5"))
REPORTING_READ_YOUR_WRITES_SECONDS = float(os.environ.get("REPORTING_READ_YOUR_WRITES_SECONDS", "10"))
# PostgreSQL statement timeouts of web requests (config.database), in milliseconds; 0 for none. A page's query
# never needs 10 s; a yearly report over a large perimeter may take longer, within gunicorn's --timeout (120 s).
# Commands and background work have no timeout.
WEB_STATEMENT_TIMEOUT_MS = int(os.environ.get("WEB_STATEMENT_TIMEOUT_MS", "10000"))
REPORT_STATEMENT_TIMEOUT_MS = int(os.environ.get("REPORT_STATEMENT_TIMEOUT_MS", "90000"))


def cache_from_url(url: str) -> dict:
    """CACHE_URL: db://TABLE (default, `manage.py createcachetable`), redis://HOST:PORT/N or rediss://… (Django's
    Redis backend, needs the `redis` package), locmem:// (one process only: development), dummy:// (no cache)."""
    scheme, _, rest = url.partition("://")
    if scheme == "db":
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest or "clausier_cache"}
    if scheme in {"redis", "rediss"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest or "clausier"}
    if scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"CACHE_URL non reconnue : {url!r} (db://, redis://, rediss://, locmem://, dummy://).")


CACHES = {
    "default": cache_from_url(os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL") or "db://clausier_cache")
}
# Sessions in the database, shared by every host (with a Redis cache, read through it first).
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith("RedisCache")
    else "django.contrib.sessions.backends.db"
)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "organisations.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Invitation links of company contacts (companies.tokens): single-use, valid this many days.
COMPANY_INVITATION_TIMEOUT = int(os.environ.get("COMPANY_INVITATION_DAYS", "7")) * 86400

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True
# Dates shown as JJ/MM/AAAA (config/formats/fr/formats.py overrides Django's "j F Y").
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Files of the background exports (reporting.background): private, never served by the web server; only
    # the view of their requester reads them. A folder shared by the web server and the worker.
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("EXPORTS_ROOT", str(BASE_DIR / "var" / "exports"))},
    },
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND",
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "EMAIL_BACKEND",
            "django.core.mail.backends.console.EmailBackend"
            if DEBUG
            else "django.core.mail.backends.smtp.EmailBackend",
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Clausier <ne-pas-repondre@clausier.local>")
# notifications.mail: the reply-to address of every message (none when empty) and the base of its links.
EMAIL_REPLY_TO = env_list("EMAIL_REPLY_TO", [])
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Background work (Django's tasks framework): tasks are rows of the database, run by `manage.py db_worker`
# (started beside the server by `make run`, its own service in production: docs/deploiement.md). Recurring
# jobs are enqueued by `manage.py enqueue_recurring`, run every few minutes by cron or a systemd timer.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Seconds the background export (reporting.background) waits after each step: 0 in production; set by the browser
# test (and for demonstrations) so that its progress can be watched on a small dataset.
EXPORT_STEP_DELAY = float(os.environ.get("EXPORT_STEP_DELAY", "0"))

# REST API (api/): session or personal token, scoped like the web pages; OpenAPI schema by drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ClausierPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "api.ordering.FrenchOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    # The browsable API stays on (integrators use it): its HTML forms list at most this many related objects,
    # all within what the user sees (tests/security/test_related_choices.py).
    "HTML_SELECT_CUTOFF": 50,
    "HTML_SELECT_CUTOFF_TEXT": "Plus de {count} choix : saisissez l'identifiant.",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Clausier",
    "DESCRIPTION": "Marchés, clauses sociales, participant·es, contrats, heures d'insertion et bilans annuels.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CriterionEnum": "beneficiaries.choices.Criterion",
        "ModalityEnum": "beneficiaries.choices.Modality",
        "HoursStatusEnum": "beneficiaries.choices.HoursStatus",
        "DeclarationStatusEnum": "companies.choices.DeclarationStatus",
    },
}

# Business settings (DOMAIN.md §8 and §9).
# The public API of the published reports (api/public.py): requests per client address (DRF rate syntax).
CLAUSIER_PUBLIC_API_RATE = os.environ.get("CLAUSIER_PUBLIC_API_RATE", "60/minute")
CLAUSIER_FTE_HOURS = int(os.environ.get("CLAUSIER_FTE_HOURS", "1600"))
CLAUSIER_RETENTION_MONTHS = int(os.environ.get("CLAUSIER_RETENTION_MONTHS", "24"))
# How long an eligibility criterion stays valid after its validation before it must be checked again (the
# home's "Critères qui expirent"); an age criterion also ends at the birthday that ends it (26 for "moins de 26 ans").
CLAUSIER_CRITERION_VALIDITY_MONTHS = int(os.environ.get("CLAUSIER_CRITERION_VALIDITY_MONTHS", "24"))
# Address geocoding (territories.geocoding): the national address API's search endpoint, for instance
# https://api-adresse.data.gouv.fr/search/ ; empty (the default), no address leaves the server.
GEOCODER_URL = os.environ.get("GEOCODER_URL", "")
GEOCODER_TIMEOUT_SECONDS = float(os.environ.get("GEOCODER_TIMEOUT_SECONDS", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # The task worker's own lines (started, each task's state), once each: its level follows db_worker -v.
    "loggers": {
        name: {"handlers": ["console"], "level": "INFO", "propagate": False}
        for name in ("django.tasks", "django_tasks_db")
    },
}


# --- Security (README, « Sécurité et données personnelles ») --------------------------------------------------
from django.utils.csp import CSP  # noqa: E402

# Content security policy: scripts and styles from our own static files only (no inline script or style;
# htmx's indicator styles are off through its meta config, Chart.js data come through json_script).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Cookies and TLS outside debug. Behind a TLS-terminating proxy, SECURE_PROXY_SSL_HEADER=1 trusts its
# X-Forwarded-Proto header (the proxy must set it and strip the client's own).
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload directive only consents to the browsers' preload list; submitting the domain stays a manual step.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Sessions end after 8 hours, and when the browser closes.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Upload limits: a form body of 5 Mo, files above 2,5 Mo go to a temporary file; a 200-row hours grid posts
# about 1 000 fields, hence 5 000.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = int(2.5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# Failed logins (django-axes, config.throttling.ClausierAxesHandler): 5 failures on one e-mail address lock that
# account for 15 minutes, whatever the password and the client; 20 failures from one client address lock that
# address for 15 minutes, whatever the e-mail addresses typed (password spraying). The address limit is higher so
# that an office behind one proxy is not locked out by one person's typos (4 people mistyping 5 times each).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "config.throttling.ClausierAxesHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "20"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Behind a load balancer or reverse proxy, REMOTE_ADDR is the proxy's: TRUSTED_PROXY_COUNT proxies (each appending
# to X-Forwarded-For) are skipped to find the client's address (config.throttling.client_ip). Left at 0 behind a
# proxy, every client shares the proxy's address and the per-address limits apply to everyone at once.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "config.throttling.client_ip"
# axes.W006 warns that rotating user agents or cookies bypasses a key without the IP address: ours are the
# e-mail address and the client address, which neither rotation changes.
# models.W040: SQLite ignores the non-key columns of the reporting summary's covering index (an index-only scan
# on PostgreSQL); on SQLite it is a plain index on the year, which the demo's volume does not need more than.
SILENCED_SYSTEM_CHECKS = ["axes.W006", "models.W040"]
# Password-reset requests (config.throttling.password_reset_allowed): 3 per e-mail address and 10 per client
# address per hour, counted in the shared cache.
PASSWORD_RESET_LIMIT_PER_ADDRESS = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_ADDRESS", "3"))
PASSWORD_RESET_LIMIT_PER_IP = int(os.environ.get("PASSWORD_RESET_LIMIT_PER_IP", "10"))
PASSWORD_RESET_WINDOW_MINUTES = int(os.environ.get("PASSWORD_RESET_WINDOW_MINUTES", "60"))
AXES_USERNAME_CALLABLE = "config.middleware.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_VERBOSE = False

# Outgoing e-mail (invitations, password resets): SMTP server of the deployment, TLS by default.
if os.environ.get("EMAIL_HOST"):
    MAILERS["default"]["OPTIONS"] = {
        "host": os.environ["EMAIL_HOST"],
        "port": int(os.environ.get("EMAIL_PORT", "587")),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", True),
        "timeout": 20,
    }
