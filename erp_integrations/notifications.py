"""Email notifications of ERP Integrations events.

Each function takes export item ids (it runs in a task of `erp_integrations.tasks`,
enqueued when the action's transaction commits, so it loads fresh rows) and sends one
email per recipient, however many invoices a bulk action touched. It returns the number
of emails sent.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail

from erp_integrations.models import PER_SEND_MODES, ErpConnection, ExportItem
from projects.permissions import accounting_approvers


def _items(export_item_ids: Iterable[int]):
    return (
        ExportItem.objects.filter(pk__in=list(export_item_ids))
        .select_related("invoice__commitment__project__company", "sent_by")
        .order_by(
            "invoice__commitment__project__name", "invoice__commitment__number", "invoice__number"
        )
    )


def _describe(item: ExportItem) -> str:
    invoice = item.invoice
    commitment = invoice.commitment
    return f"{commitment.project} / {commitment.number} / {invoice.label}"


def _send(messages: list[tuple[str, str, list[str]]]) -> int:
    return send_mass_mail(
        [(subject, body, settings.DEFAULT_FROM_EMAIL, to) for subject, body, to in messages],
        fail_silently=False,
    )


def _to_approvers(items: list[ExportItem], subject: str, intro: str, detail) -> int:
    by_company: dict[int, list[ExportItem]] = defaultdict(list)
    for item in items:
        by_company[item.company_id].append(item)
    messages = []
    for company_items in by_company.values():
        company = company_items[0].invoice.commitment.project.company
        lines = "\n".join(f"- {detail(item)}" for item in company_items)
        body = f"{intro.format(company=company, count=len(company_items))}\n\n{lines}\n"
        for approver in accounting_approvers(company).exclude(email=""):
            messages.append((subject.format(count=len(company_items)), body, [approver.email]))
    return _send(messages)


def _with_per_send_emails(items: list[ExportItem]) -> list[ExportItem]:
    """The items of companies whose ERP connection sends an email per send (its approver
    emails setting, read as the email goes out): the others' approvers hear of them in
    the daily digest (`erp_integrations.digest_delivery`)."""
    companies = set(
        ErpConnection.objects.filter(
            company_id__in={item.company_id for item in items}, approver_emails__in=PER_SEND_MODES
        ).values_list("company_id", flat=True)
    )
    return [item for item in items if item.company_id in companies]


def notify_invoices_sent(export_item_ids: Iterable[int]) -> int:
    """Tell the accounting approvers that invoices wait in their Ready to Export list, if
    their company wants an email per send."""
    return _to_approvers(
        _with_per_send_emails(list(_items(export_item_ids))),
        subject="{count} invoice(s) ready to export",
        intro="{count} invoice(s) were sent to {company}'s ERP Integrations and wait for you "
        "to accept or reject them:",
        detail=lambda item: f"{_describe(item)}, sent by {item.sent_by}",
    )


def notify_export_failed(export_item_ids: Iterable[int]) -> int:
    """Tell the accounting approvers that exports failed, with each error."""
    return _to_approvers(
        list(_items(export_item_ids)),
        subject="{count} invoice(s) failed to export",
        intro="{count} invoice(s) of {company} failed to export to the ERP. Retry or reject "
        "them on the ERP Integrations page:",
        detail=lambda item: f"{_describe(item)}: {item.last_error}",
    )


def _to_senders(items: list[ExportItem], subject: str, intro: str, detail) -> int:
    """One email to each sender (with an address) about the items they sent."""
    by_sender: dict[int, list[ExportItem]] = defaultdict(list)
    for item in items:
        by_sender[item.sent_by_id].append(item)
    messages = []
    for sender_items in by_sender.values():
        sender = sender_items[0].sent_by
        if not sender.email:
            continue
        lines = "\n".join(f"- {detail(item)}" for item in sender_items)
        body = f"{intro.format(count=len(sender_items))}\n\n{lines}\n"
        messages.append((subject.format(count=len(sender_items)), body, [sender.email]))
    return _send(messages)


def notify_invoices_rejected(export_item_ids: Iterable[int]) -> int:
    """Tell each sender which of their invoices the approver rejected, and why."""
    return _to_senders(
        list(_items(export_item_ids)),
        subject="{count} invoice(s) rejected by accounting",
        intro="The accounting approver rejected {count} invoice(s) you sent to ERP "
        "Integrations. Each is unlocked: correct it and choose Re-send to ERP.",
        detail=lambda item: f"{_describe(item)}: {item.rejection_reason}",
    )


def notify_invoices_unlinked(export_item_ids: Iterable[int]) -> int:
    """Tell each sender which of their synced invoices the approver unlinked, and why."""
    return _to_senders(
        list(_items(export_item_ids)),
        subject="{count} invoice(s) unlinked from the ERP",
        intro="The accounting approver unlinked {count} synced invoice(s) you sent, after "
        "they were deleted in the ERP. Each is back to Not Sent and unlocked: correct it "
        "and choose Send to ERP.",
        detail=lambda item: (
            f"{_describe(item)} (ERP reference {item.erp_reference}): {item.unlink_reason}"
        ),
    )
