"""The user's "API tokens" page: list, create (the key shown once), revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import ApiTokenForm
from api.models import ApiToken
from api.selectors import user_api_tokens
from api.services import api_token_create, api_token_revoke
from core.errors import ActionRefused


@never_cache  # the answer to a create holds the key: no cache may keep it
@require_http_methods(["GET", "POST"])
@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    new_key = None
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            new = api_token_create(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
            )
            new_key = new.key
            form = ApiTokenForm()
    else:
        form = ApiTokenForm()
    return render(
        request,
        "api/token_list.html",
        {
            "form": form,
            "new_key": new_key,
            "tokens": user_api_tokens(request.user),  # type: ignore[arg-type]
        },
        status=400 if form.errors else 200,
    )


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = api_token_revoke(token_id=token_id, user=request.user)  # type: ignore[arg-type]
    except ApiToken.DoesNotExist:
        raise Http404("No such API token.") from None
    except ActionRefused as refused:
        messages.info(request, str(refused))
    else:
        messages.success(request, f"Revoked “{token.name}”: it no longer works.")
    return redirect("api:tokens")
