from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from commitments.models import PERCENT_VALIDATORS, Commitment, SovLine

# Billing dates a real invoice can have. The bounds also keep date arithmetic (the next
# period's default dates) far from the calendar's end.
EARLIEST_BILLING_DATE = datetime.date(2000, 1, 1)
LATEST_BILLING_DATE = datetime.date(2099, 12, 31)
BILLING_DATE_OUT_OF_RANGE = "Enter a date between 2000 and 2099."
BILLING_DATE_VALIDATORS = [
    MinValueValidator(EARLIEST_BILLING_DATE, message=BILLING_DATE_OUT_OF_RANGE),
    MaxValueValidator(LATEST_BILLING_DATE, message=BILLING_DATE_OUT_OF_RANGE),
]


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    UNDER_REVIEW = "under_review", "Under Review"
    REVISE_AND_RESUBMIT = "revise_and_resubmit", "Revise & Resubmit"
    PENDING_OWNER_APPROVAL = "pending_owner_approval", "Pending Owner Approval"
    APPROVED_AS_NOTED = "approved_as_noted", "Approved as Noted"
    APPROVED = "approved", "Approved"


# Statuses from which an invoice may be sent to ERP Integrations.
SENDABLE_STATUSES = frozenset(
    {
        InvoiceStatus.APPROVED,
        InvoiceStatus.APPROVED_AS_NOTED,
        InvoiceStatus.PENDING_OWNER_APPROVAL,
    }
)
# Statuses in which the invoice's author (or a Standard member) may still edit it.
EDITABLE_STATUSES = frozenset({InvoiceStatus.DRAFT, InvoiceStatus.REVISE_AND_RESUBMIT})


# The review workflow: which status may follow which. Sending to the ERP is a separate
# axis (`erp_status`) and does not change `status`.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    InvoiceStatus.DRAFT: frozenset({InvoiceStatus.UNDER_REVIEW}),
    InvoiceStatus.UNDER_REVIEW: frozenset(
        {
            InvoiceStatus.REVISE_AND_RESUBMIT,
            InvoiceStatus.PENDING_OWNER_APPROVAL,
            InvoiceStatus.APPROVED_AS_NOTED,
            InvoiceStatus.APPROVED,
        }
    ),
    InvoiceStatus.REVISE_AND_RESUBMIT: frozenset({InvoiceStatus.UNDER_REVIEW}),
    InvoiceStatus.PENDING_OWNER_APPROVAL: frozenset(
        {InvoiceStatus.APPROVED, InvoiceStatus.APPROVED_AS_NOTED, InvoiceStatus.REVISE_AND_RESUBMIT}
    ),
    InvoiceStatus.APPROVED_AS_NOTED: frozenset({InvoiceStatus.REVISE_AND_RESUBMIT}),
    InvoiceStatus.APPROVED: frozenset({InvoiceStatus.REVISE_AND_RESUBMIT}),
}
# Moves an author makes (submitting for review); every other move is a reviewer's.
SUBMIT_TRANSITIONS = frozenset(
    {
        (InvoiceStatus.DRAFT, InvoiceStatus.UNDER_REVIEW),
        (InvoiceStatus.REVISE_AND_RESUBMIT, InvoiceStatus.UNDER_REVIEW),
    }
)


class InvoiceErpStatus(models.TextChoices):
    """Where the invoice stands with ERP Integrations: its latest export item's state.
    `ERP_WORKFLOW` below says which action moves it from which status to which."""

    NOT_SENT = "not_sent", "Not Sent"
    READY_TO_EXPORT = "ready_to_export", "Ready to Export"
    EXPORTING = "exporting", "Exporting"
    SYNCED = "synced", "Synced"
    FAILED_TO_EXPORT = "failed_to_export", "Failed to Export"
    REJECTED = "rejected", "Rejected"
    RETRIEVED = "retrieved", "Retrieved"


# The state of an export item whose synced invoice was unlinked from the ERP (deleted
# there, then unlinked here): a record of the old export, with its ERP reference. Its
# invoice is back to Not Sent, so no invoice ever has this ERP status.
UNLINKED_ITEM_STATE = "unlinked"


class ErpActor(StrEnum):
    """Who takes an ERP action."""

    PROJECT_ADMIN = "project admin"
    ACCOUNTING_APPROVER = "accounting approver"
    EXPORT_WORKER = "export worker"


