"""Shared pieces of the resource modules: scoped related fields, model validation, write checks."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.text import capfirst
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied

from api.exceptions import as_drf_error
from api.permissions import WRITE_REFUSED
from audit.models import Channel
from audit.services import log_views
from organisations.permissions import can_see_people
from organisations.web import PEOPLE_ONLY


def request_user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key among the objects the user sees (`Model.objects.visible_to(user)`).

    In the browsable API's HTML forms, the <select> lists at most REST_FRAMEWORK["HTML_SELECT_CUTOFF"] of them,
    labelled by `display` (default: the object's name): a label must never say more than the user may read
    (api.placements.placement_label)."""

    def __init__(self, *, display=None, **kwargs):
        self.display = display
        super().__init__(**kwargs)

    def display_value(self, instance):
        return self.display(instance) if self.display else super().display_value(instance)

    def get_queryset(self):
        queryset = super().get_queryset()
        user = getattr(self.context.get("request"), "user", None)
        if user is None:
            return queryset.none()
        return queryset.visible_to(user)


class ServiceModelSerializer(serializers.ModelSerializer):
    """A resource written through its domain service: the serializer parses and checks the input (scoping, rights),
    the service validates the model (its clean() and constraints), writes, and does the side effects (reporting
    summary, history) in its transaction. Subclasses name the services:

        create_service = staticmethod(markets.services.create_market)           # called with **validated_data
        def update_service(self, instance, **changes): return update_market(market=instance, **changes)

    A refusal of the service (a Django ValidationError keyed by field) becomes a 400 on that field."""

    create_service = None

    def create(self, validated_data):
        return self._call(self.create_service, **validated_data)

    def update(self, instance, validated_data):
        return self._call(self.update_service, instance, **validated_data)

    def update_service(self, instance, **changes):
        raise NotImplementedError

    @staticmethod
    def _call(service, *args, **kwargs):
        try:
            return service(*args, **kwargs)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error


class CleanModelSerializer(serializers.ModelSerializer):
    """Plain models without a service yet (api.beneficiaries): run the model's full_clean (constraints included)
    before saving. Nothing the reporting summary copies is written this way (markets, lots, clauses and
    organisations use ServiceModelSerializer); prefer a service for any new resource."""

    def create(self, validated_data):
        return self._clean_and_save(self.Meta.model(**validated_data))

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._clean_and_save(instance)

    def _clean_and_save(self, instance):
        try:
            instance.full_clean()
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        with transaction.atomic():
            instance.save()
        return instance


def shown(serializer, beneficiary) -> None:
    """Note that this serializer's output shows who `beneficiary` is (name, birth date, notes...): the viewset
    writes the access journal for the answer (JournalledViewSetMixin)."""
    view = serializer.context.get("view")
    people = getattr(view, "people_shown", None)
    if people is not None:
        people[beneficiary.pk] = beneficiary


class JournalledViewSetMixin:
    """Every successful GET answer writes one "viewed" entry per person its serializers showed (see `shown`), in
    one statement whatever the page size; writes keep their own "created" or "changed" entries."""

    def initial(self, request, *args, **kwargs):
        self.people_shown = {}
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        people = getattr(self, "people_shown", None)
        if request.method == "GET" and response.status_code < 400 and people:
            log_views(user=request.user, beneficiaries=people.values(), channel=Channel.API, detail=request.path)
        return response


def require(allowed: bool, message: str = WRITE_REFUSED) -> None:
    if not allowed:
        raise PermissionDenied(message)


class PeopleOnlyViewSetMixin:
    """Resources about persons (people, contracts, hours rows, outcomes), even without a name: a 404 for whoever
    sees aggregates only (buyers, coordination bodies: organisations.permissions.can_see_people), after the usual
    checks (401 without credentials, 403 on a write)."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not can_see_people(request.user):
            raise NotFound(PEOPLE_ONLY)


class ReadCreateUpdateViewSet(
    JournalledViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, detail, create and update; no deletion through the API."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class YearFilter(django_filters.NumberFilter):
    """A year between 1900 and 2200 (an out-of-range year is a 400, not a crash of the date lookup)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1900)
        kwargs.setdefault("max_value", 2200)
        super().__init__(*args, **kwargs)


class IdFilter(django_filters.NumberFilter):
    """An object id within the database integer range."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class FilterSet(django_filters.FilterSet):
    """The API's filtersets: a relation named in `Meta.fields` filters on the related object's key (an id, or a
    code for territories), never on a `<select>` of every row of the related table, which the browsable API
    would render for anyone (tests/security/test_related_choices.py)."""

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        if field.is_relation and lookup_expr in (None, "exact"):
            target = field.target_field
            label = capfirst(field.verbose_name)
            if isinstance(target, models.IntegerField):
                return IdFilter(field_name=field_name, label=label)
            return django_filters.CharFilter(field_name=field_name, label=label, max_length=target.max_length)
        return super().filter_for_field(field, field_name, lookup_expr)
