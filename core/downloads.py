"""What every file download shares: a safe name and the headers that make it a download."""

from __future__ import annotations

import re

from django.http import HttpResponseBase
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header

UNSAFE_FILENAME_CHARACTERS = re.compile(r"[^A-Za-z0-9._-]+")


def download_name(*parts: str, extension: str) -> str:
    """A file name from `parts` joined by dashes, e.g. "SC-001-INV-3.pdf". Anything but
    letters, digits, dots, dashes and underscores becomes a dash: the name is built from
    what users typed (a commitment's number) and must not be read as a path."""
    cleaned = (UNSAFE_FILENAME_CHARACTERS.sub("-", part).strip("-.") for part in parts)
    name = "-".join(part for part in cleaned if part)
    return f"{name or 'download'}.{extension}"


def as_download(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    """`response` saved under `filename` rather than shown; never sniffed into another
    type, and never kept by a shared cache (it is what this user may see, as it is now)."""
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response
