"""New-person proposals: the company proposes, the facilitator of the lot accepts (person found or created, placement
through beneficiaries.services, employer = the company) or refuses with a reason; each refusal on its field, nothing
half-written; other companies, the buyer and readers cannot act."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from beneficiaries.choices import Criterion, Modality
from beneficiaries.models import Beneficiary, BeneficiaryCriterion, Placement
from companies import proposals
from companies.choices import ProposalStatus
from companies.models import PersonProposal
from organisations.models import Role
from tests.beneficiaries.factories import BeneficiaryFactory
from tests.organisations.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PROPOSE = "/entreprise/lots/{lot}/proposer/"
DETAIL = "/entreprise/suivi/proposition/{pk}/"
FORM = {
    "last_name": "Vasquerel",
    "first_name": "Ombeline",
    "birth_date": "14/07/1991",
    "modality": Modality.HIRE_CDD,
    "start_date": "02/03/2026",
    "end_date": "",
    "weekly_hours": "35",
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _propose(contact, lot, **changes):
    return _client(contact).post(PROPOSE.format(lot=lot.pk), {**FORM, **changes}, follow=True)


def test_the_company_proposes_and_sees_the_status_on_its_lot_page(contact, lot, holder):
    response = _propose(contact, lot)
    page = response.content.decode()
    assert "Proposition envoyée" in page
    proposal = PersonProposal.objects.get()
    assert (proposal.company, proposal.proposed_by, proposal.status) == (holder, contact, ProposalStatus.PROPOSED)
    assert proposal.birth_date == datetime.date(1991, 7, 14)
    assert proposal.weekly_hours == 35
    assert "VASQUEREL Ombeline" in page and "Proposée" in page
    assert "14/07/1991" not in page  # never a birth date on the company's pages
    assert not Beneficiary.objects.filter(last_name="Vasquerel").exists()  # nothing created before acceptance


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"last_name": " "}, "last_name", "Ce champ est obligatoire."),
        ({"birth_date": "31/02/1990"}, "birth_date", "Saisissez une date valide."),
        ({"birth_date": "01/01/2015"}, "birth_date", "La personne doit avoir au moins 16 ans au début du contrat."),
        ({"modality": "stage"}, "modality", "Sélectionnez un choix valide."),
        ({"start_date": "01/01/2030"}, "start_date", "Le contrat doit commencer pendant l&#x27;exécution du lot"),
        ({"end_date": "01/01/2026"}, "end_date", "La fin du contrat ne peut pas précéder son début."),
        ({"weekly_hours": "70"}, "weekly_hours", "Indiquez une durée hebdomadaire entre 0 et 48 heures."),
    ],
)
def test_a_refused_proposal_names_its_field_and_writes_nothing(contact, lot, changes, field, message):
    response = _propose(contact, lot, **changes)
    assert response.status_code == 400
    page = response.content.decode()
    start = page.index(f'id="field-{field}"')
    assert message in page[start : page.index("</div>", start)], page[start : start + 800]
    assert not PersonProposal.objects.exists()


def test_the_same_pending_person_is_not_proposed_twice(contact, lot):
    _propose(contact, lot)
    response = _propose(contact, lot, last_name="VASQUEREL")
    assert "Vous avez déjà proposé cette personne sur ce lot" in response.content.decode()
    assert PersonProposal.objects.count() == 1


def _proposal(contact, lot):
    _propose(contact, lot)
    return PersonProposal.objects.get()


def test_the_facilitator_sees_the_pending_proposal_and_accepts_a_new_person(contact, owner_client, lot, holder):
    proposal = _proposal(contact, lot)
    lot_page = owner_client.get(f"/lots/{lot.pk}/").content.decode()
    assert f"/entreprise/suivi/proposition/{proposal.pk}/" in lot_page and "VASQUEREL Ombeline" in lot_page
    page = owner_client.get(DETAIL.format(pk=proposal.pk)).content.decode()
    assert 'id="new-person"' in page and "14/07/1991" in page
    # A new person needs what the structure must know: on its fields, nothing written.
    response = owner_client.post(DETAIL.format(pk=proposal.pk), {"action": "accept", "end_date": "31/08/2026"})
    assert response.status_code == 400
    assert "indiquez son sexe et son prescripteur" in response.content.decode()
    assert not Beneficiary.objects.filter(last_name="Vasquerel").exists()
    response = owner_client.post(
        DETAIL.format(pk=proposal.pk),
        {"action": "accept", "end_date": "31/08/2026", "sex": "F", "prescriber_type": "plie"},
        follow=True,
    )
    assert "Proposition acceptée" in response.content.decode()
    proposal.refresh_from_db()
    placement = proposal.placement
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.decided_at is not None
    assert (placement.employer, placement.lot, placement.modality) == (holder, lot, Modality.HIRE_CDD)
    assert (placement.start_date, placement.end_date) == (datetime.date(2026, 3, 2), datetime.date(2026, 8, 31))
    assert placement.beneficiary.birth_date == datetime.date(1991, 7, 14)
    assert placement.beneficiary.structure == lot.market.facilitator
    # The company sees the status and, now, the person on its declaration grid.
    company = _client(contact)
    assert "Acceptée" in company.get(f"/entreprise/lots/{lot.pk}/").content.decode()
    assert "VASQUEREL Ombeline" in company.get(f"/entreprise/lots/{lot.pk}/declaration/2026-03/").content.decode()
    # Decided: a second decision is refused and changes nothing.
    with pytest.raises(ValidationError, match="déjà été examinée"):
        proposals.refuse(proposal=proposal, user=proposal.decided_by, reason="non")


def test_acceptance_reuses_the_person_the_structure_follows(contact, owner, structure, lot):
    person = BeneficiaryFactory(
        structure=structure, last_name="VASQUEREL", first_name="ombeline", birth_date=datetime.date(1991, 7, 14)
    )
    proposal = _proposal(contact, lot)
    page = _client(owner).get(DETAIL.format(pk=proposal.pk)).content.decode()
    assert 'id="existing-person"' in page
    proposals.accept(proposal=proposal, user=owner, end_date=datetime.date(2026, 9, 30))
    proposal.refresh_from_db()
    assert proposal.placement.beneficiary == person
    assert Beneficiary.objects.filter(last_name__iexact="Vasquerel").count() == 1


def test_an_ineligible_person_is_refused_and_nothing_is_half_written(contact, owner, lot):
    lot.clause.eligible_criteria = [Criterion.LONG_TERM_JOB_SEEKER]
    lot.clause.save()
    proposal = _proposal(contact, lot)
    with pytest.raises(ValidationError) as caught:
        proposals.accept(
            proposal=proposal, user=owner, end_date=datetime.date(2026, 9, 30), sex="F", prescriber_type="plie"
        )
    assert "aucun des critères d'éligibilité" in str(caught.value)
    # The person created in the same transaction is rolled back with the refusal.
    assert not Beneficiary.objects.filter(last_name="Vasquerel").exists()
    assert PersonProposal.objects.get().status == ProposalStatus.PROPOSED
    # With the criterion the facilitator checked, it goes through.
    proposals.accept(
        proposal=proposal,
        user=owner,
        end_date=datetime.date(2026, 9, 30),
        sex="F",
        prescriber_type="plie",
        criterion=Criterion.LONG_TERM_JOB_SEEKER,
        validated_on=datetime.date(2026, 2, 20),
        evidence_type="france_travail_certificate",
    )
    assert BeneficiaryCriterion.objects.get().criterion == Criterion.LONG_TERM_JOB_SEEKER
    assert Placement.objects.filter(beneficiary__last_name="Vasquerel").count() == 1


def test_the_facilitator_refuses_with_a_reason_the_company_reads(contact, owner_client, lot):
    proposal = _proposal(contact, lot)
    response = owner_client.post(DETAIL.format(pk=proposal.pk), {"action": "refuse", "reason": " "})
    assert response.status_code == 400 and "Ce champ est obligatoire." in response.content.decode()
    assert PersonProposal.objects.get().status == ProposalStatus.PROPOSED
    owner_client.post(DETAIL.format(pk=proposal.pk), {"action": "refuse", "reason": "Déjà en poste ailleurs."})
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REFUSED and proposal.refusal_reason == "Déjà en poste ailleurs."
    page = _client(contact).get(f"/entreprise/lots/{lot.pk}/").content.decode()
    assert "Refusée" in page and "Déjà en poste ailleurs." in page
    assert not Placement.objects.exists()


def test_who_reaches_the_proposals(contact, owner, reader_client, outsider_client, lot, holder):
    from companies.services import accept_invitation, invite_contact
    from tests.markets.factories import LotFactory
    from tests.organisations.factories import CompanyFactory

    proposal = _proposal(contact, lot)
    rival = CompanyFactory(name="Rival Construction")
    rival_lot = LotFactory(market=lot.market, number=2, contractor=rival)
    invitation = invite_contact(company=rival, lots=[rival_lot], email="rh@rival.fr", invited_by=owner)
    rival_contact = accept_invitation(user=invitation.user, password="un-autre-mot-de-passe-2026")
    buyer = UserFactory(email="achat@ville.fr")
    MembershipFactory(user=buyer, organisation=lot.market.buyer, role=Role.ADMIN)
    accept = {"action": "accept", "end_date": "31/08/2026", "sex": "F", "prescriber_type": "plie"}
    # Another company: not its lot (404), not its proposal (404); the buyer and another structure: 404.
    for client in (_client(rival_contact), _client(buyer), outsider_client):
        assert client.get(PROPOSE.format(lot=lot.pk)).status_code == 404
        assert client.post(PROPOSE.format(lot=lot.pk), FORM).status_code == 404
        assert client.get(DETAIL.format(pk=proposal.pk)).status_code == 404
        assert client.post(DETAIL.format(pk=proposal.pk), accept).status_code == 404
    # The company itself cannot validate its own proposal: the facilitator's page is closed to it.
    assert _client(contact).get(DETAIL.format(pk=proposal.pk)).status_code == 404
    assert _client(contact).post(DETAIL.format(pk=proposal.pk), accept).status_code == 404
    # A reader of the structure sees it, and cannot decide (403).
    assert reader_client.get(DETAIL.format(pk=proposal.pk)).status_code == 200
    assert reader_client.post(DETAIL.format(pk=proposal.pk), accept).status_code == 403
    assert PersonProposal.objects.get().status == ProposalStatus.PROPOSED
    assert not Placement.objects.exists()
    # The buyer's lot page shows no proposal (names are for the structure following the market).
    assert "Vasquerel" not in _client(buyer).get(f"/lots/{lot.pk}/").content.decode().title()
