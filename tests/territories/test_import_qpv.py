from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from territories.loaders import load_territories
from territories.models import Qpv

from .factories import QpvFactory

HEADER = "code_qpv;nom_qpv;codes_insee\n"


@pytest.fixture
def bfc(db):
    """The region's communes, without its QPV: these tests exercise the CSV import on its own (the official
    QPV that load_territories brings are tested in test_official_qpv.py)."""
    load_territories(region="27")
    Qpv.objects.all().delete()


def write_csv(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "qpv.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def run_import(path):
    out = StringIO()
    call_command("import_qpv", str(path), stdout=out)
    return out.getvalue()


def test_reimport_is_idempotent_and_updates(bfc, tmp_path):
    path = write_csv(tmp_path, HEADER + "QN02101M;Le Mail;21166\nQN02102M;Fontaine d'Ouche;21231\n")
    assert run_import(path).strip() == "2 QPV créés, 0 QPV mis à jour."
    links = Qpv.communes.through.objects.count()

    assert run_import(path).strip() == "0 QPV créé, 2 QPV mis à jour."
    assert (Qpv.objects.count(), Qpv.communes.through.objects.count()) == (2, links)

    path = write_csv(tmp_path, HEADER + "QN02101M;Le Mail (Chenôve);21231,21166\nQN02199M;Nouveau quartier;21617\n")
    assert run_import(path).strip() == "1 QPV créé, 1 QPV mis à jour."
    mail = Qpv.objects.get(code="QN02101M")
    assert mail.name == "Le Mail (Chenôve)"
    assert set(mail.communes.values_list("code", flat=True)) == {"21231", "21166"}
    assert Qpv.objects.count() == 3
    # A code of the official 2024 list is flagged so; another one is kept, flagged for a check.
    assert dict(Qpv.objects.values_list("code", "official")) == {"QN02101M": True, "QN02102M": True, "QN02199M": False}


def test_official_anct_layout(bfc, tmp_path):
    """The ANCT's « Liste des QPV 2024 » CSV: semicolons, UTF-8 with BOM, its own column names, the commune
    codes written as a spreadsheet formula, several communes in one quoted cell."""
    text = (
        "\ufeffcode_qp;lib_qp;insee_reg;lib_reg;insee_dep;lib_dep;insee_com;lib_com;siren_epci;lib_epci\r\n"
        'QN02101M;Le Mail;27;Bourgogne-Franche-Comté;21;Côte-d\'Or;"=""21166""";Chenôve;242100410;Dijon Métropole\r\n'
        'QN07106M;Harfleur;27;Bourgogne-Franche-Comté;71;Saône-et-Loire;"=""71153;71540""";"Digoin; Paray";;\r\n'
        "QN02199M;Quartier test;27;Bourgogne-Franche-Comté;21;Côte-d'Or;21617;Quetigny;;\r\n"
    )
    assert run_import(write_csv(tmp_path, text)).strip() == "3 QPV créés, 0 QPV mis à jour."

    communes = {qpv.code: set(qpv.communes.values_list("code", flat=True)) for qpv in Qpv.objects.all()}
    assert communes == {"QN02101M": {"21166"}, "QN07106M": {"71153", "71540"}, "QN02199M": {"21617"}}
    assert Qpv.objects.get(code="QN02101M").name == "Le Mail"


def test_anct_layout_missing_commune_column_is_refused(bfc, tmp_path):
    with pytest.raises(CommandError, match="insee_com"):
        run_import(write_csv(tmp_path, "\ufeffcode_qp;lib_qp;lib_com\nQN02101M;Le Mail;Chenôve\n"))
    assert not Qpv.objects.exists()


def test_comma_delimiter_bom_and_quoted_commune_list(bfc, tmp_path):
    text = '\ufeffnom_qpv,code_qpv,codes_insee\n"Harfleur, Le Tennis",qn07106m,"71153, 71540"\n\n'
    run_import(write_csv(tmp_path, text))

    qpv = Qpv.objects.get()
    assert (qpv.code, qpv.name) == ("QN07106M", "Harfleur, Le Tennis")
    assert set(qpv.communes.values_list("code", flat=True)) == {"71153", "71540"}


@pytest.mark.parametrize(
    ("content", "messages"),
    [
        pytest.param(
            "code_qpv;nom_qpv\nQN02101M;Grésilles\n",
            ["Colonne(s) manquante(s) dans l'en-tête (ligne 1) : codes_insee."],
            id="missing-column",
        ),
        pytest.param(
            HEADER + "QN02101M;Grésilles;21231\nQN02102M;Fontaine d'Ouche;21231,75056\n",
            ["Ligne 3 : commune inconnue « 75056 » (code INSEE)."],  # Paris is not loaded
            id="unknown-commune",
        ),
        pytest.param(
            HEADER + "QN02101M;Grésilles;21231\n;Fontaine d'Ouche;21231\n",
            ["Ligne 3 : code QPV vide."],
            id="empty-code",
        ),
        pytest.param(
            HEADER + "QN02101M;Grésilles;21231\nQN02102M;Fontaine d'Ouche;21231\nqn02101m;Autre;21231\n",
            ["Ligne 4 : code QPV « QN02101M » en double (déjà présent ligne 2)."],
            id="duplicated-code",
        ),
        pytest.param(HEADER + "QN02101M;;21231\n", ["Ligne 2 : nom du QPV vide."], id="empty-name"),
        pytest.param(HEADER + "QN02101M;Grésilles;\n", ["Ligne 2 : aucun code INSEE de commune."], id="no-commune"),
        pytest.param(HEADER + "QN02101M;Grésilles\n", ["Ligne 2 : 2 colonne(s) au lieu de 3."], id="short-row"),
        pytest.param(HEADER, ["Le fichier ne contient aucun QPV."], id="no-row"),
        pytest.param("", ["Le fichier est vide."], id="empty-file"),
        pytest.param(
            (HEADER + "QN02101M;Grésilles;21231\n").encode("latin-1"),
            ["Le fichier n'est pas encodé en UTF-8"],
            id="not-utf8",
        ),
        pytest.param(
            HEADER + ";;21231\nQN02101M;Grésilles;99999\n",
            [
                "Ligne 2 : code QPV vide.",
                "Ligne 2 : nom du QPV vide.",
                "Ligne 3 : commune inconnue « 99999 » (code INSEE).",
            ],
            id="every-error-reported",
        ),
    ],
)
def test_bad_file_is_refused_and_nothing_written(bfc, tmp_path, content, messages):
    existing = QpvFactory(code="QN02101M", name="Nom d'origine")

    with pytest.raises(CommandError) as raised:
        run_import(write_csv(tmp_path, content))

    error = str(raised.value)
    assert error.startswith("Import refusé, aucun QPV enregistré :")
    for message in messages:
        assert message in error
    assert list(Qpv.objects.values_list("code", "name")) == [("QN02101M", "Nom d'origine")]
    assert list(existing.communes.values_list("code", flat=True)) == ["21231"]


def test_missing_file_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="introuvable"):
        run_import(tmp_path / "absent.csv")
