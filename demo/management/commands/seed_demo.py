"""`manage.py seed_demo`: load the demo data of DESIGN.md (safe to run again)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from demo.data import seed_demo_data


class Command(BaseCommand):
    help = (
        "Create the demo company, projects, commitments, invoices and users (password "
        "'demo'). Running it again changes nothing."
    )

    def handle(self, *args, **options) -> None:
        report = seed_demo_data()
        for line in report.summary():
            self.stdout.write(line)
