"""Class guard of the anonymisation (issue 11, item 9): every free-text and date field of every model holding a
person's records is either cleared by `anonymise_inactive` or kept for a stated reason, and after anonymising
people whose every field is filled, none of their identity strings remains anywhere in the database.

The models are found through Django's model meta, not listed by hand: Beneficiary, every model with a chain of
foreign keys to it (criteria, placements, hours, outcomes, the audit trail, the reporting summary...), and every
model pointing at any object through a content type and an object id (the Django admin's change log). A new text
or date field on any of them fails `test_every_field_is_cleared_or_kept` until it is classified below.
"""

import datetime
import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection, models
from django.test import RequestFactory
from django.utils import timezone

from beneficiaries import import_views, services
from beneficiaries.anonymisation import ERASED_REASON, PLACEHOLDER_LAST_NAME
from beneficiaries.choices import Criterion, EvidenceType
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, HoursRecord, Outcome, Placement
from companies.choices import ProposalStatus
from companies.models import PersonProposal
from tests.audit.world import build_world

pytestmark = pytest.mark.django_db

# Cleared by the anonymisation: field -> the values it may hold afterwards.
CLEARED = {
    "beneficiaries.Beneficiary.last_name": {PLACEHOLDER_LAST_NAME},
    "beneficiaries.Beneficiary.first_name": {""},
    "beneficiaries.Beneficiary.birth_date": {None},
    "beneficiaries.Beneficiary.address": {""},
    "beneficiaries.Beneficiary.prescriber_name": {""},
    "beneficiaries.Beneficiary.job_seeker_since": {None},
    "beneficiaries.Beneficiary.notes": {""},
    "beneficiaries.BeneficiaryCriterion.derogation_reason": {"", ERASED_REASON},
    "beneficiaries.Placement.job_title": {""},
    "beneficiaries.HoursRecord.rejection_reason": {"", ERASED_REASON},
    "beneficiaries.Outcome.notes": {""},
    "audit.HoursChange.reason": {"", ERASED_REASON},
    "admin.LogEntry.change_message": {""},
    # The identity a company typed when it proposed the person (companies.proposals), once accepted.
    "companies.PersonProposal.last_name": {PLACEHOLDER_LAST_NAME},
    "companies.PersonProposal.first_name": {""},
    "companies.PersonProposal.birth_date": {None},
    "companies.PersonProposal.refusal_reason": {""},
}
# A label rebuilt from the object's kind and number ("participant·e n° 12"), checked apart.
RELABELLED = {"admin.LogEntry.object_repr"}

