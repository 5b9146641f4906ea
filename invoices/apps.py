from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "invoices"

    def ready(self) -> None:
        # Connects the receiver that deletes an attachment's file with its row. Here, not at
        # the top: attachments.py imports the models, which only load once the registry
        # that imports this module is ready.
        from invoices import attachments  # noqa: F401, PLC0415
