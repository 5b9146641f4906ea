"""The ERP workflow services: every transition, allowed and refused, for every role."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.http import Http404
from django.test import TestCase

from core.errors import ActionRefused
from erp_integrations import services
from erp_integrations.models import (
    REJECTION_REASON_MAX_LENGTH,
    ApproverEmails,
    ErpConnection,
    ExportItem,
    ExportState,
)
from invoices.models import ChangeHistoryEntry, Invoice, InvoiceErpStatus, InvoiceStatus
from tests.erp_integrations.email_tasks import (
    UNREACHABLE_MAIL_SERVERS,
    email_tasks,
    failed_task_logs,
    run_enqueued,
    unreachable_mail_server,
)
from tests.factories import CommitmentFactory, InvoiceFactory
from tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(dummy_tasks):
    return build_world()


def fresh(user):
    """The user as a new request would load it (no cached permissions)."""
    return get_user_model().objects.get(pk=user.pk)


def send(world, role, *invoices):
    return services.invoices_send_to_erp(
        user=fresh(world.users[role]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk for invoice in invoices],
    )


def retrieve(world, role, *invoices):
    return services.invoices_retrieve_from_erp(
        user=fresh(world.users[role]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[invoice.pk for invoice in invoices],
    )


def active_item(invoice):
    return ExportItem.objects.filter(invoice=invoice).order_by("-pk").first()


def approver_action(name, world, role, *invoices, **extra):
    return getattr(services, f"export_items_{name}")(
        user=fresh(world.users[role]),
        company_id=world.company.pk,
        export_item_ids=[active_item(invoice).pk for invoice in invoices],
        **extra,
    )


# --- The permission matrix --------------------------------------------------------------
# For each action, what each role gets: "done", "404", or the refusal message.
DONE, NOT_FOUND = "done", "404"
PERMISSION_MATRIX = {
    "send": {
        "project_admin": DONE,
        "standard": services.NOT_PROJECT_ADMIN,
        "read_only": services.NOT_PROJECT_ADMIN,
        "invoice_contact": services.NOT_PROJECT_ADMIN,
        "approver": NOT_FOUND,
        "erp_standard_without_push": NOT_FOUND,
        "outsider": NOT_FOUND,
        "superuser": DONE,
    },
    "retrieve": {
        "project_admin": DONE,
        "standard": services.NOT_PROJECT_ADMIN,
        "read_only": services.NOT_PROJECT_ADMIN,
        "invoice_contact": services.NOT_PROJECT_ADMIN,
        "approver": NOT_FOUND,
        "erp_standard_without_push": NOT_FOUND,
        "outsider": NOT_FOUND,
        "superuser": DONE,
    },
    "accept": {
        "project_admin": NOT_FOUND,
        "standard": NOT_FOUND,
        "read_only": NOT_FOUND,
        "invoice_contact": NOT_FOUND,
        "approver": DONE,
        "erp_standard_without_push": services.NOT_ACCOUNTING_APPROVER,
        "outsider": NOT_FOUND,
        "superuser": DONE,
    },
    "reject": {
        "project_admin": NOT_FOUND,
        "standard": NOT_FOUND,
        "read_only": NOT_FOUND,
        "invoice_contact": NOT_FOUND,
        "approver": DONE,
        "erp_standard_without_push": services.NOT_ACCOUNTING_APPROVER,
        "outsider": NOT_FOUND,
        "superuser": DONE,
    },
    "retry": {
        "project_admin": NOT_FOUND,
        "standard": NOT_FOUND,
        "read_only": NOT_FOUND,
        "invoice_contact": NOT_FOUND,
        "approver": DONE,
        "erp_standard_without_push": services.NOT_ACCOUNTING_APPROVER,
        "outsider": NOT_FOUND,
        "superuser": DONE,
    },
}
# The ERP state each action starts from, and the one it leads to.
ACTION_STATES = {
    "send": (None, InvoiceErpStatus.READY_TO_EXPORT),
    "retrieve": (ExportState.READY_TO_EXPORT, InvoiceErpStatus.RETRIEVED),
    "accept": (ExportState.READY_TO_EXPORT, InvoiceErpStatus.EXPORTING),
    "reject": (ExportState.READY_TO_EXPORT, InvoiceErpStatus.REJECTED),
    "retry": (ExportState.FAILED_TO_EXPORT, InvoiceErpStatus.EXPORTING),
}


def run_action(name, world, role, invoice):
    if name == "send":
        return send(world, role, invoice)
    if name == "retrieve":
        return retrieve(world, role, invoice)
    extra = {"reason": "Wrong cost code"} if name == "reject" else {}
    return approver_action(name, world, role, invoice, **extra)


@pytest.mark.parametrize(
    ("action", "role"),
    [(action, role) for action, row in PERMISSION_MATRIX.items() for role in row],
)
def test_permission_matrix(world, action, role):
    """Each role may take exactly the ERP actions DESIGN.md gives it; others get 404 when
    they may not see the object, and a plain refusal when they may see it but not act."""
    start, end = ACTION_STATES[action]
    invoice = world.invoice(erp_state=start)
    before = invoice.erp_status
    expected = PERMISSION_MATRIX[action][role]

    if expected == DONE:
        result = run_action(action, world, role, invoice)
        assert [r.outcome for r in result.results] == [services.Outcome.DONE]
        assert Invoice.objects.get(pk=invoice.pk).erp_status == end
    elif expected == NOT_FOUND:
        with pytest.raises(Http404):
            run_action(action, world, role, invoice)
        assert Invoice.objects.get(pk=invoice.pk).erp_status == before
    else:
        with pytest.raises(ActionRefused, match=expected.replace("(", r"\(").replace(")", r"\)")):
            run_action(action, world, role, invoice)
        assert Invoice.objects.get(pk=invoice.pk).erp_status == before


# --- Transitions, from every ERP status -------------------------------------------------
ALL_STATES = [None, *ExportState.values]
RETRIEVE_OUTCOMES = {
    None: services.NOT_SENT,
    ExportState.READY_TO_EXPORT: None,
    ExportState.EXPORTING: services.ALREADY_ACCEPTED,
    ExportState.SYNCED: services.ALREADY_ACCEPTED,
    ExportState.FAILED_TO_EXPORT: services.ALREADY_ACCEPTED_EXPORT_FAILED,
    ExportState.REJECTED: services.ALREADY_REJECTED,
    ExportState.RETRIEVED: services.ALREADY_RETRIEVED,
    # Unlinked: the invoice is back to Not Sent.
    ExportState.UNLINKED: services.NOT_SENT,
}


@pytest.mark.parametrize("state", ALL_STATES)
def test_retrieve_from_each_erp_status(world, state):
    """Only a Ready to Export invoice is retrieved; any other is reported with the reason
    (a second retrieve as harmless) and left as it was."""
    invoice = world.invoice(erp_state=state)
    before = Invoice.objects.get(pk=invoice.pk).erp_status
    (result,) = retrieve(world, "project_admin", invoice).results
    expected = RETRIEVE_OUTCOMES[state]
    after = Invoice.objects.get(pk=invoice.pk).erp_status
    if expected is None:
        assert result.outcome == services.Outcome.DONE
        assert after == InvoiceErpStatus.RETRIEVED
        assert active_item(invoice).state == ExportState.RETRIEVED
    else:
        assert result.message == expected.format(label=invoice.label)
        assert after == before


def test_retrieve_names_the_example_of_design(world):
    """The refusal reads as DESIGN.md's example: "INV-4: already accepted by the
    accounting approver"."""
    invoice = world.invoice(number=4, erp_state=ExportState.EXPORTING)
    (result,) = retrieve(world, "project_admin", invoice).results
    assert result.message == "INV-4: already accepted by the accounting approver."


