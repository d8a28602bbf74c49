"""The import preview shows what each row does ("nouveau", "inchangé", "avant → après") and the status of the
record it finds; a file changing validated records asks, before confirming, whether to replace them (they go
back to « déclaré » and out of the lot's progress) or to leave them validated and skip their rows."""

import html
import io
from datetime import date
from decimal import Decimal

import pytest

from audit.models import HoursChange
from beneficiaries import imports, services
from beneficiaries.choices import HoursSource, HoursStatus
from beneficiaries.models import HoursRecord
from beneficiaries.services import UNCHECKED, HoursEntry, HoursValues
from markets.models import Lot
from reporting import queries
from tests.api.conftest import build_world

pytestmark = pytest.mark.django_db

HEADER = "reference_marche;numero_lot;siret_titulaire;identifiant_participant;mois;heures;heures_formation"
MISSING_CHOICE = (
    "Choisissez ce que deviennent les relevés validés : les remplacer (ils devront être revalidés) "
    "ou ne pas les modifier."
)
TODAY = date(2025, 7, 1)


@pytest.fixture
def world(db):
    return build_world()


def declare(world, month, hours, training="0", *, validated=False, amount=None):
    """A record through the services (history, version and summary as in real life), validated if asked."""
    entry = HoursEntry(
        placement=world.placement,
        month=month,
        hours=Decimal(hours),
        training_hours=Decimal(training),
        invoiced_amount_excl_vat=amount,
        expected_version=UNCHECKED,
    )
    record = services.declare_month(entries=[entry], user=world.owner, source=HoursSource.GRID)[0].record
    if validated:
        services.validate_hours(records=[record], versions=UNCHECKED, user=world.owner)
    record.refresh_from_db()
    return record


