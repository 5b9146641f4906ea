from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template

from core.display import display_name, money


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.5"), "$1,234.50"),
        (Decimal("1000000.00"), "$1,000,000.00"),
        (Decimal("0"), "$0.00"),
        (Decimal("-0.50"), "-$0.50"),
        (None, ""),
        ("not a number", ""),
    ],
)
def test_money_shows_dollars_with_cents_and_thousands_separators(amount, shown):
    assert money(amount) == shown


def test_erp_status_badge_escapes_its_label_and_needs_no_load():
    html = Template('{% erp_status_badge "synced" label %}').render(Context({"label": "<Synced>"}))
    assert html == '<span class="badge erp-status erp-status--synced">&lt;Synced&gt;</span>'


def test_display_name_is_the_full_name_else_the_username_else_someone():
    assert display_name(User(username="pat", first_name="Pat", last_name="Lee")) == "Pat Lee"
    assert display_name(User(username="pat")) == "pat"
    assert display_name(None) == "someone"


@pytest.mark.parametrize(
    ("first_name", "last_name", "shown"),
    [("Pat", "Admin", "Pat Admin"), ("", "", "pat-the-admin")],
    ids=["full name", "username"],
)
def test_user_name_is_the_full_name_else_the_username(first_name, last_name, shown):
    user = User(username="pat-the-admin", first_name=first_name, last_name=last_name)

    html = Template("{{ user|user_name }}").render(Context({"user": user}))

    assert html == shown


def test_user_name_of_nobody_is_empty_so_the_template_names_the_system():
    html = Template('{{ user|user_name|default:"System" }}').render(Context({"user": None}))

    assert html == "System"
