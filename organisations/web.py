"""Helpers shared by the HTML views of every app: pagination, list rendering with htmx partials, rights."""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from organisations.permissions import can_see_people

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE):
    """A page of the queryset. Aggregated querysets lose the model's default ordering (GROUP BY):
    restore it, with the primary key last, so that pages never overlap."""
    if not queryset.ordered:
        queryset = queryset.order_by(*queryset.model._meta.ordering, "pk")
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))


def render_list(request, template_name: str, context: dict, partial: str = "results"):
    """Render the full page, or only its `results` partial for an htmx request (filters, sorting, pages)."""
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template_name = f"{template_name}#{partial}"
    return render(request, template_name, context)


def require(allowed: bool, message: str = "Vous n'avez pas le droit de modifier cet élément."):
    """403 when a predicate of organisations.permissions refuses."""
    if not allowed:
        raise PermissionDenied(message)


PEOPLE_ONLY = "Cette page concerne des personnes : elle est réservée aux structures de facilitation qui les suivent."


def require_people_access(user) -> None:
    """404 on a page about persons for whoever sees aggregates only (organisations.permissions.can_see_people)."""
    if not can_see_people(user):
        raise Http404(PEOPLE_ONLY)


def add_errors(form, error) -> None:
    """Place a service's ValidationError on the form: each message on its field when the form shows that field,
    at the top of the form otherwise (never matched by its French text)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)
