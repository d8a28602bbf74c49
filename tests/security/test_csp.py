"""Content security policy: every page sends it, and no template carries an inline script, style or handler."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
# Templates never served to a browser: WeasyPrint renders the PDF one server-side, inline styles included.
NOT_SERVED = {"reporting/pdf.html"}
# E-mails (notifications.mail) are read in mail clients, which drop <style> blocks and stylesheets: inline styles
# are the rule there, scripts and handlers still never (test_no_script_in_email_templates).
EMAILS = "emails/"
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def served_templates():
    return sorted(
        path
        for path in TEMPLATES_DIR.rglob("*.html")
        if path.relative_to(TEMPLATES_DIR).as_posix() not in NOT_SERVED
        and not path.relative_to(TEMPLATES_DIR).as_posix().startswith(EMAILS)
    )


def inline_scripts(text: str) -> list[str]:
    """<script> tags without src, except JSON data blocks (json_script output)."""
    found = []
    for match in SCRIPT_TAG.finditer(text):
        attributes = match.group(1)
        if re.search(r"\bsrc\s*=", attributes) or re.search(r"""type\s*=\s*["']application/json["']""", attributes):
            continue
        found.append(match.group(0))
    return found


def test_the_scanners_catch_what_they_look_for():
    assert inline_scripts('<script>alert(1)</script><script src="/a.js"></script>') == ["<script>"]
    assert inline_scripts('<script id="d" type="application/json">{}</script>') == []
    assert INLINE_STYLE.search('<p style="color: red">')
    assert INLINE_STYLE.search("<style>p {}</style>")
    assert EVENT_HANDLER.search('<button type="button" onclick="go()">')
    assert not EVENT_HANDLER.search('<a href="/x" class="one">')
    assert JAVASCRIPT_URL.search('<a href="javascript:void(0)">')


def test_templates_are_scanned():
    names = {path.relative_to(TEMPLATES_DIR).as_posix() for path in served_templates()}
    assert {"base.html", "hours/grid.html", "404.html", "500.html"} <= names
    assert len(names) > 40


@pytest.mark.parametrize("path", served_templates(), ids=lambda path: path.relative_to(TEMPLATES_DIR).as_posix())
def test_no_inline_script_style_or_handler_in_templates(path):
    text = path.read_text(encoding="utf-8")
    assert inline_scripts(text) == []
    assert not INLINE_STYLE.search(text), "style inline : déplacer dans static/css/"
    assert not EVENT_HANDLER.search(text), "gestionnaire on…= inline : déplacer dans static/js/"
    assert not JAVASCRIPT_URL.search(text)


def test_no_script_in_email_templates():
    paths = sorted((TEMPLATES_DIR / EMAILS).glob("*.html"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert not SCRIPT_TAG.search(text), path
        assert not EVENT_HANDLER.search(text), path
        assert not JAVASCRIPT_URL.search(text), path


def test_htmx_does_not_inject_its_indicator_styles():
    base = (TEMPLATES_DIR / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def test_pages_send_the_policy(client, owner_client, market):
    for response in (
        client.get("/compte/connexion/"),
        owner_client.get("/"),
        owner_client.get("/heures/"),
        owner_client.get("/adresse-qui-n-existe-pas/"),
    ):
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_rendered_pages_carry_no_inline_script(owner_client, market):
    lot = market.lots.get()
    for url in (
        "/",
        "/heures/",
        "/participants/",
        "/compte/mot-de-passe/",
        f"/marches/{market.pk}/",
        f"/lots/{lot.pk}/",
    ):
        response = owner_client.get(url)
        assert response.status_code == 200, url
        assert inline_scripts(response.text) == [], url


def test_api_docs_allow_inline_styles_but_never_inline_scripts(client):
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        policy = _policy(response)
        assert policy["script-src"] == ["'self'"]
        assert "'unsafe-inline'" in policy["style-src"]
        assert inline_scripts(response.text) == [], url
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text
