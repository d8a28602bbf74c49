"""A buyer-visible world where one market has a single worker, and readers of every output format.

The buyer "Ville de Solitude" has two markets followed by one facilitation structure:
- SOLO-2025-01: one worker, Perpétue Anastasievna, a woman living in a QPV, 358,25 validated hours in 2025
  (120 + 120 + 118,25), declared and validated through the services by a facilitator with a unique e-mail (so a
  change history exists that names them);
- FOULE-2025-02: seven men outside any QPV, 10 h each, through a temp agency (ETTI) mission.

So the dashboard of 2025 counts 8 people: "Femmes" and "QPV" (1 each) must be hidden with their hours, the
modalities CDD (1 person) and, in complement, ETTI (7) too. The bilan of SOLO-2025-01 counts one person: every
public is hidden (RQTH "0" included), and so is its only modality.

Readers turn each format into rows of cell texts (HTML tables, CSV lines, XLSX rows, JSON rows, PDF text lines)
so that a test can check the rows of a public or a modality whatever the format.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import shutil
import subprocess
import tempfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import openpyxl

from beneficiaries import services
from beneficiaries.choices import Modality, Sex
from organisations.models import BuyerType, Role
from reporting.calculations import SECRET_LABEL, SMALL_COUNT_LABEL
from tests.beneficiaries.factories import BeneficiaryFactory, PlacementFactory
from tests.clauses.factories import ClauseFactory
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import BuyerFactory, FacilitationStructureFactory, MembershipFactory, UserFactory
from tests.territories.factories import CommuneFactory, RegionFactory

YEAR = 2025
WORKER_NAMES = ("Anastasievna", "Perpétue")
FACILITATOR_EMAIL = "valideuse.unique@plie-solitude.example"
# Person-level traces that no buyer output may carry (besides the figures checked row by row).
PERSON_TRACES = (*WORKER_NAMES, FACILITATOR_EMAIL, "Participant·e n", "/contrats/", "/heures/")
PERSON_PATHS = ("/contrats/", "/heures/", "/participants/", "/api/v1/placements", "/api/v1/hours", "/api/v1/outcomes")
PUBLIC_LABELS = {
    "women": "Femmes",
    "qpv": "Habitant·es des QPV",
    "rqth": "Travailleur·ses handicapé·es (RQTH)",
}
HIDDEN = (SMALL_COUNT_LABEL, SECRET_LABEL)
PDFTOTEXT = shutil.which("pdftotext") or "/usr/bin/pdftotext"  # poppler-utils


def build_privacy_world() -> dict:
    region = RegionFactory()
    commune = CommuneFactory()
    structure = FacilitationStructureFactory(name="PLIE de Solitude", region=region)
    buyer = BuyerFactory(name="Ville de Solitude", buyer_type=BuyerType.MUNICIPALITY)
    validator = UserFactory(email=FACILITATOR_EMAIL)
    MembershipFactory(user=validator, organisation=structure, role=Role.MEMBER)
    buyer_user = UserFactory(email="acheteuse@solitude.example")
    MembershipFactory(user=buyer_user, organisation=buyer, role=Role.ADMIN)
    solo = MarketFactory(buyer=buyer, facilitator=structure, reference="SOLO-2025-01", execution_commune=commune)
    crowd = MarketFactory(buyer=buyer, facilitator=structure, reference="FOULE-2025-02", execution_commune=commune)
    solo_lot = ClauseFactory(lot=LotFactory(market=solo, number=1)).lot
    crowd_lot = ClauseFactory(lot=LotFactory(market=crowd, number=1)).lot
    worker = BeneficiaryFactory(
        structure=structure, last_name=WORKER_NAMES[0], first_name=WORKER_NAMES[1], sex=Sex.FEMALE
    )
    placement = PlacementFactory(
        beneficiary=worker, lot=solo_lot, is_woman=True, is_qpv_resident=True, modality=Modality.HIRE_CDD
    )
    for month, hours in ((3, "120"), (4, "120"), (5, "118.25")):
        record = services.declare_hours(
            entry=services.HoursEntry(
                placement=placement,
                month=datetime.date(YEAR, month, 1),
                hours=Decimal(hours),
                expected_version=services.UNCHECKED,
            ),
            user=validator,
        ).record
        services.validate_hours(records=[record], user=validator, versions=services.UNCHECKED)
    for _ in range(7):
        man = PlacementFactory(
            beneficiary=BeneficiaryFactory(structure=structure, sex=Sex.MALE),
            lot=crowd_lot,
            modality=Modality.ETTI_MISSION,
        )
        record = services.declare_hours(
            entry=services.HoursEntry(
                placement=man,
                month=datetime.date(YEAR, 6, 1),
                hours=Decimal("10"),
                expected_version=services.UNCHECKED,
            ),
            user=validator,
        ).record
        services.validate_hours(records=[record], user=validator, versions=services.UNCHECKED)
    return {
        "buyer": buyer,
        "buyer_user": buyer_user,
        "validator": validator,
        "solo": solo,
        "crowd": crowd,
        "solo_lot": solo_lot,
        "placement": placement,
        "worker": worker,
    }


# --- Readers: rows of cell texts ---------------------------------------------------------------------------------


class _TableRows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "a":
            self.links.extend(value for name, value in attrs if name == "href" and value)
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None and not self._skip:
            self._cell.append(data)


def html_rows(html: str) -> list[list[str]]:
    parser = _TableRows()
    parser.feed(html)
    return parser.rows


def html_links(html: str) -> list[str]:
    parser = _TableRows()
    parser.feed(html)
    return parser.links


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def xlsx_rows(content: bytes) -> list[list[str]]:
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [
        ["" if value is None else str(value) for value in row]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]


def json_rows(content: bytes) -> list[list[str]]:
    document = json.loads(content)
    return [
        ["" if value is None else str(value) for value in line.values()]
        for table in document["tableaux"]
        for line in table["lignes"]
    ]


def pdf_text(content: bytes) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(content)
        command = [PDFTOTEXT, "-layout", str(path), "-"]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603 (our file)


def pdf_rows(content: bytes) -> list[list[str]]:
    """Each line of the PDF text as one row: its label, then the rest of the line as a single cell."""
    rows = []
    for line in pdf_text(content).splitlines():
        parts = re.split(r"\s{2,}", line.strip())
        if parts and parts[0]:
            rows.append([parts[0], " ".join(parts[1:])])
    return rows


def rows_labelled(rows: list[list[str]], label: str) -> list[list[str]]:
    return [row for row in rows if row and row[0].strip() == label]


def revealing_cells(row: list[str]) -> list[str]:
    """The cells of a row (its label aside) that show something else than a hidden value ("< 5", "secret")."""
    revealing = []
    for cell in row[1:]:
        rest = re.sub(r"<\s*5", "", cell)  # "< 5" (PDF text may lose the space)
        for label in HIDDEN:
            rest = rest.replace(label, "")
        if re.search(r"\d", rest):
            revealing.append(cell)
    return revealing


def assert_rows_hidden(rows: list[list[str]], labels, *, where: str) -> None:
    """Every row labelled with one of `labels` exists and shows only hidden values."""
    for label in labels:
        found = rows_labelled(rows, label)
        assert found, f"{where}: no row « {label} »"
        for row in found:
            assert not revealing_cells(row), f"{where}: « {label} » shows {revealing_cells(row)}"


def assert_no_person_trace(text: str, *, where: str) -> None:
    for trace in PERSON_TRACES:  # names are upper-cased on some pages
        assert trace.casefold() not in text.casefold(), f"{where}: « {trace} » appears"
