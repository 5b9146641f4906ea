"""The embedded default connector: one JSON document per export, written into a folder
that the ERP's import job reads.

A document appears atomically: it is written to a hidden temporary file in the same
folder, flushed to disk, then hard-linked to its final name `<idempotency key>.json`.
Linking fails when the name exists, so a reader never sees a partial file and a second
delivery with the same key leaves the first document in place and returns its reference.
Import jobs should read `*.json` files only (temporary files start with a dot and end in
`.tmp`).

The invoice's attachments are written first, into the folder `<idempotency key>/` beside
the document, each under the `file_name` the document gives it and each atomically
(a temporary file renamed into place). The document appears last, so when an import job
sees it, its attachments are all there.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from erp_integrations.connectors.base import PermanentExportError, TransientExportError

if TYPE_CHECKING:
    from invoices.models import InvoiceAttachment

ATTACHMENT_MISSING = (
    "The file of the attachment {name} is missing from storage, so the export cannot carry "
    "it. Reject the invoice so that the attachment can be removed or uploaded again."
)
WRITE_FAILED = "Could not write the export document into {directory}: {error}."
FOLDER_NOT_WRITABLE = (
    "The export folder {directory} cannot be written to ({error}). Ask your system "
    "administrator to fix the folder's permissions or the ERP connection's export folder."
)


class FileConnector:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def deliver(
        self,
        document: dict,
        *,
        idempotency_key: str,
        attachments: Sequence[InvoiceAttachment] = (),
    ) -> str:
        target = self.directory / f"{idempotency_key}.json"
        try:
            if not target.exists():
                self.directory.mkdir(parents=True, exist_ok=True)
                self._write_attachments(self.directory / idempotency_key, document, attachments)
                self._write_once(target, document)
        except PermissionError as error:
            raise PermanentExportError(
                FOLDER_NOT_WRITABLE.format(directory=self.directory, error=error.strerror)
            ) from error
        except OSError as error:
            # A full disk or a network folder that went away may come back.
            raise TransientExportError(
                WRITE_FAILED.format(directory=self.directory, error=error.strerror or error)
            ) from error
        return reference_of(target)

    def _write_attachments(
        self, folder: Path, document: dict, attachments: Sequence[InvoiceAttachment]
    ) -> None:
        file_names = {entry["id"]: entry["file_name"] for entry in document.get("attachments", [])}
        for attachment in attachments:
            folder.mkdir(exist_ok=True)
            target = folder / file_names[attachment.pk]
            if target.exists():
                continue  # an earlier delivery of the same key wrote it
            try:
                source = attachment.file.open("rb")
            except FileNotFoundError as error:
                raise PermanentExportError(
                    ATTACHMENT_MISSING.format(name=attachment.original_name)
                ) from error
            descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
            try:
                with source, os.fdopen(descriptor, "wb") as temporary_file:
                    shutil.copyfileobj(source, temporary_file)
                    temporary_file.flush()
                    os.fsync(temporary_file.fileno())
                os.chmod(temporary, 0o644)
                os.replace(temporary, target)
            finally:
                Path(temporary).unlink(missing_ok=True)

    def _write_once(self, target: Path, document: dict) -> None:
        content = json.dumps(document, indent=2, sort_keys=True).encode()
        descriptor, temporary = tempfile.mkstemp(
            dir=self.directory, prefix=f".{target.stem}.", suffix=".tmp"
        )
        try:
            with os.fdopen(descriptor, "wb") as temporary_file:
                temporary_file.write(content)
                temporary_file.flush()
                os.fsync(temporary_file.fileno())
            os.chmod(temporary, 0o644)
            try:
                os.link(temporary, target)
            except FileExistsError:
                return  # another delivery of the same key got there first
            except OSError as error:
                if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV):
                    raise
                # The filesystem has no hard links; a rename is still atomic, and the
                # document for a key is the same whichever delivery wrote it.
                if target.exists():
                    return
                os.replace(temporary, target)
            _fsync_directory(self.directory)
        finally:
            Path(temporary).unlink(missing_ok=True)


def reference_of(path: Path) -> str:
    """The ERP reference of a file export: the document's file name."""
    return path.name


def _fsync_directory(directory: Path) -> None:
    """Make the new name durable, so a crash cannot lose a document already reported as
    delivered."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
