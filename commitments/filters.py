"""The Commitments tool's filters: status, contract company and ERP status, and a search
by number and title."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from commitments.models import ALL_STATUS_CHOICES, Commitment, CommitmentErpStatus
from commitments.selectors import vendors_for_tool
from core.filters import FilterForm
from projects.models import Project
from projects.permissions import User


class CommitmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Search", method="search")
    status = django_filters.ChoiceFilter(
        label="Status", choices=ALL_STATUS_CHOICES, empty_label="Any status"
    )
    vendor = django_filters.ModelChoiceFilter(
        label="Contract company", queryset=None, empty_label="Any contract company"
    )
    erp_status = django_filters.ChoiceFilter(
        label="ERP status", choices=CommitmentErpStatus.choices, empty_label="Any ERP status"
    )

    class Meta:
        model = Commitment
        form = FilterForm
        fields = ["q", "status", "vendor", "erp_status"]

    def __init__(self, data=None, queryset=None, *, user: User, project: Project, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.filters["vendor"].queryset = vendors_for_tool(user, project)
        for name, field in self.form.fields.items():
            field.widget.attrs["class"] = "form-control" if name == "q" else "form-select"

    def search(self, queryset: QuerySet[Commitment], name: str, value: str):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(title__icontains=value))