@dataclass(frozen=True)
class ErpTransition:
    """One action of the ERP workflow: the ERP statuses it may move an invoice from, the
    status it moves the invoice to, and who takes it. The invoice's export item moves
    with it (the invoice's ERP status mirrors its latest item's state)."""

    from_statuses: tuple[InvoiceErpStatus, ...]
    to_status: InvoiceErpStatus
    by: ErpActor
    # The state the export item moves to, when it is not the invoice's new status: an
    # unlinked item stays behind as a closed record while its invoice is back to Not Sent.
    item_to_state: str | None = None

    def allows(self, status: str) -> bool:
        return status in self.from_statuses

    @property
    def item_state(self) -> str:
        """The state the transition moves the export item to."""
        return self.item_to_state or self.to_status


@dataclass(frozen=True)
class ErpWorkflow:
    """The ERP state machine, one field per action. The services refuse what it does not
    allow, the pages offer what it allows, and every set of statuses another rule needs
    is a property below, read off the table rather than listed again (computed once:
    the table never changes).

    A new action is one more field here and one more row in `ERP_WORKFLOW`."""

    send: ErpTransition
    send_direct: ErpTransition
    retrieve: ErpTransition
    accept: ErpTransition
    reject: ErpTransition
    retry: ErpTransition
    unlink: ErpTransition
    export_succeeded: ErpTransition
    export_failed: ErpTransition

    @cached_property
    def transitions(self) -> dict[str, ErpTransition]:
        """Every action by name, in the table's order."""
        return {field.name: getattr(self, field.name) for field in fields(self)}

    @cached_property
    def locked_statuses(self) -> tuple[InvoiceErpStatus, ...]:
        """The statuses an invoice cannot be sent from: it is in ERP Integrations or was
        exported, so nothing on it may change. An export item in one of them is its
        invoice's active item; an invoice has at most one."""
        return tuple(status for status in InvoiceErpStatus if not self.send.allows(status))

    @cached_property
    def in_erp_integrations_statuses(self) -> tuple[InvoiceErpStatus, ...]:
        """Locked and not exported yet: in the accounting approver's hands or on the way
        to the ERP. What such an invoice exports (its lines' scheduled values, the
        commitment's number and vendor) is read when it is exported, so it may not change
        until the invoice is exported, rejected or retrieved."""
        exported = self.export_succeeded.to_status
        return tuple(status for status in self.locked_statuses if status != exported)

    @cached_property
    def accepted_statuses(self) -> tuple[InvoiceErpStatus, ...]:
        """Locked and past the accounting approver's acceptance: exporting, exported, or
        failed to export."""
        waiting = self.accept.from_statuses
        return tuple(status for status in self.locked_statuses if status not in waiting)

    @cached_property
    def exporting_statuses(self) -> tuple[InvoiceErpStatus, ...]:
        """The statuses an export attempt may run from: those the export worker's outcomes
        move an invoice from."""
        return self._statuses_acted_on_by(ErpActor.EXPORT_WORKER)

    @cached_property
    def decidable_statuses(self) -> tuple[InvoiceErpStatus, ...]:
        """The statuses the accounting approver decides on before the invoice reaches
        the ERP: accept, reject, retry. (Unlinking acts on an exported invoice.)"""
        deciding = (self.accept, self.reject, self.retry)
        return tuple(
            status
            for status in InvoiceErpStatus
            if any(transition.allows(status) for transition in deciding)
        )

    @cached_property
    def approver_statuses(self) -> tuple[InvoiceErpStatus, ...]:
        """The statuses the accounting approver may act on at all (the queue's tabs with
        checkboxes): the decidable ones, and Synced (unlink)."""
        return self._statuses_acted_on_by(ErpActor.ACCOUNTING_APPROVER)

    def _statuses_acted_on_by(self, actor: ErpActor) -> tuple[InvoiceErpStatus, ...]:
        actions = [transition for transition in self.transitions.values() if transition.by == actor]
        return tuple(
            status
            for status in InvoiceErpStatus
            if any(transition.allows(status) for transition in actions)
        )


