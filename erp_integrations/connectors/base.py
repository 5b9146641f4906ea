"""What every connector offers: deliver one export document to the ERP, once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from invoices.models import InvoiceAttachment


class ExportError(Exception):
    """An export attempt did not reach the ERP. The message is shown to the accounting
    approver (and emailed), so it says in plain words what went wrong."""


class TransientExportError(ExportError):
    """Worth trying again later: the ERP was unreachable, slow, or answered 5xx."""


class PermanentExportError(ExportError):
    """Trying again will not help until someone fixes something (the document, the
    connection settings, or the data in the ERP)."""


class Connector(Protocol):
    def deliver(
        self,
        document: dict,
        *,
        idempotency_key: str,
        attachments: Sequence[InvoiceAttachment] = (),
    ) -> str:
        """Create the document in the ERP and return the ERP's reference for it. The
        `attachments` are those the document lists (`document["attachments"]`).

        Delivering again with the same idempotency key must not create a second document:
        it returns the reference of the first one.
        Raises TransientExportError or PermanentExportError.
        """
        ...
