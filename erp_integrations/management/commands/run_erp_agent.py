"""`manage.py run_erp_agent --url URL --token KEY --dir FOLDER [--once] [--limit N]`: the
reference ERP agent for a company on the Agent connector. It speaks only the HTTP API
(erp_integrations/agent_client.py), so it runs on any host that reaches the site: claims
the company's accepted items, writes each export document into FOLDER as the file
connector does, and reports it synced (the file name is the reference) or failed.

--url is the company's exports URL, `<site>/api/v1/companies/<id>/erp/exports/`; --token
an API token of a user with the company's 'ERP agent' privilege (or ERP_AGENT_TOKEN in the
environment, which keeps the key out of the process list)."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from erp_integrations.agent_client import AgentApiError, PullClient, ReferenceAgent


class Command(BaseCommand):
    help = "Pull the company's accepted ERP exports through the API into a folder."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--url",
            required=True,
            help="The company's exports URL: <site>/api/v1/companies/<id>/erp/exports/",
        )
        parser.add_argument(
            "--token", default=os.environ.get("ERP_AGENT_TOKEN"), help="The agent's API token."
        )
        parser.add_argument("--dir", required=True, help="The folder the ERP imports from.")
        parser.add_argument(
            "--once", action="store_true", help="Export what is waiting, then stop."
        )
        parser.add_argument("--limit", type=int, default=10, help="Items per claim (default 10).")
        parser.add_argument(
            "--name",
            default=os.uname().nodename[:32],
            help="The agent's name (default: host name).",
        )
        parser.add_argument(
            "--interval", type=float, default=10, help="Seconds between polls (default 10)."
        )

    def handle(self, *args, **options) -> None:
        if not options["token"]:
            raise CommandError("Give the agent's API token: --token, or ERP_AGENT_TOKEN.")
        if options["limit"] < 1:
            raise CommandError("--limit takes a number of items greater than 0.")
        if options["interval"] <= 0:
            raise CommandError("--interval takes a number of seconds greater than 0.")
        client = PullClient(options["url"], options["token"], name=options["name"])
        agent = ReferenceAgent(client, options["dir"], limit=options["limit"])
        if not options["once"]:
            agent.run_forever(options["interval"])
            return
        try:
            run = agent.run_once()
        except AgentApiError as error:
            raise CommandError(f"The API refused the claim: {error}") from None
        self.stdout.write(
            f"Synced {len(run.synced)}, failed {len(run.failed)}, refused {len(run.refused)}."
        )
