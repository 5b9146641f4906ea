"""What each ERP system accepts, as data: one profile per system.

A profile drives three things:
- the "Things to know about your ERP integration" panel (`things_to_know`);
- the checks made when an invoice is sent (`send_refusals`), each refusal saying what to
  fix;
- how the export document is shaped (`erp_integrations.payloads`).

The length limits are those Procore publishes for its ERP integrations ("What is the
maximum character length for a commitment's 'Number (#)'?", "... for a commitment's
'Title'?", "... for a 'Company Name' in the Directory tool?"). Where Procore cuts a longer
value during export, the export document carries the cut value; where it refuses, the
invoice is refused at send.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from commitments.models import Commitment
from erp_integrations.models import ConnectorKind, ErpConnection, ErpSystem
from invoices.amounts import ZERO, LineAmounts
from invoices.models import Invoice

SUBCONTRACTOR_INVOICE = "Subcontractor Invoice"
BILL = "Bill"
REQUEST_FOR_PAYMENT = "Request for Payment"
PAYABLE = "Payable"

# Refusals, formatted with the invoice's details. The send service puts the invoice's
# label in front ("INV-4: ...").
COMMITMENT_NUMBER_TOO_LONG = (
    "{commitment}: {system} accepts commitment numbers of at most {limit} characters. "
    "Shorten the commitment number, then send again."
)
COMMITMENT_TITLE_TOO_LONG = (
    "{commitment}: {system} accepts commitment titles of at most {limit} characters, and "
    "this one has {length}, so the invoice cannot be sent to ERP. Shorten the commitment's "
    "title, then send again."
)
VENDOR_NAME_TOO_LONG = (
    "{commitment}: {system} accepts vendor names of at most {limit} characters, and the "
    "vendor {vendor} has {length}, so the invoice cannot be sent to ERP. Ask your company "
    "admin to shorten the vendor's name, then send again."
)
NEGATIVE_INVOICE = (
    "{system} does not accept invoices of a negative amount, and this one bills {amount} "
    "this period. Correct the amounts so that the invoice bills nothing less than $0.00, "
    "then send again."
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
class ExportedText:
    """A text of the commitment that travels in the export document's header."""

    # Plural, as in "Commitment numbers longer than ...".
    plural: str
    # Whose invoices a refusing limit stops, as in "invoices of ... cannot be sent".
    with_a_longer_one: str
    read: Callable[[Commitment], str]
    # Formatted with commitment, vendor, system, limit and length.
    too_long: str


COMMITMENT_NUMBER = ExportedText(
    plural="commitment numbers",
    with_a_longer_one="a commitment with a longer number",
    read=lambda commitment: commitment.number,
    too_long=COMMITMENT_NUMBER_TOO_LONG,
)
COMMITMENT_TITLE = ExportedText(
    plural="commitment titles",
    with_a_longer_one="a commitment with a longer title",
    read=lambda commitment: commitment.title,
    too_long=COMMITMENT_TITLE_TOO_LONG,
)
VENDOR_NAME = ExportedText(
    plural="vendor names",
    with_a_longer_one="a vendor with a longer name",
    read=lambda commitment: commitment.vendor.name,
    too_long=VENDOR_NAME_TOO_LONG,
)


@dataclass(frozen=True)
class LengthLimit:
    """At most `limit` characters of `text` reach the ERP: a longer value is cut to its
    first `limit` characters in the export when `truncated`, else the invoice is refused."""

    text: ExportedText
    limit: int
    truncated: bool = False

    def things_to_know(self) -> str:
        plural = self.text.plural.capitalize()
        if self.truncated:
            return (
                f"{plural} longer than {self.limit} characters are cut to their first "
                f"{self.limit} characters in the export, so two that differ only after that "
                f"arrive as the same."
            )
        return (
            f"{plural} can be at most {self.limit} characters long; invoices of "
            f"{self.text.with_a_longer_one} cannot be sent."
        )

    def refusal(self, commitment: Commitment, system: str) -> str | None:
        """Why this limit refuses the commitment's invoices, or None."""
        value = self.text.read(commitment)
        if self.truncated or len(value) <= self.limit:
            return None
        return self.text.too_long.format(
            commitment=commitment.number,
            vendor=commitment.vendor.name,
            system=system,
            limit=self.limit,
            length=len(value),
        )

    def exported(self, value: str) -> str:
        """`value` as the ERP receives it."""
        return value[: self.limit] if self.truncated else value