def test_retrieve_unlocks_and_records_history(world):
    """A retrieved invoice is unlocked, leaves the approver's list, and its history
    says who retrieved it."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    assert Invoice.objects.get(pk=invoice.pk).is_locked
    retrieve(world, "project_admin", invoice)
    invoice.refresh_from_db()
    assert not invoice.is_locked
    assert not ExportItem.objects.filter(invoice=invoice, state="ready_to_export").exists()
    entry = ChangeHistoryEntry.objects.get(invoice=invoice)
    assert (entry.action_by, entry.changed, entry.from_value, entry.to_value) == (
        world.users["project_admin"],
        "ERP Status",
        "Ready to Export",
        "Retrieved",
    )


def test_bulk_retrieve_reports_each_invoice_and_shares_a_batch(world):
    """A mixed bulk retrieve retrieves what it can, reports the rest one by one in the
    order asked, and the history rows of one action share a batch id."""
    ready_a = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    accepted = world.invoice(erp_state=ExportState.EXPORTING)
    ready_b = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    result = retrieve(world, "project_admin", ready_a, accepted, ready_b)
    assert [r.invoice_id for r in result.results] == [ready_a.pk, accepted.pk, ready_b.pk]
    assert [r.outcome for r in result.results] == ["done", "refused", "done"]
    batches = set(
        ChangeHistoryEntry.objects.filter(invoice__in=[ready_a, ready_b]).values_list(
            "batch_id", flat=True
        )
    )
    assert batches == {result.batch_id}


def test_bulk_retrieve_refuses_ids_from_elsewhere(world):
    """Ids of another commitment and ids that do not exist are refused as not found,
    and nothing changes for them."""
    other = InvoiceFactory(
        commitment=CommitmentFactory(project=world.project), status=InvoiceStatus.APPROVED
    )
    world_other = build_world()
    foreign = world_other.invoice(erp_state=ExportState.READY_TO_EXPORT)
    result = services.invoices_retrieve_from_erp(
        user=fresh(world.users["project_admin"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[other.pk, foreign.pk, 999999, "not-an-id"],
    )
    assert [r.message for r in result.results] == [
        services.NOT_FOUND.format(label=f"#{other.pk}"),
        services.NOT_FOUND.format(label=f"#{foreign.pk}"),
        services.NOT_FOUND.format(label="#999999"),
        services.NOT_FOUND.format(label="#not-an-id"),
    ]
    assert Invoice.objects.get(pk=foreign.pk).erp_status == InvoiceErpStatus.READY_TO_EXPORT


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["7", 7, " 7 ", "8"], [7, 8]),
        ([str(2**63 - 1)], [2**63 - 1]),
        ([str(2**63), 2**63], [str(2**63)]),
        (["99999999999999999999"], ["99999999999999999999"]),
        (["0", 0, "-3", -3], ["0", "-3"]),
        (["abc", "1.5", "+4", "1_000", "\u0665"], ["abc", "1.5", "+4", "1_000", "\u0665"]),
        (["", "   "], []),
    ],
)
def test_an_id_is_an_integer_a_bigautofield_can_hold(values, expected):
    """Ids are integers in 1..2**63-1; anything else is kept as text (to be reported as
    not found), blanks are dropped and each value is asked once."""
    assert services.unique_ids(values) == expected


def test_an_id_too_large_for_the_database_is_reported_as_not_found(world):
    """An id past the BigAutoField range never reaches the database driver (where it
    would overflow): it is refused as not found, and the other ids go ahead."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    too_large = "99999999999999999999"

    result = services.invoices_retrieve_from_erp(
        user=fresh(world.users["project_admin"]),
        project_id=world.project.pk,
        commitment_id=world.commitment.pk,
        invoice_ids=[too_large, invoice.pk],
    )

    assert [r.message for r in result.refused] == [services.NOT_FOUND.format(label=f"#{too_large}")]
    assert [r.invoice_id for r in result.done] == [invoice.pk]


