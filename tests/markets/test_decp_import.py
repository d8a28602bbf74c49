"""Import of published markets (DECP 2.0): the official examples, idempotence, refusals, filters, a malformed file."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from markets.decp import CONCESSION_IGNORED, OUT_OF_SCOPE, department_of, import_decp, market_type_of
from markets.models import DecpMarket, MarketType
from organisations.models import Organisation
from tests.organisations.factories import BuyerFactory, CompanyFactory, make_siret
from tests.territories.factories import CommuneFactory

pytestmark = pytest.mark.django_db

OFFICIAL = Path(__file__).resolve().parent / "data" / "decp"
TODAY = date(2026, 11, 26)
BUYER = make_siret(21000)
HOLDER = make_siret(31000)


def record(**overrides) -> dict:
    base = {
        "id": "2025-001",
        "acheteur": {"id": BUYER},
        "nature": "Marché",
        "objet": "Réhabilitation de 40 logements",
        "codeCPV": "45000000-7",
        "procedure": "Appel d'offres ouvert",
        "lieuExecution": {"code": "21000", "typeCode": "Code postal"},
        "dureeMois": 24,
        "dateNotification": "2025-03-01",
        "datePublicationDonnees": "2025-03-10",
        "montant": 450000,
        "ccag": "Travaux",
        "titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": HOLDER}}],
        "considerationsSociales": {"considerationSociale": ["Clause sociale"]},
    }
    base.update(overrides)
    return base


def stream(records, shape="nested") -> io.BytesIO:
    body = {"nested": {"marches": {"marche": records}}, "flat": {"marches": records}, "list": records}[shape]
    return io.BytesIO(json.dumps(body, ensure_ascii=False).encode())


@pytest.fixture
def dijon(db):
    return CommuneFactory()  # 21231, département 21, region 27


def run(records, **options):
    return import_decp(stream(records, options.pop("shape", "nested")), today=TODAY, **options)


# The official examples -------------------------------------------------------------------------------------


def test_official_example_files_import_and_concessions_are_ignored_with_a_reason():
    with (OFFICIAL / "marches_concessions.json").open("rb") as file:
        report = import_decp(file, today=TODAY)
    assert report.ok
    assert report.ignored_reasons[CONCESSION_IGNORED] == 2
    # TEST2022's buyer SIRET 21750001630066 fails the Luhn checksum in the official example itself.
    assert [(r.decp_id, "SIRET de l'acheteur" in r.reason) for r in report.refusals] == [("TEST2022", True)]
    assert report.created == 1
    market = DecpMarket.objects.get(decp_id="TEST2022Bis")
    assert market.buyer.siret == "21750001630040"
    assert market.buyer.name == "Acheteur 21750001630040 (à compléter)"
    assert [h.siret for h in market.holders.all()] == ["55204599900869"]
    assert (market.amount_excl_vat, market.notified_on, market.duration_months) == (
        Decimal("575000"),
        date(2024, 5, 15),
        48,
    )
    assert (market.market_type, market.cpv_code, market.place_code) == (MarketType.WORKS, "45000000-7", "75000")
    assert market.social_considerations == ["Clause sociale", "Critère social"]

    with (OFFICIAL / "marches_avec_modifications.json").open("rb") as file:
        second = import_decp(file, today=TODAY)
    assert second.ok and (second.created, second.unchanged, second.refused) == (0, 1, 1)


def test_a_second_import_changes_nothing_and_says_so(dijon):
    records = [record(), record(id="2025-002", montant=90000)]
    first = run(records)
    assert (first.created, first.updated) == (2, 0)
    before = list(DecpMarket.objects.values_list("pk", "updated_at").order_by("pk"))
    second = run(records)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert second.summary().startswith("Aucun changement")
    assert list(DecpMarket.objects.values_list("pk", "updated_at").order_by("pk")) == before
    assert Organisation.objects.count() == 2


def test_a_changed_record_updates_its_market_and_holders(dijon):
    run([record()])
    other = CompanyFactory()
    report = run(
        [record(montant=500000.5, titulaires=[{"titulaire": {"typeIdentifiant": "SIRET", "id": other.siret}}])]
    )
    assert (report.created, report.updated) == (0, 1)
    market = DecpMarket.objects.get()
    assert market.amount_excl_vat == Decimal("500000.50")
    assert list(market.holders.all()) == [other]


def test_flat_shapes_are_read_like_the_nested_one(dijon):
    flat = record(
        considerationsSociales=["Clause sociale", "Marché réservé"],
        titulaires=[{"typeIdentifiant": "SIRET", "id": HOLDER}],
    )
    assert run([flat], shape="flat").created == 1
    market = DecpMarket.objects.get()
    assert (market.social_clause, market.reserved, market.holders.get().siret) == (True, True, HOLDER)
    assert run([flat], shape="list").unchanged == 1


def test_an_existing_buyer_is_reused_and_keeps_its_name(dijon):
    buyer = BuyerFactory(siret=BUYER, name="Ville de Dijon")
    run([record()])
    assert DecpMarket.objects.get().buyer == buyer
    assert Organisation.objects.get(pk=buyer.pk).name == "Ville de Dijon"


# Refusals --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"montant": "NC"}, "montant absent ou « NC »"),
        ({"montant": -5}, "montant « -5 » invalide"),
        ({"montant": "beaucoup"}, "montant « beaucoup » invalide"),
        ({"montant": 1e15}, "montant"),
        ({"dateNotification": "2024-02-30"}, "date de notification « 2024-02-30 » impossible"),
        ({"dateNotification": "0203-01-01"}, "date de notification « 0203-01-01 » impossible"),
        ({"dateNotification": "2099-01-01"}, "date de notification « 2099-01-01 » impossible"),
        ({"dateNotification": "NC"}, "date de notification absente ou « NC »"),
        ({"acheteur": {"id": "21750001630066"}}, "SIRET de l'acheteur « 21750001630066 » invalide"),
        ({"acheteur": {"id": "NC"}}, "SIRET de l'acheteur absent ou « NC »"),
        ({"titulaires": [{"titulaire": {"typeIdentifiant": "SIRET", "id": "12345678901234"}}]}, "SIRET du titulaire"),
        ({"id": "NC"}, "identifiant absent ou « NC »"),
        ({"dureeMois": 0}, "durée « 0 » invalide"),
        ({"codeCPV": "NC"}, "code CPV absent ou « NC »"),
        ({"lieuExecution": {"code": "NC", "typeCode": "Code postal"}}, "lieu d'exécution absent ou « NC »"),
    ],
)
def test_each_bad_value_is_refused_with_the_record_id_and_a_french_reason(dijon, overrides, reason):
    report = run([record(id="OK-1"), record(**{"id": "BAD-1", **overrides})])
    assert report.ok and report.created == 1
    assert report.refused == 1
    refusal = report.refusals[0]
    assert reason in refusal.reason
    assert str(refusal).startswith("Enregistrement n° 2 (")
    assert DecpMarket.objects.count() == 1


def test_a_buyer_siret_of_a_company_is_refused(dijon):
    CompanyFactory(siret=BUYER)
    report = run([record()])
    assert report.refused == 1 and "n'est pas un acheteur" in report.refusals[0].reason
    assert not DecpMarket.objects.exists()


def test_a_malformed_file_is_refused_whole_with_its_line_and_record(dijon):
    good = json.dumps({"marches": {"marche": [record(id=f"R{n}") for n in range(3000)]}}, indent=1)
    broken = good[: len(good) - 200] + "\n  oops, }" + good[len(good) - 200 :]
    line = broken[: broken.index("oops")].count("\n") + 1
    report = import_decp(io.BytesIO(broken.encode()), today=TODAY)
    assert not report.ok
    message = report.file_errors[0]
    assert f"ligne {line}" in message
    assert "après l'enregistrement n° 2999 (« R2998 »)" in message
    assert not DecpMarket.objects.exists() and not Organisation.objects.exists()  # the first batch rolled back


def test_a_byte_order_mark_is_accepted(dijon):
    report = import_decp(io.BytesIO(b"\xef\xbb\xbf" + stream([record()]).getvalue()), today=TODAY)
    assert report.ok and report.created == 1


def test_a_file_not_in_utf8_is_refused_whole_with_a_french_reason(dijon):
    body = json.dumps({"marches": [record()]}, ensure_ascii=False).encode("latin-1")
    report = import_decp(io.BytesIO(body), today=TODAY)
    assert report.file_errors == [
        "JSON invalide ligne 1, avant le premier enregistrement : le fichier n'est pas encodé en UTF-8. "
        "Le fichier est refusé en entier."
    ]


@pytest.mark.parametrize("body", [b"", b"{", b'{"autre": 1}', b"[1, 2", b'{"marches": {"marche": [}}'])
def test_files_that_are_not_decp_are_refused_whole(body):
    report = import_decp(io.BytesIO(body), today=TODAY)
    assert not report.ok and report.file_errors
    assert not DecpMarket.objects.exists()


# Filters and dry run ---------------------------------------------------------------------------------------


def test_filters_by_buyer_and_by_departement(dijon):
    other_buyer = make_siret(21001)
    records = [
        record(id="A"),  # 21000: Côte-d'Or
        record(id="B", acheteur={"id": other_buyer}, lieuExecution={"code": "75056", "typeCode": "Code commune"}),
    ]
    by_buyer = run(records, buyer_sirets=[other_buyer], dry_run=True)
    assert (by_buyer.created, by_buyer.ignored_reasons[OUT_OF_SCOPE]) == (1, 1)
    report = run(records, departements=["21"])
    assert (report.created, report.ignored) == (1, 1)
    assert list(DecpMarket.objects.values_list("decp_id", flat=True)) == ["A"]


def test_a_known_buyer_of_the_departement_is_kept_wherever_it_executes(dijon):
    BuyerFactory(siret=BUYER, commune=dijon)
    report = run([record(lieuExecution={"code": "FR", "typeCode": "Code pays"})], departements=["21"])
    assert report.created == 1


def test_a_dry_run_writes_nothing_but_counts_everything(dijon):
    report = run([record(), record(id="X", montant="NC")], dry_run=True)
    assert (report.created, report.refused) == (1, 1)
    assert report.summary().startswith("Aperçu (rien n'a été enregistré)")
    assert not DecpMarket.objects.exists() and not Organisation.objects.exists()


def test_the_departement_of_the_execution_place_links_the_market_to_its_territory(dijon):
    run([record()])
    assert DecpMarket.objects.get().department_id == "21"


@pytest.mark.parametrize(
    ("code", "kind", "expected"),
    [
        ("21000", "Code postal", "21"),
        ("20167", "Code postal", "2A"),
        ("20200", "Code postal", "2B"),
        ("97400", "Code postal", "974"),
        ("2B002", "Code commune", "2B"),
        ("97411", "Code commune", "974"),
        ("1", "Code département", "01"),
        ("27", "Code région", ""),
    ],
)
def test_department_of(code, kind, expected):
    assert department_of(code, kind) == expected


def test_market_type_from_ccag_then_cpv():
    assert market_type_of("Travaux", "90000000") == MarketType.WORKS
    assert market_type_of("Pas de CCAG", "71000000") == MarketType.INTELLECTUAL
    assert market_type_of("", "30192000") == MarketType.SUPPLIES
    assert market_type_of("", "90910000") == MarketType.SERVICES


# The command -----------------------------------------------------------------------------------------------


def test_the_command_imports_then_reports_no_change(dijon, tmp_path, capsys):
    path = tmp_path / "decp.json"
    path.write_bytes(stream([record(), record(id="Z", dateNotification="2024-13-01")]).getvalue())
    call_command("import_decp", str(path), "--departement", "21")
    out, err = capsys.readouterr()
    assert "Import terminé : 1 nouveaux" in out
    assert "Enregistrement n° 2 (« Z ») : date de notification « 2024-13-01 » impossible" in err
    call_command("import_decp", str(path), "--dry-run")
    assert "Aperçu" in capsys.readouterr().out
    call_command("import_decp", str(path))
    assert "Aucun changement : 0 nouveaux, 0 mis à jour, 1 inchangés" in capsys.readouterr().out


def test_the_command_fails_on_a_malformed_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"marches": {"marche": [{"id": "1",}]}}')
    with pytest.raises(CommandError, match="JSON invalide ligne 1"):
        call_command("import_decp", str(path))


class Unseekable:
    """A stream that can only be read forward (a pipe): the generic event loop reads it."""

    def __init__(self, data: bytes):
        self._stream = io.BytesIO(data)

    def read(self, size=-1):
        return self._stream.read(size)


def test_an_unseekable_stream_reads_every_shape(dijon):
    body = {"marches": {"contrat-concession": [{"id": "C1", "nature": "Concession de service"}], "marche": [record()]}}
    data = b"\xef\xbb\xbf" + json.dumps(body).encode()
    report = import_decp(Unseekable(data), today=TODAY)
    assert (report.created, report.ignored_reasons[CONCESSION_IGNORED]) == (1, 1)
    broken = import_decp(Unseekable(b'{"marches": [\n{"id": "A"},\n{"id": }]}'), today=TODAY)
    assert "JSON invalide ligne 3, après l'enregistrement n° 1 (« A »)" in broken.file_errors[0]