@dataclass(frozen=True)
class SystemProfile:
    system: ErpSystem
    document_type: str
    # What the panel says besides the length limits, which speak for themselves.
    notes: list[str]
    length_limits: tuple[LengthLimit, ...] = ()
    # Export shape.
    combines_stored_materials: bool = False
    ignores_stored_materials: bool = False
    exports_tax: bool = True
    retainage_on_item: bool = False
    # Send rules.
    refuses_zero_invoices: bool = False
    refuses_negative_invoices: bool = False
    refuses_retainage_release_only: bool = False
    requires_retainage_item: bool = False
    # Whether the ERP receives the invoice's attachments: True where Procore's support
    # pages say its exports carry them, None where nothing is published.
    exports_attachments: bool | None = None
    # Whether a synced invoice can be unlinked (after it was deleted in the ERP): True
    # where Procore publishes the unlink steps for the system, None where its pages do
    # not say (unlinking is offered, and the panel says it is not documented), False
    # where they say it cannot (unlink is refused).
    unlinks: bool | None = None

    @property
    def name(self) -> str:
        return self.system.label

    @property
    def unlink_note(self) -> str:
        if self.unlinks is None:
            return UNLINK_UNKNOWN.format(system=self.name)
        if self.unlinks:
            return UNLINK_SUPPORTED.format(system=self.name)
        return UNLINK_NOT_SUPPORTED_NOTE.format(system=self.name)

    @property
    def unlink_refusal(self) -> str | None:
        """Why a synced invoice of this system cannot be unlinked, or None."""
        if self.unlinks is False:
            return UNLINK_NOT_SUPPORTED.format(system=self.name)
        return None

    @property
    def attachments_note(self) -> str:
        if self.exports_attachments:
            return ATTACHMENTS_EXPORTED.format(system=self.name)
        return ATTACHMENTS_UNKNOWN.format(system=self.name)

    @property
    def things_to_know(self) -> list[str]:
        return [
            *self.notes,
            self.attachments_note,
            self.unlink_note,
            *(limit.things_to_know() for limit in self.length_limits),
        ]

    def exported_text(self, text: ExportedText, commitment: Commitment) -> str:
        """`text` of the commitment as the export document carries it."""
        value = text.read(commitment)
        for limit in self.length_limits:
            if limit.text is text:
                value = limit.exported(value)
        return value

    def exported_work_and_materials(self, totals: LineAmounts) -> tuple[Decimal, Decimal]:
        """What this system receives of the period's work and stored materials."""
        materials = ZERO if self.ignores_stored_materials else totals.materials_presently_stored
        return totals.work_completed_this_period, materials

    def send_refusals(
        self, *, invoice: Invoice, totals: LineAmounts, connection: ErpConnection
    ) -> list[str]:
        """Why `invoice` (with these totals) cannot be exported to this system; empty
        when it can."""
        reasons = [
            reason
            for limit in self.length_limits
            if (reason := limit.refusal(invoice.commitment, self.name))
        ]
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
        if self.refuses_negative_invoices and work + materials < ZERO:
            billed = f"-${-(work + materials):,.2f}"
            reasons.append(NEGATIVE_INVOICE.format(system=self.name, amount=billed))
        if self.requires_retainage_item and not connection.retainage_item.strip():
            reasons.append(RETAINAGE_ITEM_MISSING.format(system=self.name))
        return reasons


# Said of the systems whose invoice rules Procore does not document beyond the limits.
ATTACHMENTS_EXPORTED = (
    "Attachments travel with the invoice: {system} receives a link to each one (name, "
    "type, size and SHA-256 in the export)."
)
ATTACHMENTS_UNKNOWN = (
    "Whether {system} keeps the invoice's attachments is not known: the export lists "
    "each one (name, type, size and SHA-256, with a download link or the file beside the "
    "export document), and {system} may ignore them."
)
# Unlinking a synced invoice (`unlinks`).
UNLINK_SUPPORTED = (
    "A synced invoice can be unlinked: delete it in {system} first, then unlink it on the "
    "Synced tab. It is back to Not Sent, to be corrected and sent again as a new document."
)
UNLINK_UNKNOWN = (
    "Whether {system} supports unlinking a synced invoice is not documented. Unlinking is "
    "offered: delete the invoice in {system} first, then unlink it on the Synced tab."
)
UNLINK_NOT_SUPPORTED_NOTE = "A synced invoice cannot be unlinked from {system}."
UNLINK_NOT_SUPPORTED = (
    "{system} does not support unlinking a synced invoice, so it stays synced. Correct it "
    "in {system} itself."
)
# The "Things to know" line of every system that ignores stored materials
# (`ignores_stored_materials`).
STORED_MATERIALS_NOT_EXPORTED = (
    "Materials presently stored are not exported; only work completed is, with its retainage."
)
NOTHING_ELSE_KNOWN = (
    "No other rules of {system} for invoices are known here: invoices export as "
    "Subcontractor Invoices with all their amounts."
)

