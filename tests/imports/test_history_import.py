"""The history import (beneficiaries.history): counts, idempotency, writes through the services, refusals."""

import copy
from decimal import Decimal

import pytest

from beneficiaries import history
from beneficiaries.history_fixture import generate, to_csv_files, to_xlsx
from beneficiaries.models import Beneficiary, HoursRecord, Placement
from beneficiaries.spreadsheets import FileRefused
from markets.models import Lot, Market
from reporting.models import PlacementYear
from tests.organisations.factories import BuyerFactory, CompanyFactory
from tests.territories.factories import CommuneFactory


@pytest.fixture
def directory(db):
    return {
        "buyer": BuyerFactory(siret="21750001600019"),
        "company": CompanyFactory(siret="73282932000074"),
        "commune": CommuneFactory(code="21231"),
    }


def small_history(**kwargs):
    options = {"people": 8, "contracts": 12, "years": 2, "markets": 2, "lots_per_market": 2, "monthly_records": 60}
    options.update(kwargs)
    return generate(buyer_siret="21750001600019", company_siret="73282932000074", commune="21231", **options)


def run(rows, structure, user, *, commit=True):
    return history.process(rows, structure=structure, user=user, commit=commit)


def parsed(generated):
    return history.parse_workbook(to_xlsx(generated))


def test_import_creates_then_rerun_changes_nothing(directory, structure, structure_admin):
    generated = small_history()
    preview = run(parsed(generated), structure, structure_admin, commit=False)
    assert preview.ok, preview.error_lines()
    assert preview.count(history.PARTICIPANTS, history.CREATED) == 8
    assert preview.count(history.CONTRACTS, history.CREATED) == 12
    assert preview.count(history.HOURS, history.CREATED) == len(generated.sheets[history.HOURS])
    assert not Beneficiary.objects.exists() and not Market.objects.exists()  # a preview writes nothing

    report = run(parsed(generated), structure, structure_admin)
    assert report.committed
    assert Market.objects.filter(facilitator=structure).count() == 2
    assert Lot.objects.count() == 4
    assert Beneficiary.objects.filter(structure=structure).count() == 8
    assert Placement.objects.count() == 12
    assert HoursRecord.objects.filter(status="validated").count() == len(generated.sheets[history.HOURS])
    # Publics frozen at the start (the RSA criterion was validated before every contract).
    assert Placement.objects.filter(is_rsa=True).count() == 12
    # The summary followed, in bulk: the validated hours of each year are those of the workbook.
    for year, hours in generated.hours_by_year.items():
        total = sum(row.hours for row in PlacementYear.objects.filter(year=year))
        assert total == hours

    again = run(parsed(generated), structure, structure_admin)
    for sheet, rows in again.rows.items():
        assert {row.status for row in rows} <= {history.UNCHANGED}, sheet
    assert HoursRecord.objects.count() == len(generated.sheets[history.HOURS])


def test_csv_files_are_read_like_the_workbook(directory, structure, structure_admin):
    generated = small_history()
    report = run(history.parse_csv_files(to_csv_files(generated)), structure, structure_admin, commit=False)
    assert report.ok, report.error_lines()
    assert report.count(history.HOURS, history.CREATED) == len(generated.sheets[history.HOURS])


def test_existing_person_is_to_update_by_name_and_birth_date(directory, structure, structure_admin):
    generated = small_history()
    first = generated.sheets[history.PARTICIPANTS][0]
    from datetime import datetime

    Beneficiary.objects.create(
        structure=structure,
        last_name=first["nom"].lower(),
        first_name=first["prenom"],
        birth_date=datetime.strptime(first["date_naissance"], "%d/%m/%Y").date(),
        sex="M" if first["sexe"] == "F" else "F",
        prescriber_type="other",
    )
    report = run(parsed(generated), structure, structure_admin, commit=False)
    assert report.ok, report.error_lines()
    row = report.rows[history.PARTICIPANTS][0]
    assert row.status == history.UPDATED
    assert any(change.startswith("sexe :") for change in row.changes)
    assert report.count(history.PARTICIPANTS, history.CREATED) == 7