STATISTICS = "used by the reports, which must stay identical after anonymisation"
CODE = "a code from a fixed list, never free text"
RECORD_DATE = "when the record was written or changed: says nothing of who the person is"
KEPT = {
    "companies.PersonProposal.modality": CODE + " (the contract proposed, as on the placement)",
    "companies.PersonProposal.start_date": "the contract's start, as on the placement",
    "companies.PersonProposal.end_date": "the contract's end, as on the placement",
    "companies.PersonProposal.status": CODE,
    "companies.PersonProposal.proposed_at": RECORD_DATE,
    "companies.PersonProposal.decided_at": RECORD_DATE,
    "beneficiaries.Beneficiary.sex": STATISTICS + " (publics)",
    "beneficiaries.Beneficiary.prescriber_type": STATISTICS + " (prescribers)",
    "beneficiaries.Beneficiary.qualification_level": STATISTICS + " (qualification)",
    "beneficiaries.Beneficiary.qpv_source": CODE + " (how the QPV was set; the coordinates are cleared)",
    "beneficiaries.Beneficiary.created_at": RECORD_DATE,
    "beneficiaries.Beneficiary.updated_at": RECORD_DATE + " (set to the anonymisation's time)",
    "beneficiaries.Beneficiary.anonymised_at": "when the identity was removed",
    "beneficiaries.BeneficiaryCriterion.criterion": STATISTICS + " (criteria flags)",
    "beneficiaries.BeneficiaryCriterion.evidence_type": CODE,
    "beneficiaries.BeneficiaryCriterion.validated_on": "when eligibility was checked: proves the hours counted",
    "beneficiaries.Placement.modality": STATISTICS,
    "beneficiaries.Placement.start_date": STATISTICS + " (placements of a year, publics frozen at the start)",
    "beneficiaries.Placement.end_date": STATISTICS + " (placements of a year, outcomes)",
    "beneficiaries.Placement.created_at": RECORD_DATE,
    "beneficiaries.HoursRecord.month": STATISTICS + " (hours of a month)",
    "beneficiaries.HoursRecord.status": STATISTICS + " (only validated hours count)",
    "beneficiaries.HoursRecord.source": CODE,
    "beneficiaries.HoursRecord.declared_at": RECORD_DATE,
    "beneficiaries.HoursRecord.reviewed_at": RECORD_DATE,
    "beneficiaries.Outcome.stage": STATISTICS + " (outcomes)",
    "beneficiaries.Outcome.result": STATISTICS + " (outcomes)",
    "beneficiaries.Outcome.observed_on": STATISTICS + " (outcomes of a year)",
    "audit.AccessLog.at": RECORD_DATE,
    "audit.AccessLog.user_email": "the author of the access (a user of Clausier, not the person)",
    "audit.AccessLog.action": CODE,
    "audit.AccessLog.channel": CODE,
    "audit.AccessLog.detail": "written by audit.services, which never quote the person's identity",
    "audit.HoursChange.at": RECORD_DATE,
    "audit.HoursChange.user_email": "the author of the change (a user of Clausier, not the person)",
    "audit.HoursChange.status_before": CODE,
    "audit.HoursChange.status_after": CODE,
    "reporting.PlacementYear.buyer_type": CODE + " (copied for the reports)",
    "reporting.PlacementYear.market_type": CODE + " (copied for the reports)",
    "reporting.PlacementYear.mechanism": CODE + " (copied for the reports)",
    "reporting.PlacementYear.modality": CODE + " (copied for the reports)",
    "reporting.PlacementYear.qualification_level": CODE + " (copied for the ESF bands, as kept on the person)",
    "reporting.PlacementYear.end_date": STATISTICS + " (the contract's end, copied for the outcomes)",
    "admin.LogEntry.action_time": RECORD_DATE,
    "admin.LogEntry.object_id": "the number of the object changed, as text",
}

TEXT_OR_DATE = (models.CharField, models.TextField, models.JSONField, models.DateField)


def person_models() -> set:
    """Beneficiary, every model with a chain of foreign keys to it, and every model with a generic pointer."""
    found = {Beneficiary}
    grown = True
    while grown:
        grown = False
        for model in apps.get_models():
            if model in found:
                continue
            pointers = [field for field in model._meta.concrete_fields if field.many_to_one or field.one_to_one]
            generic = any(field.related_model is ContentType for field in pointers) and any(
                field.name in ("object_id", "object_pk") for field in model._meta.concrete_fields
            )
            if generic or any(field.related_model in found for field in pointers):
                found.add(model)
                grown = True
    return found


def classified_fields() -> dict[str, models.Field]:
    return {
        f"{model._meta.label}.{field.name}": field
        for model in person_models()
        for field in model._meta.concrete_fields
        if isinstance(field, TEXT_OR_DATE)
    }


def test_every_field_is_cleared_or_kept():
    fields = classified_fields()
    print(f"\nAnonymisation : {len(person_models())} modèles, {len(fields)} champs texte ou date classés.")
    assert {"admin.LogEntry", "audit.AccessLog", "reporting.PlacementYear"} <= {
        model._meta.label for model in person_models()
    }
    decided = set(CLEARED) | RELABELLED | set(KEPT)
    missing = sorted(set(fields) - decided)
    assert not missing, f"Fields of a person's records neither cleared nor kept (with a reason): {missing}"
    unknown = sorted(decided - set(fields))
    assert not unknown, f"Classified fields that no longer exist: {unknown}"
    assert not (set(CLEARED) | RELABELLED) & set(KEPT)


# One person with every field filled ------------------------------------------------------------------------------

