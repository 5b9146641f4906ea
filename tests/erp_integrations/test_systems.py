"""The ERP systems' rules: what each refuses when an invoice is sent, in words that say
what to fix, and the "Things to know" each shows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from erp_integrations import services, systems
from erp_integrations.models import ErpConnection, ErpSystem, ExportState
from erp_integrations.payloads import build_document
from invoices.amounts import invoice_amounts
from invoices.models import InvoiceErpStatus
from tests.factories import (
    CommitmentFactory,
    ErpConnectionFactory,
    ExportItemFactory,
    InvoiceFactory,
    InvoiceLineFactory,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db


def invoice_billing(*, work="1000.00", materials="0.00", commitment_number="SC-001"):
    commitment = CommitmentFactory(number=commitment_number)
    invoice = InvoiceFactory(commitment=commitment)
    InvoiceLineFactory(
        invoice=invoice,
        work_completed_this_period=Decimal(work),
        materials_presently_stored=Decimal(materials),
    )
    return invoice


def refusals(system, invoice, **connection_fields):
    connection = ErpConnection(system=system, **connection_fields)
    return systems.send_refusals(
        invoice=invoice, totals=invoice_amounts(invoice).totals, connection=connection
    )


def test_every_erp_system_has_a_profile_with_things_to_know():
    """Each ERP system has its rules and at least one line for the "Things to know"
    panel."""
    assert set(systems.PROFILES) == set(ErpSystem.values)
    for system in ErpSystem.values:
        assert systems.profile_for(system).things_to_know


def test_things_to_know_of_a_connection_are_its_systems():
    """The panel shows the rules of the connection's system."""
    connection = ErpConnection(system=ErpSystem.SAGE_INTACCT)
    assert systems.things_to_know(connection) == [
        "Invoices export as Bills.",
        systems.ATTACHMENTS_UNKNOWN.format(system="Sage Intacct"),
        systems.UNLINK_UNKNOWN.format(system="Sage Intacct"),
    ]


@pytest.mark.parametrize("system", [ErpSystem.VIEWPOINT_VISTA, ErpSystem.ACUMATICA])
def test_vista_and_acumatica_receive_attachment_links(system):
    """Procore's Vista and Acumatica exports carry links to the attachments."""
    assert (
        systems.ATTACHMENTS_EXPORTED.format(system=ErpSystem(system).label)
        in systems.profile_for(system).things_to_know
    )


@pytest.mark.parametrize(
    "system", [ErpSystem.SAGE_300_CRE, ErpSystem.QUICKBOOKS_DESKTOP, ErpSystem.XERO]
)
def test_where_attachments_are_unknown_things_to_know_says_so(system):
    assert (
        systems.ATTACHMENTS_UNKNOWN.format(system=ErpSystem(system).label)
        in systems.profile_for(system).things_to_know
    )


def test_sage_300_refuses_a_commitment_number_longer_than_12_characters():
    """Sage 300 CRE names the commitment and says to shorten its number."""
    invoice = invoice_billing(commitment_number="SC-0000000001")
    assert refusals(ErpSystem.SAGE_300_CRE, invoice) == [
        systems.COMMITMENT_NUMBER_TOO_LONG.format(
            commitment="SC-0000000001", system="Sage 300 CRE", limit=12
        )
    ]
    assert refusals(ErpSystem.SAGE_300_CRE, invoice)[0] == (
        "SC-0000000001: Sage 300 CRE accepts commitment numbers of at most 12 characters. "
        "Shorten the commitment number, then send again."
    )


def test_sage_300_accepts_a_commitment_number_of_12_characters():
    """Twelve characters is within the limit."""
    assert refusals(ErpSystem.SAGE_300_CRE, invoice_billing(commitment_number="SC-000000001")) == []


def test_vista_refuses_a_zero_dollar_invoice():
    """Viewpoint Vista does not take an invoice that bills nothing."""
    assert refusals(ErpSystem.VIEWPOINT_VISTA, invoice_billing(work="0.00")) == [
        systems.ZERO_INVOICE.format(system="Viewpoint Vista")
    ]


