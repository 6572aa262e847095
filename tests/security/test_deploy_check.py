"""Django's deployment checklist (`check --deploy`) passes, warnings included,
with the production settings crmsync is documented to run with."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

PROJECT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CRMSYNC_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "crmsync.settings",
        "DJANGO_DEBUG": "0",
        "CRMSYNC_HTTPS": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "CRMSYNC_SECRET_KEYS": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": "crmsync.example.com",
        "CRMSYNC_VAR_DIR": str(tmp_path / "var"),
    })
    env.update(overrides)
    return env


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120,
    )


def test_deploy_check_passes_with_production_settings(tmp_path):
    """DEBUG off, HTTPS on, a long secret key and credential keys: no warning at all."""
    result = deploy_check(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_when_https_is_not_declared(tmp_path):
    """The check is real: without CRMSYNC_HTTPS the HSTS, SSL-redirect and secure-cookie warnings fail it."""
    result = deploy_check(production_env(tmp_path, CRMSYNC_HTTPS="0"))
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout
