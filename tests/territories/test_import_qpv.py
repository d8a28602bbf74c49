from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from territories.loaders import DEMO_QPV_CSV, load_territories
from territories.models import Qpv

from .factories import QpvFactory

HEADER = "code_qpv;nom_qpv;codes_insee\n"


@pytest.fixture
def bfc(db):
    load_territories(region="27")


def write_csv(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "qpv.csv"
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def run_import(path):
    out = StringIO()
    call_command("import_qpv", str(path), stdout=out)
    return out.getvalue()


def test_demo_file_imports_bfc_neighbourhoods(bfc):
    output = run_import(DEMO_QPV_CSV)

    qpvs = Qpv.objects.prefetch_related("communes")
    assert 25 <= qpvs.count() <= 40
    assert output.strip() == f"{qpvs.count()} QPV créés, 0 QPV mis à jour."
    assert all(qpv.communes.all() for qpv in qpvs)
    assert {c.department.region_id for qpv in qpvs for c in qpv.communes.select_related("department")} == {"27"}
    assert set(Qpv.objects.get(code="QN02101M").communes.values_list("name", flat=True)) == {"Dijon"}
    assert Qpv.objects.get(code="QN02501M").name == "Planoise"
    assert set(Qpv.objects.get(code="QN07106M").communes.values_list("code", flat=True)) == {"71153", "71540"}


def test_reimport_is_idempotent_and_updates(bfc, tmp_path):
    run_import(DEMO_QPV_CSV)
    count = Qpv.objects.count()
    links = Qpv.communes.through.objects.count()

    assert run_import(DEMO_QPV_CSV).strip() == f"0 QPV créé, {count} QPV mis à jour."
    assert (Qpv.objects.count(), Qpv.communes.through.objects.count()) == (count, links)

    path = write_csv(tmp_path, HEADER + "QN02101M;Les Grésilles;21231,21166\nQN02199M;Nouveau quartier;21617\n")
    assert run_import(path).strip() == "1 QPV créé, 1 QPV mis à jour."
    gresilles = Qpv.objects.get(code="QN02101M")
    assert gresilles.name == "Les Grésilles"
    assert set(gresilles.communes.values_list("code", flat=True)) == {"21231", "21166"}
    assert Qpv.objects.count() == count + 1


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
