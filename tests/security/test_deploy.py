"""Production settings: `manage.py check --deploy` is clean, cookies are secure and HTTPS is enforced.

The settings module reads the environment once, at import: each case runs in a fresh interpreter with the
environment of a real deployment (DEBUG off, a long random SECRET_KEY, ALLOWED_HOSTS set).
"""

import json
import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "oSc4BjnH0TmGHwTuIab818rPkc3t_sL4LEialrUfH0cVpq7ITH9CgFVk4AvnNsxK",
    "ALLOWED_HOSTS": "clausier.example.fr",
    "SITE_URL": "https://clausier.example.fr",
}
CHECK = (
    "import django; django.setup()\n"
    "from django.core.management import call_command\n"
    "call_command('check', deploy=True, fail_level='WARNING')\n"
)
DUMP = (
    "import json, django; django.setup()\n"
    "from django.conf import settings as s\n"
    "names = ['SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS',\n"
    "         'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SECURE_HSTS_PRELOAD', 'SECURE_PROXY_SSL_HEADER',\n"
    "         'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'SESSION_COOKIE_AGE',\n"
    "         'SESSION_EXPIRE_AT_BROWSER_CLOSE']\n"
    "print(json.dumps({name: getattr(s, name, None) for name in names}))\n"
)


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    # Only the deployment's variables: the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process.
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECURE_SSL_REDIRECT", "SECURE_HSTS_PRELOAD", "DJANGO_ALLOW_ASYNC_UNSAFE", "EMAIL_HOST"}
    }
    environment.update({"DJANGO_SETTINGS_MODULE": "config.settings", **PRODUCTION_ENV, **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run(CHECK)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_check_deploy_fails_on_a_weak_secret_key():
    # The same check refuses what a careless deployment would do: it is not a check that cannot fail.
    result = run(CHECK, SECRET_KEY="trop-courte")
    assert result.returncode != 0
    assert "security.W009" in result.stderr


def test_check_deploy_fails_on_a_local_site_url():
    # The links of every e-mail are built on SITE_URL by the worker, outside any request.
    for url in ("http://127.0.0.1:8000", "http://clausier.example.fr", "https://localhost"):
        result = run(CHECK, SITE_URL=url)
        assert result.returncode != 0, url
        assert "notifications.W001" in result.stderr and "SITE_URL" in result.stderr


def test_production_defaults():
    values = json.loads(run(DUMP).stdout)
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_HSTS_PRELOAD"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] is None  # trusting a header needs a proxy that sets it
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["SESSION_COOKIE_AGE"] == 8 * 3600
    assert values["SESSION_EXPIRE_AT_BROWSER_CLOSE"] is True


def test_behind_a_tls_proxy_and_without_preload():
    values = json.loads(run(DUMP, SECURE_PROXY_SSL_HEADER="1", SECURE_SSL_REDIRECT="0", SECURE_HSTS_PRELOAD="0").stdout)
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_PRELOAD"] is False


def test_debug_mode_keeps_plain_http_for_development():
    values = json.loads(run(DUMP, DEBUG="1").stdout)
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


def test_https_redirect_and_hsts_header(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/compte/connexion/")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://testserver/compte/connexion/"
    secure = client.get("/compte/connexion/", secure=True)
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_smtp_server_from_the_environment():
    code = (
        "import django; django.setup()\n"
        "from django.core.mail import get_connection\n"
        "c = get_connection(); print(type(c).__module__, c.host, c.port, c.username, c.use_tls)\n"
    )
    result = run(code, EMAIL_HOST="smtp.exemple.fr", EMAIL_HOST_USER="clausier", EMAIL_HOST_PASSWORD="secret")
    assert result.stdout.split() == ["django.core.mail.backends.smtp", "smtp.exemple.fr", "587", "clausier", "True"]
