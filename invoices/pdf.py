"""The invoice as a pay application PDF: a summary page in the shape of AIA G702, a
continuation sheet in the shape of G703 (one row per SOV line), the lock or ERP status and
the latest change history, rendered by WeasyPrint from the site's print template
(templates/invoices/pay_application.html) and its print stylesheet (static/css/print.css).

WeasyPrint fetches nothing from the network: the only resources it may load are the
site's own static files, read from the static files storage (or the finders, before
`collectstatic`). Fonts are whatever the system has (DejaVu, Liberation).
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from core.downloads import as_download, download_name
from invoices.amounts import invoice_amounts, pay_application_summary
from invoices.locking import lock_message
from invoices.models import Invoice
from invoices.selectors import invoice_history, invoice_latest_export_item

# The base URL the print template's relative links resolve against. It names no real
# host: the fetcher below answers for the static files under it and refuses the rest.
BASE_URL = "https://pay-application.invalid/"
# How many of the newest change history entries the PDF lists.
HISTORY_ENTRIES = 10


def static_path_of(url: str) -> str | None:
    """The static file a URL of the print template names, or None for any other URL."""
    static_url = settings.STATIC_URL or "/static/"
    prefixes = [static_url] if "://" in static_url else []
    prefixes.append(BASE_URL.rstrip("/") + "/" + static_url.lstrip("/"))
    for prefix in prefixes:
        if url.startswith(prefix):
            path = url.removeprefix(prefix).split("?", 1)[0].split("#", 1)[0]
            return path if path and ".." not in path.split("/") else None
    return None


def static_files_fetcher():
    """A WeasyPrint URL fetcher that serves the site's static files and nothing else."""
    # WeasyPrint on first use, as in `html_to_pdf`.
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    class StaticFilesFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            path = static_path_of(url)
            if path is None:
                raise ValueError(f"The pay application loads only static files, not {url}")
            # The sources first (what `{% static %}` names in development), then the
            # collected files (the hashed names of the manifest storage in production).
            headers = {"Content-Type": mimetypes.guess_type(path)[0] or "application/octet-stream"}
            found = finders.find(path)
            if found:
                with open(found, "rb") as file:
                    return URLFetcherResponse(url, file.read(), headers)
            if staticfiles_storage.exists(path):
                with staticfiles_storage.open(path) as file:
                    return URLFetcherResponse(url, file.read(), headers)
            raise ValueError(f"No static file {path}")

    return StaticFilesFetcher()


def pay_application_filename(invoice: Invoice) -> str:
    """ "SC-001-INV-3.pdf": the commitment's number and the invoice's label."""
    return download_name(invoice.commitment.number, invoice.label, extension="pdf")


def pay_application_context(invoice: Invoice) -> dict:
    """What the print template shows; every amount comes from `invoices.amounts`.
    `invoice` must have its commitment, project, company and vendor loaded
    (the access functions load them). Three queries, however many lines."""
    amounts = invoice_amounts(invoice)
    latest_item = invoice_latest_export_item(invoice)
    active_item = latest_item if latest_item is not None and latest_item.is_active else None
    commitment = invoice.commitment
    return {
        "invoice": invoice,
        "commitment": commitment,
        "project": commitment.project,
        "company": commitment.project.company,
        "amounts": amounts,
        "summary": pay_application_summary(amounts.totals),
        "latest_item": latest_item,
        "lock_message": lock_message(invoice, active_item) if invoice.is_locked else None,
        "history": list(invoice_history(invoice)[:HISTORY_ENTRIES]),
        "history_limit": HISTORY_ENTRIES,
        "printed_at": timezone.localtime(),
    }


def pay_application_html(invoice: Invoice) -> str:
    """The print template, filled in: every query is made here, none while printing."""
    return render_to_string("invoices/pay_application.html", pay_application_context(invoice))


def html_to_pdf(html: str) -> bytes:
    """A page of the site as PDF bytes; its links resolve against BASE_URL."""
    # Imported on first use: importing WeasyPrint takes over half a second and needs
    # Pango's libraries, which a process that prints nothing (a task worker, a management
    # command) need neither pay for nor have.
    from weasyprint import HTML  # noqa: PLC0415

    return HTML(string=html, base_url=BASE_URL, url_fetcher=static_files_fetcher()).write_pdf()


def render_pay_application(invoice: Invoice) -> bytes:
    """The invoice's pay application as PDF bytes."""
    return html_to_pdf(pay_application_html(invoice))


def pay_application_response(invoice: Invoice) -> HttpResponse:
    """The pay application as a download named after the invoice. The caller has checked
    that the user may see the invoice, as the page the download sits on does."""
    response = HttpResponse(render_pay_application(invoice), content_type="application/pdf")
    as_download(response, pay_application_filename(invoice))
    return response
