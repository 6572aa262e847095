"""Encryption of credentials at rest with MultiFernet over CRMSYNC_SECRET_KEYS:
the first key encrypts, every key decrypts, so keys can be rotated."""

from __future__ import annotations

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableSecret(Exception):
    """A stored secret was encrypted with a key that is no longer configured."""


@lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "CRMSYNC_SECRET_KEYS must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each)"
        ) from None


def cipher() -> MultiFernet:
    keys = tuple(settings.CRMSYNC_SECRET_KEYS)
    if not keys:
        raise ImproperlyConfigured("CRMSYNC_SECRET_KEYS holds no key")
    return _multifernet(keys)


def encrypt(plaintext: str) -> str:
    return cipher().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return cipher().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret(
            "stored credentials cannot be decrypted with the configured CRMSYNC_SECRET_KEYS"
        ) from None


def rotate(token: str) -> str:
    """Re-encrypt a token under the first (current) key."""
    try:
        return cipher().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableSecret("a stored secret cannot be decrypted with any configured key") from None
