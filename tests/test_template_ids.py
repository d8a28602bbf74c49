"""Ids in templates are written without a thousands separator: with USE_THOUSAND_SEPARATOR on, Django prints id 2074 as
« 2 074 », which a form sends back as an id no view can read (a 500 seen on PostgreSQL, where ids pass 1,000) and
which an e-mail's « n° » shows wrongly. An id in a form value, a query string or after « n° » needs
`|stringformat:'d'` or `|unlocalize`."""

import re
from pathlib import Path

from django.conf import settings

RAW_ID = re.compile(r"(=\"?|n° )\{\{ *([\w.]+(?:\.pk|_id|\.id)) *\}\}")
# Variables holding an HTML id attribute (text, never a number).
HTML_IDS = {"auto_id", "status_id", "search_status_id", "timeline_id"}


def test_no_id_is_localised_in_a_template():
    found = []
    for path in sorted((Path(settings.BASE_DIR) / "templates").rglob("*")):
        if path.suffix not in {".html", ".txt"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            found += [
                f"{path.name}:{number}: {match.group(2)}"
                for match in RAW_ID.finditer(line)
                if match.group(2).rsplit(".", 1)[-1] not in HTML_IDS
            ]
    assert not found, f"Identifiants localisés (« 2 074 ») : {found}"


def test_the_pattern_finds_a_raw_id():
    assert RAW_ID.search('<input type="hidden" name="marche" value="{{ published.pk }}">')
    assert RAW_ID.search("contrat n° {{ placement.pk }}")
    assert RAW_ID.search('<a href="/marches/a-suivre/suivre/?marche={{ published.pk }}">')
    assert not RAW_ID.search("contrat n° {{ placement.pk|stringformat:'d' }}")
