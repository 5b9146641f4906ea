"""The lists' query strings: a filterable list reads the page's own filter set, and
refuses what it does not take (a misspelt filter would otherwise list everything)."""

from __future__ import annotations

from collections.abc import Iterable

import django_filters
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from api.action_serializers import UNKNOWN_FIELDS

# What every list reads besides its filters.
PAGING_PARAMETERS = ("cursor", "page_size")


def refuse_unknown_parameters(params: QueryDict, allowed: Iterable[str]) -> None:
    allowed = [*allowed, *PAGING_PARAMETERS]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        message = UNKNOWN_FIELDS.format(fields=", ".join(unknown), known=", ".join(allowed))
        raise ValidationError({name: [message] for name in unknown}, code="unknown_field")


def filtered(filters: django_filters.FilterSet):
    """The filter set's rows, or a 400 naming each field that does not validate (the
    page shows the message beside the field and ignores it; a program is told)."""
    if filters.errors:
        raise ValidationError(filters.errors)
    return filters.qs
