"""Django admin for site admins: every model, lists that cost the same however many rows,
object permissions through guardian's admin, and the ERP lock respected on every path."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

import invoices.admin
from commitments.admin import VENDOR_OF_ANOTHER_COMPANY
from commitments.models import Commitment, SovLine
from commitments.permissions import is_invoice_contact, is_on_private_access_list
from commitments.services import NOT_A_VENDOR_EMPLOYEE
from core.errors import ActionRefused
from erp_integrations.models import (
    ErpConnection,
    ErpDigestDelivery,
    ErpDigestSubscription,
    ExportItem,
    ExportState,
)
from invoices.admin import INVOICE_PLACE_FIXED, LOCKED_REFUSAL
from invoices.locking import lock_message
from invoices.models import (
    ChangeHistoryEntry,
    Invoice,
    InvoiceAttachment,
    InvoiceErpStatus,
    InvoiceLine,
)
from invoices.services import invoice_edit
from projects.models import Company, Project, ToolLevel, Vendor, VendorEmployee
from projects.permissions import commitments_level, is_accounting_approver
from tests.factories import (
    ChangeHistoryEntryFactory,
    ErpConnectionFactory,
    ErpDigestDeliveryFactory,
    ErpDigestSubscriptionFactory,
    ExportItemFactory,
    InvoiceAttachmentFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    SovLineFactory,
    UserFactory,
    VendorEmployeeFactory,
    VendorFactory,
)
from tests.world import build_world

pytestmark = pytest.mark.django_db

DOMAIN_MODELS = [
    Company,
    Vendor,
    VendorEmployee,
    Project,
    Commitment,
    SovLine,
    Invoice,
    InvoiceLine,
    ChangeHistoryEntry,
    InvoiceAttachment,
    ErpConnection,
    ExportItem,
    ErpDigestSubscription,
    ErpDigestDelivery,
]
VIEW_ONLY_MODELS = [
    ChangeHistoryEntry,
    ExportItem,
    InvoiceAttachment,
    ErpDigestSubscription,
    ErpDigestDelivery,
]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def add_rows(count: int) -> None:
    """`count` rows of every domain model, each chain in its own company."""
    for _ in range(count):
        invoice = InvoiceFactory.create()
        commitment = invoice.commitment
        ErpConnectionFactory(company=commitment.project.company)
        VendorEmployeeFactory(vendor=commitment.vendor)
        InvoiceLineFactory(invoice=invoice)
        ChangeHistoryEntryFactory(invoice=invoice)
        InvoiceAttachmentFactory(invoice=invoice)
        ExportItemFactory(invoice=invoice)
        ErpDigestSubscriptionFactory()
        ErpDigestDeliveryFactory()


def queries_to_get(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def invoice_form_data(invoice: Invoice, **header) -> dict[str, str]:
    """The POST the invoice change form sends: header, lines formset and the (read-only)
    history formset, with `header` values replacing the stored ones."""
    invoice.refresh_from_db()
    lines = list(invoice.lines.order_by("pk"))
    history = list(invoice.history.all())
    data = {
        "number": invoice.number,
        "status": invoice.status,
        "billing_period_start": invoice.billing_period_start,
        "billing_period_end": invoice.billing_period_end,
        "billing_date": invoice.billing_date,
        "lines-TOTAL_FORMS": len(lines),
        "lines-INITIAL_FORMS": len(lines),
        "lines-MIN_NUM_FORMS": 0,
        "lines-MAX_NUM_FORMS": 1000,
        "history-TOTAL_FORMS": len(history),
        "history-INITIAL_FORMS": len(history),
        "history-MIN_NUM_FORMS": 0,
        "history-MAX_NUM_FORMS": 1000,
        "_save": "Save",
        **header,
    }
    for index, line in enumerate(lines):
        prefix = f"lines-{index}-"
        data |= {
            f"{prefix}id": line.pk,
            f"{prefix}invoice": invoice.pk,
            f"{prefix}sov_line": line.sov_line_id,
            f"{prefix}work_completed_this_period": line.work_completed_this_period,
            f"{prefix}materials_presently_stored": line.materials_presently_stored,
            f"{prefix}work_retainage_percent": line.work_retainage_percent,
            f"{prefix}materials_retainage_percent": line.materials_retainage_percent,
        }
    for index, entry in enumerate(history):
        data |= {f"history-{index}-id": entry.pk, f"history-{index}-invoice": invoice.pk}
    return {name: str(value) for name, value in data.items()}


def line_values(invoice: Invoice) -> list[tuple]:
    return list(
        invoice.lines.order_by("pk").values_list(
            "work_completed_this_period",
            "materials_presently_stored",
            "work_retainage_percent",
            "materials_retainage_percent",
        )
    )


def refusal(invoice: Invoice) -> str:
    return escape(LOCKED_REFUSAL.format(reason=lock_message(invoice)))


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def locked_invoice(world):
    return world.invoice(erp_state=ExportState.READY_TO_EXPORT, lines=2)


@pytest.fixture
def unlocked_invoice(world):
    return world.invoice(lines=2)


@pytest.fixture
def every_model(world, locked_invoice):
    """At least one row of every domain model."""
    VendorEmployeeFactory(vendor=world.commitment.vendor)
    ChangeHistoryEntryFactory(invoice=locked_invoice)
    InvoiceAttachmentFactory(invoice=locked_invoice)
    ErpDigestSubscriptionFactory(user=world.users["approver"])
    ErpDigestDeliveryFactory(user=world.users["approver"])
    return world


# Every model, its lists and pages


def test_every_domain_model_is_registered():
    """Each model of the four apps has an admin, except guardian's per-model permission
    tables, which guardian's own admin pages manage."""
    app_models = [
        model
        for app_label in ("projects", "commitments", "invoices", "erp_integrations")
        for model in apps.get_app_config(app_label).get_models()
        if not model.__name__.endswith("ObjectPermission")
    ]
    assert sorted(model.__name__ for model in app_models) == sorted(
        model.__name__ for model in DOMAIN_MODELS
    )
    assert all(admin.site.is_registered(model) for model in DOMAIN_MODELS)


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda model: model.__name__)
def test_changelist_opens(admin_client, every_model, model):
    """The changelist lists the model's rows."""
    response = admin_client.get(admin_url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == model.objects.count() > 0


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda model: model.__name__)
def test_changelist_search_answers(admin_client, every_model, model):
    """A search, text or number, runs without error on every changelist."""
    for term in ("SC", "1"):
        assert admin_client.get(admin_url(model, "changelist"), {"q": term}).status_code == 200


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda model: model.__name__)
def test_change_page_opens(admin_client, every_model, model):
    """The change (or view) page of a row opens."""
    obj = model.objects.first()

    response = admin_client.get(admin_url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "model",
    [model for model in DOMAIN_MODELS if model not in VIEW_ONLY_MODELS],
    ids=lambda model: model.__name__,
)
def test_add_page_opens(admin_client, every_model, model):
    """Models a site admin may create have an add page."""
    assert admin_client.get(admin_url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", DOMAIN_MODELS, ids=lambda model: model.__name__)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    """A changelist of 20 rows runs as many queries as one of 2."""
    add_rows(2)
    with_two = queries_to_get(admin_client, admin_url(model, "changelist"))
    add_rows(18)
    with_twenty = queries_to_get(admin_client, admin_url(model, "changelist"))

    assert model.objects.count() >= 20
    assert with_twenty == with_two


def test_invoice_change_page_queries_do_not_grow_with_lines(admin_client, world):
    """The invoice page with 20 lines and their history runs as many queries as with 2."""
    small = world.invoice(lines=2)
    large = world.invoice(lines=20)
    for invoice in (small, large):
        for _ in invoice.lines.all():
            ChangeHistoryEntryFactory(invoice=invoice)

    # A first request fills the process-wide caches (content types), which would
    # otherwise count against whichever request the test order makes first.
    admin_client.get(admin_url(Invoice, "change", small.pk))
    with_two = queries_to_get(admin_client, admin_url(Invoice, "change", small.pk))
    with_twenty = queries_to_get(admin_client, admin_url(Invoice, "change", large.pk))

    assert with_twenty == with_two


def test_lines_inline_offers_only_the_commitments_sov_lines(admin_client, unlocked_invoice):
    """The SOV line choices of the lines inline are the invoice's commitment's lines."""
    elsewhere = SovLineFactory()

    response = admin_client.get(admin_url(Invoice, "change", unlocked_invoice.pk))

    choices = (
        response.context["inline_admin_formsets"][0].formset.empty_form.fields["sov_line"].choices
    )
    offered = {value for value, _ in choices if value}
    assert offered == set(unlocked_invoice.commitment.sov_lines.values_list("pk", flat=True))
    assert elsewhere.pk not in offered


# The ERP lock


def test_locked_invoice_page_is_read_only(admin_client, locked_invoice):
    """A locked invoice's page shows why it is locked and has no inputs for its fields,
    no inputs for its lines, no way to add or delete a line, and no delete link."""
    response = admin_client.get(admin_url(Invoice, "change", locked_invoice.pk))

    content = response.content.decode()
    assert escape(lock_message(locked_invoice)) in content
    assert 'name="billing_date"' not in content
    assert 'name="lines-0-work_completed_this_period"' not in content
    assert 'name="lines-0-DELETE"' not in content
    assert 'name="_save"' not in content
    assert admin_url(Invoice, "delete", locked_invoice.pk) not in content
    lines_formset = response.context["inline_admin_formsets"][0]
    assert not lines_formset.has_add_permission
    assert not lines_formset.has_change_permission
    assert not lines_formset.has_delete_permission


def test_admin_refuses_to_change_a_locked_invoice(admin_client, locked_invoice):
    """A hand-made POST to a locked invoice's change form changes neither the invoice nor
    its lines, and the answer says why."""
    before = Invoice.objects.values().get(pk=locked_invoice.pk)
    lines_before = line_values(locked_invoice)
    history_before = locked_invoice.history.count()
    data = invoice_form_data(locked_invoice, billing_date="2026-11-15", status="draft")
    data["lines-0-work_completed_this_period"] = "99999.00"
    data["lines-1-DELETE"] = "on"

    response = admin_client.post(admin_url(Invoice, "change", locked_invoice.pk), data, follow=True)

    assert refusal(locked_invoice) in response.content.decode()
    assert Invoice.objects.values().get(pk=locked_invoice.pk) == before
    assert line_values(locked_invoice) == lines_before
    assert locked_invoice.history.count() == history_before


def test_admin_edits_an_unlocked_invoice(admin_client, unlocked_invoice, admin_user):
    """The same POST on an unlocked invoice saves the header and the lines, records each
    change in the history and raises the revision once."""
    first_line = unlocked_invoice.lines.order_by("pk").first()
    data = invoice_form_data(unlocked_invoice, billing_date="2026-11-15")
    data["lines-0-work_completed_this_period"] = "2500.00"

    response = admin_client.post(admin_url(Invoice, "change", unlocked_invoice.pk), data)

    assert response.status_code == 302
    invoice = Invoice.objects.get(pk=unlocked_invoice.pk)
    assert invoice.billing_date == datetime.date(2026, 11, 15)
    assert invoice.revision == unlocked_invoice.revision + 1
    first_line.refresh_from_db()
    assert first_line.work_completed_this_period == Decimal("2500.00")
    assert set(
        invoice.history.filter(action_by=admin_user).values_list(
            "changed", "from_value", "to_value"
        )
    ) == {
        ("Billing date", "2026-10-31", "2026-11-15"),
        (f"{first_line.sov_line.cost_code} Work completed this period", "1000.00", "2500.00"),
    }


def test_admin_never_changes_the_erp_status(admin_client, world):
    """The ERP status is not a field of the form: a POST that sets it changes nothing of it
    (here on a rejected, so unlocked, invoice)."""
    invoice = world.invoice(erp_state=ExportState.REJECTED)
    data = invoice_form_data(invoice, erp_status=InvoiceErpStatus.SYNCED, revision="99")

    response = admin_client.post(admin_url(Invoice, "change", invoice.pk), data)

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.erp_status == InvoiceErpStatus.REJECTED
    assert invoice.revision == 1


def test_admin_refuses_to_change_a_locked_invoices_line(admin_client, locked_invoice):
    """A POST to the invoice line admin for a line of a locked invoice changes nothing."""
    line = locked_invoice.lines.order_by("pk").first()
    lines_before = line_values(locked_invoice)

    response = admin_client.post(
        admin_url(InvoiceLine, "change", line.pk),
        {
            "work_completed_this_period": "99999.00",
            "materials_presently_stored": "0.00",
            "work_retainage_percent": "0.00",
            "materials_retainage_percent": "0.00",
        },
        follow=True,
    )

    assert refusal(locked_invoice) in response.content.decode()
    assert line_values(locked_invoice) == lines_before


def test_admin_refuses_to_add_a_line_to_a_locked_invoice(admin_client, world, locked_invoice):
    """The invoice line admin will not add a line to a locked invoice."""
    sov_line = SovLineFactory(commitment=world.commitment)

    response = admin_client.post(
        admin_url(InvoiceLine, "add"),
        {
            "invoice": locked_invoice.pk,
            "sov_line": sov_line.pk,
            "work_completed_this_period": "500.00",
            "materials_presently_stored": "0.00",
            "work_retainage_percent": "10.00",
            "materials_retainage_percent": "0.00",
        },
    )

    assert response.status_code == 200
    assert refusal(locked_invoice) in response.content.decode()
    assert locked_invoice.lines.count() == 2


def test_admin_refuses_to_delete_a_locked_invoice(admin_client, locked_invoice):
    """Confirming the deletion of a locked invoice deletes nothing and says why."""
    response = admin_client.post(
        admin_url(Invoice, "delete", locked_invoice.pk), {"post": "yes"}, follow=True
    )

    assert refusal(locked_invoice) in response.content.decode()
    assert Invoice.objects.filter(pk=locked_invoice.pk).exists()
    assert locked_invoice.lines.count() == 2


def test_bulk_delete_refuses_a_locked_invoice(admin_client, locked_invoice, unlocked_invoice):
    """The 'Delete selected' action deletes nothing when a selected invoice is locked."""
    response = admin_client.post(
        admin_url(Invoice, "changelist"),
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [locked_invoice.pk, unlocked_invoice.pk],
            "post": "yes",
        },
    )

    assert response.status_code == 403
    assert Invoice.objects.filter(pk__in=[locked_invoice.pk, unlocked_invoice.pk]).count() == 2


def test_bulk_delete_confirmation_names_the_locked_invoice(
    admin_client, locked_invoice, unlocked_invoice
):
    """Before confirming, the bulk delete page says which invoice is locked and why."""
    response = admin_client.post(
        admin_url(Invoice, "changelist"),
        {
            "action": "delete_selected",
            ACTION_CHECKBOX_NAME: [locked_invoice.pk, unlocked_invoice.pk],
        },
    )

    assert response.status_code == 200
    assert escape(lock_message(locked_invoice)) in response.content.decode()


def test_admin_refuses_to_delete_a_locked_invoices_line(admin_client, locked_invoice):
    """The invoice line admin will not delete a line of a locked invoice."""
    line = locked_invoice.lines.first()

    response = admin_client.post(
        admin_url(InvoiceLine, "delete", line.pk), {"post": "yes"}, follow=True
    )

    assert refusal(locked_invoice) in response.content.decode()
    assert InvoiceLine.objects.filter(pk=line.pk).exists()


def test_admin_deletes_an_unlocked_invoice_with_its_records(admin_client, world):
    """An unlocked invoice is deleted with its lines, history and closed export items,
    though history and export items cannot be deleted on their own."""
    invoice = world.invoice(erp_state=ExportState.RETRIEVED)
    ChangeHistoryEntryFactory(invoice=invoice)

    response = admin_client.post(admin_url(Invoice, "delete", invoice.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    assert not ExportItem.objects.filter(invoice_id=invoice.pk).exists()


def test_adding_an_invoice_gives_it_a_line_per_sov_line(admin_client, world, admin_user):
    """An invoice added in admin bills every SOV line of its commitment, at the
    commitment's default retainage, and its history records the creation."""
    SovLineFactory.create_batch(3, commitment=world.commitment)

    response = admin_client.post(
        admin_url(Invoice, "add"),
        {
            "commitment": world.commitment.pk,
            "status": "draft",
            "created_by": admin_user.pk,
            "billing_period_start": "2026-11-01",
            "billing_period_end": "2026-11-30",
            "billing_date": "2026-11-30",
        },
    )

    assert response.status_code == 302
    invoice = Invoice.objects.get(commitment=world.commitment)
    assert invoice.number == 1
    assert invoice.lines.count() == 3
    assert {line.work_retainage_percent for line in invoice.lines.all()} == {Decimal("10.00")}
    assert invoice.history.filter(changed="Invoice", to_value="Created").exists()


# View-only records


@pytest.mark.parametrize("model", VIEW_ONLY_MODELS, ids=lambda model: model.__name__)
def test_records_cannot_be_added_changed_or_deleted(admin_client, every_model, model):
    """Export items and change history are view-only: add, change and delete are refused
    and the row stays as it was."""
    obj = model.objects.first()
    before = model.objects.values().get(pk=obj.pk)

    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.post(admin_url(model, "change", obj.pk), {}).status_code == 403
    assert admin_client.post(admin_url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.values().get(pk=obj.pk) == before


def test_export_item_page_shows_every_field_read_only(admin_client, locked_invoice):
    """The export item's page shows its state and has no input at all."""
    item = locked_invoice.export_items.get()

    response = admin_client.get(admin_url(ExportItem, "change", item.pk))

    assert response.context["adminform"].form.fields == {}
    assert "Ready to Export" in response.content.decode()


# Object permissions through guardian's admin


def test_site_admin_grants_a_commitments_level_on_a_project(admin_client, world):
    """The project's object permissions page sets a user's Commitments level."""
    user = UserFactory()
    url = reverse(
        "admin:projects_project_permissions_manage_user", args=[world.project.pk, user.pk]
    )

    response = admin_client.post(url, {"permissions": str(ToolLevel.ADMIN.value)})

    assert response.status_code == 302
    assert commitments_level(get_user_model().objects.get(pk=user.pk), world.project) == (
        ToolLevel.ADMIN
    )


def test_site_admin_lowers_a_commitments_level(admin_client, world):
    """Choosing a lower level replaces the higher one."""
    user = world.users["project_admin"]
    url = reverse(
        "admin:projects_project_permissions_manage_user", args=[world.project.pk, user.pk]
    )

    admin_client.post(url, {"permissions": str(ToolLevel.READ_ONLY.value)})

    assert commitments_level(get_user_model().objects.get(pk=user.pk), world.project) == (
        ToolLevel.READ_ONLY
    )


def test_site_admin_makes_a_user_an_accounting_approver(admin_client, world):
    """The company's object permissions page grants an ERP Integrations level and the
    'Can push to accounting' privilege."""
    user = UserFactory()
    url = reverse(
        "admin:projects_company_permissions_manage_user", args=[world.company.pk, user.pk]
    )

    response = admin_client.post(
        url, {"permissions": str(ToolLevel.STANDARD.value), "push_to_accounting": "on"}
    )

    assert response.status_code == 302
    assert is_accounting_approver(get_user_model().objects.get(pk=user.pk), world.company)


def test_object_permissions_page_lists_the_tool_grants(admin_client, world):
    """The project's object permissions page shows the Commitments levels of its users,
    not the model-wide add/change/delete permissions."""
    response = admin_client.get(
        reverse("admin:projects_project_permissions", args=[world.project.pk])
    )

    names = [permission.name for permission in response.context["model_perms"]]
    assert names == ["Commitments: Read Only", "Commitments: Standard", "Commitments: Admin"]
    assert world.users["project_admin"].username in response.content.decode()


def test_site_admin_names_an_invoice_contact(admin_client, world):
    """Naming a vendor employee an invoice contact also puts them on the access list."""
    user = VendorEmployeeFactory(vendor=world.commitment.vendor).user
    url = reverse(
        "admin:commitments_commitment_permissions_manage_user",
        args=[world.commitment.pk, user.pk],
    )

    response = admin_client.post(url, {"invoice_contact": "on"})

    assert response.status_code == 302
    user = get_user_model().objects.get(pk=user.pk)
    assert is_invoice_contact(user, world.commitment)
    assert is_on_private_access_list(user, world.commitment)


def test_invoice_contact_must_work_for_the_vendor(admin_client, world):
    """A user who is not an employee of the commitment's vendor cannot be an invoice
    contact; the page says so and grants nothing."""
    user = UserFactory()
    url = reverse(
        "admin:commitments_commitment_permissions_manage_user",
        args=[world.commitment.pk, user.pk],
    )

    response = admin_client.post(url, {"invoice_contact": "on"})

    assert response.status_code == 200
    assert escape(NOT_A_VENDOR_EMPLOYEE.format(vendor=world.commitment.vendor)) in (
        response.content.decode()
    )
    assert not is_invoice_contact(get_user_model().objects.get(pk=user.pk), world.commitment)


@pytest.mark.parametrize("model", [Company, Project, Commitment], ids=lambda model: model.__name__)
def test_object_permission_pages_open(admin_client, world, model):
    """The object permissions page of a company, project or commitment opens, and so do
    its pages for one user and one group."""
    obj = {Company: world.company, Project: world.project, Commitment: world.commitment}[model]
    group = Group.objects.create(name="Estimators")
    name = f"admin:{model._meta.app_label}_{model._meta.model_name}_permissions"

    assert admin_client.get(reverse(name, args=[obj.pk])).status_code == 200
    user_page = reverse(f"{name}_manage_user", args=[obj.pk, world.users["standard"].pk])
    assert admin_client.get(user_page).status_code == 200
    group_page = reverse(f"{name}_manage_group", args=[obj.pk, group.pk])
    assert admin_client.get(group_page).status_code == 200


def test_user_permissions_page_shows_the_current_level(admin_client, world):
    """The project page for one user starts from the level the user holds."""
    url = reverse(
        "admin:projects_project_permissions_manage_user",
        args=[world.project.pk, world.users["standard"].pk],
    )

    form = admin_client.get(url).context["form"]

    assert form["permissions"].value() == ToolLevel.STANDARD


def test_group_grants_offer_only_the_tool_levels(admin_client, world):
    """A group's grants on a project are the Commitments levels, nothing model-wide."""
    group = Group.objects.create(name="Estimators")
    url = reverse(
        "admin:projects_project_permissions_manage_group", args=[world.project.pk, group.pk]
    )

    form = admin_client.get(url).context["form"]

    assert [name for _, name in form.fields["permissions"].choices] == [
        "Commitments: Read Only",
        "Commitments: Standard",
        "Commitments: Admin",
    ]


def test_commitment_vendor_must_belong_to_the_projects_company(admin_client, world):
    """A commitment cannot name a vendor of another company as its contract company."""
    stranger = VendorFactory()
    commitment = world.commitment

    response = admin_client.post(
        admin_url(Commitment, "change", commitment.pk),
        {
            "project": commitment.project_id,
            "type": commitment.type,
            "number": commitment.number,
            "title": commitment.title,
            "vendor": stranger.pk,
            "status": commitment.status,
            "executed": "on",
            "default_retainage_percent": "10.00",
            "erp_status": commitment.erp_status,
            "erp_reference": commitment.erp_reference,
            "sov_lines-TOTAL_FORMS": "0",
            "sov_lines-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert escape(VENDOR_OF_ANOTHER_COMPANY) in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.vendor_id != stranger.pk


def test_removing_a_line_is_recorded_in_the_history(admin_client, unlocked_invoice, admin_user):
    """Deleting a line in the lines inline removes it and records which SOV line it billed."""
    line = unlocked_invoice.lines.order_by("pk").first()
    data = invoice_form_data(unlocked_invoice)
    data["lines-0-DELETE"] = "on"

    response = admin_client.post(admin_url(Invoice, "change", unlocked_invoice.pk), data)

    assert response.status_code == 302
    assert not InvoiceLine.objects.filter(pk=line.pk).exists()
    assert unlocked_invoice.history.filter(
        action_by=admin_user, changed="Line", from_value=str(line.sov_line), to_value=""
    ).exists()


def test_admin_refuses_to_renumber_an_invoice(admin_client, world, unlocked_invoice):
    """An invoice keeps its number: a POST that changes it saves nothing, not even the
    other fields it changes."""
    before = (unlocked_invoice.number, unlocked_invoice.billing_date)
    data = invoice_form_data(
        unlocked_invoice, number=str(unlocked_invoice.number + 10), billing_date="2026-11-15"
    )

    response = admin_client.post(
        admin_url(Invoice, "change", unlocked_invoice.pk), data, follow=True
    )

    reason = INVOICE_PLACE_FIXED.format(label=unlocked_invoice.label)
    assert escape(LOCKED_REFUSAL.format(reason=reason)) in response.content.decode()
    unlocked_invoice.refresh_from_db()
    assert (unlocked_invoice.number, unlocked_invoice.billing_date) == before


def test_bulk_delete_refuses_a_locked_invoices_lines(admin_client, locked_invoice):
    """The invoice line admin's 'Delete selected' action deletes no line of a locked
    invoice."""
    line_ids = list(locked_invoice.lines.values_list("pk", flat=True))

    response = admin_client.post(
        admin_url(InvoiceLine, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: line_ids, "post": "yes"},
    )

    assert response.status_code == 403
    assert locked_invoice.lines.count() == len(line_ids)


# Writes go through the invoice services


def test_adding_a_line_in_the_inline_is_recorded_and_raises_the_revision_once(
    admin_client, unlocked_invoice, admin_user
):
    """A line added on the invoice's change page, with an edit of another line, is saved
    by the edit service: both recorded in the history, the revision raised once."""
    sov_line = SovLineFactory(commitment=unlocked_invoice.commitment)
    data = invoice_form_data(unlocked_invoice)
    data["lines-0-work_completed_this_period"] = "1500.00"
    data |= {
        "lines-TOTAL_FORMS": "3",
        "lines-2-invoice": str(unlocked_invoice.pk),
        "lines-2-sov_line": str(sov_line.pk),
        "lines-2-work_completed_this_period": "300.00",
        "lines-2-materials_presently_stored": "0.00",
        "lines-2-work_retainage_percent": "10.00",
        "lines-2-materials_retainage_percent": "0.00",
    }

    response = admin_client.post(admin_url(Invoice, "change", unlocked_invoice.pk), data)

    assert response.status_code == 302
    added = unlocked_invoice.lines.get(sov_line=sov_line)
    assert added.work_completed_this_period == Decimal("300.00")
    assert unlocked_invoice.history.filter(
        action_by=admin_user, changed="Line", from_value="", to_value=str(sov_line)
    ).exists()
    assert Invoice.objects.get(pk=unlocked_invoice.pk).revision == unlocked_invoice.revision + 1


def test_a_refusal_from_the_edit_service_is_shown_and_rolls_the_save_back(
    admin_client, unlocked_invoice, monkeypatch
):
    """Should the edit service refuse after it wrote (a lock taken meanwhile, say), the
    change page shows the reason and neither the invoice, its lines nor its history
    change."""

    def edit_then_refuse(**kwargs):
        invoice_edit(**kwargs)
        raise ActionRefused("Refused meanwhile.")

    monkeypatch.setattr(invoices.admin, "invoice_edit", edit_then_refuse)
    before = Invoice.objects.values().get(pk=unlocked_invoice.pk)
    lines_before = line_values(unlocked_invoice)
    history_before = unlocked_invoice.history.count()
    data = invoice_form_data(unlocked_invoice, billing_date="2026-11-15")
    data["lines-0-work_completed_this_period"] = "2500.00"

    response = admin_client.post(
        admin_url(Invoice, "change", unlocked_invoice.pk), data, follow=True
    )

    assert escape(LOCKED_REFUSAL.format(reason="Refused meanwhile.")) in response.content.decode()
    assert Invoice.objects.values().get(pk=unlocked_invoice.pk) == before
    assert line_values(unlocked_invoice) == lines_before
    assert unlocked_invoice.history.count() == history_before


def test_invoice_line_admin_edit_is_recorded_like_a_page_edit(
    admin_client, unlocked_invoice, admin_user
):
    """A change made in the invoice line admin is recorded and raises the revision."""
    line = unlocked_invoice.lines.order_by("pk").first()

    response = admin_client.post(
        admin_url(InvoiceLine, "change", line.pk),
        {
            "work_completed_this_period": "1250.5",
            "materials_presently_stored": "0.00",
            "work_retainage_percent": "10.00",
            "materials_retainage_percent": "0.00",
        },
    )

    assert response.status_code == 302
    assert unlocked_invoice.history.filter(
        action_by=admin_user,
        changed=f"{line.sov_line.cost_code} Work completed this period",
        from_value="1000.00",
        to_value="1250.50",
    ).exists()
    assert Invoice.objects.get(pk=unlocked_invoice.pk).revision == unlocked_invoice.revision + 1


def test_bulk_deleting_lines_records_each_in_its_invoices_history(admin_client, world, admin_user):
    """The line admin's 'Delete selected' removes the lines of two invoices, each invoice
    recording its removed lines and raising its revision once."""
    first, second = world.invoice(lines=2), world.invoice(lines=2)
    line_ids = [*first.lines.values_list("pk", flat=True), second.lines.first().pk]

    response = admin_client.post(
        admin_url(InvoiceLine, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: line_ids, "post": "yes"},
    )

    assert response.status_code == 302
    assert not InvoiceLine.objects.filter(pk__in=line_ids).exists()
    assert first.history.filter(action_by=admin_user, changed="Line", to_value="").count() == 2
    assert second.history.filter(action_by=admin_user, changed="Line", to_value="").count() == 1
    revisions = dict(
        Invoice.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "revision")
    )
    assert revisions == {first.pk: first.revision + 1, second.pk: second.revision + 1}
