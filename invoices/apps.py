from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"

    def ready(self) -> None:
        # Connects the receiver that deletes an attachment's file with its row.
        from invoices import attachments  # noqa: F401
