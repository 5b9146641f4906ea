from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual

from invoices.models import ERP_WORKFLOW, UNLINKED_ITEM_STATE, Invoice, InvoiceErpStatus
from projects.models import Company


class ErpSystem(models.TextChoices):
    SAGE_300_CRE = "sage_300_cre", "Sage 300 CRE"
    VIEWPOINT_VISTA = "viewpoint_vista", "Viewpoint Vista"
    ACUMATICA = "acumatica", "Acumatica"
    QUICKBOOKS_DESKTOP = "quickbooks_desktop", "QuickBooks Desktop"
    SAGE_INTACCT = "sage_intacct", "Sage Intacct"
    CMIC = "cmic", "CMiC"
    SAGE_100_CONTRACTOR = "sage_100_contractor", "Sage 100 Contractor"
    VIEWPOINT_SPECTRUM = "viewpoint_spectrum", "Viewpoint Spectrum"
    YARDI_VOYAGER = "yardi_voyager", "Yardi Voyager"
    XERO = "xero", "Xero"


class ConnectorKind(models.TextChoices):
    FILE = "file", "File (export documents written to a folder)"
    HTTP = "http", "HTTP (JSON posted to an ERP gateway)"
    # Nothing is pushed: an agent beside an on-premises ERP pulls the accepted items
    # through the API (erp_integrations/pull.py), so the export worker leaves them alone.
    AGENT = "agent", "Agent (exports pulled by an on-premises agent)"


class ApproverEmails(models.TextChoices):
    """How the company's accounting approvers hear of invoices sent to ERP Integrations."""

    PER_SEND = "per_send", "Per send: an email each time invoices are sent"
    DIGEST_ONLY = "digest_only", "Digest only: one email a day of what waits"
    BOTH = "both", "Both: an email per send and the daily digest"


# What a company without an ERP connection (or before the setting existed) gets.
DEFAULT_APPROVER_EMAILS = ApproverEmails.DIGEST_ONLY
PER_SEND_MODES = (ApproverEmails.PER_SEND, ApproverEmails.BOTH)
DIGEST_MODES = (ApproverEmails.DIGEST_ONLY, ApproverEmails.BOTH)


class ErpConnection(models.Model):
    """The company's one link to its ERP system, and how exports reach it."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="erp_connection")
    system = models.CharField("ERP system", max_length=32, choices=ErpSystem.choices)
    connector = models.CharField(max_length=8, choices=ConnectorKind.choices, default="file")
    export_directory = models.CharField(
        max_length=500,
        blank=True,
        help_text="File connector: folder for export documents (default: ERP_EXPORT_DIR).",
    )
    gateway_url = models.URLField("gateway URL", blank=True, help_text="HTTP connector only.")
    timeout_seconds = models.PositiveSmallIntegerField(default=10)
    retainage_item = models.CharField(
        max_length=64,
        blank=True,
        help_text="QuickBooks Desktop: the item that carries retainage. Required there.",
    )
    direct_export = models.BooleanField(
        default=False,
        help_text=(
            "When on, Send to ERP exports at once: the invoice is accepted by whoever sends "
            "it, with no accounting approver step and no window to retrieve it. Items sent "
            "while it is on stay with the accounting approver (retry, reject, unlink) after "
            "it is turned off."
        ),
    )
    approver_emails = models.CharField(
        "approver emails",
        max_length=16,
        choices=ApproverEmails.choices,
        default=DEFAULT_APPROVER_EMAILS,
        help_text=(
            "Per send: the accounting approvers get an email each time invoices are sent "
            "to ERP Integrations. Digest only: one email a day (manage.py send_erp_digest) "
            "of what waits and what failed, to each approver who has not unsubscribed. "
            "Both: the two."
        ),
    )

    class Meta:
        verbose_name = "ERP connection"
        constraints = [
            models.CheckConstraint(
                condition=~Q(connector=ConnectorKind.HTTP) | ~Q(gateway_url=""),
                name="http_connector_has_gateway_url",
            ),
            models.CheckConstraint(
                condition=Q(timeout_seconds__gte=1), name="erp_connection_timeout_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company}: {self.get_system_display()} ({self.connector})"

    @property
    def sends_per_send_emails(self) -> bool:
        return self.approver_emails in PER_SEND_MODES

    @property
    def sends_digest(self) -> bool:
        return self.approver_emails in DIGEST_MODES


# A rejection or unlink reason is read by people: a few sentences, stored on the item and in the
# invoice's history, and mailed to the sender. The limit keeps a pasted document out.
REJECTION_REASON_MAX_LENGTH = 2000


class ExportState(models.TextChoices):
    """An export item's state. The invoice's ERP status mirrors its latest item's state,
    so the states are the invoice's ERP statuses, taken from `InvoiceErpStatus` (value and
    label), and the transition table `ERP_WORKFLOW` (invoices/models.py) moves both.
    This enum exists, rather than the item using `InvoiceErpStatus`, because an item is
    never Not Sent: these are the item field's choices."""

    READY_TO_EXPORT = InvoiceErpStatus.READY_TO_EXPORT.value, InvoiceErpStatus.READY_TO_EXPORT.label
    EXPORTING = InvoiceErpStatus.EXPORTING.value, InvoiceErpStatus.EXPORTING.label
    SYNCED = InvoiceErpStatus.SYNCED.value, InvoiceErpStatus.SYNCED.label
    FAILED_TO_EXPORT = (
        InvoiceErpStatus.FAILED_TO_EXPORT.value,
        InvoiceErpStatus.FAILED_TO_EXPORT.label,
    )
    REJECTED = InvoiceErpStatus.REJECTED.value, InvoiceErpStatus.REJECTED.label
    RETRIEVED = InvoiceErpStatus.RETRIEVED.value, InvoiceErpStatus.RETRIEVED.label
    # The one state that is not an invoice's: see UNLINKED_ITEM_STATE.
    UNLINKED = UNLINKED_ITEM_STATE, "Unlinked"