def test_vista_refuses_an_invoice_of_stored_materials_only():
    """Vista ignores stored materials, so a materials-only invoice would be $0 there."""
    invoice = invoice_billing(work="0.00", materials="500.00")
    assert refusals(ErpSystem.VIEWPOINT_VISTA, invoice) == [
        systems.ZERO_INVOICE.format(system="Viewpoint Vista")
    ]


def test_vista_accepts_an_invoice_with_work_completed():
    """Work completed this period is something Vista exports."""
    assert refusals(ErpSystem.VIEWPOINT_VISTA, invoice_billing(work="0.01")) == []


def test_acumatica_refuses_a_retainage_release_only_invoice():
    """Acumatica refuses an invoice that bills nothing this period."""
    assert refusals(ErpSystem.ACUMATICA, invoice_billing(work="0.00")) == [
        systems.RETAINAGE_RELEASE_ONLY.format(system="Acumatica")
    ]


def test_acumatica_refuses_an_invoice_of_stored_materials_only():
    """Acumatica ignores stored materials, so there would be nothing to export."""
    invoice = invoice_billing(work="0.00", materials="250.00")
    assert refusals(ErpSystem.ACUMATICA, invoice) == [
        systems.STORED_MATERIALS_ONLY.format(system="Acumatica")
    ]


def test_acumatica_accepts_an_invoice_with_work_completed():
    """An invoice billing work this period goes through."""
    assert refusals(ErpSystem.ACUMATICA, invoice_billing(materials="250.00")) == []


def test_quickbooks_refuses_without_a_retainage_item():
    """QuickBooks Desktop needs the retainage item; the admin is asked to configure it."""
    assert refusals(ErpSystem.QUICKBOOKS_DESKTOP, invoice_billing()) == [
        systems.RETAINAGE_ITEM_MISSING.format(system="QuickBooks Desktop")
    ]
    assert "ask your company admin to configure the retainage item" in (
        systems.RETAINAGE_ITEM_MISSING.lower()
    )


def test_quickbooks_accepts_with_a_retainage_item():
    """With a retainage item configured, QuickBooks Desktop takes the invoice."""
    invoice = invoice_billing()
    assert refusals(ErpSystem.QUICKBOOKS_DESKTOP, invoice, retainage_item="Retainage") == []


@pytest.mark.parametrize("system", [ErpSystem.SAGE_INTACCT, ErpSystem.CMIC])
def test_intacct_and_cmic_refuse_nothing_for_an_ordinary_invoice(system):
    """Sage Intacct and CMiC only change the document type."""
    invoice = invoice_billing(work="0.00", commitment_number="SC-LONG-NUMBER-001")
    assert refusals(system, invoice) == []


def test_send_to_erp_reports_the_systems_refusal_for_the_invoice():
    """Sending through the workflow applies the company's system rules, prefixed with
    the invoice's label, and leaves the invoice unsent."""
    world = build_world(number="SC-0000000001")
    world.company.erp_connection.delete()
    ErpConnectionFactory(company=world.company, system=ErpSystem.SAGE_300_CRE)
    invoice = world.invoice()
    admin = get_user_model().objects.get(pk=world.users["project_admin"].pk)
    (result,) = services.invoices_send_to_erp(
        user=admin,
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk],
    ).results
    assert result.message == f"{invoice.label}: " + systems.COMMITMENT_NUMBER_TOO_LONG.format(
        commitment="SC-0000000001", system="Sage 300 CRE", limit=12
    )
    invoice.refresh_from_db()
    assert invoice.erp_status == InvoiceErpStatus.NOT_SENT


