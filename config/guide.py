"""The user guides (issue 20, point 3): one page per role, in French, written from the real screens, illustrated by
screenshots that tests/browser/test_guide_screenshots.py takes of those screens (static/guide/*.png). The guides
hold no personal data: every logged-in user may read every guide, company contacts included
(companies.middleware.OPEN_TO_COMPANIES)."""

from django.http import Http404
from django.shortcuts import render
from django.urls import path

# slug -> (title, whom it is for)
GUIDES = {
    "facilitateur": ("Guide du ou de la facilitateur·rice", "membres d'une structure de facilitation"),
    "structure": (
        "Guide de l'administrateur·rice de structure",
        "administrateur·rices d'une structure de facilitation",
    ),
    "entreprise": ("Guide de l'entreprise", "contacts d'une entreprise titulaire d'un lot"),
    "acheteur": ("Guide de l'acheteur", "acheteurs publics et bailleurs"),
    "coordination": ("Guide de la coordination", "coordinations régionales ou départementales"),
}


def guide_index(request):
    return render(request, "guide/index.html", {"guides": GUIDES})


def guide(request, role: str):
    if role not in GUIDES:
        raise Http404("Ce guide n'existe pas.")
    title, audience = GUIDES[role]
    return render(request, f"guide/{role}.html", {"title": title, "audience": audience, "role": role, "guides": GUIDES})


app_name = "guide"
urlpatterns = [
    path("", guide_index, name="index"),
    path("<slug:role>/", guide, name="role"),
]
