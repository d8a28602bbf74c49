"""Every PDF prints: rendered to images (pdftoppm) and to text (pdftotext) by poppler-utils, as CI does.

- no table is wider than the page: the left and right margin strips of every page image are blank;
- every page carries "Page i sur n" and the generation date;
- no table row is split across pages: the words of each row (its label, its text cells, its figures) are
  all on one page;
- the dashboard PDF lists only the lots needing attention, says how many lots there are and where the full
  list is.

The world has many lots and EPCIs with long names of unique words, so the lots table and the EPCI table of
the yearly report run over several pages and their labels wrap. A missing pdftoppm is a failure, never a skip.
"""

import datetime
import re
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from PIL import Image

from reporting import exports
from tests.beneficiaries.factories import BeneficiaryFactory, HoursRecordFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import CompanyFactory
from tests.territories.factories import CommuneFactory, EpciFactory

pytestmark = pytest.mark.pdf

DPI = 40
STRIP_MM = 8  # the page margins are 12 mm; nothing may be drawn in the outer 8 mm of either side
INK = 200  # a grey level under this is ink
WORDS = ("Alizé", "Brume", "Cèdre", "Dune", "Écho", "Faune", "Givre", "Houle")


def words(n: int, count: int) -> str:
    return " ".join(f"{word}{n}" for word in WORDS[:count])


@pytest.fixture
def print_world(world):
    """The reporting world plus 45 markets of the city, each in a commune of its own EPCI, with one lot (four in
    five behind their target, running with few hours; one in five achieved), long unique names everywhere."""
    for n in range(45):
        achieved = n % 5 == 0  # a target of 83 h (100 000 € of works), 100 h done
        epci = EpciFactory(code=f"2421{n:05d}", name=f"Communauté de communes {words(n, 6)}")
        commune = CommuneFactory(code=f"21{n + 300:03d}", name=f"Commune {n}", epci=epci)
        market = MarketFactory(
            buyer=world["city"],
            facilitator=world["facilitator"],
            reference=f"DIJ-2025-{n + 10:02d}",
            title=f"Travaux {words(n, 5)}",
            execution_commune=commune,
            notified_on=datetime.date(2025, 1, 10),
        )
        lot = ClauseFactory(
            lot=LotFactory(
                market=market,
                number=1,
                title=f"Lot {words(n, 4)}",
                contractor=CompanyFactory(name=f"Entreprise {words(n, 3)} SAS"),
                amount_excl_vat=Decimal("100000") if achieved else Decimal("1000000"),
            )
        ).lot
        placement = PlacementFactory(lot=lot, beneficiary=BeneficiaryFactory(structure=world["facilitator"]))
        hours = Decimal("100") if achieved else Decimal(f"{n + 1}.5")
        HoursRecordFactory(placement=placement, month=datetime.date(2025, 6, 1), hours=hours)
    return world


def require_poppler():
    missing = [tool for tool in ("pdftoppm", "pdftotext") if shutil.which(tool) is None]
    assert not missing, f"poppler-utils manque ({', '.join(missing)}) : apt-get install poppler-utils"


def page_images(path) -> list[Image.Image]:
    command = ["pdftoppm", "-r", str(DPI), "-gray", str(path), str(path.with_suffix(""))]
    subprocess.run(command, check=True)  # noqa: S603 (poppler-utils on our own file)
    files = sorted(path.parent.glob(f"{path.stem}-*.pgm"), key=lambda f: int(f.stem.rsplit("-", 1)[1]))
    return [Image.open(file) for file in files]


def inked_margins(image: Image.Image) -> list[str]:
    """Sides ("gauche", "droite") whose outer strip has ink."""
    strip = round(STRIP_MM / 25.4 * DPI)
    width, height = image.size
    sides = []
    for side, box in (("gauche", (0, 0, strip, height)), ("droite", (width - strip, 0, width, height))):
        darkest, _lightest = image.crop(box).getextrema()
        if darkest < INK:
            sides.append(side)
    return sides