SECRETS = {
    "a": {
        "last_name": "Quenouillard",
        "first_name": "Philomène",
        "address": "12 rue des Secrets A",
        "notes": "Observation privée A",
        "prescriber_name": "Agence Confidentielle A",
        "birth_date": datetime.date(1999, 4, 3),
        "job_seeker_since": datetime.date(2019, 2, 17),
        "job_title": "Poste Tarabiscoté A",
        "outcome_notes": "Sortie Brumeuse A",
        "derogation": "Dérogation Mirifique A",
        "rejection": "Rejet Sibyllin A",
    },
    "b": {
        "last_name": "Zabulonski",
        "first_name": "Théodorine",
        "address": "12 rue des Secrets B",
        "notes": "Observation privée B",
        "prescriber_name": "Agence Confidentielle B",
        "birth_date": datetime.date(1999, 4, 3),
        "job_seeker_since": datetime.date(2018, 11, 29),
        "job_title": "Poste Tarabiscoté B",
        "outcome_notes": "Sortie Brumeuse B",
        "derogation": "Dérogation Mirifique B",
        "rejection": "Rejet Sibyllin B",
    },
}
LONG_AGO = timezone.make_aware(datetime.datetime(2024, 1, 1))


def identity_strings(secrets: dict, *, as_stored: bool = False) -> list[str]:
    """The person's identity as stored (dates in ISO format) and, unless `as_stored`, as a page writes dates."""
    strings = []
    for value in secrets.values():
        if isinstance(value, datetime.date):
            strings += [value.isoformat()] + ([] if as_stored else [value.strftime("%d/%m/%Y")])
        else:
            strings.append(value)
    return strings


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def fill(world, key: str, superuser) -> None:
    """Every field of the person's records filled, changes through the admin logged, an import preview of them."""
    tenant = getattr(world, key)
    secrets = SECRETS[key]
    person = tenant.person
    Beneficiary.objects.filter(pk=person.pk).update(job_seeker_since=secrets["job_seeker_since"])
    Placement.objects.filter(pk=tenant.placement.pk).update(job_title=secrets["job_title"])
    Outcome.objects.filter(pk=tenant.outcome.pk).update(notes=secrets["outcome_notes"])
    services.add_criterion(
        beneficiary=person,
        criterion=Criterion.DEROGATION,
        validated_on=datetime.date(2024, 6, 1),
        validated_by=superuser,
        evidence_type=EvidenceType.OTHER,
        derogation_reason=secrets["derogation"],
    )
    assert (
        services.reject_hours(
            records=[tenant.declared], user=superuser, reason=secrets["rejection"], versions=services.UNCHECKED
        )
        == 1
    )
    person.refresh_from_db()
    placement = Placement.objects.select_related("beneficiary", "lot").get(pk=tenant.placement.pk)
    record = HoursRecord.objects.get(pk=tenant.declared.pk)
    request = admin_request(superuser)
    admin.site.get_model_admin(Beneficiary).log_change(request, person, [{"changed": {"fields": ["Nom"]}}])
    admin.site.get_model_admin(Placement).log_change(
        request, placement, [{"added": {"name": "relevé d'heures", "object": str(record)}}]
    )
    # A person added then deleted through the admin: the change log keeps their name.
    deleted = Beneficiary.objects.create(
        structure=person.structure, last_name=f"Effacé {secrets['last_name']}", first_name="Ex", sex=person.sex
    )
    admin.site.get_model_admin(Beneficiary).log_addition(request, deleted, [{"added": {}}])
    admin.site.get_model_admin(Beneficiary).log_deletions(request, Beneficiary.objects.filter(pk=deleted.pk))
    deleted.delete()
    # An import preview naming the person, in a session nobody saved for two hours.
    store = SessionStore()
    store[import_views.SESSION_KEY] = {
        "filename": "heures.csv",
        "rows": [{"last_name": secrets["last_name"], "first_name": secrets["first_name"], "birth_date": "1999-04-03"}],
    }
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() + datetime.timedelta(hours=6)
    )
    # An expired session holding the same.
    expired = SessionStore()
    expired["note"] = f"{secrets['last_name']} {secrets['first_name']}"
    expired.create()
    Session.objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(days=1)
    )


