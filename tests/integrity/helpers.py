"""Shared pieces of the integrity meta-tests: reading an HTML form as a browser would submit it, logged-in
clients, and the checks every case ends with (no server error, a refusal told in French)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from django.test import Client

# What a refused write shows: the admin's and the app's error banners and lists, the admin's "protected objects"
# page, DRF's French messages. All French: an English default (Django or DRF untranslated) fails the check.
FRENCH_REFUSALS = (
    "errornote",
    "errorlist",
    "protégés",
    "Impossible",
    "impossible",
    "ne peut",
    "n'est pas",
    "n’est pas",
    "Corrigez",
    "Veuillez",
    "Vous n'avez pas",
    "Ce champ",
    "déjà",
    "refusé",
    "Aucun",
)
FRENCH_WORDS = re.compile(r"[éèêàçùôîÉ]|\b(le|la|les|un|une|des|du|est|pas|ce|cette)\b")
ENGLISH = ("This field", "Invalid pk", "does not exist", "Not found.", "is required", "Please correct")


class _Forms(HTMLParser):
    """Every <form> of a page, as the data a browser would POST (checked boxes, selected options, textareas)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: tuple[str, bool] | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def _add(self, name, value):
        self._form["data"].setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "method": (attrs.get("method") or "get").lower()}
            self._form["data"] = {}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            default = "on" if kind == "checkbox" else ""
            self._add(name, attrs.get("value") if attrs.get("value") is not None else default)
        elif tag == "select" and name:
            self._select = (name, "multiple" in attrs)
            self._options = []
        elif tag == "option" and self._select is not None:
            self._options.append((attrs.get("value", ""), "selected" in attrs))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple = self._select
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not multiple and self._options:
                chosen = [self._options[0][0]]
            for value in chosen:
                self._add(name, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._add(self._textarea, self._text.removeprefix("\n"))
            self._textarea = None


def page_form(client: Client, url: str) -> dict[str, list[str]]:
    """The main POST form of a page (the one with the most fields), as submit data."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = _Forms()
    parser.feed(response.content.decode())
    forms = [form for form in parser.forms if form["method"] == "post" and "logout" not in form["action"]]
    forms = [form for form in forms if "deconnexion" not in form["action"]]
    assert forms, f"{url}: no POST form"
    return dict(max(forms, key=lambda form: len(form["data"]))["data"])


def set_fields(data: dict, **values) -> dict:
    """Change fields of submit data; None unticks a checkbox (removes the field)."""
    for name, value in values.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [str(value)]
    return data


def logged(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text_of(response) -> str:
    return response.content.decode(errors="replace").replace("&#x27;", "'").replace("&#39;", "'")


def assert_no_error_or_french_refusal(response) -> None:
    """The write either went through (a redirect, 200/201/204 without error) or was refused with a French
    message (a form shown again with its errors, a 4xx with a French body); never a server error."""
    if response is None:
        return
    status = response.status_code
    assert status < 500, f"erreur serveur {status}: {text_of(response)[:1500]}"
    if status in (302, 201, 204):
        return
    text = text_of(response)
    assert not any(word in text for word in ENGLISH), f"refus en anglais ({status}) : {text[:1500]}"
    if status >= 400 and status != 405:
        french = any(word in text for word in FRENCH_REFUSALS) or FRENCH_WORDS.search(text)
        assert french or status in (403, 404), f"refus sans message français ({status}) : {text[:1500]}"
