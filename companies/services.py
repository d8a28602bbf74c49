"""Writes on company accounts (issue 15, point 1): invite a contact for given lots, revoke an access, accept an
invitation. Each event goes to the journal (audit.CompanyAccessEvent, through the audit hook). The e-mails are sent
by the caller (companies.emails), which knows the site's address."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from audit.choices import CompanyAccessAction
from companies.choices import Capacity
from companies.models import CompanyAccess
from config.hooks import audit
from organisations.models import Membership, Role, User
from organisations.scoping import scope_of

NOT_AN_EMPLOYER = "Choisissez une entreprise ou une structure d'insertion (l'employeur des personnes sur le lot)."
NO_LOT = "Choisissez au moins un lot."
NOT_FOLLOWED = "Seule la structure qui suit le marché du lot {lot} peut y inviter une entreprise."
ALREADY_GRANTED = "Cette personne a déjà accès au lot {lot} pour cette entreprise."
OTHER_ROLE = (
    "Cette adresse est celle d'un compte d'une structure de facilitation, d'un acheteur ou d'une coordination : "
    "invitez l'adresse de la personne dans l'entreprise."
)
ALREADY_REVOKED = "Cet accès a déjà été retiré."


@dataclass
class Invitation:
    """What an invitation did: the contact's account, whether it still has to choose its password (it gets a link;
    otherwise a notification that lots were added), and the accesses created."""

    user: User
    needs_password: bool
    accesses: list[CompanyAccess] = field(default_factory=list)


def _check_inviter(user, lots) -> None:
    scope = scope_of(user)
    for lot in lots:
        if not scope.is_superuser and lot.market.facilitator_id not in scope.facilitation_editor_ids:
            raise ValidationError({"lots": ValidationError(NOT_FOLLOWED.format(lot=lot), code="not_followed")})


@transaction.atomic
def invite_contact(*, company, lots, email: str, invited_by, first_name: str = "", last_name: str = "") -> Invitation:
    """Give a company contact access to `lots`: as holder when the company holds the lot, else as employer of
    placements on it (subcontractor, temp agency, GEIQ, SIAE). An unknown address gets an account without a usable
    password (the invitation link sets it); a known one gets the lots added. The inviter must be an admin or member of
    the structure following each lot's market (or the superuser)."""
    if not company.is_employer_kind:
        raise ValidationError({"company": ValidationError(NOT_AN_EMPLOYER, code="not_an_employer")})
    lots = list(lots)
    if not lots:
        raise ValidationError({"lots": ValidationError(NO_LOT, code="no_lot")})
    _check_inviter(invited_by, lots)
    email = User.objects.normalize_email(email.strip()).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
        user.set_unusable_password()
        user.save()
    elif user.is_superuser or user.memberships.exclude(organisation__kind__in=("company", "insertion")).exists():
        raise ValidationError({"email": ValidationError(OTHER_ROLE, code="other_role")})
    membership, _ = Membership.objects.get_or_create(user=user, organisation=company, defaults={"role": Role.MEMBER})
    needs_password = not user.has_usable_password()
    invitation = Invitation(user=user, needs_password=needs_password)
    for lot in lots:
        if CompanyAccess.objects.active().filter(membership=membership, lot=lot).exists():
            raise ValidationError({"email": ValidationError(ALREADY_GRANTED.format(lot=lot), code="already_granted")})
        access = CompanyAccess.objects.create(
            membership=membership,
            lot=lot,
            capacity=Capacity.HOLDER if lot.contractor_id == company.pk else Capacity.EMPLOYER,
            granted_by_id=lot.market.facilitator_id,
            granted_by_user=invited_by if getattr(invited_by, "is_authenticated", False) else None,
        )
        action = CompanyAccessAction.INVITED if needs_password else CompanyAccessAction.GRANTED
        audit.record_company_access(access=access, action=action, user=invited_by)
        invitation.accesses.append(access)
    return invitation


@transaction.atomic
def revoke_access(*, access: CompanyAccess, user) -> CompanyAccess:
    """Close one access (the contact keeps its account and its other lots); the row stays as history."""
    access = CompanyAccess.objects.select_for_update().get(pk=access.pk)
    if access.revoked_at is not None:
        raise ValidationError(ALREADY_REVOKED, code="already_revoked")
    access.revoked_at = timezone.now()
    access.revoked_by_user = user if getattr(user, "is_authenticated", False) else None
    access.save(update_fields=["revoked_at", "revoked_by_user"])
    audit.record_company_access(access=access, action=CompanyAccessAction.REVOKED, user=user)
    return access


@transaction.atomic
def accept_invitation(*, user: User, password: str) -> User:
    """Set the contact's password from a checked invitation link (companies.tokens): the link dies with the old
    password hash. Every pending access of the contact is marked accepted, in the journal too."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.set_password(password)
    user.save(update_fields=["password"])
    now = timezone.now()
    pending = list(CompanyAccess.objects.active().filter(membership__user=user, accepted_at=None))
    for access in pending:
        access.accepted_at = now
        access.save(update_fields=["accepted_at"])
        audit.record_company_access(access=access, action=CompanyAccessAction.ACCEPTED, user=user)
    return user
