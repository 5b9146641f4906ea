"""What each ERP system accepts, as data: one profile per system.

A profile drives three things:
- the "Things to know about your ERP integration" panel (`things_to_know`);
- the checks made when an invoice is sent (`send_refusals`), each refusal saying what to
  fix;
- how the export document is shaped (`erp_integrations.payloads`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from erp_integrations.models import ErpConnection, ErpSystem
from invoices.amounts import ZERO, LineAmounts
from invoices.models import Invoice

SUBCONTRACTOR_INVOICE = "Subcontractor Invoice"
BILL = "Bill"
REQUEST_FOR_PAYMENT = "Request for Payment"

# Refusals, formatted with the invoice's details. The send service puts the invoice's
# label in front ("INV-4: ...").
COMMITMENT_NUMBER_TOO_LONG = (
    "{commitment}: {system} accepts commitment numbers of at most {limit} characters. "
    "Shorten the commitment number, then send again."
)
ZERO_INVOICE = (
    "{system} does not accept $0 invoices, and this one bills $0.00 of work completed "
    "this period ({system} ignores stored materials). Enter this period's work completed, "
    "then send again."
)
RETAINAGE_RELEASE_ONLY = (
    "{system} does not accept retainage-release-only invoices, and this one bills nothing "
    "this period. Release the retainage in {system} itself, or bill this period's work on "
    "the invoice, then send again."
)
STORED_MATERIALS_ONLY = (
    "{system} ignores stored materials, and this invoice bills only stored materials this "
    "period, so nothing would be exported. Bill the materials once they are installed (as "
    "work completed), then send again."
)
RETAINAGE_ITEM_MISSING = (
    "{system} needs a retainage item to carry the retainage, and none is configured. Ask "
    "your company admin to configure the retainage item on the ERP connection, then send "
    "again."
)


@dataclass(frozen=True)
class SystemProfile:
    system: ErpSystem
    document_type: str
    things_to_know: list[str]
    # Export shape.
    combines_stored_materials: bool = False
    ignores_stored_materials: bool = False
    exports_tax: bool = True
    retainage_on_item: bool = False
    # Send rules.
    max_commitment_number_length: int | None = None
    refuses_zero_invoices: bool = False
    refuses_retainage_release_only: bool = False
    requires_retainage_item: bool = False

    @property
    def name(self) -> str:
        return self.system.label

    def exported_work_and_materials(self, totals: LineAmounts) -> tuple[Decimal, Decimal]:
        """What this system receives of the period's work and stored materials."""
        materials = ZERO if self.ignores_stored_materials else totals.materials_presently_stored
        return totals.work_completed_this_period, materials

    def send_refusals(
        self, *, invoice: Invoice, totals: LineAmounts, connection: ErpConnection
    ) -> list[str]:
        """Why `invoice` (with these totals) cannot be exported to this system; empty
        when it can."""
        reasons = []
        commitment_number = invoice.commitment.number
        limit = self.max_commitment_number_length
        if limit is not None and len(commitment_number) > limit:
            reasons.append(
                COMMITMENT_NUMBER_TOO_LONG.format(
                    commitment=commitment_number, system=self.name, limit=limit
                )
            )
        work, materials = self.exported_work_and_materials(totals)
        billed_nothing = (
            totals.work_completed_this_period == ZERO and totals.materials_presently_stored == ZERO
        )
        if self.refuses_zero_invoices and work + materials == ZERO:
            reasons.append(ZERO_INVOICE.format(system=self.name))
        elif self.refuses_retainage_release_only and billed_nothing:
            reasons.append(RETAINAGE_RELEASE_ONLY.format(system=self.name))
        elif self.refuses_retainage_release_only and work + materials == ZERO:
            reasons.append(STORED_MATERIALS_ONLY.format(system=self.name))
        if self.requires_retainage_item and not connection.retainage_item.strip():
            reasons.append(RETAINAGE_ITEM_MISSING.format(system=self.name))
        return reasons


PROFILES: dict[str, SystemProfile] = {
    profile.system: profile
    for profile in [
        SystemProfile(
            system=ErpSystem.SAGE_300_CRE,
            document_type=SUBCONTRACTOR_INVOICE,
            things_to_know=[
                "Work completed and materials presently stored export as one amount per line.",
                "Tax is not exported.",
                "Commitment numbers can be at most 12 characters long; invoices of a "
                "commitment with a longer number cannot be sent.",
            ],
            combines_stored_materials=True,
            exports_tax=False,
            max_commitment_number_length=12,
        ),
        SystemProfile(
            system=ErpSystem.VIEWPOINT_VISTA,
            document_type=SUBCONTRACTOR_INVOICE,
            things_to_know=[
                "$0 invoices are not exported.",
                "Materials presently stored are not exported; only work completed is, with "
                "its retainage.",
                "Retainage is released automatically in Vista.",
            ],
            ignores_stored_materials=True,
            refuses_zero_invoices=True,
        ),
        SystemProfile(
            system=ErpSystem.ACUMATICA,
            document_type=SUBCONTRACTOR_INVOICE,
            things_to_know=[
                "Retainage-release-only invoices (nothing billed this period) are not exported.",
                "Materials presently stored are not exported; only work completed is, with "
                "its retainage.",
            ],
            ignores_stored_materials=True,
            refuses_retainage_release_only=True,
        ),
        SystemProfile(
            system=ErpSystem.QUICKBOOKS_DESKTOP,
            document_type=SUBCONTRACTOR_INVOICE,
            things_to_know=[
                "A retainage item must be configured on the ERP connection: invoices "
                "cannot be sent without it.",
                "Retainage exports as one line on the retainage item, subtracted from the invoice.",
            ],
            retainage_on_item=True,
            requires_retainage_item=True,
        ),
        SystemProfile(
            system=ErpSystem.SAGE_INTACCT,
            document_type=BILL,
            things_to_know=["Invoices export as Bills."],
        ),
        SystemProfile(
            system=ErpSystem.CMIC,
            document_type=REQUEST_FOR_PAYMENT,
            things_to_know=["Invoices export as Requests for Payment."],
        ),
    ]
}


def profile_for(system: str) -> SystemProfile:
    return PROFILES[system]


def things_to_know(connection: ErpConnection) -> list[str]:
    """The lines of the "Things to know about your ERP integration" panel."""
    return profile_for(connection.system).things_to_know


def send_refusals(*, invoice: Invoice, totals: LineAmounts, connection: ErpConnection) -> list[str]:
    """Why the connection's ERP system would not accept `invoice`, each saying what to
    fix; empty when it would. `totals` are the invoice's amounts (invoice_amounts)."""
    return profile_for(connection.system).send_refusals(
        invoice=invoice, totals=totals, connection=connection
    )
