"""Rights as small predicates over the user's scope (organisations.scoping), reused by views, templates
(the `rights` template tags) and API permissions.

Roles: admin and member of a facilitation structure edit what their structure owns; readers only read;
buyers and coordination bodies never edit and never see who the people are.
"""

from organisations.models import Organisation, OrganisationKind, Role
from organisations.scoping import scope_of

SHARED_KINDS = (OrganisationKind.BUYER, OrganisationKind.COMPANY, OrganisationKind.INSERTION)


def owning_structure_ids(obj) -> set[int]:
    """Facilitation structures that own an object: the one following the market, or the person. Each model above
    this layer says it itself (`owning_structure_ids()`): rights never import the models they judge."""
    if isinstance(obj, Organisation):
        return {obj.pk} if obj.kind == OrganisationKind.FACILITATION else set()
    owners = getattr(obj, "owning_structure_ids", None)
    return set(owners()) if owners is not None else set()


def is_facilitator(user) -> bool:
    """Admin or member of a facilitation structure (in the current scope): may create records."""
    scope = scope_of(user)
    return scope.is_superuser or bool(scope.facilitation_editor_ids)


def can_edit(user, obj) -> bool:
    """Admins and members of the owning facilitation structure; not readers, not buyers.

    Shared organisations (buyers, companies, insertion structures) are reference data that any
    facilitator may edit; a coordination body is edited by its own admins.
    """
    scope = scope_of(user)
    if scope.is_superuser:
        return True
    if isinstance(obj, Organisation):
        if obj.kind in SHARED_KINDS:
            return bool(scope.facilitation_editor_ids)
        if obj.kind == OrganisationKind.COORDINATION:
            return obj.pk in scope.admin_ids
    return bool(owning_structure_ids(obj) & scope.facilitation_editor_ids)


def can_change_person(user, placement) -> bool:
    """Give a contract to another person: admins and members of the structure following its current person (the
    market's structure edits the contract, but never takes it over: beneficiaries.services.check_person_change)."""
    scope = scope_of(user)
    return scope.is_superuser or placement.beneficiary.structure_id in scope.facilitation_editor_ids


def can_manage_members(user, organisation) -> bool:
    scope = scope_of(user)
    return scope.is_superuser or scope.roles.get(organisation.pk) == Role.ADMIN


def can_see_people(user) -> bool:
    """Pages and API resources about persons (people, contracts, hours rows, outcomes, change histories), even
    pseudonymised: the facilitation structures and the superuser only. Buyers and coordination bodies see
    aggregates (DOMAIN.md §8 and §9): such a page is a 404 for them."""
    scope = scope_of(user)
    return scope.is_superuser or bool(scope.facilitation_ids)


def can_see_identity(user, beneficiary) -> bool:
    """Only the facilitators (any role) of the structure following the person (DOMAIN.md §9)."""
    scope = scope_of(user)
    return scope.is_superuser or beneficiary.structure_id in scope.facilitation_ids


def can_see_sensitive_criteria(user, beneficiary) -> bool:
    """Disability-related criteria: admins and members of the following structure, not readers."""
    scope = scope_of(user)
    return scope.is_superuser or beneficiary.structure_id in scope.facilitation_editor_ids


def can_edit_hours(user, placement) -> bool:
    """Declare or correct hours: admins and members of a structure owning the placement."""
    return can_edit(user, placement)


def can_validate_hours(user, placement) -> bool:
    """Validate or reject hours: admins and members of the structure following the lot's market."""
    scope = scope_of(user)
    return scope.is_superuser or placement.lot.market.facilitator_id in scope.facilitation_editor_ids
