"""The ERP Integrations queue's filters: project, contract company, sender, a date range
on "sent", a search by invoice or commitment number, and the sort.

Bad input never fails the page: a field that does not validate (a date that is not a
date, an id that is not one of the choices, an unknown sort) is left out of the filtering
and its message is shown beside it."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.http import QueryDict

from core.display import display_name
from core.filters import FilterForm, UrlStateFilterSet
from erp_integrations.models import ExportItem
from projects.models import Company, Project, Vendor

# "INV-3", "inv 3", "#3" or "3" name invoice number 3.
INVOICE_NUMBER = re.compile(r"^(?:inv)?[\s#-]*(\d{1,9})$", re.IGNORECASE)

# The sortable columns: their name in the URL and the fields they order by. Each ordering
# ends on the pk (see QueueOrderingFilter), so pages are stable and the CSV export's rows
# of one item arrive together.
SORTABLE_COLUMNS = {
    "invoice": ("invoice__number",),
    "project": ("invoice__commitment__project__name", "invoice__commitment__project__number"),
    "commitment": ("invoice__commitment__number",),
    "vendor": ("invoice__commitment__vendor__name",),
    "sent": ("sent_at",),
}
# The queue's ordering when no sort is asked for: newest sending first.
DEFAULT_SORT = "-sent"


class SenderField(forms.ModelChoiceField):
    """The senders by the name the pages give them."""

    def label_from_instance(self, obj) -> str:
        return display_name(obj)


class SenderChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = SenderField


class QueueOrderingFilter(django_filters.OrderingFilter):
    """`sort=vendor` or `sort=-vendor`: one column, ascending or descending, then the
    newest item first among equals."""

    def __init__(self, **kwargs):
        fields = {name: name for name in SORTABLE_COLUMNS}
        super().__init__(fields=fields, **kwargs)

    def filter(self, qs: QuerySet, value):
        if not value:
            return qs
        (sort,) = value[:1]
        descending = sort.startswith("-")
        fields = SORTABLE_COLUMNS[sort.lstrip("-")]
        ordering = [f"-{field}" if descending else field for field in fields]
        return qs.order_by(*ordering, "-pk" if descending else "pk")


class QueueFilter(UrlStateFilterSet):
    default_sort = DEFAULT_SORT

    q = django_filters.CharFilter(label="Invoice or commitment number", method="search")
    project = django_filters.ModelChoiceFilter(
        label="Project",
        field_name="invoice__commitment__project",
        queryset=Project.objects.none(),
        empty_label="Any project",
    )
    vendor = django_filters.ModelChoiceFilter(
        label="Contract company",
        field_name="invoice__commitment__vendor",
        queryset=Vendor.objects.none(),
        empty_label="Any contract company",
    )
    sent_by = SenderChoiceFilter(
        label="Sent by",
        queryset=get_user_model().objects.none(),
        empty_label="Anyone",
    )
    sent_from = django_filters.DateFilter(
        label="Sent from", field_name="sent_at", lookup_expr="date__gte"
    )
    sent_to = django_filters.DateFilter(
        label="Sent to", field_name="sent_at", lookup_expr="date__lte"
    )
    sort = QueueOrderingFilter(label="Sort")

    class Meta:
        model = ExportItem
        form = FilterForm
        fields = ["q", "project", "vendor", "sent_by", "sent_from", "sent_to", "sort"]

    def __init__(self, data=None, queryset=None, *, company: Company, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.company = company
        self.filters["project"].queryset = Project.objects.filter(company=company).order_by(
            "name", "number"
        )
        self.filters["vendor"].queryset = Vendor.objects.filter(company=company)
        self.filters["sent_by"].queryset = (
            get_user_model()
            .objects.filter(pk__in=ExportItem.objects.filter(company=company).values("sent_by"))
            .order_by("first_name", "last_name", "username")
        )
        for name, field in self.form.fields.items():
            if name in ("q", "sent_from", "sent_to"):
                field.widget.attrs["class"] = "form-control form-control-sm"
            elif name != "sort":
                field.widget.attrs["class"] = "form-select form-select-sm"
        for name in ("sent_from", "sent_to"):
            self.form.fields[name].widget.input_type = "date"

    def search(self, queryset: QuerySet[ExportItem], name: str, value: str):
        value = value.strip()
        if not value:
            return queryset
        matches = Q(invoice__commitment__number__icontains=value)
        number = INVOICE_NUMBER.match(value)
        if number:
            matches |= Q(invoice__number=int(number.group(1)))
        return queryset.filter(matches)


def queue_filter(data: QueryDict, company: Company) -> QueueFilter:
    """The queue's filters over the company's items, newest sending first unless a sort
    is asked for."""
    return QueueFilter(
        data or None,
        queryset=ExportItem.objects.filter(company=company).order_by("-sent_at", "-pk"),
        company=company,
    )
