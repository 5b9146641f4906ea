"""What every page's views share about answering htmx requests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from core.errors import ActionRefused

# A page answers an htmx request with one region instead of the whole page, so its
# responses depend on HX-Request, and on HX-Target where it has several regions. Saying
# so keeps a browser from reusing a region it fetched for a pushed URL as that URL's page
# (Back after leaving the page would show the bare region). Every view that reads them
# is decorated with one of these.
vary_on_htmx = vary_on_headers("HX-Request")
vary_on_htmx_target = vary_on_headers("HX-Request", "HX-Target")


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware (django-htmx's typing
    pattern): views annotate their request with it so `request.htmx` type-checks."""

    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    """A request to a `login_required` view (django-stubs' typing pattern): its user is
    signed in, so the view may hand `request.user` to a service."""

    user: User


def wants_partial(request: HtmxHttpRequest) -> bool:
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


def answer_action[Result](
    request: HtmxHttpRequest,
    action: Callable[[], Result],
    *,
    report: Callable[[Result], None],
    region: Callable[[Result | None, list[str]], HttpResponse],
    redirect_to: str,
) -> HttpResponse:
    """Run a POST's `action` (the service call) and answer it.

    A refusal (`ActionRefused`) or bad input (`ValidationError`) changed nothing: its
    messages are shown as errors. Otherwise `report(result)` adds the messages about the
    result. A plain POST is then redirected to `redirect_to`, where the messages wait;
    an htmx POST gets `region(result, errors)`, the swapped region as it is now (with
    `with_messages`, or `render_region`)."""
    result: Result | None = None
    try:
        result = action()
    except ActionRefused as refusal:
        errors = [str(refusal)]
    except ValidationError as error:
        errors = list(error.messages)
    else:
        errors = []
        report(result)
    for message in errors:
        messages.error(request, message)
    if wants_partial(request):
        return region(result, errors)
    return redirect(redirect_to)


def render_region(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """The region `template` ("page.html#partial") with the pending messages."""
    return with_messages(request, render_to_string(template, context, request=request))


class _LineResult(Protocol):
    @property
    def is_done(self) -> bool: ...

    @property
    def is_unchanged(self) -> bool: ...

    @property
    def message(self) -> str: ...


class BulkResult(Protocol):
    """What a bulk action on checked invoices returns (erp_integrations' ActionResult)."""

    @property
    def results(self) -> Sequence[_LineResult]: ...

    @property
    def refused(self) -> Sequence[_LineResult]: ...

    def summary(self, done_word: str) -> str: ...


def report_bulk_action(
    request: HtmxHttpRequest, action: BulkResult, *, action_name: str, done_word: str
) -> None:
    """Messages for a bulk action on checked invoices: one per invoice for a plain
    request (the page it returns to has no result panel), a summary beside the result
    panel for htmx."""
    if not wants_partial(request):
        for result in action.results:
            if result.is_done:
                level = messages.SUCCESS
            elif result.is_unchanged:
                level = messages.INFO
            else:
                level = messages.ERROR
            messages.add_message(request, level, result.message)
    elif action.refused:
        messages.warning(request, f"{action_name}: {action.summary(done_word)}")
    else:
        messages.success(request, f"{action_name}: {action.summary(done_word)}")
