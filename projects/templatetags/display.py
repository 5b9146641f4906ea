"""Small, fast pieces of display used in every table row; a built-in library (settings'
TEMPLATES builtins), so templates use them without `{% load %}`.

Tables show hundreds of rows per page: `floatformat:"2g"` goes through the locale
machinery for each amount, and an `{% include %}` per badge sets up a template context
each time; together they cost about as much as the rest of a row."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from invoices.locking import display_name

register = template.Library()


@register.filter(is_safe=True)
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


@register.simple_tag
def erp_status_badge(status: str, label: str) -> str:
    """An ERP status in plain words, coloured by its stored value (see app.css)."""
    return format_html('<span class="badge erp-status erp-status--{}">{}</span>', status, label)


@register.filter
def user_name(user) -> str:
    """What the pages call a user (`display_name`); empty for no user, so a template can
    say who else acted: `{{ entry.action_by|user_name|default:"System" }}`."""
    return display_name(user) if user else ""
