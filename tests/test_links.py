"""A link a user can see opens for that user.

For each role of tests/access_world.py the walk signs in and opens the pages a user
starts from: the project list, each project and its Commitments and Invoicing tools,
each commitment and its tabs, each invoice, each company's ERP Integrations and its tabs,
each review page, and the password pages. From every page that opens it follows every
same-site `<a href>`, as deep as they lead, each once. Each link must end, after its
redirects, in 200: no 403, 404 or 500, and no sign-in page for a user who is signed in.
Downloads (PDFs, CSVs, attachments) are fetched like pages and must answer 200 as well;
only HTML is read for further links. Site admin pages are opened but not walked (Django
admin's own links).

A start page that does not open for the role (a project it does not see) is no failure:
only what the role's pages link to must open.

The roles walk one world, built once for the module (tests/access_world.py, with
attachments); each walk only reads. The PDFs (the pay application, and with its
attachments) are rendered for real, once per invoice: a second role downloading the same
invoice gets the bytes rendered for the first, through the same view and access check
(rendering is what costs here, and it is the same document for every role that may have
it).
"""

from __future__ import annotations

import io
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from erp_integrations.models import ExportItem
from erp_integrations.selectors import QUEUE_TABS
from invoices import pdf, pdf_with_attachments
from invoices.attachments import attachment_add
from tests import attachment_files as files
from tests.access_world import ROLES, AccessWorld, shared_access_world

pytestmark = pytest.mark.django_db

SITE_HOSTS = ("", "testserver")
MAX_REDIRECTS = 5


