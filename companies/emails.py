"""E-mails of company accounts: the invitation link (a new contact chooses its password) and the notification of
lots added to an existing account. French plain text (templates/companies/*.txt)."""

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from companies.tokens import encode_uid, invitation_tokens, validity_days


def send_invitation(request, invitation) -> None:
    user = invitation.user
    context = {
        "email": user.email,
        "company": invitation.accesses[0].company if invitation.accesses else None,
        "lots": [access.lot for access in invitation.accesses],
        "site": request.build_absolute_uri("/").rstrip("/"),
        "days": validity_days(),
    }
    if invitation.needs_password:
        path = reverse(
            "companies:accept", kwargs={"uidb64": encode_uid(user), "token": invitation_tokens.make_token(user)}
        )
        context["link"] = request.build_absolute_uri(path)
        name = "invitation"
    else:
        context["link"] = request.build_absolute_uri(reverse("companies:home"))
        name = "lots_added"
    subject = render_to_string(f"companies/{name}_subject.txt", context).strip()
    body = render_to_string(f"companies/{name}_email.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