def page_texts(path) -> list[str]:
    command = ["pdftotext", str(path), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    return text.split("\f")[:-1]


def tokens(text: str) -> list[str]:
    return text.split()


def flat(text: str) -> str:
    return re.sub(r"\s", "", text)


def download(client, user, url, monkeypatch, tmp_path, name):
    """The PDF of `url` as `user`, and the tables the template received."""
    seen = {}
    original = exports.pdf_bytes

    def spy(template_name, context):
        seen["tables"] = context["tables"]
        return original(template_name, context)

    monkeypatch.setattr(exports, "pdf_bytes", spy)
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(response.content)
    return path, seen["tables"]


DASHBOARD_PDF = reverse("reporting:dashboard_export", args=["pdf"])
REPORT_PDF = reverse("reporting:yearly_report_export", args=["pdf"])


def pdfs(world):
    """(name, user, url) of every PDF of the application."""
    return [
        ("tableau-de-bord-acheteur", world["city_admin"], f"{DASHBOARD_PDF}?year=2025"),
        ("tableau-de-bord-structure", world["facilitator_member"], f"{DASHBOARD_PDF}?year=2025"),
        ("tableau-de-bord-coordination", world["coordinator"], f"{DASHBOARD_PDF}?year=2025"),
        ("bilan-marche", world["city_admin"], reverse("reporting:market_bilan_pdf", args=[world["market1"].pk])),
        ("bilan-annuel", world["coordinator"], f"{REPORT_PDF}?year=2025"),
    ]


def test_every_pdf_prints_within_the_page_with_numbers_and_whole_rows(client, print_world, monkeypatch, tmp_path):
    require_poppler()
    problems = []
    for name, user, url in pdfs(print_world):
        path, tables = download(client, user, url, monkeypatch, tmp_path, name)
        images = page_images(path)
        texts = page_texts(path)
        assert len(images) == len(texts) > 1, name
        for number, image in enumerate(images, 1):
            for side in inked_margins(image):
                problems.append(f"{name}, page {number} : encre dans la marge {side} (tableau trop large)")
        for number, text in enumerate(texts, 1):
            if f"Page {number} sur {len(texts)}" not in text:
                problems.append(f"{name}, page {number} : pas de « Page {number} sur {len(texts)} »")
            if "Généré le" not in text:
                problems.append(f"{name}, page {number} : pas de date de génération")
        pages = [(set(tokens(text)), flat(text)) for text in texts]
        every_word, document = set().union(*(words for words, _flat in pages)), flat("".join(texts))
        for table in tables:
            for row in table.rows:
                # Text cells by word (a word cut inside a narrow cell is on no page as such: it is left out),
                # figures whole, spaces aside (pdftotext drops the narrow no-break space of "< 5").
                row_words = {word for cell in row if not cell.numeric for word in tokens(cell.text)} & every_word
                figures = {flat(cell.text) for cell in row if cell.numeric and cell.text} - {""}
                assert row_words or figures, f"{name}, {table.title} : ligne introuvable {row[0].text!r}"
                if not all(figure in document for figure in figures):
                    problems.append(f"{name}, {table.title} : chiffres absents (hors de la page ?) : {row[0].text!r}")
                elif not any(row_words <= words and all(f in text for f in figures) for words, text in pages):
                    problems.append(f"{name}, {table.title} : ligne coupée entre deux pages : {row[0].text!r}")
    assert not problems, "\n".join(problems)


def test_the_wide_and_long_tables_really_ran_over_pages(client, print_world, monkeypatch, tmp_path):
    """The world is big enough for the checks above to mean something: the buyer's lots table and the EPCI
    table of the yearly report each span several pages, the lots on landscape pages."""
    require_poppler()
    path, _tables = download(
        client, print_world["city_admin"], f"{DASHBOARD_PDF}?year=2025", monkeypatch, tmp_path, "acheteur"
    )
    texts = page_texts(path)
    lot_pages = [n for n, text in enumerate(texts) if "DIJ-2025" in text]  # a hyphen at a line end is dropped
    assert len(lot_pages) >= 3
    images = page_images(path)
    assert all(images[n].width > images[n].height for n in lot_pages)  # landscape
    path, _tables = download(
        client, print_world["coordinator"], f"{REPORT_PDF}?year=2025", monkeypatch, tmp_path, "bilan"
    )
    assert sum(1 for text in page_texts(path) if re.search(r"Alizé\d+", text)) >= 2


def test_dashboard_pdf_lists_the_lots_needing_attention_and_points_to_the_xlsx(
    client, print_world, monkeypatch, tmp_path
):
    user = print_world["city_admin"]
    _path, tables = download(client, user, f"{DASHBOARD_PDF}?year=2025", monkeypatch, tmp_path, "acheteur")
    lots = next(table for table in tables if table.code == "lots")
    status_at = [header.text for header in lots.headers].index("Statut")
    statuses = {row[status_at].text for row in lots.rows}
    assert statuses and statuses <= {"En retard", "Objectif non atteint"}
    client.force_login(user)
    board = client.get(reverse("reporting:dashboard"), {"year": 2025}).context["board"]
    attention = [item for item in board.progress if item.status in exports.ATTENTION_STATUSES]
    assert len(lots.rows) == len(attention) < len(board.progress)
    assert f"sur {len(board.progress)} lot(s) en tout" in lots.note
    assert "export XLSX" in lots.note


def test_dashboard_pdf_caps_the_lots_table():
    class Item:
        def __init__(self, status):
            self.status = status

    rows = [Item("behind")] * 130 + [Item("on_track")] * 20 + [Item("ended_below")] * 5
    table = exports.Table("lots", "Lots", exports.LOT_COLUMNS, rows)
    (capped,) = exports.attention_lots_only([table])
    assert len(capped.rows) == exports.PDF_LOTS_LIMIT == 100
    assert capped.note.startswith("135 lot(s) à surveiller")
    assert "sur 155 lot(s) en tout ; les 100 plus à risque figurent ci-dessous" in capped.note
    other = exports.Table("synthese", "Synthèse", (), [1, 2])
    assert exports.attention_lots_only([other]) == [other]
