"""How people and amounts read on the pages and in messages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib.auth.models import AbstractUser


def display_name(user: AbstractUser | None) -> str:
    """A user's full name, else their username; "someone" when the user is gone."""
    if user is None:
        return "someone"
    return user.get_full_name() or user.get_username()


def money(amount: Decimal | int | float | str | None) -> str:
    """An amount as US dollars with cents, e.g. "$1,234.50" or "-$0.50"."""
    if amount is None or amount == "":
        return ""
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
