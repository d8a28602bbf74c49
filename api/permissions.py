"""API rights: the predicates of organisations.permissions, nothing more.

Reading needs an authenticated user (the querysets are scoped by `visible_to`); writing needs an admin or
member of a facilitation structure, and on an existing object the view's own predicate (`can_edit` by
default). Readers, buyers and coordination bodies get 403 on any write.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from organisations.permissions import can_edit, is_facilitator
from organisations.scoping import scope_of

WRITE_REFUSED = "Votre rôle ne permet pas de modifier ces données."
COMPANY_REFUSED = (
    "Un compte d'entreprise n'utilise que les opérations /api/v1/company/ de l'API : ses lots, ses contrats et ses "
    "déclarations mensuelles."
)


class ClausierPermission(BasePermission):
    message = WRITE_REFUSED

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if scope_of(user).is_company_only:  # issue 15: only the company API (api/companies.py, its own permission)
            self.message = COMPANY_REFUSED
            return False
        if request.method in SAFE_METHODS:
            return True
        return is_facilitator(user)

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS:
            return True
        check = getattr(view, "can_write", None)
        return check(request.user, obj) if check else can_edit(request.user, obj)
