"""E-mails that follow a company's declaration and account (issue 16): the implementation of the `notify` hook
(config.hooks) that companies' services call.

- declaration transmitted or transmitted again → the facilitators (admins and members) of the structure following
  the lot's market;
- correction requested, declaration validated → the company's contacts with an active access to the lot.

The recipients are chosen inside the service's transaction; one task per recipient is queued once it commits
(transaction.on_commit), so a refused or rolled-back step sends nothing, and a retry sends to one person only.
"""

from functools import partial

from django.db import transaction
from django.urls import reverse

from companies.choices import DeclarationAction
from companies.models import CompanyAccess, DeclarationEvent
from config.formatting import french_month
from notifications.mail import send_templated
from notifications.retry import retried_task
from organisations.choices import Role
from organisations.models import User

KIND = "declaration_events"
TEMPLATES = {
    DeclarationAction.SUBMITTED: "declaration_submitted",
    DeclarationAction.RESUBMITTED: "declaration_submitted",
    DeclarationAction.CORRECTION_REQUESTED: "declaration_correction",
    DeclarationAction.VALIDATED: "declaration_validated",
}
TO_FACILITATORS = frozenset({DeclarationAction.SUBMITTED, DeclarationAction.RESUBMITTED})


def recipients_of(event) -> list[int]:
    declaration = event.declaration
    if event.action in TO_FACILITATORS:
        users = User.objects.filter(
            memberships__organisation_id=declaration.lot.market.facilitator_id,
            memberships__role__in=(Role.ADMIN, Role.MEMBER),
        )
    else:
        contacts = CompanyAccess.objects.active().filter(
            lot_id=declaration.lot_id, membership__organisation_id=declaration.company_id
        )
        users = User.objects.filter(memberships__company_accesses__in=contacts)
    return sorted(set(users.filter(is_active=True).values_list("pk", flat=True)))


def declaration_event(event) -> None:
    """Called by companies.declarations for every step of a declaration; queues the e-mails of the steps above."""
    if event.action not in TEMPLATES:
        return
    for user_id in recipients_of(event):
        transaction.on_commit(partial(send_declaration_event.enqueue, event.pk, user_id))


def company_invitation(invitation) -> None:
    """Called by companies.emails once a contact is invited (or gets lots added): the e-mail goes through the
    worker."""
    send_company_invitation.enqueue(
        invitation.user.pk, [access.pk for access in invitation.accesses], invitation.needs_password
    )


@retried_task(attempts=5)
def send_company_invitation(user_id: int, access_ids: list[int], needs_password: bool) -> str:
    """The e-mail of a company contact invited on lots: a link to choose its password, or (an existing account) the
    news that lots were added. Nothing for an inactive account, accesses all revoked since, or a link already used
    (a retry after the contact chose its password)."""
    from companies.tokens import encode_uid, invitation_tokens, validity_days

    user = User.objects.filter(pk=user_id, is_active=True).first()
    accesses = list(
        CompanyAccess.objects.active()
        .filter(pk__in=access_ids, membership__user_id=user_id)
        .select_related("lot__market", "membership__organisation")
    )
    if user is None or not accesses or (needs_password and user.has_usable_password()):
        return "skipped"
    context = {
        "email": user.email,
        "company": accesses[0].membership.organisation,
        "lots": [access.lot for access in accesses],
        "days": validity_days(),
    }
    if needs_password:
        path = reverse(
            "companies:accept", kwargs={"uidb64": encode_uid(user), "token": invitation_tokens.make_token(user)}
        )
        send_templated(user.email, "company_invitation", context, path=path)
    else:
        send_templated(user.email, "company_lots_added", context, path=reverse("companies:home"))
    return "sent"


@retried_task(attempts=5)
def send_declaration_event(event_id: int, user_id: int) -> str:
    """One e-mail about one step of a monthly declaration (transmitted, correction requested, validated) to one
    person (notifications.events chose who); nothing when that person turned « declaration_events » off."""
    event = (
        DeclarationEvent.objects.filter(pk=event_id)
        .select_related("declaration__lot__market__facilitator", "declaration__company", "user")
        .first()
    )
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if event is None or user is None or event.action not in TEMPLATES:
        return "skipped"
    declaration = event.declaration
    month = f"{declaration.month:%Y-%m}"
    if event.action in TO_FACILITATORS:
        path = reverse("companies:review", args=[declaration.lot_id, month])
    else:
        path = reverse("companies:declaration", args=[declaration.lot_id, month])
    context = {
        "event": event,
        "declaration": declaration,
        "lot": declaration.lot,
        "company": declaration.company,
        "month_label": french_month(declaration.month),
    }
    sent = send_templated(user, TEMPLATES[event.action], context, path=path, kind=KIND)
    return "sent" if sent else "turned off"
