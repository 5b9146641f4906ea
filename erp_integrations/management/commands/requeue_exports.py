"""`manage.py requeue_exports [--every SECONDS]`: enqueue again the ERP exports that
stalled (their worker died, their retry task was lost, or they were never picked up), and
mark failed the task rows that dead workers left running. Run it from cron, or with
--every as a long-running process next to the workers."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

from erp_integrations.tasks import fail_dead_tasks, requeue_stalled_exports


class Command(BaseCommand):
    help = "Enqueue again the ERP exports that stalled; mark dead workers' tasks failed."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--every",
            type=float,
            metavar="SECONDS",
            help="Keep running, checking every SECONDS seconds (for a deployment without cron).",
        )

    def handle(self, *args, every: float | None = None, verbosity: int = 1, **options) -> None:
        if every is not None and every <= 0:
            raise CommandError("--every takes a number of seconds greater than 0.")
        try:
            while True:
                dead = fail_dead_tasks()
                if dead:
                    self.stdout.write(f"Marked {len(dead)} dead worker's task(s) failed.")
                requeued = requeue_stalled_exports()
                if requeued or verbosity > 1:
                    self.stdout.write(f"Requeued {len(requeued)} stalled export(s).")
                if every is None:
                    return
                close_old_connections()
                time.sleep(every)
        except KeyboardInterrupt:
            return
