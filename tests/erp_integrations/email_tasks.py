"""For tests of the notification emails, which go out through tasks: run what the dummy
task backend recorded, and mail servers that cannot be reached."""

from __future__ import annotations

import logging
import smtplib

from django.core.mail.backends.base import BaseEmailBackend

from erp_integrations.tasks import export_invoices


class RefusingMailServer(BaseEmailBackend):
    """The SMTP server refuses the connection (it is down)."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


class DisconnectingMailServer(BaseEmailBackend):
    """The SMTP server drops the connection mid-conversation."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


UNREACHABLE_MAIL_SERVERS = [
    f"{__name__}.{backend.__name__}" for backend in (RefusingMailServer, DisconnectingMailServer)
]
IMMEDIATE_TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def unreachable_mail_server(settings, backend: str = UNREACHABLE_MAIL_SERVERS[0]) -> None:
    """Send email through `backend`, and run tasks at once as in tests and the demo."""
    settings.MAILERS = {"default": {"BACKEND": backend}}
    settings.TASKS = IMMEDIATE_TASKS


def run_enqueued(backend) -> list:
    """Run the tasks the dummy backend recorded, in order, and take them off it. Returns
    their return values."""
    results = list(backend.results)
    backend.clear()
    return [result.task.call(*result.args, **result.kwargs) for result in results]


def is_export(result) -> bool:
    return result.task.func is export_invoices.func


def email_tasks(backend) -> list[tuple[str, dict]]:
    """The email tasks the dummy backend recorded: (task name, keyword arguments)."""
    return [
        (result.task.name, result.kwargs) for result in backend.results if not is_export(result)
    ]


def failed_task_logs(caplog) -> list[tuple[str, type[BaseException]]]:
    """The tasks the immediate backend logged as failed: (task path, exception type)."""
    return [
        (record.args[1], record.exc_info[0])
        for record in caplog.records
        if record.name == "django.tasks" and record.levelno == logging.ERROR
    ]
