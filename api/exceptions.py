"""Refusals of the domain services (Django ValidationError, in French) become HTTP 400 answers, and a stale
version of an hours record (HoursConflict) a 409."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from beneficiaries.services import HoursConflict


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {("non_field_errors" if key == "__all__" else key): value for key, value in error.message_dict.items()}
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


def exception_handler(exc, context):
    if isinstance(exc, HoursConflict):  # a stale version: the client reads the record again (api/hours.py)
        set_rollback()
        return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_error(exc)
    return drf_exception_handler(exc, context)