PROFILES: dict[str, SystemProfile] = {
    profile.system: profile
    for profile in [
        SystemProfile(
            system=ErpSystem.SAGE_300_CRE,
            document_type=SUBCONTRACTOR_INVOICE,
            notes=[
                "Work completed and materials presently stored export as one amount per line.",
                "Tax is not exported.",
            ],
            length_limits=(
                LengthLimit(COMMITMENT_NUMBER, 12),
                LengthLimit(COMMITMENT_TITLE, 30, truncated=True),
                LengthLimit(VENDOR_NAME, 30),
            ),
            combines_stored_materials=True,
            exports_tax=False,
        ),
        SystemProfile(
            system=ErpSystem.VIEWPOINT_VISTA,
            exports_attachments=True,
            document_type=SUBCONTRACTOR_INVOICE,
            notes=[
                "$0 invoices are not exported.",
                STORED_MATERIALS_NOT_EXPORTED,
                "Retainage is released automatically in Vista.",
            ],
            length_limits=(
                LengthLimit(COMMITMENT_NUMBER, 30),
                LengthLimit(VENDOR_NAME, 60),
            ),
            ignores_stored_materials=True,
            refuses_zero_invoices=True,
        ),
        SystemProfile(
            system=ErpSystem.ACUMATICA,
            exports_attachments=True,
            unlinks=True,
            document_type=SUBCONTRACTOR_INVOICE,
            notes=[
                "Retainage-release-only invoices (nothing billed this period) are not exported.",
                STORED_MATERIALS_NOT_EXPORTED,
            ],
            length_limits=(LengthLimit(COMMITMENT_TITLE, 60),),
            ignores_stored_materials=True,
            refuses_retainage_release_only=True,
        ),
        SystemProfile(
            system=ErpSystem.QUICKBOOKS_DESKTOP,
            document_type=SUBCONTRACTOR_INVOICE,
            notes=[
                "A retainage item must be configured on the ERP connection: invoices "
                "cannot be sent without it.",
                "Retainage exports as one line on the retainage item, subtracted from the invoice.",
            ],
            length_limits=(
                LengthLimit(COMMITMENT_NUMBER, 11, truncated=True),
                LengthLimit(VENDOR_NAME, 41),
            ),
            retainage_on_item=True,
            requires_retainage_item=True,
        ),
        SystemProfile(
            system=ErpSystem.SAGE_INTACCT,
            document_type=BILL,
            notes=["Invoices export as Bills."],
        ),
        SystemProfile(
            system=ErpSystem.CMIC,
            document_type=REQUEST_FOR_PAYMENT,
            notes=["Invoices export as Requests for Payment."],
        ),
        SystemProfile(
            system=ErpSystem.SAGE_100_CONTRACTOR,
            unlinks=True,
            document_type=SUBCONTRACTOR_INVOICE,
            notes=[NOTHING_ELSE_KNOWN.format(system="Sage 100 Contractor")],
            length_limits=(
                LengthLimit(COMMITMENT_NUMBER, 12, truncated=True),
                LengthLimit(COMMITMENT_TITLE, 30, truncated=True),
                LengthLimit(VENDOR_NAME, 30),
            ),
        ),
        SystemProfile(
            system=ErpSystem.VIEWPOINT_SPECTRUM,
            document_type=SUBCONTRACTOR_INVOICE,
            notes=[NOTHING_ELSE_KNOWN.format(system="Viewpoint Spectrum")],
            length_limits=(
                LengthLimit(COMMITMENT_NUMBER, 10),
                LengthLimit(VENDOR_NAME, 30),
            ),
        ),
        SystemProfile(
            system=ErpSystem.YARDI_VOYAGER,
            document_type=PAYABLE,
            notes=[
                "Invoices export as Payables.",
                "$0 invoices are not exported, nor invoices that only release retainage.",
                STORED_MATERIALS_NOT_EXPORTED,
                "Retainage is not released automatically: release it in Yardi Voyager itself.",
            ],
            length_limits=(
                LengthLimit(COMMITMENT_NUMBER, 15),
                LengthLimit(COMMITMENT_TITLE, 30),
            ),
            ignores_stored_materials=True,
            refuses_zero_invoices=True,
        ),
        SystemProfile(
            system=ErpSystem.XERO,
            document_type=BILL,
            notes=[
                "Invoices export as Bills.",
                "Invoices of a negative amount are not exported.",
            ],
            length_limits=(LengthLimit(COMMITMENT_NUMBER, 255),),
            refuses_negative_invoices=True,
        ),
    ]
}


def profile_for(system: str) -> SystemProfile:
    return PROFILES[system]


AGENT_PULLS_NOTE = (
    "Nothing is pushed to the ERP: the company's ERP agent, next to the ERP, pulls each "
    "accepted invoice through the API and reports it synced or failed. An invoice stays "
    "Exporting until the agent does, and goes back to the agent's queue when the agent "
    "does not report within its lease."
)


def things_to_know(connection: ErpConnection) -> list[str]:
    """The lines of the "Things to know about your ERP integration" panel."""
    lines = profile_for(connection.system).things_to_know
    if connection.connector == ConnectorKind.AGENT:
        return [AGENT_PULLS_NOTE, *lines]
    return lines


def unlink_refusal(system: str) -> str | None:
    """Why the ERP system refuses to unlink a synced invoice, or None when it may."""
    return profile_for(system).unlink_refusal


def send_refusals(*, invoice: Invoice, totals: LineAmounts, connection: ErpConnection) -> list[str]:
    """Why the connection's ERP system would not accept `invoice`, each saying what to
    fix; empty when it would. `totals` are the invoice's amounts (invoice_amounts)."""
    return profile_for(connection.system).send_refusals(
        invoice=invoice, totals=totals, connection=connection
    )
