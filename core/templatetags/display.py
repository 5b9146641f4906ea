"""Small, fast pieces of display used in every table row; a built-in library (settings'
TEMPLATES builtins), so templates use them without `{% load %}`.

Tables show hundreds of rows per page: `floatformat:"2g"` goes through the locale
machinery for each amount, and an `{% include %}` per badge sets up a template context
each time; together they cost about as much as the rest of a row."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from core import display

register = template.Library()

register.filter("money", display.money, is_safe=True)


@register.simple_tag
def erp_status_badge(status: str, label: str) -> str:
    """An ERP status in plain words, coloured by its stored value (see app.css)."""
    return format_html('<span class="badge erp-status erp-status--{}">{}</span>', status, label)


@register.filter
def user_name(user) -> str:
    """What the pages call a user (`display_name`); empty for no user, so a template can
    say who else acted: `{{ entry.action_by|user_name|default:"System" }}`."""
    return display.display_name(user) if user else ""
