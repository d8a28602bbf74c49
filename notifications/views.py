"""Notification settings (issue 16, point 6): the page of a logged-in user, and the one-click unsubscribe of a
signed link that needs no login (GET shows a confirmation, POST unsubscribes; a mail client's RFC 8058 one-click
POST lands on the same address)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications import preferences
from notifications.forms import NotificationSettingsForm
from notifications.models import NotificationEvent
from organisations.scoping import scope_of

# Kinds a company contact may receive, and those the other accounts may.
COMPANY_KINDS = ("company_reminder", "declaration_events")
STAFF_KINDS = ("declaration_events", "at_risk_digest", "due_dates_digest")


def _kinds_of(user) -> tuple[str, ...]:
    return COMPANY_KINDS if scope_of(user).is_company_only else STAFF_KINDS


@require_http_methods(["GET", "POST"])
def notification_settings(request):
    kinds = _kinds_of(request.user)
    current = [setting for setting in preferences.settings_of(request.user) if setting.kind in kinds]
    form = NotificationSettingsForm(request.POST or None, settings_list=current)
    if request.method == "POST" and form.is_valid():
        changed = False
        for kind, enabled, frequency in form.changes():
            changed |= preferences.change(
                user=request.user, kind=kind, enabled=enabled, frequency=frequency, via=NotificationEvent.Via.SETTINGS
            )
        messages.success(
            request, "Vos réglages sont enregistrés." if changed else "Rien n'a changé : vos réglages sont les mêmes."
        )
        return redirect("notifications:settings")
    events = [
        (event, preferences.label_of(event.kind)) for event in NotificationEvent.objects.filter(user=request.user)[:10]
    ]
    return render(request, "notifications/settings.html", {"form": form, "events": events})


@login_not_required
@csrf_exempt  # the signed token is the credential; a mail client's one-click POST carries no CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    try:
        user, kind = preferences.read_unsubscribe_token(token)
    except preferences.BadToken as error:
        return render(request, "notifications/unsubscribe.html", {"refusal": error.reason}, status=400)
    context = {"email": user.email, "kind": kind, "label": preferences.label_of(kind)}
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        via = NotificationEvent.Via.ONE_CLICK if one_click else NotificationEvent.Via.LINK
        preferences.unsubscribe(user=user, kind=kind, via=via)
        return render(request, "notifications/unsubscribe.html", {**context, "done": True})
    context["already"] = not preferences.setting_of(user, kind).enabled
    return render(request, "notifications/unsubscribe.html", context)
