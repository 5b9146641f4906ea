"""Factories for every model. Related objects are built along the same chain, so a
factory-made invoice's SOV lines belong to its commitment's project and company."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone

from commitments.models import Commitment, CommitmentErpStatus, CommitmentType, SovLine
from demo.documents import text_pdf
from erp_integrations.models import (
    DigestDeliveryStatus,
    ErpConnection,
    ErpDigestDelivery,
    ErpDigestSubscription,
    ErpSystem,
    ExportItem,
    ExportState,
)
from invoices.models import (
    ChangeHistoryEntry,
    Invoice,
    InvoiceAttachment,
    InvoiceLine,
    InvoiceStatus,
)
from projects.models import Company, Project, Vendor, VendorEmployee


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("demo")


class CompanyFactory(factory.django.DjangoModelFactory[Company]):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")


class ErpConnectionFactory(factory.django.DjangoModelFactory[ErpConnection]):
    class Meta:
        model = ErpConnection

    company = factory.SubFactory(CompanyFactory)
    system = ErpSystem.SAGE_300_CRE
    connector = "file"


class VendorFactory(factory.django.DjangoModelFactory[Vendor]):
    class Meta:
        model = Vendor

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Vendor {n}")
    erp_vendor_id = factory.Sequence(lambda n: f"V{n:05d}")


class VendorEmployeeFactory(factory.django.DjangoModelFactory[VendorEmployee]):
    class Meta:
        model = VendorEmployee

    user = factory.SubFactory(UserFactory)
    vendor = factory.SubFactory(VendorFactory)


class ProjectFactory(factory.django.DjangoModelFactory[Project]):
    class Meta:
        model = Project

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Project {n}")
    number = factory.Sequence(lambda n: f"P-{n:03d}")
    erp_job_id = factory.Sequence(lambda n: f"J{n:05d}")


class CommitmentFactory(factory.django.DjangoModelFactory[Commitment]):
    class Meta:
        model = Commitment

    project = factory.SubFactory(ProjectFactory)
    type = CommitmentType.SUBCONTRACT
    # Five digits: tests write three-digit numbers of their own ("SC-900") beside the
    # factory's in one project, and a worker's sequence reaches 900 in a long run.
    number = factory.Sequence(lambda n: f"SC-{n:05d}")
    title = factory.Sequence(lambda n: f"Scope {n}")
    vendor = factory.SubFactory(VendorFactory, company=factory.SelfAttribute("..project.company"))
    status = "approved"
    executed = True
    default_retainage_percent = Decimal("10.00")
    erp_status = CommitmentErpStatus.SYNCED
    erp_reference = factory.Sequence(lambda n: f"ERP-C{n:05d}")


class SovLineFactory(factory.django.DjangoModelFactory[SovLine]):
    class Meta:
        model = SovLine

    commitment = factory.SubFactory(CommitmentFactory)
    position = factory.Sequence(lambda n: n + 1)
    cost_code = factory.Sequence(lambda n: f"03-{n:03d}")
    description = factory.Sequence(lambda n: f"Line {n}")
    scheduled_value = Decimal("10000.00")


class InvoiceFactory(factory.django.DjangoModelFactory[Invoice]):
    class Meta:
        model = Invoice

    commitment = factory.SubFactory(CommitmentFactory)
    number = factory.Sequence(lambda n: n + 1)
    billing_period_start = datetime.date(2026, 10, 1)
    billing_period_end = datetime.date(2026, 10, 31)
    billing_date = datetime.date(2026, 10, 31)
    status = InvoiceStatus.APPROVED
    created_by = factory.SubFactory(UserFactory)


class InvoiceLineFactory(factory.django.DjangoModelFactory[InvoiceLine]):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    sov_line = factory.SubFactory(
        SovLineFactory, commitment=factory.SelfAttribute("..invoice.commitment")
    )
    work_completed_this_period = Decimal("1000.00")
    materials_presently_stored = Decimal("0.00")
    work_retainage_percent = Decimal("10.00")
    materials_retainage_percent = Decimal("0.00")


class ExportItemFactory(factory.django.DjangoModelFactory[ExportItem]):
    class Meta:
        model = ExportItem

    invoice = factory.SubFactory(InvoiceFactory)
    company = factory.SelfAttribute("invoice.commitment.project.company")
    state = ExportState.READY_TO_EXPORT
    invoice_revision = factory.SelfAttribute("invoice.revision")
    sent_by = factory.SubFactory(UserFactory)
    sent_at = factory.LazyFunction(timezone.now)


class ErpDigestSubscriptionFactory(factory.django.DjangoModelFactory[ErpDigestSubscription]):
    class Meta:
        model = ErpDigestSubscription

    user = factory.SubFactory(UserFactory)
    subscribed = False
    changed_at = factory.LazyFunction(timezone.now)


class ErpDigestDeliveryFactory(factory.django.DjangoModelFactory[ErpDigestDelivery]):
    class Meta:
        model = ErpDigestDelivery

    user = factory.SubFactory(UserFactory)
    date = factory.LazyFunction(timezone.localdate)
    status = DigestDeliveryStatus.SENT
    claimed_at = factory.LazyFunction(timezone.now)
    sent_at = factory.LazyFunction(timezone.now)


class ChangeHistoryEntryFactory(factory.django.DjangoModelFactory[ChangeHistoryEntry]):
    class Meta:
        model = ChangeHistoryEntry

    invoice = factory.SubFactory(InvoiceFactory)
    action_by = factory.SubFactory(UserFactory)
    changed = "Status"
    from_value = "Draft"
    to_value = "Under Review"


class InvoiceAttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceAttachment

    invoice = factory.SubFactory(InvoiceFactory)
    file = factory.django.FileField(filename="attachment.pdf", data=text_pdf(["Backup"]))
    original_name = "Backup.pdf"
    size = factory.LazyAttribute(lambda attachment: len(text_pdf(["Backup"])))
    content_type = "application/pdf"
    sha256 = "0" * 64
    added_by = factory.SubFactory(UserFactory)
