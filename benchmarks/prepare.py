"""`python -m benchmarks.prepare --scale N --requests N`: gets the database ready for a
run before gunicorn starts: creates it when missing, then `scenario.prepare` migrates,
seeds when needed and adds the admin user. Run with the benchmark's environment
(DATABASE_URL of erp_bench or erp_bench_smoke); bin/benchmark sets it."""

from __future__ import annotations

import argparse
import os

import django
import psycopg
from psycopg import sql


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of `url` when missing; True when it was created."""
    name = str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])
    server = psycopg.conninfo.make_conninfo(url, dbname="postgres")
    with psycopg.connect(server, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if exists:
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, required=True)
    parser.add_argument("--requests", type=int, required=True)
    args = parser.parse_args()

    if ensure_database(os.environ["DATABASE_URL"]):
        print("Created the database.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from benchmarks import scenario  # noqa: PLC0415 (models load after django.setup())

    scenario.prepare(
        scale=args.scale,
        accept_items=scenario.accept_items_needed(args.requests, scenario.ACTION_WARMUPS),
    )


if __name__ == "__main__":
    main()
