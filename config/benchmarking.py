"""Instruments for the benchmark (`bin/benchmark`), switched on by BENCHMARK_VIEWS=1.

- `QueryCountMiddleware` reports the number of database queries a request ran in the
  `X-Query-Count` response header, so a client measuring over HTTP sees it too.
- `floor` is the reference page: a logged-in view rendering a minimal template through
  the same middleware, i.e. the cost every page pays before doing any work of its own.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        count = 0

        def counting(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connections["default"].execute_wrapper(counting):
            response = self.get_response(request)
        response["X-Query-Count"] = str(count)
        return response


@require_GET
@login_required
def floor(request: HttpRequest) -> HttpResponse:
    return render(request, "benchmark_floor.html")
