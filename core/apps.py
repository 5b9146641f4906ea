from django.apps import AppConfig
from django.urls import register_converter

from core.converters import DatabaseIdConverter


class CoreConfig(AppConfig):
    """What every app shares: refusals, htmx helpers, display helpers, admin mixins."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Registered before any URLconf is imported, so every urls.py may use <dbid:...>.
        register_converter(DatabaseIdConverter, "dbid")