ERP_WORKFLOW = ErpWorkflow(
    send=ErpTransition(
        from_statuses=(
            InvoiceErpStatus.NOT_SENT,
            InvoiceErpStatus.REJECTED,
            InvoiceErpStatus.RETRIEVED,
        ),
        to_status=InvoiceErpStatus.READY_TO_EXPORT,
        by=ErpActor.PROJECT_ADMIN,
    ),
    # With the company's Direct Export on, sending is also the acceptance, by the sender:
    # the invoice starts exporting at once and there is no window to retrieve it.
    send_direct=ErpTransition(
        from_statuses=(
            InvoiceErpStatus.NOT_SENT,
            InvoiceErpStatus.REJECTED,
            InvoiceErpStatus.RETRIEVED,
        ),
        to_status=InvoiceErpStatus.EXPORTING,
        by=ErpActor.PROJECT_ADMIN,
    ),
    retrieve=ErpTransition(
        from_statuses=(InvoiceErpStatus.READY_TO_EXPORT,),
        to_status=InvoiceErpStatus.RETRIEVED,
        by=ErpActor.PROJECT_ADMIN,
    ),
    accept=ErpTransition(
        from_statuses=(InvoiceErpStatus.READY_TO_EXPORT,),
        to_status=InvoiceErpStatus.EXPORTING,
        by=ErpActor.ACCOUNTING_APPROVER,
    ),
    reject=ErpTransition(
        from_statuses=(InvoiceErpStatus.READY_TO_EXPORT, InvoiceErpStatus.FAILED_TO_EXPORT),
        to_status=InvoiceErpStatus.REJECTED,
        by=ErpActor.ACCOUNTING_APPROVER,
    ),
    retry=ErpTransition(
        from_statuses=(InvoiceErpStatus.FAILED_TO_EXPORT,),
        to_status=InvoiceErpStatus.EXPORTING,
        by=ErpActor.ACCOUNTING_APPROVER,
    ),
    # After the invoice was deleted in the ERP: it is unlocked and can be corrected and
    # sent again, as a new export document.
    unlink=ErpTransition(
        from_statuses=(InvoiceErpStatus.SYNCED,),
        to_status=InvoiceErpStatus.NOT_SENT,
        by=ErpActor.ACCOUNTING_APPROVER,
        item_to_state=UNLINKED_ITEM_STATE,
    ),
    export_succeeded=ErpTransition(
        from_statuses=(InvoiceErpStatus.EXPORTING,),
        to_status=InvoiceErpStatus.SYNCED,
        by=ErpActor.EXPORT_WORKER,
    ),
    export_failed=ErpTransition(
        from_statuses=(InvoiceErpStatus.EXPORTING,),
        to_status=InvoiceErpStatus.FAILED_TO_EXPORT,
        by=ErpActor.EXPORT_WORKER,
    ),
)


