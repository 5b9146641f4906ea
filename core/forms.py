"""Form fields the pages share."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.numbers import parse_plain_decimal

NOT_A_PLAIN_NUMBER = "Enter a number using digits and at most one decimal point, e.g. 1234.50."
NOT_NEGATIVE = "Enter a number that is not negative."


class PlainDecimalField(forms.DecimalField):
    """Every amount and percentage input: accepts only what the page's number field
    shows, ASCII digits and at most one decimal point, with a minus sign only where
    negatives are allowed (see `core.numbers`). Django's DecimalField hands the text to
    Decimal(), which also takes "١٢٣", "1_000" and "0.1e2"."""

    default_error_messages = {"invalid": NOT_A_PLAIN_NUMBER, "negative": NOT_NEGATIVE}

    def __init__(self, *, allow_negative: bool = False, **kwargs) -> None:
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    # Django's DecimalField subclasses IntegerField; django-stubs ignores the same override.
    def to_python(self, value) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        number = value if isinstance(value, Decimal) else parse_plain_decimal(str(value))
        if number is None or not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if number < 0 and not self.allow_negative:
            raise ValidationError(self.error_messages["negative"], code="negative")
        return number
