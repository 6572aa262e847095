"""Validation of external-account values, shared by the admin form and the API."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .http import validate_ca_pem

MAX_URL_LENGTH = 2048


def validate_https_url(value: str) -> None:
    """Only https:// URLs with a host; any other scheme is refused by name."""
    if len(value) > MAX_URL_LENGTH:
        raise ValidationError(f"The server URL is longer than {MAX_URL_LENGTH} characters.")
    scheme = urlsplit(value).scheme.lower() if "://" in value else ""
    if scheme != "https":
        shown = f"{scheme}://" if scheme else "a URL without a scheme"
        raise ValidationError(f"Only https:// URLs are accepted, not {shown}.", code="https_only")
    URLValidator(schemes=["https"], message="Enter a valid https:// URL.")(value)
    parts = urlsplit(value)
    if parts.username or parts.password:
        raise ValidationError("The server URL must not contain a user name or password.")


def validate_ca_certificate(value: str) -> None:
    if value.strip():
        try:
            validate_ca_pem(value)
        except ValueError as exc:
            raise ValidationError(f"The CA certificate is {exc}.") from None