def test_changed_hours_are_updated_with_before_and_after(directory, structure, structure_admin):
    generated = small_history()
    run(parsed(generated), structure, structure_admin)
    changed = copy.deepcopy(generated)
    changed.sheets[history.HOURS][0]["heures"] = "7"
    report = run(parsed(changed), structure, structure_admin)
    row = report.rows[history.HOURS][0]
    assert row.status == history.UPDATED and report.committed
    assert "→ 7" in row.changes[0]
    assert report.count(history.HOURS, history.UPDATED) == 1
    assert HoursRecord.objects.filter(hours=Decimal(7), status="validated").count() == 1


# --- Refusals, each with its French message on its column ------------------------------------------------------


def refused(generated, structure, user):
    report = run(parsed(generated), structure, user)
    assert not report.committed and not report.ok
    assert not Beneficiary.objects.exists() and not Market.objects.exists()  # all or nothing
    return [(row.sheet, column, message) for row in report.refusals() for column, message in row.errors]


def test_missing_column_refuses_the_file(directory):
    generated = small_history()
    for row in generated.sheets[history.CONTRACTS]:
        del row["modalite"]
    data = to_xlsx(generated)
    # to_xlsx writes every column: drop it from the headers by rewriting the sheet without it.
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data))
    workbook["Contrats"].delete_cols(list(history.COLUMNS[history.CONTRACTS]).index("modalite") + 1)
    output = io.BytesIO()
    workbook.save(output)
    with pytest.raises(FileRefused) as error:
        history.parse_workbook(output.getvalue())
    assert "Feuille « Contrats » : Colonnes manquantes : « modalite »." in error.value.messages


def test_missing_sheet_refuses_the_file(directory):
    generated = small_history()
    files = [item for item in to_csv_files(generated) if item[0] != "contrats.csv"]
    with pytest.raises(FileRefused) as error:
        history.parse_csv_files(files)
    assert "Feuilles manquantes : « Contrats »." in error.value.messages[0]


def test_unknown_commune(directory, structure, structure_admin):
    generated = small_history()
    generated.sheets[history.PARTICIPANTS][2]["commune"] = "99999"
    assert (history.PARTICIPANTS, "commune", "Commune inconnue : aucun code INSEE « 99999 ».") in refused(
        generated, structure, structure_admin
    )


def test_unknown_siret(directory, structure, structure_admin):
    generated = small_history()
    generated.sheets[history.CONTRACTS][0]["siret_employeur"] = "55208131766522"
    errors = refused(generated, structure, structure_admin)
    assert (
        history.CONTRACTS,
        "siret_employeur",
        "SIRET inconnu : aucun·e employeur de l'annuaire n'a le SIRET 55208131766522. Ajoutez-le à l'annuaire "
        "avant l'import (l'import ne crée pas d'organisation).",
    ) in errors


def test_contract_ending_before_it_starts(directory, structure, structure_admin):
    generated = small_history()
    contract = generated.sheets[history.CONTRACTS][0]
    contract["fin"] = "01/01/2019"
    errors = refused(generated, structure, structure_admin)
    assert any(
        column == "fin" and message.startswith("Dates incohérentes : la fin du contrat (01/01/2019) précède son début")
        for _sheet, column, message in errors
    )


def test_hours_outside_their_contract(directory, structure, structure_admin):
    generated = small_history()
    hours = generated.sheets[history.HOURS][0]
    contract = next(row for row in generated.sheets[history.CONTRACTS] if row["ref_contrat"] == hours["ref_contrat"])
    hours["mois"] = "01/2015"
    errors = refused(generated, structure, structure_admin)
    assert (
        history.HOURS,
        "mois",
        f"Heures hors du contrat : le contrat {contract['ref_contrat']} court du {contract['debut']} "
        f"au {contract['fin']}.",
    ) in errors


def test_duplicate_rows(directory, structure, structure_admin):
    generated = small_history()
    generated.sheets[history.HOURS].append(dict(generated.sheets[history.HOURS][0]))
    generated.sheets[history.PARTICIPANTS].append(
        dict(generated.sheets[history.PARTICIPANTS][0], ref_participant="P99")
    )
    errors = refused(generated, structure, structure_admin)
    assert any(
        sheet == history.HOURS and column == "mois" and message.startswith("Ligne en double : ce contrat et ce mois")
        for sheet, column, message in errors
    )
    assert (
        history.PARTICIPANTS,
        "nom",
        "Ligne en double : cette personne (nom, prénom, date de naissance) figure déjà à la ligne 2.",
    ) in errors