class Invoice(models.Model):
    """A subcontractor invoice (requisition) against a commitment.

    `erp_status` mirrors the state of the invoice's latest export item. The ERP services
    are its only writers and change both in one transaction while holding this row's lock,
    so the invoice row is the single point every ERP action serializes on, and lists can
    filter on the status without a join.
    """

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="invoices")
    number = models.PositiveIntegerField(help_text="Sequential per commitment.")
    billing_period_start = models.DateField(validators=BILLING_DATE_VALIDATORS)
    billing_period_end = models.DateField(validators=BILLING_DATE_VALIDATORS)
    billing_date = models.DateField(validators=BILLING_DATE_VALIDATORS)
    status = models.CharField(
        max_length=32, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    erp_status = models.CharField(
        "ERP status",
        max_length=20,
        choices=InvoiceErpStatus.choices,
        default=InvoiceErpStatus.NOT_SENT,
    )
    revision = models.PositiveIntegerField(
        default=1, help_text="Goes up with every edit; an export item records the one it sent."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["commitment", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "number"], name="invoice_number_unique_per_commitment"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="invoice_number_positive"),
            models.CheckConstraint(
                condition=Q(billing_period_end__gte=F("billing_period_start")),
                name="invoice_billing_period_ends_after_it_starts",
            ),
        ]
        indexes = [
            models.Index(fields=["commitment", "erp_status"], name="invoice_commitment_erp"),
            models.Index(fields=["commitment", "status"], name="invoice_commitment_status"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment.number} {self.label}"

    def get_absolute_url(self) -> str:
        return reverse(
            "invoices:detail", args=[self.commitment.project_id, self.commitment_id, self.pk]
        )

    @property
    def label(self) -> str:
        """How pages and messages name the invoice: "INV-4"."""
        return f"INV-{self.number}"

    @property
    def is_locked(self) -> bool:
        """Whether it is in ERP Integrations or was exported: nothing on it may change."""
        return self.erp_status in ERP_WORKFLOW.locked_statuses

    @property
    def is_sendable(self) -> bool:
        """Whether the invoice itself may go to ERP Integrations: reviewed into a sendable
        status and not there already. Sending also checks the commitment and the
        company's ERP rules, and says which one refuses."""
        return ERP_WORKFLOW.send.allows(self.erp_status) and self.status in SENDABLE_STATUSES

    @property
    def has_been_sent(self) -> bool:
        """Whether it has been to ERP Integrations: sending it now sends it again."""
        return self.erp_status != InvoiceErpStatus.NOT_SENT

    @property
    def can_be_retrieved(self) -> bool:
        return ERP_WORKFLOW.retrieve.allows(self.erp_status)


class InvoiceLine(models.Model):
    """What one invoice bills against one SOV line. Only the inputs are stored; the
    derived amounts come from `invoices.amounts`."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    sov_line = models.ForeignKey(SovLine, on_delete=models.PROTECT, related_name="invoice_lines")
    work_completed_this_period = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    materials_presently_stored = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        help_text="Materials newly stored this period and not yet installed.",
    )
    work_retainage_percent = models.DecimalField(
        "work retainage %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=PERCENT_VALIDATORS,
    )
    materials_retainage_percent = models.DecimalField(
        "materials retainage %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=PERCENT_VALIDATORS,
    )

    class Meta:
        ordering = ["invoice", "sov_line__position", "sov_line_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "sov_line"], name="invoice_line_unique_per_sov_line"
            ),
            models.CheckConstraint(
                condition=Q(materials_presently_stored__gte=0),
                name="invoice_line_materials_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(work_retainage_percent__gte=0) & Q(work_retainage_percent__lte=100),
                name="invoice_line_work_retainage_between_0_and_100",
            ),
            models.CheckConstraint(
                condition=Q(materials_retainage_percent__gte=0)
                & Q(materials_retainage_percent__lte=100),
                name="invoice_line_materials_retainage_between_0_and_100",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} · {self.sov_line}"


class ChangeHistoryEntry(models.Model):
    """One row of an invoice's append-only change history (Date, Action By, Changed,
    From, To). Bulk actions share a batch id across the rows they write."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="history")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    changed = models.CharField(max_length=100)
    from_value = models.TextField("from", blank=True)
    to_value = models.TextField("to", blank=True)
    batch_id = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "change history entry"
        verbose_name_plural = "change history"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["invoice", "-created_at"], name="history_invoice_created")]

    def __str__(self) -> str:
        return f"{self.invoice}: {self.changed}"


def attachment_storage_path(attachment: InvoiceAttachment, filename: str) -> str:
    """Where an attachment's file is stored: a random name under its invoice's folder,
    with the extension of its sniffed type. The user's file name is never part of it."""
    extension = ATTACHMENT_EXTENSIONS.get(attachment.content_type, "")
    return f"invoice-attachments/{attachment.invoice_id}/{uuid.uuid4().hex}{extension}"


# The content types an attachment may have (judged by its content), with the extension
# its stored file gets.
ATTACHMENT_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/heic": ".heic",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "text/csv": ".csv",
}


class InvoiceAttachment(models.Model):
    """A document that comes with an invoice: the signed pay application, backup, a lien
    waiver, a photo. The file lives in the default storage under a generated name;
    `original_name` is what the user called it (cleaned), shown and offered as the
    download's name, never used as a path."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_storage_path, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(help_text="In bytes.")
    content_type = models.CharField(max_length=100, help_text="Judged by the file's content.")
    sha256 = models.CharField("SHA-256", max_length=64)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "added_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=1), name="invoice_attachment_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.original_name}"

    @property
    def opens_inline(self) -> bool:
        """PDFs and the images a browser shows open in the browser; the rest download."""
        return self.content_type in INLINE_CONTENT_TYPES

    @property
    def type_label(self) -> str:
        return ATTACHMENT_TYPE_LABELS.get(self.content_type, self.content_type)


INLINE_CONTENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
ATTACHMENT_TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/heic": "HEIC image",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel workbook",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "text/csv": "CSV",
}