class ExportItem(models.Model):
    """One sending of an invoice to ERP Integrations: the approver's queue entry."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="export_items")
    # Denormalized from invoice.commitment.project.company so the company-wide queue is
    # one indexed range scan.
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="export_items")
    state = models.CharField(
        max_length=20, choices=ExportState.choices, default=ExportState.READY_TO_EXPORT
    )
    invoice_revision = models.PositiveIntegerField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(
        blank=True,
        max_length=REJECTION_REASON_MAX_LENGTH,
        validators=[MaxLengthValidator(REJECTION_REASON_MAX_LENGTH)],
    )
    retrieved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    retrieved_at = models.DateTimeField(null=True, blank=True)
    # Sent while the company's Direct Export was on: accepted by its sender as it was
    # sent, never in Ready to Export.
    sent_directly = models.BooleanField(default=False)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlink_reason = models.TextField(
        blank=True,
        max_length=REJECTION_REASON_MAX_LENGTH,
        validators=[MaxLengthValidator(REJECTION_REASON_MAX_LENGTH)],
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    # The claim of an attempt (erp_integrations/exporting.py): held while
    # `export_started_at` is set, until `claim_expires_at`, which the worker's heartbeat
    # moves on while it delivers; once released, the time the attempt ended.
    # `claimed_by` names the task that made the attempt, so that the sweep can tell a
    # running task from one whose worker died.
    export_started_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    erp_reference = models.CharField("ERP document reference", max_length=128, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    batch_id = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice"],
                # Rejected and retrieved items are closed records; an invoice gathers
                # one more each time it is sent again.
                condition=Q(state__in=ERP_WORKFLOW.locked_statuses),
                name="one_active_export_item_per_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(state=ExportState.REJECTED) | ~Q(rejection_reason=""),
                name="rejected_export_item_has_reason",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("rejection_reason"), REJECTION_REASON_MAX_LENGTH),
                name="export_item_rejection_reason_max_length",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=[ExportState.SYNCED, ExportState.UNLINKED])
                | ~Q(erp_reference=""),
                name="synced_export_item_has_erp_reference",
            ),
            models.CheckConstraint(
                condition=~Q(state=ExportState.UNLINKED) | ~Q(unlink_reason=""),
                name="unlinked_export_item_has_reason",
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("unlink_reason"), REJECTION_REASON_MAX_LENGTH),
                name="export_item_unlink_reason_max_length",
            ),
        ]
        indexes = [
            # The queue's tabs: filter on company and state, newest sending first, the
            # pk breaking ties so that pages are stable.
            models.Index(fields=["company", "state", "-sent_at", "-id"], name="export_item_queue"),
            models.Index(fields=["state", "next_retry_at"], name="export_item_retry_due"),
            models.Index(fields=["claim_expires_at"], name="export_item_claim_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice} ({self.get_state_display()})"

    @property
    def is_active(self) -> bool:
        """Whether it holds its invoice locked (an invoice has at most one such item)."""
        return self.state in ERP_WORKFLOW.locked_statuses

    @property
    def can_be_accepted(self) -> bool:
        return ERP_WORKFLOW.accept.allows(self.state)

    @property
    def is_decidable(self) -> bool:
        """Whether the accounting approver may act on it."""
        return self.state in ERP_WORKFLOW.decidable_statuses

    @property
    def is_exporting(self) -> bool:
        return self.state in ERP_WORKFLOW.exporting_statuses

    @property
    def has_failed(self) -> bool:
        return self.state == ExportState.FAILED_TO_EXPORT

    @property
    def is_rejected(self) -> bool:
        return self.state == ExportState.REJECTED

    @property
    def is_retrieved(self) -> bool:
        return self.state == ExportState.RETRIEVED

    @property
    def is_unlinked(self) -> bool:
        return self.state == ExportState.UNLINKED

    @property
    def can_be_unlinked(self) -> bool:
        """Whether the unlink transition allows its state (the service also checks the
        commitment's later invoices and the ERP system)."""
        return ERP_WORKFLOW.unlink.allows(self.state)


class ErpDigestSubscription(models.Model):
    """An accounting approver's choice about the daily ERP digest. Approvers receive it
    until they unsubscribe: a user without a row is subscribed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erp_digest_subscription"
    )
    subscribed = models.BooleanField(default=True)
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "ERP digest subscription"

    def __str__(self) -> str:
        state = "subscribed" if self.subscribed else "unsubscribed"
        return f"{self.user}: {state}"


class DigestDeliveryStatus(models.TextChoices):
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class ErpDigestDelivery(models.Model):
    """One approver's digest of one day (in the site's time zone). A run claims the row
    by inserting it before it sends, so however many runs there are, on however many
    hosts, one email goes out per approver and day: the unique constraint makes the
    second insert fail. A failed send leaves the row Failed, and the next run claims it
    again; a row left Sending (the run died while sending) stays as it is, since the
    email may well have gone (see `erp_integrations.digest_delivery`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="erp_digest_deliveries"
    )
    date = models.DateField()
    status = models.CharField(max_length=8, choices=DigestDeliveryStatus.choices)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "ERP digest delivery"
        verbose_name_plural = "ERP digest deliveries"
        ordering = ["-date", "user_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "date"], name="one_erp_digest_per_user_and_day"
            ),
            models.CheckConstraint(
                condition=~Q(status=DigestDeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="sent_erp_digest_has_sent_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.date}: {self.get_status_display()}"
