from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of DESIGN.md and `manage.py seed_demo`. It sits above every other
    app: it uses their services, and nothing uses it."""

    name = "demo"
    verbose_name = "Demo data"