@pytest.fixture
def filled_world(settings):
    """The shared world, retention of 10 months (its 2025 placements are old), every field of both people filled."""
    settings.CLAUSIER_RETENTION_MONTHS = 10
    world = build_world()
    for key in ("a", "b"):
        fill(world, key, world.users["superuser"])
        # The company proposed this person, and the facilitator accepted: the proposal holds its identity too.
        PersonProposal.objects.create(
            lot=getattr(world, key).lot,
            company=getattr(world, key).placement.employer,
            last_name=SECRETS[key]["last_name"],
            first_name=SECRETS[key]["first_name"],
            birth_date=SECRETS[key]["birth_date"],
            modality=getattr(world, key).placement.modality,
            start_date=getattr(world, key).placement.start_date,
            status=ProposalStatus.ACCEPTED,
            placement=getattr(world, key).placement,
        )
    Beneficiary.objects.update(updated_at=LONG_AGO)
    return world


def database_text() -> str:
    """Every value of every row of every table, as text (sessions decoded), case-folded."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                chunks.append(" | ".join(str(value) for value in row))
    for session in Session.objects.all():
        chunks.append(json.dumps(session.get_decoded(), ensure_ascii=False, default=str))
    return "\n".join(chunks).casefold()


def remaining(text: str, strings: list[str]) -> list[str]:
    """The strings found in `text`, as written or as JSON writes them (é as \\u00e9)."""
    return [s for s in strings if s.casefold() in text or json.dumps(s)[1:-1].casefold() in text]


def test_no_identity_left_anywhere_in_the_database(filled_world):
    stored = identity_strings(SECRETS["a"], as_stored=True) + identity_strings(SECRETS["b"], as_stored=True)
    before = remaining(database_text(), stored)
    assert set(before) == set(stored), f"The world does not hold every identity string: {set(stored) - set(before)}"
    strings = identity_strings(SECRETS["a"]) + identity_strings(SECRETS["b"])
    out = StringIO()
    call_command("anonymise_inactive", stdout=out)
    assert "2 participant·e(s)" in out.getvalue()
    assert "Sessions : 2 expirée(s) supprimée(s), 2 aperçu(s) d'import abandonné(s) effacé(s)." in out.getvalue()
    left = remaining(database_text(), strings)
    assert not left, f"Identity left in the database after anonymisation: {left}"


def test_cleared_fields_hold_only_their_placeholder(filled_world):
    call_command("anonymise_inactive", stdout=StringIO())
    people = [filled_world.a.person.pk, filled_world.b.person.pk]
    querysets = {
        Beneficiary: Beneficiary.objects.filter(pk__in=people),
        BeneficiaryCriterion: BeneficiaryCriterion.objects.filter(beneficiary__in=people),
        Placement: Placement.objects.filter(beneficiary__in=people),
        HoursRecord: HoursRecord.objects.filter(placement__beneficiary__in=people),
        Outcome: Outcome.objects.filter(placement__beneficiary__in=people),
        apps.get_model("audit", "HoursChange"): apps.get_model("audit", "HoursChange").objects.filter(
            record__placement__beneficiary__in=people
        ),
        LogEntry: LogEntry.objects.all(),
        PersonProposal: PersonProposal.objects.filter(placement__beneficiary__in=people),
    }
    checked = 0
    for name, allowed in CLEARED.items():
        label, field = name.rsplit(".", 1)
        values = set(querysets[apps.get_model(label)].values_list(field, flat=True))
        assert values, f"{name}: no row to check"
        assert values <= allowed, f"{name} still holds {values - allowed}"
        checked += 1
    assert checked == len(CLEARED)
    labels = set(LogEntry.objects.values_list("object_repr", flat=True))
    deleted = {
        label
        for label in labels
        if label
        not in {
            f"participant·e n° {filled_world.a.person.pk}",
            f"participant·e n° {filled_world.b.person.pk}",
            f"contrat / mission n° {filled_world.a.placement.pk}",
            f"contrat / mission n° {filled_world.b.placement.pk}",
        }
    }
    assert len(deleted) == 2 and all(label.startswith("participant·e n° ") for label in deleted)
    assert labels - deleted == {
        f"participant·e n° {filled_world.a.person.pk}",
        f"participant·e n° {filled_world.b.person.pk}",
        f"contrat / mission n° {filled_world.a.placement.pk}",
        f"contrat / mission n° {filled_world.b.placement.pk}",
    }
