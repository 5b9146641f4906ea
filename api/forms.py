from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

EXPIRY_IN_PAST = "Choose today or a later date, or leave it empty for no expiry."


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. “Reporting” or “ERP agent”."
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        help_text="Optional. The token stops working at the end of this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_expires_on(self) -> datetime.date | None:
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is not None and expires_on < timezone.localdate():
            raise forms.ValidationError(EXPIRY_IN_PAST)
        return expires_on

    def expires_at(self) -> datetime.datetime | None:
        """The end of the chosen day in the site's time zone (the start of the next)."""
        expires_on = self.cleaned_data.get("expires_on")
        if expires_on is None:
            return None
        return timezone.make_aware(
            datetime.datetime.combine(expires_on + datetime.timedelta(days=1), datetime.time.min)
        )
