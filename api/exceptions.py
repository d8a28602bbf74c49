"""Refusals of the domain services (Django ValidationError, in French) become HTTP 400 answers."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.views import exception_handler as drf_exception_handler


def as_drf_error(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {("non_field_errors" if key == "__all__" else key): value for key, value in error.message_dict.items()}
        )
    return serializers.ValidationError({"non_field_errors": error.messages})


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = as_drf_error(exc)
    return drf_exception_handler(exc, context)
