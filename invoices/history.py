"""Writing an invoice's change history. Rows are only ever added."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import User

from invoices.models import ChangeHistoryEntry, Invoice


def history_entry(
    invoice: Invoice,
    *,
    action_by: User | None,
    changed: str,
    from_value: str = "",
    to_value: str = "",
    batch_id: uuid.UUID | None = None,
) -> ChangeHistoryEntry:
    """An unsaved row; `record_history` saves many in one query."""
    return ChangeHistoryEntry(
        invoice=invoice,
        action_by=action_by,
        changed=changed,
        from_value=from_value,
        to_value=to_value,
        batch_id=batch_id,
    )


def record_history(entries: Iterable[ChangeHistoryEntry]) -> None:
    ChangeHistoryEntry.objects.bulk_create(list(entries))
