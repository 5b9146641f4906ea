"""Numbers typed by people: amounts and percentages, as the pages show them."""

from __future__ import annotations

import re
from decimal import Decimal

# ASCII digits with at most one decimal point, and an optional leading minus: what a
# number field on our pages shows and what its browser sends. Python's Decimal() takes
# far more (other scripts' digits such as "١٢٣", underscores as in "1_000", exponents
# as in "0.1e2", "NaN", "Infinity"), none of which a person typing an amount means.
PLAIN_DECIMAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def parse_plain_decimal(text: str) -> Decimal | None:
    """The number `text` spells (blanks around it allowed), or None when it is not
    written as a plain decimal."""
    text = text.strip()
    if not PLAIN_DECIMAL.fullmatch(text):
        return None
    return Decimal(text)
