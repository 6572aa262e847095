"""Reading crmsync's configuration from the environment, with the embedded
defaults (a SQLite file, in-process tasks, keys kept under var/) when unset."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

TRUE_WORDS = {"1", "true", "yes", "on"}


def flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in TRUE_WORDS


def words(name: str, default: str = "") -> list[str]:
    return [word.strip() for word in os.environ.get(name, default).split(",") if word.strip()]


def persisted_secret(path: Path, make) -> str:
    """A value generated once and kept in a private file, for the embedded mode."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def django_secret_key(var_dir: Path) -> str:
    return os.environ.get("DJANGO_SECRET_KEY") or persisted_secret(
        var_dir / "django_secret_key", lambda: secrets.token_urlsafe(50)
    )


def credential_keys(var_dir: Path) -> list[str]:
    """CRMSYNC_SECRET_KEYS: the first encrypts, all decrypt (rotation)."""
    keys = words("CRMSYNC_SECRET_KEYS")
    if keys:
        return keys
    return [persisted_secret(var_dir / "crmsync_secret_keys", lambda: Fernet.generate_key().decode())]