def test_bulk_action_with_nothing_selected_is_refused(world):
    with pytest.raises(ActionRefused, match=services.NOTHING_SELECTED):
        retrieve(world, "project_admin")


SEND_FROM_STATE = {
    None: None,
    ExportState.RETRIEVED: None,
    ExportState.REJECTED: None,
    ExportState.UNLINKED: None,
    ExportState.READY_TO_EXPORT: services.ALREADY_IN_ERP,
    ExportState.EXPORTING: services.ALREADY_IN_ERP,
    ExportState.FAILED_TO_EXPORT: services.ALREADY_IN_ERP,
    ExportState.SYNCED: services.ALREADY_SYNCED,
}


@pytest.mark.parametrize("state", ALL_STATES)
def test_send_from_each_erp_status(world, state):
    """Not sent, retrieved and rejected invoices can be (re-)sent; the others cannot."""
    invoice = world.invoice(erp_state=state)
    (result,) = send(world, "project_admin", invoice).results
    expected = SEND_FROM_STATE[state]
    if expected is None:
        assert result.outcome == "done"
        item = active_item(invoice)
        assert item.state == ExportState.READY_TO_EXPORT
        assert item.sent_by == world.users["project_admin"]
        assert item.invoice_revision == invoice.revision
    else:
        label = invoice.label
        assert result.message == expected.format(
            label=label, erp_status=InvoiceErpStatus(state).label
        )


