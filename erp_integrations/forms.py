"""The approver's action forms. They check the input's shape; the services decide."""

from __future__ import annotations

from django import forms

from erp_integrations.models import REJECTION_REASON_MAX_LENGTH
from erp_integrations.selectors import DEFAULT_TAB, TABS_BY_SLUG, page_number
from erp_integrations.services import (
    NOTHING_SELECTED,
    REJECTION_REASON_REQUIRED,
    REJECTION_REASON_TOO_LONG,
    UNLINK_NOT_CONFIRMED,
    UNLINK_REASON_REQUIRED,
    UNLINK_REASON_TOO_LONG,
    unique_ids,
)


class ItemIdsField(forms.Field):
    """Repeated `item_ids` values, read by the services' id rule (`unique_ids`): a value
    that is not an id is kept, to be reported as not found."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"required": NOTHING_SELECTED}

    def to_python(self, value) -> list[int | str]:
        return unique_ids(value or [])


class ExportItemsForm(forms.Form):
    """Accept or retry: the checked items, and where the approver was."""

    item_ids = ItemIdsField()

    def where(self) -> tuple[str, int]:
        """The tab and page the approver acted from (hidden `tab` and `page` fields), to
        show after the action; the first page of Ready to Export when they are missing or
        not a tab and a page."""
        tab = self.data.get("tab")
        if tab not in TABS_BY_SLUG:
            tab = DEFAULT_TAB.slug
        return tab, page_number(self.data.get("page"))


class RejectForm(ExportItemsForm):
    reason = forms.CharField(
        label="Reason for the rejection",
        max_length=REJECTION_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": REJECTION_REASON_REQUIRED,
            "max_length": REJECTION_REASON_TOO_LONG,
        },
    )


class UnlinkForm(ExportItemsForm):
    """Unlink: the checked Synced items, a reason, and the approver's confirmation that
    the invoices were deleted in the ERP first."""

    reason = forms.CharField(
        label="Reason for unlinking",
        max_length=REJECTION_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": UNLINK_REASON_REQUIRED,
            "max_length": UNLINK_REASON_TOO_LONG,
        },
    )
    confirm = forms.BooleanField(
        label="The invoices were deleted in the ERP",
        error_messages={"required": UNLINK_NOT_CONFIRMED},
    )
