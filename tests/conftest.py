from __future__ import annotations

import pytest
from asgiref.local import Local
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.tasks import task_backends


@receiver(setting_changed)
def _reload_task_backends(*, setting: str, **kwargs) -> None:
    """Django does not reload task backends when a test overrides TASKS; do it here."""
    if setting == "TASKS":
        task_backends._settings = None
        task_backends.__dict__.pop("settings", None)
        task_backends._connections = Local(task_backends.thread_critical)


@pytest.fixture(autouse=True)
def _export_folder(settings, tmp_path):
    """Every test writes ERP export documents into its own folder."""
    settings.ERP_EXPORT_DIR = tmp_path / "erp-exports"


@pytest.fixture
def dummy_tasks(settings):
    """Enqueued tasks are recorded, not run (django.tasks' dummy backend)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    from django.tasks import default_task_backend

    default_task_backend.clear()
    return default_task_backend


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; a fast hasher keeps them quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
