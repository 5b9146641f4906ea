"""What every page's views share about answering htmx requests."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request gets the swapped region only; a history restore (Back to a pushed
    URL missing from htmx's cache) needs the whole page."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def with_messages(request: HttpRequest, html: str) -> HttpResponse:
    """`html` followed by the pending messages, swapped into the page's messages region
    out of band. Without pending messages the region is left alone, so a poll does not
    wipe the messages the user is reading."""
    if len(messages.get_messages(request)):
        html += render_to_string("base.html#messages", {"messages_oob": True}, request=request)
    return HttpResponse(html)
