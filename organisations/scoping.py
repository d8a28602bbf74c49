"""Who sees what (DOMAIN.md §9): the current organisation of a web request and the scope of a user.

Decision: in a web request the user works *as* one organisation at a time, the one shown in the header.
It is the organisation chosen with the switcher (stored in the session), or by default the first of their
memberships (ordered by organisation name). `CurrentOrganisationMiddleware` pins it on `request.user`, so
every `Model.objects.visible_to(user)` of that request is scoped to that single membership: what you see is
what the header says. Outside a web request (API token, shell, management commands) nothing is pinned and
the scope is the union of all the user's memberships.

The scope is computed once per user object (one query) and cached on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q

from organisations.choices import OrganisationKind, Role

if TYPE_CHECKING:  # the models call this module (visible_to): it reaches them through the user, not an import
    from organisations.models import Membership, Organisation

SESSION_KEY = "clausier_current_organisation_id"
_PINNED_ATTR = "_clausier_current_organisation_id"
_SCOPE_ATTR = "_clausier_scope"
_MEMBERSHIPS_ATTR = "_clausier_memberships"


@dataclass(frozen=True)
class Scope:
    """The organisations through which a user sees data, grouped by what they give access to."""

    is_superuser: bool = False
    # Facilitation structures, by role.
    facilitation_ids: frozenset[int] = frozenset()
    facilitation_editor_ids: frozenset[int] = frozenset()  # admin or member
    facilitation_admin_ids: frozenset[int] = frozenset()
    buyer_ids: frozenset[int] = frozenset()
    # Employers (companies, insertion structures) whose contacts reach lots through companies.CompanyAccess.
    company_ids: frozenset[int] = frozenset()
    region_codes: frozenset[str] = frozenset()  # regions of coordination bodies
    organisation_ids: frozenset[int] = frozenset()  # every organisation of the scope
    admin_ids: frozenset[int] = frozenset()  # organisations where the user is admin
    roles: dict = field(default_factory=dict)  # organisation id -> role

    @property
    def is_empty(self) -> bool:
        return not self.is_superuser and not self.organisation_ids

    @property
    def is_company_only(self) -> bool:
        """A company contact and nothing else (issue 15): the company portal only (companies.middleware), never
        the facilitators', buyers' or coordinators' pages and lists."""
        return (
            not self.is_superuser
            and bool(self.company_ids)
            and not (self.facilitation_ids or self.buyer_ids or self.region_codes)
        )

    def market_q(self, prefix: str = "") -> Q:
        """Q matching the markets seen through this scope; `prefix` leads from the queried model to a Market
        (e.g. "lot__market__")."""
        if self.is_superuser:
            return Q()
        q = Q(pk__in=[])
        if self.facilitation_ids:
            q |= Q(**{f"{prefix}facilitator__in": self.facilitation_ids})
        if self.buyer_ids:
            q |= Q(**{f"{prefix}buyer__in": self.buyer_ids})
        if self.region_codes:
            q |= Q(**{f"{prefix}execution_commune__department__region__in": self.region_codes})
        return q


def user_memberships(user) -> list[Membership]:
    """All memberships of the user with their organisation, loaded once per user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _MEMBERSHIPS_ATTR, None)
    if cached is None:
        cached = list(user.memberships.select_related("organisation"))
        setattr(user, _MEMBERSHIPS_ATTR, cached)
    return cached


def pin_current_organisation(user, organisation_id: int | None) -> None:
    """Restrict the user's scope to one of their organisations (None: all of them)."""
    setattr(user, _PINNED_ATTR, organisation_id)
    if hasattr(user, _SCOPE_ATTR):
        delattr(user, _SCOPE_ATTR)


def current_membership_of(user) -> Membership | None:
    """The membership the user works as: the pinned one if valid, else the first one."""
    memberships = user_memberships(user)
    if not memberships:
        return None
    pinned = getattr(user, _PINNED_ATTR, None)
    for membership in memberships:
        if membership.organisation_id == pinned:
            return membership
    return memberships[0]


def scope_memberships(user) -> list[Membership]:
    """Memberships that define what the user sees: the pinned one in a web request, else all."""
    memberships = user_memberships(user)
    if not hasattr(user, _PINNED_ATTR):
        return memberships
    current = current_membership_of(user)
    return [current] if current else []


def scope_of(user) -> Scope:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Scope()
    cached = getattr(user, _SCOPE_ATTR, None)
    if cached is not None:
        return cached
    memberships = scope_memberships(user)
    facilitation = [m for m in memberships if m.organisation.kind == OrganisationKind.FACILITATION]
    scope = Scope(
        is_superuser=user.is_superuser,
        facilitation_ids=frozenset(m.organisation_id for m in facilitation),
        facilitation_editor_ids=frozenset(m.organisation_id for m in facilitation if m.role != Role.READER),
        facilitation_admin_ids=frozenset(m.organisation_id for m in facilitation if m.role == Role.ADMIN),
        buyer_ids=frozenset(m.organisation_id for m in memberships if m.organisation.kind == OrganisationKind.BUYER),
        company_ids=frozenset(m.organisation_id for m in memberships if m.organisation.is_employer_kind),
        region_codes=frozenset(
            m.organisation.region_id
            for m in memberships
            if m.organisation.kind == OrganisationKind.COORDINATION and m.organisation.region_id
        ),
        organisation_ids=frozenset(m.organisation_id for m in memberships),
        admin_ids=frozenset(m.organisation_id for m in memberships if m.role == Role.ADMIN),
        roles={m.organisation_id: m.role for m in memberships},
    )
    setattr(user, _SCOPE_ATTR, scope)
    return scope


# Web request helpers -------------------------------------------------------------------------------------


def current_membership(request) -> Membership | None:
    return current_membership_of(request.user)


def current_organisation(request) -> Organisation | None:
    membership = current_membership(request)
    return membership.organisation if membership else None


def set_current_organisation(request, organisation_id: int) -> bool:
    """Store the chosen organisation in the session; False when the user is not a member of it."""
    if not any(m.organisation_id == organisation_id for m in user_memberships(request.user)):
        return False
    request.session[SESSION_KEY] = organisation_id
    pin_current_organisation(request.user, organisation_id)
    return True


class CurrentOrganisationMiddleware:
    """Pin the session's current organisation on the authenticated user (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            pin_current_organisation(user, request.session.get(SESSION_KEY))
        return self.get_response(request)


def context(request):
    """Template context processor: the current membership and the other organisations to switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = user_memberships(user)
    current = current_membership_of(user)
    return {"current_membership": current, "user_memberships": memberships}