# --- Length limits, as Procore publishes them ------------------------------------------
# (system, text, limit, what Procore does with a longer value). Written out here rather
# than read from systems.PROFILES, so that a changed profile fails a test.
REFUSED = "refused"
TRUNCATED = "truncated"
NUMBER = "commitment_number"
TITLE = "commitment_title"
VENDOR = "vendor_name"
DOCUMENTED_LIMITS = [
    (ErpSystem.VIEWPOINT_VISTA, NUMBER, 30, REFUSED),
    (ErpSystem.QUICKBOOKS_DESKTOP, NUMBER, 11, TRUNCATED),
    (ErpSystem.SAGE_100_CONTRACTOR, NUMBER, 12, TRUNCATED),
    (ErpSystem.SAGE_300_CRE, NUMBER, 12, REFUSED),
    (ErpSystem.VIEWPOINT_SPECTRUM, NUMBER, 10, REFUSED),
    (ErpSystem.YARDI_VOYAGER, NUMBER, 15, REFUSED),
    (ErpSystem.XERO, NUMBER, 255, REFUSED),
    (ErpSystem.SAGE_300_CRE, TITLE, 30, TRUNCATED),
    (ErpSystem.SAGE_100_CONTRACTOR, TITLE, 30, TRUNCATED),
    (ErpSystem.ACUMATICA, TITLE, 60, REFUSED),
    (ErpSystem.YARDI_VOYAGER, TITLE, 30, REFUSED),
    (ErpSystem.QUICKBOOKS_DESKTOP, VENDOR, 41, REFUSED),
    (ErpSystem.SAGE_100_CONTRACTOR, VENDOR, 30, REFUSED),
    (ErpSystem.SAGE_300_CRE, VENDOR, 30, REFUSED),
    (ErpSystem.VIEWPOINT_SPECTRUM, VENDOR, 30, REFUSED),
    (ErpSystem.VIEWPOINT_VISTA, VENDOR, 60, REFUSED),
]
HEADER_KEYS = {NUMBER: "commitment_number", TITLE: "commitment_title", VENDOR: "vendor"}
TEXTS = {
    NUMBER: systems.COMMITMENT_NUMBER,
    TITLE: systems.COMMITMENT_TITLE,
    VENDOR: systems.VENDOR_NAME,
}


def limit_cases(kind):
    return [
        pytest.param(system, text, limit, id=f"{system}-{text}-{limit}")
        for system, text, limit, what in DOCUMENTED_LIMITS
        if what == kind
    ]


def text_of_length(length):
    """A text of `length` characters whose end shows where it was cut."""
    return ("X" * length)[:-1] + "Z"


def invoice_with_text(text, value):
    """A sendable invoice (work billed this period) whose commitment's `text` is `value`.

    The value is set on the loaded commitment only, not saved: the database caps these
    columns (32 characters for a number) below some systems' limits, and the rules read
    the loaded objects."""
    invoice = invoice_billing()
    commitment = invoice.commitment
    if text == NUMBER:
        commitment.number = value
    elif text == TITLE:
        commitment.title = value
    else:
        commitment.vendor.name = value
    return invoice


def connection_fields(system):
    # QuickBooks Desktop refuses every invoice without a retainage item.
    return {"retainage_item": "Retainage"} if system == ErpSystem.QUICKBOOKS_DESKTOP else {}


def test_each_systems_length_limits_are_those_procore_documents():
    """No system has a limit the table above lacks, nor lacks one it has."""
    held = {
        (profile.system, text, limit.limit, TRUNCATED if limit.truncated else REFUSED)
        for profile in systems.PROFILES.values()
        for limit in profile.length_limits
        for text, exported_text in TEXTS.items()
        if limit.text is exported_text
    }
    assert held == set(DOCUMENTED_LIMITS)


@pytest.mark.parametrize(("system", "text", "limit"), limit_cases(REFUSED))
def test_a_refusing_limit_accepts_a_text_of_exactly_its_length(system, text, limit):
    """A commitment number, title or vendor name of the limit's length is sent."""
    invoice = invoice_with_text(text, text_of_length(limit))
    assert refusals(system, invoice, **connection_fields(system)) == []


@pytest.mark.parametrize(("system", "text", "limit"), limit_cases(REFUSED))
def test_a_refusing_limit_refuses_a_text_one_character_longer(system, text, limit):
    """One character more and the invoice is refused, naming the commitment and the limit."""
    invoice = invoice_with_text(text, text_of_length(limit + 1))
    commitment = invoice.commitment
    expected = TEXTS[text].too_long.format(
        commitment=commitment.number,
        vendor=commitment.vendor.name,
        system=ErpSystem(system).label,
        limit=limit,
        length=limit + 1,
    )
    assert refusals(system, invoice, **connection_fields(system)) == [expected]


