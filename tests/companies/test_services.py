"""Company accounts (issue 15, point 1): invite, revoke, accept; each event in the journal; refusals in French that
change nothing."""

import pytest
from django.core.exceptions import ValidationError

from audit.models import CompanyAccessEvent
from companies import services
from companies.choices import Capacity
from companies.models import CompanyAccess, lots_of, placements_of
from organisations.models import Membership, Organisation, Role, User
from organisations.scoping import scope_of
from tests.markets.factories import LotFactory, MarketFactory
from tests.organisations.factories import BuyerFactory, CompanyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _invite(lot, company, inviter, email="chef@dupuis.fr", **extra):
    return services.invite_contact(company=company, lots=[lot], email=email, invited_by=inviter, **extra)


def test_inviting_a_new_contact_creates_an_account_without_password_and_a_holder_access(owner, lot, holder):
    invitation = _invite(lot, holder, owner, email="  Chef@Dupuis.FR ", first_name="Alix", last_name="Dupuis")

    user = invitation.user
    assert user.email == "chef@dupuis.fr" and user.get_full_name() == "Alix Dupuis"
    assert not user.has_usable_password() and invitation.needs_password
    assert Membership.objects.get(user=user).organisation == holder
    assert Membership.objects.get(user=user).role == Role.MEMBER
    (access,) = invitation.accesses
    assert (access.lot, access.capacity, access.granted_by, access.granted_by_user) == (
        lot,
        Capacity.HOLDER,
        lot.market.facilitator,
        owner,
    )
    event = CompanyAccessEvent.objects.get()
    assert (event.action, event.user, event.contact_email, event.structure) == (
        "invited",
        owner,
        "chef@dupuis.fr",
        lot.market.facilitator,
    )


def test_a_company_that_does_not_hold_the_lot_is_invited_as_employer(owner, lot, subcontractor):
    (access,) = _invite(lot, subcontractor, owner).accesses
    assert access.capacity == Capacity.EMPLOYER


def test_an_existing_company_account_gets_the_lot_added_without_a_new_link(owner, lot, holder, structure):
    other_lot = LotFactory(market=MarketFactory(facilitator=structure), contractor=holder)
    first = _invite(lot, holder, owner)
    services.accept_invitation(user=first.user, password="un-mot-de-passe-solide-2026")

    second = _invite(other_lot, holder, owner)

    assert second.user == first.user and not second.needs_password
    assert User.objects.filter(email="chef@dupuis.fr").count() == 1
    assert set(lots_of(_fresh(first.user))) == {lot, other_lot}
    assert CompanyAccessEvent.objects.order_by("pk").last().action == "granted"


def _fresh(user):
    return User.objects.get(pk=user.pk)


def test_only_an_employer_can_be_invited(owner, lot):
    buyer = BuyerFactory()
    with pytest.raises(ValidationError) as error:
        _invite(lot, buyer, owner)
    assert error.value.message_dict == {
        "company": ["Choisissez une entreprise ou une structure d'insertion (l'employeur des personnes sur le lot)."]
    }
    assert not User.objects.filter(email="chef@dupuis.fr").exists()


@pytest.mark.parametrize("who", ["reader", "outsider"])
def test_only_the_structure_following_the_lot_invites(request, who, lot, holder):
    with pytest.raises(ValidationError) as error:
        _invite(lot, holder, request.getfixturevalue(who))
    assert error.value.message_dict == {
        "lots": [f"Seule la structure qui suit le marché du lot {lot} peut y inviter une entreprise."]
    }
    assert not User.objects.filter(email="chef@dupuis.fr").exists()
    assert not CompanyAccess.objects.exists() and not CompanyAccessEvent.objects.exists()


def test_no_lot_is_refused(owner, holder):
    with pytest.raises(ValidationError) as error:
        services.invite_contact(company=holder, lots=[], email="chef@dupuis.fr", invited_by=owner)
    assert error.value.message_dict == {"lots": ["Choisissez au moins un lot."]}


