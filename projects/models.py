from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from projects.terms import PointOfView, translate


class ToolLevel(models.IntegerChoices):
    """A user's level on a tool; each level implies the ones below it."""

    NONE = 0, "None"
    READ_ONLY = 1, "Read Only"
    STANDARD = 2, "Standard"
    ADMIN = 3, "Admin"


# Object permission codenames, one per level, from the lowest up. A user's level is the
# highest one they hold (see projects.permissions).
COMMITMENTS_LEVEL_PERMISSIONS = {
    ToolLevel.READ_ONLY: "commitments_read_only",
    ToolLevel.STANDARD: "commitments_standard",
    ToolLevel.ADMIN: "commitments_admin",
}
ERP_INTEGRATIONS_LEVEL_PERMISSIONS = {
    ToolLevel.READ_ONLY: "erp_integrations_read_only",
    ToolLevel.STANDARD: "erp_integrations_standard",
    ToolLevel.ADMIN: "erp_integrations_admin",
}
PUSH_TO_ACCOUNTING_PERMISSION = "push_to_accounting"
# Held by the user an on-premises ERP agent signs in as (with an API token): it may claim
# the company's accepted exports and report them synced or failed, and nothing else.
ERP_AGENT_PERMISSION = "erp_agent"


class Company(models.Model):
    """The account holder (tenant): owns the projects, the vendor directory and the ERP link."""

    name = models.CharField(max_length=200, unique=True)
    point_of_view = models.CharField(
        max_length=32, choices=PointOfView.choices, default=PointOfView.GENERAL_CONTRACTOR
    )

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        permissions = [
            (
                ERP_INTEGRATIONS_LEVEL_PERMISSIONS[ToolLevel.READ_ONLY],
                "ERP Integrations: Read Only",
            ),
            (ERP_INTEGRATIONS_LEVEL_PERMISSIONS[ToolLevel.STANDARD], "ERP Integrations: Standard"),
            (ERP_INTEGRATIONS_LEVEL_PERMISSIONS[ToolLevel.ADMIN], "ERP Integrations: Admin"),
            (PUSH_TO_ACCOUNTING_PERMISSION, "Can push to accounting"),
            (ERP_AGENT_PERMISSION, "ERP agent: pulls accepted exports"),
        ]

    def __str__(self) -> str:
        return self.name

    def term(self, word: str) -> str:
        return translate(word, self.point_of_view)


class Vendor(models.Model):
    """A company in the account's directory: a subcontractor or supplier."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="vendors")
    name = models.CharField(max_length=200)
    erp_vendor_id = models.CharField(
        "ERP vendor id", max_length=64, blank=True, help_text="Set once linked to the ERP."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "name"], name="vendor_name_unique_per_company"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_linked_to_erp(self) -> bool:
        return bool(self.erp_vendor_id)


class VendorEmployee(models.Model):
    """Which vendor a user works for (at most one)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vendor_employment"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="employees")

    class Meta:
        verbose_name = "vendor employee"

    def __str__(self) -> str:
        return f"{self.user} at {self.vendor}"


class Project(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=200)
    number = models.CharField(max_length=32)
    erp_job_id = models.CharField(
        "ERP job id", max_length=64, blank=True, help_text="Set once linked to the ERP."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "number"], name="project_number_unique_per_company"
            ),
        ]
        permissions = [
            (COMMITMENTS_LEVEL_PERMISSIONS[ToolLevel.READ_ONLY], "Commitments: Read Only"),
            (COMMITMENTS_LEVEL_PERMISSIONS[ToolLevel.STANDARD], "Commitments: Standard"),
            (COMMITMENTS_LEVEL_PERMISSIONS[ToolLevel.ADMIN], "Commitments: Admin"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])


# Direct foreign-key object permission tables: guardian joins on a real FK instead of a
# generic (content type, text pk) pair, which keeps permission checks index-friendly.
class CompanyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Company, on_delete=models.CASCADE)


class CompanyGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Company, on_delete=models.CASCADE)


class ProjectUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)


class ProjectGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Project, on_delete=models.CASCADE)
