"""The monthly declaration's workflow (issue 15, points 2 and 3): every transition through companies.declarations,
every transition out of order refused with a French message and nothing changed, the validated month locked, and
the hours counted by the reports only once validated."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from beneficiaries import services as people
from beneficiaries.choices import HoursStatus
from beneficiaries.models import HoursRecord
from companies import declarations
from companies.choices import DeclarationAction, DeclarationStatus
from companies.models import Declaration, DeclarationEvent
from markets.models import Lot
from reporting.queries import achieved_hours_subquery, progress_of
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.organisations.factories import InsertionStructureFactory

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 1)
S = DeclarationStatus


def _entry(placement, hours, training="0", version=None):
    if version is None:
        record = HoursRecord.objects.filter(placement=placement, month=MARCH).first()
        version = record.version if record else 0
    return people.HoursEntry(
        placement=placement,
        month=MARCH,
        hours=Decimal(hours),
        training_hours=Decimal(training),
        expected_version=version,
    )


def _save(contact, lot, holder, *rows):
    return declarations.save_rows(
        lot=lot, company=holder, month=MARCH, entries=[_entry(*row) for row in rows], user=contact
    )


def _submit(contact, lot, holder):
    return declarations.submit(lot=lot, company=holder, month=MARCH, user=contact)


def _achieved(lot) -> Decimal:
    """The lot's validated hours as its page and the reports read them (the reporting summary)."""
    lot = Lot.objects.annotate(achieved=achieved_hours_subquery()).get(pk=lot.pk)
    return progress_of(lot, today=datetime.date(2026, 11, 26)).achieved_hours


def _snapshot(declaration):
    records = HoursRecord.objects.filter(month=MARCH).order_by("pk").values_list("pk", "hours", "status", "version")
    return (Declaration.objects.get(pk=declaration.pk).status, DeclarationEvent.objects.count(), list(records))


def test_the_whole_workflow_and_the_reports_count_only_validated_hours(
    contact, owner, lot, holder, employee, second_employee
):
    _save(contact, lot, holder, (employee, "120"), (second_employee, "0"))
    declaration = _submit(contact, lot, holder)
    assert declaration.status == S.SUBMITTED
    assert set(HoursRecord.objects.values_list("status", flat=True)) == {HoursStatus.DECLARED}
    assert _achieved(lot) == 0

    declarations.request_correction(
        declaration=declaration, placements=[employee], comment="Il manque les heures du 31.", user=owner
    )
    declaration.refresh_from_db()
    assert declaration.status == S.CORRECTION_REQUESTED
    assert declaration.next_step == "À l'entreprise de corriger"
    # The row concerned is rejected with the comment, in the person's hours history; the other stays declared.
    record = HoursRecord.objects.get(placement=employee)
    assert (record.status, record.rejection_reason) == (HoursStatus.REJECTED, "Il manque les heures du 31.")
    assert HoursRecord.objects.get(placement=second_employee).status == HoursStatus.DECLARED

    _save(contact, lot, holder, (employee, "127"), (second_employee, "0"))
    declarations.resubmit(lot=lot, company=holder, month=MARCH, user=contact)
    declaration.refresh_from_db()
    assert declaration.status == S.RESUBMITTED
    assert declaration.next_step == "À la facilitatrice de valider"
    assert _achieved(lot) == 0

    declarations.validate(declaration=declaration, user=owner)
    declaration.refresh_from_db()
    assert declaration.status == S.VALIDATED
    assert set(HoursRecord.objects.values_list("status", flat=True)) == {HoursStatus.VALIDATED}
    assert _achieved(lot) == Decimal("127")

    declarations.close(declaration=declaration, user=owner)
    declaration.refresh_from_db()
    assert declaration.status == S.CLOSED

    steps = list(declaration.events.values_list("action", "from_status", "to_status", "user__email"))
    assert steps == [
        (DeclarationAction.SAVED, S.TO_DECLARE, S.TO_DECLARE, "chef@dupuis.fr"),
        (DeclarationAction.SUBMITTED, S.TO_DECLARE, S.SUBMITTED, "chef@dupuis.fr"),
        (DeclarationAction.CORRECTION_REQUESTED, S.SUBMITTED, S.CORRECTION_REQUESTED, "proprietaire@exemple.fr"),
        (DeclarationAction.SAVED, S.CORRECTION_REQUESTED, S.CORRECTION_REQUESTED, "chef@dupuis.fr"),
        (DeclarationAction.RESUBMITTED, S.CORRECTION_REQUESTED, S.RESUBMITTED, "chef@dupuis.fr"),
        (DeclarationAction.VALIDATED, S.RESUBMITTED, S.VALIDATED, "proprietaire@exemple.fr"),
        (DeclarationAction.CLOSED, S.VALIDATED, S.CLOSED, "proprietaire@exemple.fr"),
    ]
    correction = declaration.events.get(action=DeclarationAction.CORRECTION_REQUESTED)
    assert (correction.comment, correction.placements) == ("Il manque les heures du 31.", [employee.pk])
    # What changed: the hours before and after, for the row corrected only.
    corrected = declaration.events.filter(action=DeclarationAction.SAVED).last()
    assert corrected.changes == [
        {
            "placement": employee.pk,
            "hours_before": "120.00",
            "hours_after": "127.00",
            "training_before": "0.00",
            "training_after": "0.00",
        }
    ]


