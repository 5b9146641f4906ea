"""The invoice edit page's forms: the header (billing period and date) and one form per
line. They check the shape of the input; `invoices.services.invoice_update` decides
whether the edit may happen and saves it."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from core.forms import PlainDecimalField
from invoices.models import BILLING_DATE_VALIDATORS, LATEST_BILLING_DATE
from invoices.services import MAX_AMOUNT, PERIOD_ENDS_BEFORE_START

DUPLICATE_LINE = "Line {line_id} appears more than once. Each line may be given only once."


class BootstrapFormMixin(forms.BaseForm):
    """Bootstrap classes on every input, `is-invalid` and aria-invalid on those with
    errors, so the message beside a field is tied to it. Mixed into forms.Form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field.widget, forms.HiddenInput):
                field.widget.attrs.setdefault("class", "form-control")

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}-errors"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(label=label, widget=DateInput(), validators=BILLING_DATE_VALIDATORS)


class InvoiceHeaderForm(BootstrapFormMixin, forms.Form):
    billing_period_start = _date_field("Billing period start")
    billing_period_end = _date_field("Billing period end")
    billing_date = _date_field("Billing date")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("billing_period_start"), cleaned.get("billing_period_end")
        if start and end and end < start:
            self.add_error("billing_period_end", PERIOD_ENDS_BEFORE_START)
        return cleaned


def default_billing_dates(
    latest_period_end: datetime.date | None, today: datetime.date
) -> dict[str, datetime.date]:
    """The create page's initial dates: from the day after the latest invoice's billing
    period to the end of that month (the whole of this month when there is no invoice
    yet), billed on the period's last day."""
    if latest_period_end is None or latest_period_end >= LATEST_BILLING_DATE:
        start = today.replace(day=1)
    else:
        start = latest_period_end + datetime.timedelta(days=1)
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    return {"billing_period_start": start, "billing_period_end": end, "billing_date": end}


def _amount_field(label: str, *, minimum: Decimal | None = None) -> PlainDecimalField:
    """Money: negative down to -MAX_AMOUNT (a credit of work completed), or from `minimum`."""
    validators = [MaxValueValidator(MAX_AMOUNT), MinValueValidator(-MAX_AMOUNT)]
    if minimum is not None:
        validators = [MaxValueValidator(MAX_AMOUNT), MinValueValidator(minimum)]
    return PlainDecimalField(
        label=label,
        allow_negative=minimum is None or minimum < 0,
        max_digits=14,
        decimal_places=2,
        validators=validators,
        widget=forms.NumberInput(attrs={"step": "0.01", "class": "form-control text-end"}),
    )


def _percent_field(label: str) -> PlainDecimalField:
    return PlainDecimalField(
        label=label,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        widget=forms.NumberInput(
            attrs={"step": "0.01", "min": "0", "max": "100", "class": "form-control text-end"}
        ),
    )


class InvoiceLineForm(BootstrapFormMixin, forms.Form):
    line_id = forms.IntegerField(widget=forms.HiddenInput)
    work_completed_this_period = _amount_field("Work completed this period")
    materials_presently_stored = _amount_field("Materials presently stored", minimum=Decimal("0"))
    work_retainage_percent = _percent_field("Work retainage %")
    materials_retainage_percent = _percent_field("Materials retainage %")

    LINE_FIELDS = (
        "work_completed_this_period",
        "materials_presently_stored",
        "work_retainage_percent",
        "materials_retainage_percent",
    )


class InvoiceLineFormSet(forms.BaseFormSet):
    """The edit page's lines. Each line may appear once: a forged form repeating a line
    id would otherwise be merged into one edit, the last value winning."""

    def clean(self) -> None:
        super().clean()
        seen: set[int] = set()
        for form in self.forms:
            line_id = getattr(form, "cleaned_data", {}).get("line_id")
            if line_id is None:
                continue
            if line_id in seen:
                raise forms.ValidationError(DUPLICATE_LINE.format(line_id=line_id))
            seen.add(line_id)


def invoice_line_formset_class(line_count: int) -> type[forms.BaseFormSet]:
    """Exactly one form per line of the invoice; more or fewer is refused."""
    return forms.formset_factory(
        InvoiceLineForm,
        formset=InvoiceLineFormSet,
        extra=0,
        min_num=line_count,
        max_num=line_count,
        absolute_max=line_count,
        validate_min=True,
        validate_max=True,
    )
