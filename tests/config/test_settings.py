"""The production settings pass Django's deployment checklist."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_production_mode_passes_check_deploy_without_warnings():
    """`manage.py check --deploy` reports nothing in production mode."""
    env = {
        key: value for key, value in os.environ.items() if key not in {"DEBUG", "EMAIL_BACKEND"}
    } | {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x7PqV3nL0s9Rk2mWb8Yt4uZc6Ja1He5Gf0Dd3Ss7Aa9Qq2Ww4Ee6Rr8Tt0Yy1Uu",
        "ALLOWED_HOSTS": "erp.example.com",
    }
    completed = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "System check identified no issues" in completed.stdout


def test_production_mode_requires_a_secret_key():
    """Production refuses to start on the development secret key."""
    env = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"} | {
        "DJANGO_ENV": "production",
        "ALLOWED_HOSTS": "erp.example.com",
    }
    completed = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0
    assert "SECRET_KEY must be set" in completed.stderr
