"""Cursor pagination: stable pages however rows are added, and no COUNT query."""

from __future__ import annotations

from django.db import DataError
from django.db.models import F, QuerySet
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


# The cursor's position in a sorted list is this annotation: the sort's first column,
# whatever it is (a column of a related row included).
SORT_KEY = "sort_key"


class SortedCursorPagination(ApiCursorPagination):
    """Cursor pages in the order the view chose for the request (`view.ordering`, the
    sort asked for)."""

    def get_ordering(self, request, queryset, view):
        return view.ordering


def sorted_for_cursor(
    queryset: QuerySet, sort: str, columns: dict[str, tuple[str, ...]]
) -> tuple[QuerySet, tuple[str, ...]]:
    """The rows with their SORT_KEY, and the ordering of `sort` (a name of `columns`,
    `-` before it for descending) for SortedCursorPagination: the sort's columns then
    the pk, all one way, so that the pages are those of the page's own order."""
    sign = "-" if sort.startswith("-") else ""
    first_column, *other_columns = columns[sort.lstrip("-")]
    ordering = tuple(f"{sign}{field}" for field in (SORT_KEY, *other_columns, "pk"))
    return queryset.annotate(**{SORT_KEY: F(first_column)}), ordering