def test_a_facilitator_address_cannot_become_a_company_contact(owner, reader, lot, holder):
    with pytest.raises(ValidationError) as error:
        _invite(lot, holder, owner, email=reader.email)
    assert error.value.message_dict == {
        "email": [
            "Cette adresse est celle d'un compte d'une structure de facilitation, d'un acheteur ou d'une coordination "
            ": invitez l'adresse de la personne dans l'entreprise."
        ]
    }
    assert not Membership.objects.filter(user=reader, organisation=holder).exists()


def test_a_second_active_access_to_the_same_lot_is_refused_and_a_revoked_one_can_be_granted_again(owner, lot, holder):
    first = _invite(lot, holder, owner)
    with pytest.raises(ValidationError) as error:
        _invite(lot, holder, owner)
    assert error.value.message_dict == {"email": [f"Cette personne a déjà accès au lot {lot} pour cette entreprise."]}
    assert CompanyAccess.objects.count() == 1

    services.revoke_access(access=first.accesses[0], user=owner)
    again = _invite(lot, holder, owner)
    assert CompanyAccess.objects.count() == 2 and again.accesses[0].is_active


def test_revoking_closes_the_lot_keeps_the_row_and_is_journalled(owner, lot, holder, employee):
    invitation = _invite(lot, holder, owner)
    contact = invitation.user
    assert list(placements_of(_fresh(contact))) == [employee]

    access = services.revoke_access(access=invitation.accesses[0], user=owner)

    assert access.revoked_at is not None and access.revoked_by_user == owner
    assert not lots_of(_fresh(contact)).exists() and not placements_of(_fresh(contact)).exists()
    assert CompanyAccessEvent.objects.order_by("pk").last().action == "revoked"
    with pytest.raises(ValidationError) as error:
        services.revoke_access(access=access, user=owner)
    assert error.value.messages == ["Cet accès a déjà été retiré."]
    assert CompanyAccessEvent.objects.filter(action="revoked").count() == 1


def test_accepting_sets_the_password_and_marks_every_pending_access(owner, lot, holder):
    invitation = _invite(lot, holder, owner)

    user = services.accept_invitation(user=invitation.user, password="un-mot-de-passe-solide-2026")

    assert user.check_password("un-mot-de-passe-solide-2026")
    assert CompanyAccess.objects.get().accepted_at is not None
    assert CompanyAccessEvent.objects.order_by("pk").last().action == "accepted"


def test_a_contact_sees_its_own_employees_only(owner, lot, holder, subcontractor, employee, structure):
    """Holder or employer: each company sees the placements it employs on the lots opened to it, never another
    company's placement on the same lot, nor its own placements on a lot not opened to it."""
    from tests.beneficiaries.factories import PlacementFactory

    theirs = PlacementFactory(lot=lot, employer=subcontractor, beneficiary__structure=structure)
    elsewhere = PlacementFactory(lot__market__facilitator=structure, lot__contractor=holder, employer=holder)
    holder_contact = _invite(lot, holder, owner).user
    sub_contact = _invite(lot, subcontractor, owner, email="rh@geiq.fr").user

    assert list(placements_of(_fresh(holder_contact))) == [employee]
    assert list(placements_of(_fresh(sub_contact))) == [theirs]
    assert elsewhere not in placements_of(_fresh(holder_contact))


def test_the_scope_of_a_contact_is_company_only_and_sees_no_directory(owner, lot, holder):
    contact = _fresh(_invite(lot, holder, owner).user)
    CompanyFactory(name="Concurrent SA")

    scope = scope_of(contact)
    assert scope.is_company_only and scope.company_ids == {holder.pk}
    assert list(Organisation.objects.visible_to(contact)) == [holder]
    assert not scope_of(owner).is_company_only
    assert not scope_of(UserFactory()).is_company_only
