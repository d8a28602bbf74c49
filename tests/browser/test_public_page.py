"""The public page of a région in a real browser, anonymous (issue 18, item 2): the published figures, the map (SVG
outlines of the départements and its accessible table, hidden ones hidden), the trend, a CSV download; at 390 and
1,366 px, nothing wider than the screen."""

import csv
import io

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from reporting import publication
from tests.reporting.public_world import HIDDEN_HOURS, SLUG, YEAR, build_public_world, person_names

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The graduations of each drawn chart's horizontal axis whose texts run into each other (unrotated ones only):
# [chart id, left label, right label]. Chart.js lays them out; their boxes are measured with the axis's own font.
# Also used by tests/browser/test_chart_axes.py.
LABELS_OVERLAPPING = """() => {
  const found = [];
  document.querySelectorAll("canvas[data-drawn='1']").forEach((canvas) => {
    const chart = window.Chart.getChart(canvas);
    const items = chart.scales.x.getLabelItems().filter((item) => !item.options.rotation);
    const context = chart.ctx;
    const boxes = items.map((item) => {
      context.font = item.font.string;
      const width = context.measureText(item.label).width;
      const [x] = item.options.translation;
      const align = item.options.textAlign;
      const left = align === "center" ? x - width / 2 : align === "right" ? x - width : x;
      return [left, left + width, item.label];
    }).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < boxes.length; i++) {
      if (boxes[i][0] < boxes[i - 1][1] + 2) found.push([canvas.dataset.chart, boxes[i - 1][2], boxes[i][2]]);
    }
  });
  return found;
}"""


@pytest.fixture
def world():
    cache.clear()
    world = build_public_world()
    publication.publish(user=world["coordinator"], year=YEAR - 1, region=world["region"])  # a second trend point
    return world


@pytest.mark.parametrize("width", [390, 1366])
def test_anyone_reads_the_public_page_its_map_trend_and_open_data(page, live_server, world, results_dir, width):
    base = live_server.url
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{base}/public/")
    page.get_by_role("link", name="Bourgogne-Franche-Comté").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Clauses sociales en Bourgogne-Franche-Comté : bilan {YEAR}"
    )
    expect(page.get_by_role("link", name="Se connecter")).to_have_count(0)  # no login asked
    years = page.get_by_role("navigation", name="Années publiées")
    expect(years.get_by_role("link", name=str(YEAR))).to_have_attribute("aria-current", "page")
    expect(years.get_by_role("link", name=str(YEAR - 1))).to_be_visible()
    # The map: one outline per département of the région, the hidden ones in grey, and its table beside.
    expect(page.locator("svg.map path")).to_have_count(3)
    expect(page.locator("svg.map path[data-code='25'] title")).to_have_text("Doubs (25) : secret h, < 5 participant·es")
    table = page.locator("#tableau-carte")
    expect(table.get_by_role("row", name="Côte-d'Or")).to_contain_text("1\u00a0261,4")
    expect(table.get_by_role("row", name="Doubs")).to_contain_text("secret")
    expect(table.get_by_role("row", name="Jura")).to_contain_text("secret")
    # The trend over the published years, drawn.
    expect(page.locator("#tableau-tendance tbody tr")).to_have_count(2)
    expect(page.locator("canvas[data-chart='chart-data-tendance']")).to_have_attribute("data-drawn", "1")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.evaluate(LABELS_OVERLAPPING) == [], "des graduations se chevauchent"
    text = page.locator("body").inner_text()
    for hidden in HIDDEN_HOURS:
        assert hidden not in text
    assert person_names(1) not in text
    page.screenshot(path=str(results_dir / f"public-page-{width}.png"), full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name=f"Télécharger le bilan {YEAR} (CSV, UTF-8)").click()
    assert download.value.suggested_filename == f"clauses-sociales-{SLUG}-{YEAR}-v1.csv"
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    doubs = [row for row in rows if row["ligne"] == "Doubs" and row["indicateur"] == f"participants_{YEAR}"]
    assert [(row["valeur"], row["masque"]) for row in doubs] == [("", "< 5")]