def _at(status, contact, owner, lot, holder, employee) -> Declaration:
    """A declaration brought to `status` through the services."""
    _save(contact, lot, holder, (employee, "100"))
    if status == S.TO_DECLARE:
        return Declaration.objects.get()
    declaration = _submit(contact, lot, holder)
    if status == S.SUBMITTED:
        return declaration
    if status in (S.CORRECTION_REQUESTED, S.RESUBMITTED):
        declarations.request_correction(declaration=declaration, placements=[employee], comment="À revoir", user=owner)
        if status == S.RESUBMITTED:
            declarations.resubmit(lot=lot, company=holder, month=MARCH, user=contact)
        return Declaration.objects.get()
    declarations.validate(declaration=declaration, user=owner)
    if status == S.CLOSED:
        declarations.close(declaration=declaration, user=owner)
    return Declaration.objects.get()


ALLOWED = {
    "submit": {S.TO_DECLARE},
    "resubmit": {S.CORRECTION_REQUESTED},
    "request_correction": {S.SUBMITTED, S.RESUBMITTED},
    "validate": {S.SUBMITTED, S.RESUBMITTED},
    "close": {S.VALIDATED},
    "reopen": {S.VALIDATED, S.CLOSED},
}
VERBS = {
    "submit": "transmettre",
    "resubmit": "retransmettre",
    "request_correction": "demander une correction de",
    "validate": "valider",
    "close": "clôturer",
    "reopen": "rouvrir",
}
INVALID = [(action, status) for action in ALLOWED for status in S if status not in ALLOWED[action]]


@pytest.mark.parametrize(("action", "status"), INVALID)
def test_every_transition_out_of_order_is_refused_and_changes_nothing(
    action, status, contact, owner, lot, holder, employee
):
    declaration = _at(status, contact, owner, lot, holder, employee)
    before = _snapshot(declaration)
    calls = {
        "submit": lambda: declarations.submit(lot=lot, company=holder, month=MARCH, user=contact),
        "resubmit": lambda: declarations.resubmit(lot=lot, company=holder, month=MARCH, user=contact),
        "request_correction": lambda: declarations.request_correction(
            declaration=declaration, placements=[employee], comment="Encore", user=owner
        ),
        "validate": lambda: declarations.validate(declaration=declaration, user=owner),
        "close": lambda: declarations.close(declaration=declaration, user=owner),
        "reopen": lambda: declarations.reopen(declaration=declaration, reason="Erreur", user=owner),
    }
    with pytest.raises(ValidationError) as refused:
        calls[action]()
    assert refused.value.code == "transition"
    (message,) = refused.value.messages
    assert message.startswith(f"On ne peut pas {VERBS[action]} cette déclaration : elle est « {status.label} » (")
    assert _snapshot(declaration) == before


