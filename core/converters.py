"""The path converter every URL with a database id uses: `<dbid:invoice_id>`.

Ids are BigAutoField values, 1 to 2**63 - 1 on every database we run on. A path number
outside that range cannot name a row; matching it anyway would hand the view a number
the database driver cannot bind (SQLite raises OverflowError, a 500). Refusing it here,
once, makes every such URL a 404 before any view runs.
"""

from __future__ import annotations

SMALLEST_ID = 1
LARGEST_ID = 2**63 - 1


class DatabaseIdConverter:
    # At most 19 digits (LARGEST_ID has 19), so a long run of digits is refused before
    # it is turned into a number.
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not SMALLEST_ID <= number <= LARGEST_ID:
            # ValueError tells the resolver the pattern does not match: a 404.
            raise ValueError(f"{value} is not a database id")
        return number

    def to_url(self, value: int | str) -> str:
        return str(self.to_python(str(value)))
