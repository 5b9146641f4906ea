"""Cursor pagination: stable pages however rows are added, and no COUNT query."""

from __future__ import annotations

from django.db import DataError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

INVALID_CURSOR = "The cursor is not valid: use the `next` or `previous` link as given."


def invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [INVALID_CURSOR]}, code="invalid_cursor")


class ApiCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def decode_cursor(self, request):
        # DRF answers a cursor it cannot decode 404, which would read as "no such list".
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise invalid_cursor() from None

    def paginate_queryset(self, queryset, request, view=None):
        # A cursor is base64 the client can rewrite: a position that decodes but is not a
        # value of the ordering column (a word for a number, a number beyond the column)
        # fails only when the page is read.
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, OverflowError, DataError):
            if request.query_params.get(self.cursor_query_param):
                raise invalid_cursor() from None
            raise


def cursor_pagination(*ordering: str) -> type[ApiCursorPagination]:
    """A paginator over `ordering` (the first field places the cursor)."""
    return type("CursorPagination", (ApiCursorPagination,), {"ordering": ordering})
