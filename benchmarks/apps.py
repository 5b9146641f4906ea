from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """The benchmark data set and `manage.py seed_bench`, for `bin/benchmark`. It sits
    above every other app, and only a checkout has it: the installed package does not
    ship it (see INSTALLED_APPS in config/settings.py)."""

    name = "benchmarks"
    verbose_name = "Benchmarks"
