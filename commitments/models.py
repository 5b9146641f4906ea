from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from projects.models import Project, Vendor

PRIVATE_ACCESS_PERMISSION = "access_private_commitment"
INVOICE_CONTACT_PERMISSION = "invoice_contact"

PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class CommitmentType(models.TextChoices):
    SUBCONTRACT = "subcontract", "Subcontract"
    PURCHASE_ORDER = "purchase_order", "Purchase Order"


class SubcontractStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OUT_FOR_BID = "out_for_bid", "Out for Bid"
    OUT_FOR_SIGNATURE = "out_for_signature", "Out for Signature"
    APPROVED = "approved", "Approved"
    COMPLETE = "complete", "Complete"


class PurchaseOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PROCESSING = "processing", "Processing"
    SUBMITTED = "submitted", "Submitted"
    PARTIALLY_RECEIVED = "partially_received", "Partially Received"
    RECEIVED = "received", "Received"
    APPROVED = "approved", "Approved"
    CLOSED = "closed", "Closed"


STATUSES_BY_TYPE: dict[str, type[models.TextChoices]] = {
    CommitmentType.SUBCONTRACT: SubcontractStatus,
    CommitmentType.PURCHASE_ORDER: PurchaseOrderStatus,
}
ALL_STATUS_CHOICES = list(dict(SubcontractStatus.choices + PurchaseOrderStatus.choices).items())


class CommitmentErpStatus(models.TextChoices):
    NOT_SYNCED = "not_synced", "Not Synced"
    SYNCED = "synced", "Synced"


class Commitment(models.Model):
    """A Subcontract or Purchase Order with a vendor on a project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="commitments")
    type = models.CharField(max_length=20, choices=CommitmentType.choices)
    number = models.CharField(max_length=32, help_text="For example SC-001 or PO-001.")
    title = models.CharField(max_length=200)
    vendor = models.ForeignKey(
        Vendor,
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name="contract company",
    )
    status = models.CharField(
        max_length=24, choices=ALL_STATUS_CHOICES, default=SubcontractStatus.DRAFT
    )
    executed = models.BooleanField(default=False)
    is_private = models.BooleanField("private", default=False)
    default_retainage_percent = models.DecimalField(
        "default retainage %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=PERCENT_VALIDATORS,
    )
    erp_status = models.CharField(
        "ERP status",
        max_length=16,
        choices=CommitmentErpStatus.choices,
        default=CommitmentErpStatus.NOT_SYNCED,
    )
    erp_reference = models.CharField(
        "ERP reference", max_length=64, blank=True, help_text="The ERP's id once synced."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="commitment_number_unique_per_project"
            ),
            models.CheckConstraint(
                condition=Q(default_retainage_percent__gte=0)
                & Q(default_retainage_percent__lte=100),
                name="commitment_default_retainage_between_0_and_100",
            ),
            models.CheckConstraint(
                condition=Q(type=CommitmentType.PURCHASE_ORDER)
                | Q(status__in=SubcontractStatus.values),
                name="subcontract_status_is_a_subcontract_status",
            ),
            models.CheckConstraint(
                condition=Q(type=CommitmentType.SUBCONTRACT)
                | Q(status__in=PurchaseOrderStatus.values),
                name="purchase_order_status_is_a_purchase_order_status",
            ),
            models.CheckConstraint(
                condition=Q(erp_status=CommitmentErpStatus.NOT_SYNCED) | ~Q(erp_reference=""),
                name="synced_commitment_has_erp_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "status"], name="commitment_project_status"),
            models.Index(fields=["project", "vendor"], name="commitment_project_vendor"),
            models.Index(fields=["project", "erp_status"], name="commitment_project_erp"),
        ]
        permissions = [
            (PRIVATE_ACCESS_PERMISSION, "On the private commitment's access list"),
            (INVOICE_CONTACT_PERMISSION, "Invoice contact on the commitment"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("commitments:detail", args=[self.project_id, self.pk])

    @property
    def status_choices(self) -> list[tuple[str, str]]:
        return STATUSES_BY_TYPE[self.type].choices

    @property
    def is_synced_to_erp(self) -> bool:
        return self.erp_status == CommitmentErpStatus.SYNCED

    def type_label(self) -> str:
        """The type in the company's own words ("Subcontract" is "Contract" for an owner)."""
        return self.project.company.term(self.get_type_display())


class SovLine(models.Model):
    """A schedule of values line: the budgeted amount for one scope of the commitment."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="sov_lines")
    position = models.PositiveIntegerField(default=1)
    cost_code = models.CharField(max_length=32)
    description = models.CharField(max_length=200)
    scheduled_value = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = "SOV line"
        ordering = ["commitment", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_value__gte=0), name="sov_scheduled_value_not_negative"
            ),
            models.UniqueConstraint(
                fields=["commitment", "position"], name="sov_line_position_unique_per_commitment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cost_code} {self.description}"


class CommitmentUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Commitment, on_delete=models.CASCADE)


class CommitmentGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Commitment, on_delete=models.CASCADE)
