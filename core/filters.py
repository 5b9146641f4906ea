"""What the list pages' filter sets share: their state lives in the URL, as the filters
and the one sort the user asked for, and the sortable columns' headers link to the next
sort of their column."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

import django_filters
from django import forms
from django.utils.http import urlencode

# Django's select template includes another template for each option, a cost that grows
# with the options: a filter of a few hundred projects or contract companies spent more
# time there than in its queries. This one writes the options in place.
INLINE_OPTIONS_SELECT = "core/widgets/select.html"


class FilterForm(forms.Form):
    """The filter sets' form (their `Meta.form`): its selects write their options in
    place, with the same markup."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Select):
                field.widget.template_name = INLINE_OPTIONS_SELECT


@dataclass(frozen=True)
class SortHeader:
    """A sortable column's header: the link that sorts by it (ascending first, then the
    other way), and its aria-sort while it is the sort in effect."""

    url: str
    aria_sort: str


class UrlStateFilterSet(django_filters.FilterSet):
    """A filter set with a `sort` filter whose state lives in the URL: the sort in effect
    and the query string that keeps the filters. `Meta.fields` names the parameters the
    URL carries."""

    default_sort: ClassVar[str]

    @property
    def sort_in_effect(self) -> str:
        """The sort in effect: the one asked for when it is valid, else the default."""
        if self.is_bound and not self.errors.get("sort") and self.form.cleaned_data.get("sort"):
            return self.form.cleaned_data["sort"][0]
        return self.default_sort

    def query(self, **changes: str) -> str:
        """The filters and sort as asked for, for the links that keep them (tabs, pages,
        sort headers, where an action returns): what the user chose, not blanks, and
        `changes` on top."""
        params = {
            name: value
            for name in self._meta.fields
            if (value := str(self.data.get(name, "") if self.data else "").strip())
        }
        params.update(changes)
        return urlencode({name: value for name, value in params.items() if value})

    def sort_headers(
        self, columns: Iterable[str], url_for: Callable[[str], str]
    ) -> dict[str, SortHeader]:
        """Each column's header, linking to `url_for(query)` with its next sort."""
        current = self.sort_in_effect
        headers = {}
        for column in columns:
            if current == column:
                next_sort, aria_sort = f"-{column}", "ascending"
            elif current == f"-{column}":
                next_sort, aria_sort = column, "descending"
            else:
                next_sort, aria_sort = column, ""
            headers[column] = SortHeader(url_for(self.query(sort=next_sort)), aria_sort)
        return headers