@pytest.mark.parametrize("status", InvoiceStatus.values)
def test_send_needs_an_approved_status(world, status):
    """Approved, Approved as Noted and Pending Owner Approval invoices can be sent."""
    invoice = world.invoice(status=status)
    (result,) = send(world, "project_admin", invoice).results
    if status in ("approved", "approved_as_noted", "pending_owner_approval"):
        assert result.outcome == "done"
    else:
        assert result.message == services.STATUS_NOT_SENDABLE.format(
            label=invoice.label, status=InvoiceStatus(status).label
        )


def test_send_refuses_a_commitment_not_synced(dummy_tasks):
    """A commitment not yet synced to the ERP keeps its invoices out of the queue, and
    the refusal says what to fix."""
    world = build_world(erp_status="not_synced", erp_reference="")
    invoice = world.invoice()
    (result,) = send(world, "project_admin", invoice).results
    assert result.message == services.COMMITMENT_NOT_SYNCED.format(
        label=invoice.label, commitment=world.commitment.number
    )
    assert not ExportItem.objects.filter(invoice=invoice).exists()


def test_send_emails_each_approver_once_per_action(world, dummy_tasks):
    """A bulk send sends one email per approver listing every invoice, not one per
    invoice (with the company's approver emails per send)."""
    ErpConnection.objects.filter(company=world.company).update(
        approver_emails=ApproverEmails.PER_SEND
    )
    world.users["approver"].email = "approver@example.com"
    world.users["approver"].save()
    invoices = [world.invoice() for _ in range(3)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        send(world, "project_admin", *invoices)
    assert run_enqueued(dummy_tasks) == [1]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["approver@example.com"]
    for invoice in invoices:
        assert invoice.label in mail.outbox[0].body


def test_send_enqueues_one_email_task_with_the_item_ids_once_it_commits(world, dummy_tasks):
    """The approvers' email is a task enqueued on commit with the new items' ids, not sent
    inside the action."""
    invoices = [world.invoice() for _ in range(3)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        send(world, "project_admin", *invoices)
        assert dummy_tasks.results == []
    item_ids = sorted(active_item(invoice).pk for invoice in invoices)
    assert email_tasks(dummy_tasks) == [("send_invoices_sent_email", {"export_item_ids": item_ids})]
    assert mail.outbox == []


def test_send_refused_for_every_invoice_enqueues_no_email(world, dummy_tasks):
    invoice = world.invoice(status="draft")
    with TestCase.captureOnCommitCallbacks(execute=True):
        (result,) = send(world, "project_admin", invoice).results
    assert result.outcome == "refused"
    assert dummy_tasks.results == []


@pytest.mark.parametrize("mail_server", UNREACHABLE_MAIL_SERVERS)
def test_send_stands_when_the_mail_server_is_unreachable(settings, caplog, mail_server):
    """The email task fails and the task backend logs it; the send is saved and reported
    done, and the invoice waits in Ready to Export."""
    unreachable_mail_server(settings, mail_server)
    world = build_world()
    ErpConnection.objects.filter(company=world.company).update(
        approver_emails=ApproverEmails.PER_SEND
    )
    invoice = world.invoice()
    with TestCase.captureOnCommitCallbacks(execute=True):
        (result,) = send(world, "project_admin", invoice).results
    assert result.outcome == "done"
    assert active_item(invoice).state == ExportState.READY_TO_EXPORT
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.READY_TO_EXPORT
    ((task_path, error),) = failed_task_logs(caplog)
    assert task_path == "erp_integrations.tasks.send_invoices_sent_email"
    assert issubclass(error, OSError)
    assert mail.outbox == []


ACCEPT_FROM_STATE = {
    ExportState.READY_TO_EXPORT: None,
    ExportState.EXPORTING: services.ACCEPTED_BY,
    ExportState.SYNCED: services.ACCEPTED_BY,
    ExportState.FAILED_TO_EXPORT: services.ACCEPTED_BY,
    ExportState.REJECTED: services.REJECTED_BY,
    ExportState.RETRIEVED: services.RETRIEVED_BEFORE_DECISION,
    ExportState.UNLINKED: services.UNLINKED_BY,
}


@pytest.mark.parametrize("state", ExportState.values)
def test_accept_from_each_state(world, state):
    """Only a Ready to Export item is accepted; for the others the approver is told
    what happened and by whom."""
    invoice = world.invoice(erp_state=state)
    (result,) = approver_action("accept", world, "approver", invoice).results
    expected = ACCEPT_FROM_STATE[state]
    if expected is None:
        assert result.outcome == "done"
        assert active_item(invoice).state == ExportState.EXPORTING
        assert active_item(invoice).decided_by == world.users["approver"]
    else:
        who = {ExportState.RETRIEVED: "retrieved_by", ExportState.UNLINKED: "unlinked_by"}.get(
            state, "decided_by"
        )
        user = getattr(active_item(invoice), who)
        assert result.message == expected.format(
            label=invoice.label, user=user.get_full_name() or user.username
        )
        assert active_item(invoice).state == state


def test_accept_enqueues_one_export_task_for_the_batch(world, dummy_tasks):
    """Accepting several items enqueues one export task, after the commit, with ids."""
    invoices = [world.invoice(erp_state=ExportState.READY_TO_EXPORT) for _ in range(3)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        approver_action("accept", world, "approver", *invoices)
    (task_result,) = dummy_tasks.results
    assert sorted(task_result.kwargs["export_item_ids"]) == sorted(
        active_item(invoice).pk for invoice in invoices
    )


REJECT_FROM_STATE = {
    ExportState.READY_TO_EXPORT: None,
    ExportState.FAILED_TO_EXPORT: None,
    ExportState.EXPORTING: services.ACCEPTED_BY,
    ExportState.SYNCED: services.ACCEPTED_BY,
    ExportState.REJECTED: services.REJECTED_BY,
    ExportState.RETRIEVED: services.RETRIEVED_BEFORE_DECISION,
    ExportState.UNLINKED: services.UNLINKED_BY,
}


@pytest.mark.parametrize("state", ExportState.values)
def test_reject_from_each_state(world, state):
    """Ready to Export and Failed to Export items can be rejected; the rest cannot."""
    invoice = world.invoice(erp_state=state)
    (result,) = approver_action(
        "reject", world, "approver", invoice, reason="Retainage is wrong"
    ).results
    if REJECT_FROM_STATE[state] is None:
        assert result.outcome == "done"
        item = active_item(invoice)
        assert (item.state, item.rejection_reason) == ("rejected", "Retainage is wrong")
        assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.REJECTED
    else:
        assert result.outcome == "refused"
        assert active_item(invoice).state == state


def test_reject_requires_a_reason(world):
    """A blank reason is refused with a clear message, and nothing changes."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    with pytest.raises(ActionRefused, match=services.REJECTION_REASON_REQUIRED):
        approver_action("reject", world, "approver", invoice, reason="   ")
    assert active_item(invoice).state == ExportState.READY_TO_EXPORT


def test_reject_refuses_a_reason_over_the_limit_and_changes_nothing(world, dummy_tasks):
    """A reason one character too long is refused before anything is stored or mailed."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    history_before = ChangeHistoryEntry.objects.count()

    with (
        TestCase.captureOnCommitCallbacks(execute=True),
        pytest.raises(ActionRefused, match=services.REJECTION_REASON_TOO_LONG),
    ):
        approver_action(
            "reject", world, "approver", invoice, reason="x" * (REJECTION_REASON_MAX_LENGTH + 1)
        )

    item = active_item(invoice)
    assert (item.state, item.rejection_reason) == (ExportState.READY_TO_EXPORT, "")
    assert ChangeHistoryEntry.objects.count() == history_before
    assert email_tasks(dummy_tasks) == []


def test_reject_keeps_a_reason_of_exactly_the_limit(world):
    """The limit itself is allowed; blanks around the reason do not count."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    reason = "x" * REJECTION_REASON_MAX_LENGTH

    approver_action("reject", world, "approver", invoice, reason=f"  {reason}\n")

    assert active_item(invoice).rejection_reason == reason


def test_reject_emails_the_sender_with_the_reason(world, dummy_tasks):
    """The person who sent the invoice is told it was rejected, and why."""
    sender = world.users["project_admin"]
    sender.email = "pat@example.com"
    sender.save()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    with TestCase.captureOnCommitCallbacks(execute=True):
        approver_action("reject", world, "approver", invoice, reason="Wrong billing period")
    run_enqueued(dummy_tasks)
    (message,) = mail.outbox
    assert message.to == ["pat@example.com"]
    assert "Wrong billing period" in message.body
    assert invoice.label in message.body


def test_reject_enqueues_one_email_task_with_the_item_ids_once_it_commits(world, dummy_tasks):
    invoices = [world.invoice(erp_state=ExportState.READY_TO_EXPORT) for _ in range(2)]
    with TestCase.captureOnCommitCallbacks(execute=True):
        approver_action("reject", world, "approver", *invoices, reason="Wrong billing period")
        assert dummy_tasks.results == []
    item_ids = sorted(active_item(invoice).pk for invoice in invoices)
    assert email_tasks(dummy_tasks) == [
        ("send_invoices_rejected_email", {"export_item_ids": item_ids})
    ]
    assert mail.outbox == []


def test_reject_stands_when_the_mail_server_is_unreachable(settings, caplog):
    unreachable_mail_server(settings)
    world = build_world()
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    with TestCase.captureOnCommitCallbacks(execute=True):
        (result,) = approver_action(
            "reject", world, "approver", invoice, reason="Wrong billing period"
        ).results
    assert result.outcome == "done"
    assert Invoice.objects.get(pk=invoice.pk).erp_status == InvoiceErpStatus.REJECTED
    assert failed_task_logs(caplog) == [
        ("erp_integrations.tasks.send_invoices_rejected_email", ConnectionRefusedError)
    ]


def test_reject_records_the_reason_in_history(world):
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    approver_action("reject", world, "approver", invoice, reason="Wrong billing period")
    assert ChangeHistoryEntry.objects.filter(
        invoice=invoice, changed="Rejection Reason", to_value="Wrong billing period"
    ).exists()


@pytest.mark.parametrize("state", ExportState.values)
def test_retry_only_from_failed_to_export(world, state):
    """Only a failed export can be retried; it starts over with a fresh set of attempts
    and keeps its idempotency key."""
    invoice = world.invoice(erp_state=state)
    item = active_item(invoice)
    ExportItem.objects.filter(pk=item.pk).update(attempts=5)
    (result,) = approver_action("retry", world, "approver", invoice).results
    item.refresh_from_db()
    if state == ExportState.FAILED_TO_EXPORT:
        assert result.outcome == "done"
        assert (item.state, item.attempts) == (ExportState.EXPORTING, 0)
    else:
        assert result.outcome == "refused"
        assert item.state == state


def test_approver_cannot_act_on_another_companys_items(world):
    """Item ids of another company are not found, and nothing changes for them."""
    other = build_world()
    invoice = other.invoice(erp_state=ExportState.READY_TO_EXPORT)
    result = services.export_items_accept(
        user=fresh(world.users["approver"]),
        company_id=world.company.pk,
        export_item_ids=[active_item(invoice).pk],
    )
    assert result.refused[0].message == services.NOT_FOUND_IN_QUEUE.format(
        label=f"#{active_item(invoice).pk}"
    )
    assert active_item(invoice).state == ExportState.READY_TO_EXPORT


def test_single_invoice_retrieve_raises_with_the_reason(world):
    """The invoice page's single retrieve raises ActionRefused with the same message."""
    invoice = world.invoice(erp_state=ExportState.SYNCED)
    with pytest.raises(ActionRefused) as refused:
        services.invoice_retrieve_from_erp(
            user=fresh(world.users["project_admin"]), invoice_id=invoice.pk
        )
    assert str(refused.value) == services.ALREADY_ACCEPTED.format(label=invoice.label)


def test_approver_cannot_retrieve_through_the_invoice_page(world):
    """An approver reaches invoices through the queue, but retrieving is not theirs:
    without project access the invoice is not found."""
    invoice = world.invoice(erp_state=ExportState.READY_TO_EXPORT)
    with pytest.raises(Http404):
        services.invoice_retrieve_from_erp(
            user=fresh(world.users["approver"]), invoice_id=invoice.pk
        )
