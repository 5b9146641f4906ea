from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from projects.templatetags.display import money


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
