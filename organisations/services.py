"""Writes on organisations: their details (with their history) and their members."""

import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from config.hooks import audit, summary
from organisations.choices import OrganisationKind
from organisations.models import Membership, Organisation, Role, User
from organisations.scoping import scope_of

KIND_UNCHANGEABLE = "La nature d'une organisation ne se change pas."
DEADLINE_ADMINS_ONLY = (
    "Seuls les administrateur·rices d'une structure de facilitation changent sa date limite de déclaration."
)
# Details an organisation's page edits (the form, the API); `kind` is given only to be refused when it changes.
ORGANISATION_FIELDS = frozenset(
    {
        "name",
        "kind",
        "buyer_type",
        "insertion_type",
        "siret",
        "commune",
        "region",
        "email",
        "phone",
        "declaration_deadline_day",  # a facilitation structure's, edited by its admins (issue 16)
    }
)


@transaction.atomic
def create_organisation(*, user=None, **fields) -> Organisation:
    """Create an organisation, from the web form, the API or the admin alike. The model's rules (Organisation.clean:
    a buyer's or an insertion structure's type, an employer's SIRET; its constraints) apply to every route.
    Nothing copies a new organisation in the reports yet: no summary refresh. `user` is who creates it (kept for
    the callers' symmetry with update_organisation)."""
    unknown = set(fields) - ORGANISATION_FIELDS
    if unknown:
        raise TypeError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    organisation = Organisation(**fields)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def update_organisation(*, organisation: Organisation, user, **changes) -> Organisation:
    """Change an organisation's details, from the web form or the API alike.

    Its nature never changes (a buyer turned into a company would lose its markets, a structure turned into a
    buyer would lock its members out); every other change is kept in its history (audit.OrganisationChange),
    which its admins read on its page. Refusals are French ValidationErrors on the field at fault."""
    unknown = set(changes) - ORGANISATION_FIELDS
    if unknown:
        raise TypeError(f"Champs inconnus : {', '.join(sorted(unknown))}")
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if "kind" in changes and changes["kind"] != organisation.kind:
        raise ValidationError({"kind": ValidationError(KIND_UNCHANGEABLE, code="kind_unchangeable")})
    deadline = changes.get("declaration_deadline_day", organisation.declaration_deadline_day)
    if deadline != organisation.declaration_deadline_day:
        scope = scope_of(user)
        if organisation.kind != OrganisationKind.FACILITATION or not (
            scope.is_superuser or organisation.pk in scope.admin_ids
        ):
            raise ValidationError(
                {"declaration_deadline_day": ValidationError(DEADLINE_ADMINS_ONLY, code="deadline_admins_only")}
            )
    before = {name: getattr(organisation, _attname(name)) for name in changes}
    for name, value in changes.items():
        setattr(organisation, name, value)
    organisation.full_clean()
    fields = {
        name: (before[name], getattr(organisation, _attname(name)))
        for name in changes
        if before[name] != getattr(organisation, _attname(name))
    }
    if not fields:
        return organisation
    organisation.save()
    audit.record_organisation_change(organisation=organisation, user=user, fields=fields)
    summary.refresh_after_edit(organisation)  # reports copy the type of a buyer
    return organisation


ORGANISATION_IN_USE = (
    "Cette organisation est utilisée (marchés, lots, contrats, participant·es ou opérations) : elle ne peut pas être "
    "supprimée."
)


def delete_refusal(*, organisation: Organisation) -> str:
    """Why the organisation cannot be removed ("" when it can): it is referenced by domain data, whose history
    and reports it carries. Only its memberships go with it."""
    for relation in Organisation._meta.related_objects:
        if relation.related_model is Membership or getattr(relation.on_delete, "__name__", "") == "CASCADE":
            continue
        accessor = relation.get_accessor_name()
        if relation.one_to_one:
            if relation.related_model._default_manager.filter(**{relation.field.name: organisation}).exists():
                return ORGANISATION_IN_USE
        elif getattr(organisation, accessor).exists():
            return ORGANISATION_IN_USE
    return ""


@transaction.atomic
def delete_organisation(*, organisation: Organisation) -> None:
    """Remove an unused organisation (a duplicate created by mistake) with its memberships. Nothing in the reports
    copies an organisation that nothing references: no summary refresh."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    reason = delete_refusal(organisation=organisation)
    if reason:
        raise ValidationError({"organisation": ValidationError(reason, code="in_use")})
    organisation.delete()


def _attname(name: str) -> str:
    """The stored column of a field (`commune_id` for `commune`), so the history holds plain values."""
    return Organisation._meta.get_field(name).attname


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
        raise ValidationError(
            {"email": ValidationError("Cette personne est déjà membre de cette organisation.", code="already_member")}
        )
    membership = Membership.objects.create(user=user, organisation=organisation, role=role)
    return membership, created


@transaction.atomic
def change_role(*, membership: Membership, role: str) -> Membership:
    if membership.role == Role.ADMIN and role != Role.ADMIN and not _other_admins(membership).exists():
        raise ValidationError(
            {
                "role": ValidationError(
                    "Impossible de retirer le rôle d'administrateur·rice au dernier administrateur·rice.",
                    code="last_admin",
                )
            }
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    if membership.role == Role.ADMIN and not _other_admins(membership).exists():
        raise ValidationError(
            {
                "role": ValidationError(
                    "Impossible de retirer le dernier administrateur·rice de l'organisation.", code="last_admin"
                )
            }
        )
    membership.delete()


INCOMPLETE_SUFFIX = "(à compléter)"


@transaction.atomic
def incomplete_organisations(*, buyer_sirets: set[str], holder_sirets: set[str]) -> tuple[dict, int]:
    """{siret: (id, kind)} for the given SIRETs (already checked), creating the missing ones as organisations to
    be completed: a buyer "Acheteur <SIRET> (à compléter)" of type "autre organisme public", a holder "Titulaire
    <SIRET> (à compléter)" as a company. Used by the import of published markets (markets.decp), in batches:
    one query to read, one to create. Returns the mapping and the number created."""
    from organisations.choices import BuyerType, OrganisationKind

    wanted = set(buyer_sirets) | set(holder_sirets)
    found = {
        siret: (pk, kind)
        for pk, siret, kind in Organisation.objects.filter(siret__in=wanted).values_list("pk", "siret", "kind")
    }
    missing = []
    for siret in sorted(wanted - set(found)):
        if siret in buyer_sirets:
            missing.append(
                Organisation(
                    name=f"Acheteur {siret} {INCOMPLETE_SUFFIX}",
                    kind=OrganisationKind.BUYER,
                    buyer_type=BuyerType.OTHER_PUBLIC,
                    siret=siret,
                )
            )
        else:
            missing.append(
                Organisation(name=f"Titulaire {siret} {INCOMPLETE_SUFFIX}", kind=OrganisationKind.COMPANY, siret=siret)
            )
    if missing:
        Organisation.objects.bulk_create(missing)
        found.update(
            {
                siret: (pk, kind)
                for pk, siret, kind in Organisation.objects.filter(siret__in=[o.siret for o in missing]).values_list(
                    "pk", "siret", "kind"
                )
            }
        )
    return found, len(missing)