class _Anchors(HTMLParser):
    """The href of every `<a>` of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def anchors(html: str) -> list[str]:
    parser = _Anchors()
    parser.feed(html)
    return parser.hrefs


def same_site_target(page: str, href: str) -> str | None:
    """The path and query `href` on `page` leads to, or None when it leaves the site or
    only moves within the page (a fragment, a dropdown toggle's "#")."""
    if href.startswith("#"):
        return None
    parts = urlsplit(urljoin(f"http://testserver{page}", href))
    if parts.scheme not in ("http", "https") or parts.netloc not in SITE_HOSTS:
        return None
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


@dataclass
class Walk:
    client: Client
    signed_in: bool
    visited: set[str] = field(default_factory=set)
    broken: list[str] = field(default_factory=list)
    # What each page links to, for a failure message that says where a link was seen.
    seen_on: dict[str, str] = field(default_factory=dict)

    def open(self, url: str):
        """GET `url`, following redirects within the site; the final response and URL."""
        response = self.client.get(url)
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            target = same_site_target(url, response["Location"])
            assert target is not None, f"{url} redirects off the site"
            url = target
            response = self.client.get(url)
        return response, url

    def is_page(self, url: str, response) -> bool:
        return (
            response.status_code == 200
            and response["Content-Type"].startswith("text/html")
            and not url.startswith("/admin/")
        )

    def follow(self, start_pages: list[str]) -> int:
        """Open the start pages, then every link of every page that opens. Returns how
        many URLs were opened."""
        queue: deque[tuple[str, bool]] = deque((url, False) for url in start_pages)
        while queue:
            url, linked = queue.popleft()
            if url in self.visited:
                continue
            self.visited.add(url)
            response, final_url = self.open(url)
            if linked:
                self.check(url, final_url, response)
            if not self.is_page(final_url, response):
                continue
            for href in anchors(response.content.decode()):
                target = same_site_target(final_url, href)
                if target is None or target == reverse("logout"):
                    continue
                self.seen_on.setdefault(target, final_url)
                if target not in self.visited:
                    queue.append((target, True))
        return len(self.visited)

    def check(self, url: str, final_url: str, response) -> None:
        where = f"{url} (linked from {self.seen_on.get(url)})"
        if response.status_code != 200:
            self.broken.append(f"{where} answers {response.status_code}")
        elif self.signed_in and final_url.split("?")[0] == reverse(settings.LOGIN_URL):
            self.broken.append(f"{where} sends a signed-in user to sign in")


def add_attachments(world: AccessWorld) -> None:
    """Attachments on invoices the project shows and on invoices in the queues, of each
    kind the pages link differently: a PDF and an image open in the browser, a
    spreadsheet downloads."""
    uploads = (files.pdf_upload, files.png_upload, files.xlsx_upload)
    for name in ("draft", "locked", "private_locked", "other_company_locked"):
        for upload in uploads:
            attachment_add(
                user=world.users["superuser"],
                invoice_id=world.invoices[name].pk,
                upload=upload(),
            )


def start_pages(world: AccessWorld) -> list[str]:
    pages = [reverse("projects:list"), reverse("password_change")]
    for project in (world.project, world.other_project, world.other_company_project):
        pages += [
            reverse("projects:detail", args=[project.pk]),
            reverse("commitments:list", args=[project.pk]),
            reverse("invoicing:list", args=[project.pk]),
        ]
    for commitment in world.commitments.values():
        args = [commitment.project_id, commitment.pk]
        for name in ("detail", "sov", "invoices", "history"):
            pages.append(reverse(f"commitments:{name}", args=args))
    for invoice in world.invoices.values():
        commitment = invoice.commitment
        pages.append(
            reverse("invoices:detail", args=[commitment.project_id, commitment.pk, invoice.pk])
        )
    for company in (world.company, world.other_company):
        pages.append(reverse("erp_integrations:queue", args=[company.pk]))
        for tab in QUEUE_TABS:
            pages.append(reverse("erp_integrations:tab", args=[company.pk, tab.slug]))
    for item in ExportItem.objects.order_by("pk"):
        pages.append(reverse("erp_integrations:review", args=[item.company_id, item.pk]))
    return pages


@pytest.fixture(scope="module")
def link_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The access world with attachments, stored in a folder of the module's: the
    attachments outlive each test's own media folder."""
    with (
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")),
        shared_access_world(django_db_blocker) as world,
    ):
        with django_db_blocker.unblock():
            add_attachments(world)
        yield world


@pytest.fixture
def _media_folder():
    """The module's media folder stays (tests/conftest.py gives each test its own)."""


# What each invoice's PDFs rendered to, kept across the module's roles.
RENDERED: dict[tuple[str, int], bytes] = {}


@pytest.fixture(autouse=True)
def _render_each_pdf_once(monkeypatch):
    render = pdf.render_pay_application
    write_with_attachments = pdf_with_attachments.write_pay_application_with_attachments

    def render_once(invoice):
        key = ("pay application", invoice.pk)
        if key not in RENDERED:
            RENDERED[key] = render(invoice)
        return RENDERED[key]

    def write_once(invoice, output):
        key = ("with attachments", invoice.pk)
        if key not in RENDERED:
            rendered = io.BytesIO()
            write_with_attachments(invoice, rendered)
            RENDERED[key] = rendered.getvalue()
        output.write(RENDERED[key])

    monkeypatch.setattr(pdf, "render_pay_application", render_once)
    monkeypatch.setattr(pdf_with_attachments, "render_pay_application", render_once)
    monkeypatch.setattr(pdf_with_attachments, "write_pay_application_with_attachments", write_once)


@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_role_sees_opens_for_it(client, link_world, db, role):
    world = link_world
    if role != "anonymous":
        client.force_login(world.users[role])
    walk = Walk(client=client, signed_in=role not in ("anonymous", "inactive_admin"))

    walk.follow(start_pages(world))

    assert walk.broken == []
    # The walk reached what the role's pages offer (it cannot pass by seeing nothing).
    assert set(must_walk(world, role)) <= set(walk.seen_on)


def attachment_urls(world: AccessWorld, invoice_name: str) -> list[str]:
    invoice = world.invoices[invoice_name]
    commitment = invoice.commitment
    return [
        reverse(
            "invoices:attachment",
            args=[commitment.project_id, commitment.pk, invoice.pk, attachment.pk],
        )
        for attachment in invoice.attachments.all()
    ]


def must_walk(world: AccessWorld, role: str) -> list[str]:
    """Links the role's pages show, which the walk must therefore have followed."""
    locked = world.invoices["locked"]
    locked_item = ExportItem.objects.get(invoice=locked)
    review = reverse("erp_integrations:review", args=[world.company.pk, locked_item.pk])
    invoice_page = locked.get_absolute_url()
    invoicing = reverse("invoicing:list", args=[world.project.pk])
    # A sort link of the Invoicing tool: its filter and sort links open too.
    invoicing_sorted = f"{invoicing}?sort=-commitment"
    if role in ("approver", "approver_via_group"):
        # The queue, its review pages and their attachments; no project page.
        return [
            review,
            *attachment_urls(world, "locked"),
            *attachment_urls(world, "private_locked"),
        ]
    if role in ("erp_standard_without_push", "erp_read_only_with_push"):
        # No approvers, but members of the tool: the review page lists the attachments.
        return [review, *attachment_urls(world, "locked")]
    if role in ("superuser", "project_admin", "listed_standard", "listed_read_only"):
        return [
            invoicing,
            invoicing_sorted,
            invoice_page,
            *attachment_urls(world, "locked"),
            *attachment_urls(world, "private_locked"),
        ]
    if role in ("standard", "standard_via_group", "read_only", "invoice_contact"):
        return [invoicing, invoicing_sorted, invoice_page, *attachment_urls(world, "draft")]
    if role == "other_project_admin":
        return [
            reverse("commitments:list", args=[world.other_project.pk]),
            reverse("invoicing:list", args=[world.other_project.pk]),
        ]
    # Signed in with nothing to see, or not signed in: the password pages.
    return [
        reverse("password_reset")
        if role in ("anonymous", "inactive_admin")
        else reverse("password_change")
    ]
