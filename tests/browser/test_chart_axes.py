"""The reporting charts (static/js/reporting.js with the vendored Chart.js, as the pages load them) with the
figures of a real région: hundreds of thousands of hours by département. On a phone the graduations of the value
axis must stay apart (they ran into each other: « 200 000400 000600 000 »); on a laptop they keep full figures."""

import json

import pytest

from tests.browser.test_public_page import LABELS_OVERLAPPING

pytestmark = pytest.mark.browser

# The demo région's hours by département (2025 and 2024), as the public page charts them.
DEPARTMENTS = {
    "Côte-d'Or": (435308.3, 269837.4),
    "Doubs": (212780.5, 283570.3),
    "Territoire de Belfort": (87289.5, 63062.6),
    "Haute-Saône": (80317.9, 59770.4),
    "Saône-et-Loire": (70417.0, 142508.5),
    "Yonne": (43907.7, 56023.0),
    "Nièvre": (39089.3, 43199.4),
    "Jura": (31938.4, 84613.1),
}


def chart_page(base: str) -> str:
    data = {
        "labels": list(DEPARTMENTS),
        "series": [
            {"label": f"Heures {year}", "values": [pair[index] for pair in DEPARTMENTS.values()], "texts": []}
            for index, year in enumerate((2025, 2024))
        ],
    }
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<link rel="stylesheet" href="{base}/static/css/app.css"></head><body><main>'
        f'<script type="application/json" id="chart-data-department">{json.dumps(data)}</script>'
        '<figure class="chart-box"><canvas data-chart="chart-data-department" data-orientation="horizontal">'
        "</canvas></figure>"
        f'<script src="{base}/static/vendor/chartjs/chart.umd.min.js"></script>'
        f'<script src="{base}/static/js/reporting.js"></script></main></body></html>'
    )


@pytest.mark.parametrize(("width", "short"), [(390, True), (1366, False)])
def test_the_value_axis_keeps_its_graduations_apart(page, live_server, width, short):
    base = live_server.url
    page.set_viewport_size({"width": width, "height": 900})
    page.route(f"{base}/__graphique__/", lambda route: route.fulfill(content_type="text/html", body=chart_page(base)))
    page.goto(f"{base}/__graphique__/")
    page.wait_for_selector("canvas[data-drawn='1']")
    assert page.evaluate(LABELS_OVERLAPPING) == []
    labels = page.evaluate(
        "() => window.Chart.getChart(document.querySelector('canvas')).scales.x.getLabelItems().map((i) => i.label)"
    )
    assert labels, "aucune graduation"
    if short:
        assert len(labels) <= 4 and all(label.endswith("k") or label == "0" for label in labels), labels
    else:
        assert "400\u202f000" in labels, labels  # full figures, French thousands separator
