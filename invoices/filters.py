"""The Invoicing tool's filters (status, ERP status, commitment, contract company and the
month the billing period ends) and its sort.

Every choice comes from what the user sees on the project: the commitments and their
vendors by the Commitments tool's rule, the months from the invoices of those
commitments, so a private commitment the user may not see is not named. Bad input never
fails the page: a field that does not validate (an id that is not one of the choices, a
month that is not one, an unknown sort) is left out of the filtering and its message is
shown beside it."""

from __future__ import annotations

import datetime

import django_filters
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.dateformat import format as format_date

from commitments.models import Commitment
from commitments.permissions import visible_commitments
from commitments.selectors import vendors_for_tool
from core.filters import FilterForm, UrlStateFilterSet
from invoices.models import Invoice, InvoiceErpStatus, InvoiceStatus
from invoices.selectors import billing_period_months, project_invoices
from projects.models import Project
from projects.permissions import User

# The sortable columns: their name in the URL and the fields they order by. Each ordering
# ends on the commitment and the invoice number, then the pk, so pages are stable.
SORTABLE_COLUMNS = {
    "invoice": ("number", "commitment__number"),
    "commitment": ("commitment__number", "number"),
    "vendor": ("commitment__vendor__name", "commitment__number", "number"),
    "billing_period": ("billing_period_end", "billing_period_start", "commitment__number"),
    "status": ("status", "commitment__number", "number"),
    "erp_status": ("erp_status", "commitment__number", "number"),
}
# Without a sort asked for: by commitment, each commitment's invoices in number order.
DEFAULT_SORT = "commitment"
# A billing period choice names the month its periods end in: "2026-03".
MONTH_FORMAT = "%Y-%m"


class InvoicingOrderingFilter(django_filters.OrderingFilter):
    """`sort=vendor` or `sort=-vendor`: one column, ascending or descending."""

    def __init__(self, **kwargs):
        super().__init__(fields={name: name for name in SORTABLE_COLUMNS}, **kwargs)

    def filter(self, qs: QuerySet, value):
        sort = value[0] if value else DEFAULT_SORT
        descending = sort.startswith("-")
        fields = SORTABLE_COLUMNS[sort.lstrip("-")]
        ordering = [f"-{field}" if descending else field for field in fields]
        return qs.order_by(*ordering, "-pk" if descending else "pk")


class InvoicingFilter(UrlStateFilterSet):
    default_sort = DEFAULT_SORT

    status = django_filters.ChoiceFilter(
        label="Status", choices=InvoiceStatus.choices, empty_label="Any status"
    )
    erp_status = django_filters.ChoiceFilter(
        label="ERP status", choices=InvoiceErpStatus.choices, empty_label="Any ERP status"
    )
    commitment = django_filters.ModelChoiceFilter(
        label="Commitment", queryset=Commitment.objects.none(), empty_label="Any commitment"
    )
    vendor = django_filters.ModelChoiceFilter(
        label="Contract company",
        field_name="commitment__vendor",
        queryset=None,
        empty_label="Any contract company",
    )
    billing_period = django_filters.ChoiceFilter(
        label="Billing period",
        method="billing_period_ending_in",
        choices=[],
        empty_label="Any billing period",
    )
    sort = InvoicingOrderingFilter(label="Sort")

    class Meta:
        model = Invoice
        form = FilterForm
        fields = ["status", "erp_status", "commitment", "vendor", "billing_period", "sort"]

    def __init__(self, data=None, queryset=None, *, user: User, project: Project, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["commitment"].queryset = visible_commitments(user, project).order_by("number")
        self.filters["vendor"].queryset = vendors_for_tool(user, project)
        # Read when the form is built, so a page that does not show it pays nothing.
        self.filters["billing_period"].extra["choices"] = lambda: [
            (month.strftime(MONTH_FORMAT), format_date(month, "F Y"))
            for month in billing_period_months(user, project)
        ]
        for name, field in self.form.fields.items():
            if name != "sort":
                field.widget.attrs["class"] = "form-select form-select-sm"

    def billing_period_ending_in(self, queryset: QuerySet[Invoice], name: str, value: str):
        month = datetime.datetime.strptime(value, MONTH_FORMAT).date()
        return queryset.filter(
            billing_period_end__year=month.year, billing_period_end__month=month.month
        )

    @property
    def qs(self) -> QuerySet[Invoice]:
        # The default sort applies when none is asked for, and when the one asked for
        # does not validate (the ordering filter is then skipped).
        queryset = super().qs
        if not queryset.query.order_by:
            queryset = self.filters["sort"].filter(queryset, None)
        return queryset


def invoicing_filter(data: QueryDict, *, user: User, project: Project) -> InvoicingFilter:
    """The Invoicing tool's filters over the invoices `user` sees on the project."""
    return InvoicingFilter(
        data or None, queryset=project_invoices(user, project), user=user, project=project
    )
