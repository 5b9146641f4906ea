"""Numbers as people type them on the pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.numbers import parse_plain_decimal


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", "0"),
        ("1234.50", "1234.50"),
        ("-7.5", "-7.5"),
        (".5", "0.5"),
        ("5.", "5"),
        (" 3 ", "3"),
    ],
)
def test_a_plain_decimal_is_read(text, number):
    assert parse_plain_decimal(text) == Decimal(number)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-",
        ".",
        "١٢٣",
        "1_000",
        "0.1e2",
        "1E3",
        "1,000",
        "1.2.3",
        "+5",
        "NaN",
        "Infinity",
        "\uff11\uff12",
    ],
)
def test_anything_else_is_not_a_number(text):
    assert parse_plain_decimal(text) is None
