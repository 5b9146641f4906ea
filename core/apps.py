from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app shares: refusals, htmx helpers, display helpers, admin mixins."""

    name = "core"
    verbose_name = "Core"
