"""Validation of external-account values, shared by the admin form and the API."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from .http import validate_ca_pem

MAX_URL_LENGTH = 2048
# "javascript:…", "data:…": a scheme without "//" (a colon before digits is a port).
BARE_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(?!\d)")


def validate_https_url(value: str) -> None:
    """Only https:// URLs with a host; any other scheme is refused by name."""
    if len(value) > MAX_URL_LENGTH:
        raise ValidationError(f"The server URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValidationError("Enter a valid https:// URL.", code="invalid") from None
    bare = BARE_SCHEME.match(value) if "://" not in value else None
    scheme = parts.scheme.lower() if "://" in value else ""
    if scheme != "https":
        shown = f"{scheme}://" if scheme else f"{bare.group(1).lower()}:" if bare else "a URL without a scheme"
        raise ValidationError(f"Only https:// URLs are accepted, not {shown}.", code="https_only")
    URLValidator(schemes=["https"], message="Enter a valid https:// URL.")(value)
    if parts.username or parts.password:
        raise ValidationError("The server URL must not contain a user name or password.")
    try:
        parts.port
    except ValueError:
        raise ValidationError("The port of the server URL must be between 0 and 65535.", code="invalid") from None


def validate_ca_certificate(value: str) -> None:
    if value.strip():
        try:
            validate_ca_pem(value)
        except ValueError as exc:
            raise ValidationError(f"The CA certificate is {exc}.") from None
