"""`python -m benchmarks.profile PATH [--user NAME]`: where one page's time goes.

Runs the request in this process through Django's test client (logged in as a bench
user, with the benchmark's environment: bin/benchmark prints how to get it) once to warm
up, then again under cProfile while timing every SQL query. Prints the wall time, the
SQL time with the slowest queries, and the functions with the most cumulative time, so a
missed target in docs/benchmark.md can say what holds the page back.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time

import django
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("path", help="e.g. /companies/1/erp-integrations/")
    parser.add_argument("--user", default="bench_admin")
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    parser.add_argument("--sort", default="cumulative", help="pstats order, e.g. tottime")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    client = Client(SERVER_NAME="127.0.0.1", headers={"X-Forwarded-Proto": "https"})
    client.force_login(get_user_model().objects.get(username=args.user))
    first = client.get(args.path, secure=True)
    if first.status_code != 200:
        raise SystemExit(f"GET {args.path} answered {first.status_code}.")

    queries: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append(((time.perf_counter() - started) * 1000, sql))

    profiler = cProfile.Profile()
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        profiler.enable()
        client.get(args.path, secure=True)
        profiler.disable()
    wall_ms = (time.perf_counter() - started) * 1000
    sql_ms = sum(ms for ms, _ in queries)

    print(f"GET {args.path} as {args.user}: {wall_ms:.1f} ms (under the profiler)")
    print(f"SQL: {len(queries)} queries, {sql_ms:.1f} ms; Python: {wall_ms - sql_ms:.1f} ms")
    for ms, sql in sorted(queries, reverse=True)[:5]:
        print(f"  {ms:8.1f} ms  {sql[:160]}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())


if __name__ == "__main__":
    main()