def test_a_validated_or_closed_month_is_locked_for_the_company_until_reopened(contact, owner, lot, holder, employee):
    declaration = _at(S.VALIDATED, contact, owner, lot, holder, employee)
    for status in (S.VALIDATED, S.CLOSED):
        before = _snapshot(declaration)
        with pytest.raises(ValidationError) as refused:
            _save(contact, lot, holder, (employee, "10"))
        assert refused.value.code == "locked"
        assert refused.value.messages == [
            "Le mois 03/2026 est validé : ses heures sont verrouillées. Demandez à la facilitatrice de le rouvrir."
        ]
        assert _snapshot(declaration) == before
        if status == S.VALIDATED:
            declarations.close(declaration=declaration, user=owner)
    # Reopening needs a reason, logged in the timeline; the company may then correct and resubmit.
    with pytest.raises(ValidationError) as refused:
        declarations.reopen(declaration=declaration, reason="  ", user=owner)
    assert refused.value.message_dict == {"reason": ["Indiquez pourquoi vous rouvrez ce mois."]}
    declarations.reopen(declaration=declaration, reason="Heure sup. oubliée", user=owner)
    declaration.refresh_from_db()
    assert declaration.status == S.CORRECTION_REQUESTED
    assert declaration.events.last().comment == "Heure sup. oubliée"
    assert _achieved(lot) == Decimal("100")  # still validated until the company changes it
    _save(contact, lot, holder, (employee, "104"))
    assert _achieved(lot) == 0  # the changed record is « déclarée » again: out of the reports until validated
    declarations.resubmit(lot=lot, company=holder, month=MARCH, user=contact)
    declarations.validate(declaration=declaration, user=owner)
    assert _achieved(lot) == Decimal("104")


def test_a_transmitted_month_waits_for_the_facilitator(contact, owner, lot, holder, employee):
    _at(S.SUBMITTED, contact, owner, lot, holder, employee)
    with pytest.raises(ValidationError) as refused:
        _save(contact, lot, holder, (employee, "10"))
    assert refused.value.code == "waiting"
    assert HoursRecord.objects.get().hours == Decimal("100")


def test_every_row_must_be_declared_before_submitting(contact, lot, holder, employee, second_employee):
    _save(contact, lot, holder, (employee, "100"))
    with pytest.raises(ValidationError) as refused:
        _submit(contact, lot, holder)
    assert refused.value.messages == [
        "Indiquez les heures, ou « aucune activité », de chaque personne avant de transmettre : BELLEROSE Anatole."
    ]
    assert Declaration.objects.get().status == S.TO_DECLARE


def test_a_company_writes_only_its_own_rows(contact, owner, structure, lot, holder, employee):
    """Another company's placement on the same lot is not a row of the holder's declaration."""
    geiq = InsertionStructureFactory(name="GEIQ BTP 21")
    theirs = people.start_placement(
        beneficiary=BeneficiaryFactory(structure=structure),
        lot=lot,
        employer=geiq,
        modality="hire_cdd",
        start_date=datetime.date(2026, 1, 5),
        end_date=datetime.date(2026, 6, 30),
    )
    with pytest.raises(ValidationError) as refused:
        _save(contact, lot, holder, (employee, "10"), (theirs, "10"))
    assert refused.value.code == "not_a_row"
    assert not HoursRecord.objects.exists()
    # Nor can it declare for the other company, which it does not represent.
    with pytest.raises(ValidationError) as refused:
        declarations.save_rows(lot=lot, company=geiq, month=MARCH, entries=[_entry(theirs, "10")], user=contact)
    assert refused.value.code == "not_allowed"
    # And a facilitator's transition is refused to the company.
    declaration = _at(S.SUBMITTED, contact, owner, lot, holder, employee)
    with pytest.raises(ValidationError) as refused:
        declarations.validate(declaration=declaration, user=contact)
    assert refused.value.code == "not_allowed"
    assert Declaration.objects.get().status == S.SUBMITTED


def test_a_future_month_is_refused(contact, lot, holder, employee):
    with pytest.raises(ValidationError) as refused:
        declarations.submit(lot=lot, company=holder, month=datetime.date(2099, 1, 1), user=contact)
    assert refused.value.message_dict == {
        "month": ["Le mois 01/2099 n'est pas encore commencé : on ne déclare pas un mois futur."]
    }
    assert not Declaration.objects.exists()


def test_a_correction_needs_a_comment_and_rows_of_the_declaration(contact, owner, lot, holder, employee):
    declaration = _at(S.SUBMITTED, contact, owner, lot, holder, employee)
    with pytest.raises(ValidationError) as refused:
        declarations.request_correction(declaration=declaration, placements=[], comment=" ", user=owner)
    assert refused.value.message_dict == {
        "comment": ["Expliquez ce qui doit être corrigé."],
        "placements": ["Cochez au moins une ligne à corriger."],
    }
    assert Declaration.objects.get().status == S.SUBMITTED
