"""Membership management (writes spanning users and memberships)."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from organisations.models import Membership, Role, User


def _other_admins(membership: Membership):
    return (
        Membership.objects.select_for_update()
        .filter(organisation_id=membership.organisation_id, role=Role.ADMIN)
        .exclude(pk=membership.pk)
    )


@transaction.atomic
def add_member(*, organisation, email: str, role: str, first_name: str = "", last_name: str = "") -> tuple:
    """Add a person to an organisation; create their account when the address is unknown.

    Returns (membership, created_user). A new account gets a random password: the person sets their own
    through the password-reset e-mail the caller sends."""
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User.objects.create_user(
            email=email, password=secrets.token_urlsafe(32), first_name=first_name, last_name=last_name
        )
    elif Membership.objects.filter(user=user, organisation=organisation).exists():
        raise ValidationError("Cette personne est déjà membre de cette organisation.")
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    return membership, created


@transaction.atomic
def change_role(*, membership: Membership, role: str) -> Membership:
    if membership.role == Role.ADMIN and role != Role.ADMIN and not _other_admins(membership).exists():
        raise ValidationError("Impossible de retirer le rôle d'administrateur·rice au dernier administrateur·rice.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    if membership.role == Role.ADMIN and not _other_admins(membership).exists():
        raise ValidationError("Impossible de retirer le dernier administrateur·rice de l'organisation.")
    membership.delete()