def statement(world, rows):
    lines = [HEADER] + [
        f"2025-DIJ-01;1;{world.company.siret};{world.person.pk};{month};{hours};{training}"
        for month, hours, training in rows
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def upload(client, data, name="releve.csv"):
    file = io.BytesIO(data)
    file.name = name
    return client.post("/imports/heures/", {"file": file})


def text(response) -> str:
    return " ".join(response.content.decode().split())


def achieved(world) -> Decimal:
    """The lot's validated hours as its progress shows them (the reporting summary)."""
    return queries.lots_progress(Lot.objects.filter(pk=world.lot.pk), today=TODAY)[0].achieved_hours


def snapshot():
    return sorted(
        HoursRecord.objects.values_list("placement_id", "month", "hours", "training_hours", "status", "version")
    )


@pytest.fixture
def validated_world(world):
    """March declared (100 h, from build_world); February (140,25 h), May (30 h) and June (8 h) validated."""
    world.february = declare(world, date(2025, 2, 1), "140.25", validated=True)
    world.may = declare(world, date(2025, 5, 1), "30", validated=True)
    world.june = declare(world, date(2025, 6, 1), "8", validated=True)
    return world


# What each row shows ---------------------------------------------------------------------------------------


def test_each_row_kind_in_the_preview(validated_world, client):
    world = validated_world
    client.force_login(world.owner)
    before = snapshot()
    response = upload(
        client,
        statement(
            world,
            [
                ("04/2025", "12,5", "0"),  # new
                ("03/2025", "100", "0"),  # unchanged, declared
                ("02/2025", "142", "3"),  # validated: 140,25 → 142, training 0 → 3
                ("05/2025", "0", "0"),  # validated: 30 h → aucune activité
            ],
        ),
    )
    assert response.status_code == 200
    assert snapshot() == before  # a preview writes nothing
    report = response.context["report"]
    new, unchanged, changed, none = report.rows
    assert (new.status, unchanged.status, changed.status, none.status) == (
        imports.CREATED,
        imports.UNCHANGED,
        imports.UPDATED,
        imports.UPDATED,
    )
    assert new.previous is None and new.new_values_label == "12,5 h"
    assert unchanged.record_status_label == "déclaré" and unchanged.changes == []
    assert changed.record_status_label == "validé"
    assert [(c.label, c.before, c.after) for c in changed.changes] == [
        ("Heures", "140,25", "142"),
        ("Formation", "0", "3"),
    ]
    assert [(c.label, c.before, c.after) for c in none.changes] == [("Heures", "30 h", "aucune activité")]
    body = text(response)
    assert "nouveau</span> 12,5 h" in body
    assert "inchangé" in body
    assert 'Heures : <span class="change">140,25 → 142</span>' in body
    assert "30 h → aucune activité" in body
    assert "2 relevés validés repasseraient à « déclaré »" in body


def test_changes_name_training_amount_and_no_activity():
    declared = HoursStatus.DECLARED
    converted = HoursValues(Decimal("35.5"), Decimal("0"), Decimal("1200"), HoursStatus.VALIDATED)
    typed = HoursValues(Decimal("35.5"), Decimal("0"), None, declared)
    assert [(c.label, c.before, c.after) for c in imports.changes_between(converted, typed)] == [
        ("Montant facturé HT", "1\u00a0200\u00a0€", "—")
    ]
    nothing = HoursValues(Decimal("0"), Decimal("0"), None, declared)
    some = HoursValues(Decimal("1234.5"), Decimal("4"), None, declared)
    assert [(c.label, c.before, c.after) for c in imports.changes_between(nothing, some)] == [
        ("Heures", "aucune activité", "1\u00a0234,5 h"),
        ("Formation", "0", "4"),
    ]
    assert imports.changes_between(some, some) == []


def test_warning_counts_the_validated_records_and_marks_their_rows(validated_world, client):
    world = validated_world
    client.force_login(world.owner)
    response = upload(
        client,
        statement(
            world, [("02/2025", "142", "0"), ("05/2025", "31", "0"), ("06/2025", "9", "0"), ("03/2025", "99", "0")]
        ),
    )
    body = text(response)
    assert (
        "3 relevés validés repasseraient à « déclaré » et ne compteraient plus dans l'avancement tant qu'ils "
        "ne sont pas revalidés" in body
    )
    assert body.count('class="row--warning"') == 3  # not the declared March record
    assert body.count("repasserait à « déclaré »") == 3
    assert 'name="validated" value="replace"' in body and 'name="validated" value="keep"' in body
    assert "checked" not in body  # no default choice


def test_one_validated_record_in_the_singular_and_none_without_question(validated_world, client):
    world = validated_world
    client.force_login(world.owner)
    body = html.unescape(text(upload(client, statement(world, [("02/2025", "142", "0")]))))
    assert (
        "1 relevé validé repasserait à « déclaré » et ne compterait plus dans l'avancement tant qu'il n'est pas "
        "revalidé" in body
    )
    body = text(upload(client, statement(world, [("03/2025", "99", "0"), ("02/2025", "140,25", "0")])))
    assert "repasserai" not in body and 'name="validated"' not in body


# The choice -------------------------------------------------------------------------------------------------


def test_missing_choice_is_refused_on_its_field_and_nothing_is_written(validated_world, client):
    world = validated_world
    client.force_login(world.owner)
    upload(client, statement(world, [("02/2025", "142", "0"), ("04/2025", "10", "0")]))
    before, progress = snapshot(), achieved(world)
    for data in ({}, {"validated": "sometimes"}):
        response = client.post("/imports/heures/confirmer/", data)
        assert response.status_code == 400
        errors = response.context["form"].errors["validated"]
        if data:
            assert errors == ["Choix inconnu : remplacez les relevés validés ou ne les modifiez pas."]
        else:
            assert errors == [MISSING_CHOICE]
            assert MISSING_CHOICE in text(response)
        assert 'class="field field--error" id="field-validated"' in response.content.decode()
        assert snapshot() == before and achieved(world) == progress
    # The import is still pending: choosing now confirms it.
    response = client.post("/imports/heures/confirmer/", {"validated": "keep"})
    assert response.status_code == 200


def test_replace_sends_validated_records_back_to_declared(validated_world, client):
    world = validated_world
    client.force_login(world.owner)
    assert achieved(world) == Decimal("178.25")  # 140,25 + 30 + 8 validated
    upload(client, statement(world, [("02/2025", "142", "0"), ("05/2025", "30", "0"), ("04/2025", "10", "0")]))
    response = client.post("/imports/heures/confirmer/", {"validated": "replace"})
    assert response.status_code == 200
    february = HoursRecord.objects.get(pk=world.february.pk)
    assert (february.hours, february.status, february.version) == (
        Decimal("142"),
        HoursStatus.DECLARED,
        world.february.version + 1,
    )
    assert (
        HoursChange.objects.filter(record=february).count() == HoursChange.objects.filter(record=world.may).count() + 1
    )  # one more line of history for the replaced record
    assert HoursRecord.objects.get(pk=world.may.pk).status == HoursStatus.VALIDATED  # unchanged row
    assert achieved(world) == Decimal("38")  # February no longer counts until validated again
    report = response.context["report"]
    assert report.counts == {"created": 1, "updated": 1, "unchanged": 1, "skipped": 0, "refused": 0}
    body = text(response)
    assert "1 relevé créé, 1 mis à jour, 1 inchangé." in body
    grid = f"/heures/?month=2025-02&amp;lot={world.lot.pk}&amp;status=declared"
    assert f'<a href="{grid}">Valider les relevés de 02/2025 · marché 2025-DIJ-01, lot n° 1</a>' in body
    assert f"/heures/?month=2025-04&amp;lot={world.lot.pk}&amp;status=declared" in body
    assert "month=2025-05" not in body  # nothing to validate there


def test_keep_leaves_validated_records_and_imports_the_rest(validated_world, client):
    world = validated_world
    client.force_login(world.owner)
    upload(client, statement(world, [("02/2025", "142", "0"), ("06/2025", "0", "0"), ("04/2025", "10", "0")]))
    history = HoursChange.objects.count()
    response = client.post("/imports/heures/confirmer/", {"validated": "keep"})
    assert response.status_code == 200
    for record, hours in ((world.february, "140.25"), (world.june, "8")):
        kept = HoursRecord.objects.get(pk=record.pk)
        assert (kept.hours, kept.status, kept.version) == (Decimal(hours), HoursStatus.VALIDATED, record.version)
    april = HoursRecord.objects.get(placement=world.placement, month=date(2025, 4, 1))
    assert (april.hours, april.status) == (Decimal("10"), HoursStatus.DECLARED)
    assert HoursChange.objects.count() == history + 1  # April only
    assert achieved(world) == Decimal("178.25")  # the validated records still count
    assert response.context["report"].counts == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "skipped": 2,
        "refused": 0,
    }
    body = text(response)
    assert "2 relevés validés laissés tels quels (lignes ignorées)" in body
    assert f"/heures/?month=2025-04&amp;lot={world.lot.pk}&amp;status=declared" in body
    assert "month=2025-02" not in body and "month=2025-06" not in body