@pytest.mark.parametrize(("system", "text", "limit"), limit_cases(TRUNCATED))
def test_a_truncating_limit_exports_a_text_of_exactly_its_length_whole(system, text, limit):
    """A text of the limit's length is sent and exported as it is."""
    value = text_of_length(limit)
    item = exported_item(system, text, value)
    assert refusals(system, item.invoice, **connection_fields(system)) == []
    assert build_document(item)["header"][HEADER_KEYS[text]] == value


@pytest.mark.parametrize(("system", "text", "limit"), limit_cases(TRUNCATED))
def test_a_truncating_limit_cuts_a_longer_text_in_the_export(system, text, limit):
    """One character more is not refused; the export carries its first `limit`
    characters."""
    value = text_of_length(limit + 1)
    item = exported_item(system, text, value)
    assert refusals(system, item.invoice, **connection_fields(system)) == []
    assert build_document(item)["header"][HEADER_KEYS[text]] == "X" * limit


def exported_item(system, text, value):
    """An Exporting item of an invoice whose commitment's `text` is `value`, on a
    `system` company."""
    invoice = invoice_with_text(text, value)
    ErpConnectionFactory(
        company=invoice.commitment.project.company, system=system, **connection_fields(system)
    )
    return ExportItemFactory(invoice=invoice, state=ExportState.EXPORTING)


def test_refusal_names_the_vendor_and_its_names_length():
    """Procore's "cannot be sent to ERP because name must be less than ..." in full."""
    invoice = invoice_with_text(VENDOR, "Northern Mechanical & Plumbing Contractors")
    invoice.commitment.number = "SC-007"
    assert refusals(ErpSystem.QUICKBOOKS_DESKTOP, invoice, retainage_item="Ret") == [
        "SC-007: QuickBooks Desktop accepts vendor names of at most 41 characters, and the "
        "vendor Northern Mechanical & Plumbing Contractors has 42, so the invoice cannot be "
        "sent to ERP. Ask your company admin to shorten the vendor's name, then send again."
    ]


def test_refusal_names_the_commitment_and_its_titles_length():
    """A title over Acumatica's 60 characters is refused with its length."""
    invoice = invoice_with_text(TITLE, "T" * 61)
    invoice.commitment.number = "SC-008"
    assert refusals(ErpSystem.ACUMATICA, invoice) == [
        "SC-008: Acumatica accepts commitment titles of at most 60 characters, and this one "
        "has 61, so the invoice cannot be sent to ERP. Shorten the commitment's title, then "
        "send again."
    ]


def test_every_broken_limit_is_reported():
    """A commitment whose number and vendor name are both too long hears of both, the
    number first."""
    invoice = invoice_with_text(VENDOR, "V" * 31)
    invoice.commitment.number = "SC-00000001"
    number = systems.COMMITMENT_NUMBER_TOO_LONG.format(
        commitment="SC-00000001", system="Viewpoint Spectrum", limit=10
    )
    vendor = systems.VENDOR_NAME_TOO_LONG.format(
        commitment="SC-00000001", vendor="V" * 31, system="Viewpoint Spectrum", limit=30, length=31
    )
    assert refusals(ErpSystem.VIEWPOINT_SPECTRUM, invoice) == [number, vendor]


def test_things_to_know_states_a_refusing_and_a_truncating_limit():
    """QuickBooks Desktop's panel says that longer numbers are cut and longer vendor
    names refused."""
    assert systems.profile_for(ErpSystem.QUICKBOOKS_DESKTOP).things_to_know[-2:] == [
        "Commitment numbers longer than 11 characters are cut to their first 11 characters "
        "in the export, so two that differ only after that arrive as the same.",
        "Vendor names can be at most 41 characters long; invoices of a vendor with a longer "
        "name cannot be sent.",
    ]