def test_criterion_the_age_contradicts(directory, structure, structure_admin):
    generated = small_history()
    person = generated.sheets[history.PARTICIPANTS][0]
    person.update(
        date_naissance="01/01/1980",
        critere_2="Jeune de moins de 26 ans peu qualifié ou sorti du système scolaire depuis 6 mois",
        validation_2="01/06/2019",
        justificatif_2="Pièce d'identité et justificatif de domicile",
    )
    errors = refused(generated, structure, structure_admin)
    assert (
        history.PARTICIPANTS,
        "critere_2",
        "Le critère « Jeune de moins de 26 ans peu qualifié ou sorti du système scolaire depuis 6 mois » est réservé "
        "aux personnes de moins de 26 ans : cette personne avait 39 ans le 01/06/2019 (date de validation).",
    ) in errors


def test_formula_is_refused_on_its_cell(directory, structure, structure_admin):
    generated = small_history()
    generated.sheets[history.HOURS][0]["heures"] = "=1+1"
    assert (history.HOURS, "heures", "Formule refusée : enregistrez des valeurs, pas des formules.") in refused(
        generated, structure, structure_admin
    )


def test_another_structures_market_is_refused(directory, structure, structure_admin, other_structure):
    generated = small_history()
    run(parsed(generated), other_structure, None)
    report = run(parsed(generated), structure, structure_admin)
    assert not report.committed
    assert any(
        column == "reference_marche" and "suivi par une autre structure" in message
        for row in report.refusals()
        for column, message in row.errors
    )


def test_template_has_a_readme_and_every_sheet():
    import io

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(history.template_xlsx()))
    assert workbook.sheetnames == ["Lisez-moi", *history.SHEET_TITLES.values()]
    readme = [row[0] for row in workbook["Lisez-moi"].iter_rows(values_only=True)]
    for columns in history.COLUMNS.values():
        assert set(columns) <= set(readme)
    assert history.template_csv(history.HOURS).decode("utf-8-sig").startswith("ref_contrat;mois;heures")


def test_close_spellings_hook_adds_notes_without_refusing(directory, structure, structure_admin, monkeypatch):
    seen = []

    def close(structure_, people):
        seen.append((structure_, people))
        return {people[0][0]: ["Orthographe proche de DUBOIS Marie (n° 12) : vérifiez avant de créer."]}

    monkeypatch.setattr(history, "close_spellings", close)
    report = run(parsed(small_history()), structure, structure_admin, commit=False)
    assert report.ok
    assert seen[0][0] == structure and len(seen[0][1]) == 8
    assert report.rows[history.PARTICIPANTS][0].notes == [
        "Orthographe proche de DUBOIS Marie (n° 12) : vérifiez avant de créer."
    ]


def test_a_close_spelling_of_a_person_already_followed_is_noted_on_its_row(directory, structure, structure_admin):
    # The real look-up (beneficiaries.duplicates): a person the structure follows under a close spelling and the same
    # birth date is named on the row « à créer », which is not refused; after the commit, nothing is noted.
    from datetime import datetime

    from tests.beneficiaries.factories import BeneficiaryFactory

    generated = small_history()
    first = generated.sheets[history.PARTICIPANTS][0]
    birth = datetime.strptime(first["date_naissance"], "%d/%m/%Y").date()
    known = BeneficiaryFactory(
        structure=structure, last_name=first["nom"] + "e", first_name=first["prenom"], birth_date=birth
    )
    BeneficiaryFactory(structure=structure, last_name=first["nom"] + "e", first_name=first["prenom"], birth_date=None)
    preview = run(parsed(generated), structure, structure_admin, commit=False)

    assert preview.ok, preview.error_lines()
    row = preview.rows[history.PARTICIPANTS][0]
    assert row.status == history.CREATED
    assert row.notes[0] == (
        f"Doublon probable de {known.last_name.upper()} {known.first_name} (n° {known.pk}, né·e le "
        f"{birth:%d/%m/%Y}) : orthographe proche, même date de naissance. Vérifiez avant de créer ; une fois créées, "
        "les deux fiches peuvent être fusionnées."
    )
    assert not any(other.notes for other in preview.rows[history.PARTICIPANTS][1:])
    done = run(parsed(generated), structure, structure_admin)
    assert done.committed and not any(row.notes for row in done.rows[history.PARTICIPANTS])