def test_confirmation_still_detects_a_change_since_the_preview(validated_world, client):
    world = validated_world
    client.force_login(world.owner)
    upload(client, statement(world, [("02/2025", "142", "0"), ("04/2025", "10", "0")]))
    # Someone corrects February on the grid in between: it is declared again, with another version.
    services.declare_hours(
        entry=HoursEntry(
            placement=world.placement,
            month=date(2025, 2, 1),
            hours=Decimal("141"),
            expected_version=world.february.version,
        ),
        user=world.owner,
    )
    before = snapshot()
    response = client.post("/imports/heures/confirmer/", {"validated": "keep"})
    assert response.status_code == 409
    assert "Les données ont changé depuis l'aperçu" in html.unescape(response.content.decode())
    assert snapshot() == before


def test_the_service_honours_keep_validated_all_or_nothing(validated_world):
    world = validated_world

    def entry(month, hours):
        return HoursEntry(placement=world.placement, month=month, hours=Decimal(hours), expected_version=UNCHECKED)

    before = snapshot()
    with pytest.raises(services.HoursBatchError):
        # A refused row (300 h) blocks the kept and the new rows alike.
        services.declare_month(
            entries=[entry(date(2025, 2, 1), "142"), entry(date(2025, 4, 1), "300")],
            user=world.owner,
            keep_validated=True,
        )
    assert snapshot() == before
    results = services.declare_month(
        entries=[entry(date(2025, 2, 1), "142"), entry(date(2025, 3, 1), "90")], user=world.owner, keep_validated=True
    )
    assert [(result.kept_validated, result.changed) for result in results] == [(True, False), (False, True)]
    assert results[0].previous == HoursValues(Decimal("140.25"), Decimal("0"), None, HoursStatus.VALIDATED)
    assert results[1].previous.hours == Decimal("100")
    assert HoursRecord.objects.get(pk=world.february.pk).status == HoursStatus.VALIDATED


def test_command_tells_and_honours_the_choice_about_validated_records(validated_world, tmp_path, capsys):
    from django.core.management import call_command

    world = validated_world
    path = tmp_path / "releve.csv"
    path.write_bytes(statement(world, [("02/2025", "142", "0"), ("04/2025", "10", "0")]))
    call_command("import_hours", str(path), "--valides", "garder")
    assert "1 relevé(s) validé(s) laissé(s) tel(s) quel(s) (lignes ignorées)." in capsys.readouterr().out
    assert HoursRecord.objects.get(pk=world.february.pk).status == HoursStatus.VALIDATED
    call_command("import_hours", str(path))  # remplacer, as before
    assert "Dont 1 relevé(s) validé(s) repassé(s) à « déclaré », à revalider." in capsys.readouterr().out
    february = HoursRecord.objects.get(pk=world.february.pk)
    assert (february.hours, february.status) == (Decimal("142"), HoursStatus.DECLARED)