@pytest.mark.parametrize(
    ("system", "text", "limit", "what"),
    [
        pytest.param(*case, id=f"{case[0]}-{case[1]}-{case[2]}-{case[3]}")
        for case in DOCUMENTED_LIMITS
    ],
)
def test_things_to_know_states_every_limit(system, text, limit, what):
    """Each limit has its line on its system's panel, saying whether it cuts or
    refuses."""
    plural = TEXTS[text].plural.capitalize()
    if what == TRUNCATED:
        start = f"{plural} longer than {limit} characters are cut to their first {limit} "
    else:
        start = f"{plural} can be at most {limit} characters long; invoices of "
    lines = systems.profile_for(system).things_to_know
    assert [line for line in lines if line.startswith(start)], lines


@pytest.mark.parametrize(
    "system",
    [ErpSystem.SAGE_100_CONTRACTOR, ErpSystem.VIEWPOINT_SPECTRUM],
)
def test_a_system_with_undocumented_invoice_rules_says_so(system):
    """Where nothing beyond the limits is known, the panel says that plainly."""
    assert systems.profile_for(system).things_to_know[0] == (
        f"No other rules of {ErpSystem(system).label} for invoices are known here: "
        "invoices export as Subcontractor Invoices with all their amounts."
    )


# --- Yardi Voyager and Xero ------------------------------------------------------------


def test_yardi_refuses_a_zero_dollar_invoice():
    """Yardi Voyager does not take an invoice that bills nothing."""
    assert refusals(ErpSystem.YARDI_VOYAGER, invoice_billing(work="0.00")) == [
        systems.ZERO_INVOICE.format(system="Yardi Voyager")
    ]


def test_yardi_refuses_an_invoice_of_stored_materials_only():
    """Yardi Voyager ignores stored materials, so a materials-only invoice is $0 there."""
    invoice = invoice_billing(work="0.00", materials="100.00")
    assert refusals(ErpSystem.YARDI_VOYAGER, invoice) == [
        systems.ZERO_INVOICE.format(system="Yardi Voyager")
    ]


def test_yardi_accepts_an_invoice_with_work_completed():
    """A cent of work completed is something to export."""
    assert refusals(ErpSystem.YARDI_VOYAGER, invoice_billing(work="0.01")) == []


def test_xero_refuses_an_invoice_of_a_negative_amount():
    """Xero does not take an invoice billing less than nothing; the amount is shown."""
    assert refusals(ErpSystem.XERO, invoice_billing(work="-1250.00")) == [
        "Xero does not accept invoices of a negative amount, and this one bills -$1,250.00 "
        "this period. Correct the amounts so that the invoice bills nothing less than $0.00, "
        "then send again."
    ]


def test_xero_refuses_an_invoice_one_cent_below_zero():
    """A single cent below zero is refused."""
    assert refusals(ErpSystem.XERO, invoice_billing(work="-0.01")) == [
        systems.NEGATIVE_INVOICE.format(system="Xero", amount="-$0.01")
    ]


def test_xero_accepts_a_zero_dollar_invoice():
    """Zero is not negative: Xero takes it."""
    assert refusals(ErpSystem.XERO, invoice_billing(work="0.00")) == []


def test_send_to_erp_refuses_an_invoice_of_a_vendor_whose_name_is_too_long():
    """Through the workflow, Vista's 60-character vendor name limit refuses the invoice
    with its label in front, and leaves it unsent."""
    world = build_world(number="SC-001")
    vendor = world.commitment.vendor
    vendor.name = "N" * 61
    vendor.save(update_fields=["name"])
    world.company.erp_connection.delete()
    ErpConnectionFactory(company=world.company, system=ErpSystem.VIEWPOINT_VISTA)
    invoice = world.invoice()
    admin = get_user_model().objects.get(pk=world.users["project_admin"].pk)
    (result,) = services.invoices_send_to_erp(
        user=admin,
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk],
    ).results
    assert result.message == (
        f"{invoice.label}: SC-001: Viewpoint Vista accepts vendor names of at most 60 "
        f"characters, and the vendor {'N' * 61} has 61, so the invoice cannot be sent to ERP. "
        "Ask your company admin to shorten the vendor's name, then send again."
    )
    invoice.refresh_from_db()
    assert invoice.erp_status == InvoiceErpStatus.NOT_SENT
