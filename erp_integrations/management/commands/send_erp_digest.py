"""`manage.py send_erp_digest`: send today's ERP digest to each accounting approver with
something waiting. Run it once a day from cron; running it again the same day, or on
several hosts at once, sends no approver a second digest (`erp_integrations.digest_delivery`),
and retries the emails that failed."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from erp_integrations.digest_delivery import send_erp_digests


class Command(BaseCommand):
    help = "Send today's ERP digest to the accounting approvers (once per approver and day)."

    def handle(self, *args, **options) -> None:
        run = send_erp_digests()
        self.stdout.write(
            f"ERP digest: {len(run.sent)} sent, {len(run.failed)} failed, "
            f"{len(run.already_claimed)} already sent today, "
            f"{len(run.nothing_to_send)} with nothing waiting."
        )
        for user_id, error in run.failed.items():
            self.stderr.write(f"The digest to user {user_id} failed: {error}")
        if run.failed:
            # A non-zero exit, so that cron reports it; the next run retries them.
            raise CommandError(
                f"{len(run.failed)} digest(s) failed; run the command again to retry them."
            )
