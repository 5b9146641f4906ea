from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgiref.local import Local
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.tasks import default_task_backend, task_backends
from hypothesis import settings as hypothesis_settings

from tests.access_world import AccessWorld, build_access_world, shared_access_world

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark the browser tests, before `-m browser` / `-m "not browser"` selects by the
    mark, and run them last.

    Playwright's sync API starts an event loop in the main thread when the first browser
    test opens the browser, and keeps it for the session. Django refuses synchronous ORM
    calls while a loop runs, so plain tests must all run before it starts (bin/test runs
    the browser tests as a run of their own)."""
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason="Chromium is not installed"))
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Inside a browser test, the ORM calls of the test itself and of the database
    teardown run beside Playwright's loop in the same thread, one at a time: safe."""
    if item.get_closest_marker("browser") is None:
        return (yield)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        return (yield)
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@receiver(setting_changed)
def _reload_task_backends(*, setting: str, **kwargs) -> None:
    """Django does not reload task backends when a test overrides TASKS; do it here."""
    if setting == "TASKS":
        # As Django's own setting_changed receivers reset the cache and database handlers;
        # the stubs leave out these private attributes.
        task_backends._settings = None  # type: ignore[attr-defined]
        task_backends.__dict__.pop("settings", None)
        task_backends._connections = Local(task_backends.thread_critical)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _export_folder(settings, tmp_path):
    """Every test writes ERP export documents into its own folder."""
    settings.ERP_EXPORT_DIR = tmp_path / "erp-exports"


@pytest.fixture(autouse=True)
def _media_folder(settings, tmp_path):
    """Every test stores attachments in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def dummy_tasks(settings):
    """Enqueued tasks are recorded, not run (django.tasks' dummy backend)."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.clear()
    return default_task_backend


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Tests create many users; a fast hasher keeps them quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Requests as htmx sends them. Views are tested both as plain requests and with the
# HX-Request header (an htmx request gets the swapped region instead of the page).
HX_REQUEST = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def htmx() -> dict[str, str]:
    """The header htmx sends with every request: `client.get(url, **htmx)`."""
    return dict(HX_REQUEST)


@pytest.fixture(params=["plain", "htmx"])
def headers(request) -> dict[str, str]:
    """Runs the test twice: as a plain request and as htmx's, `client.get(url, **headers)`."""
    return dict(HX_REQUEST) if request.param == "htmx" else {}


# The access-layer matrix tests' worlds: every role and object of DESIGN.md's access rules
# (tests/access_world.py).


@pytest.fixture(scope="module")
def module_world(django_db_setup, django_db_blocker) -> Iterator[AccessWorld]:
    with shared_access_world(django_db_blocker) as world:
        yield world


@pytest.fixture
def access(module_world, db) -> AccessWorld:
    """The module's world, for questions that change nothing."""
    return module_world


@pytest.fixture
def fresh(db) -> AccessWorld:
    """A world of the test's own, for tests that change grants."""
    return build_access_world()


# Hypothesis (the fuzz tests): a bounded run by default, so the suite stays quick in CI;
# `HYPOTHESIS_PROFILE=thorough` for many more examples. No example database is written.
hypothesis_settings.register_profile(
    "ci", max_examples=40, deadline=None, database=None, print_blob=True
)
hypothesis_settings.register_profile(
    "thorough", max_examples=500, deadline=None, database=None, print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
